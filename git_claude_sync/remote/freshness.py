"""No rollback of a bucket's manifest goes unnoticed (docs/spec/bucket.md, "Freshness").

The manifest is sealed, so the provider cannot forge one; it could still serve
an older one it kept, or delete it, and every machine would take the older
refs as the truth ("Already up to date").  The helper remembers, per remote
URL, the newest serial it has read or written, with a digest of the sealed
bytes, in ``~/.claude-sync/seen-manifests.json``, and refuses a lower serial,
the same serial with other bytes, or no manifest once one was seen.
``pull --accept-rollback`` forgets the record but keeps its serial as a floor for
the next manifest written (engine/sealed_state.forget).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files

OVERRIDE = "git claude-sync pull --accept-rollback"


@dataclass(frozen=True)
class Seen:
    url: str
    serial: int
    digest: str  # "" once a rollback was accepted: nothing is checked until the next read
    floor: int = 0  # the serial seen before that: a manifest written next goes above it


class ManifestRollback(FatalError):
    """The bucket serves an older manifest than this machine has seen, or none."""


class Freshness:
    def __init__(self, record_file: Path, url: str) -> None:
        self.record_file = record_file
        self.url = url

    def _all(self) -> list[Seen]:
        return files.read_records(
            self.record_file,
            lambda item: Seen(
                str(item["url"]),
                int(item["serial"]),
                str(item["digest"]),
                int(item.get("floor", 0)),
            ),
        )

    def seen(self) -> Seen | None:
        return next((s for s in self._all() if s.url == self.url), None)

    def check(self, serial: int | None, sealed: bytes | None) -> None:
        """Refuse a manifest (``None``: none) older than, or forked from, the newest seen."""
        seen = self.seen()
        if seen is None or not seen.digest:
            return
        had = f"this machine has seen its manifest at serial {seen.serial}"
        tail = (
            "; nothing was changed. If that was deliberate (the bucket restored or "
            f"re-created): {OVERRIDE}"
        )
        if serial is None or sealed is None:
            raise ManifestRollback(f"{self.url}: the manifest is gone, but {had}" + tail)
        if serial < seen.serial:
            raise ManifestRollback(
                f"{self.url}: the bucket went back to an older manifest (serial {serial}), "
                f"but {had}" + tail
            )
        if serial == seen.serial and _digest(sealed) != seen.digest:
            raise ManifestRollback(
                f"{self.url}: the bucket serves another manifest at serial {serial} than "
                "this machine saw (forked or replaced)" + tail
            )

    def record(self, serial: int, sealed: bytes) -> None:
        """Remember a manifest read (after ``check``) or written here."""
        seen = self.seen()
        if seen is not None and seen.serial > serial:
            return
        others = [s for s in self._all() if s.url != self.url]
        floor = seen.floor if seen is not None and seen.floor > serial else 0
        records = [*others, Seen(self.url, serial, _digest(sealed), floor)]
        text = json.dumps([s.__dict__ for s in records], indent=1, sort_keys=True) + "\n"
        files.atomic_write(self.record_file, text.encode())

    def next_serial(self, serial: int) -> int:
        """The serial of a manifest written after one at ``serial``: above any serial seen
        before a rollback was accepted, which another machine may have seen too (a reused
        serial with other bytes reads to it as a replaced manifest)."""
        seen = self.seen()
        return max(serial, seen.floor if seen is not None else 0) + 1


def _digest(sealed: bytes) -> str:
    return hashlib.sha256(sealed).hexdigest()
