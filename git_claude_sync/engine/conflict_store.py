"""Conflicts that could not be asked about: both versions kept, decided later.

A pull without a terminal (a hook, cron) never blocks and never loses a side:
the local file stays as it is and the remote version is recorded here, to be
listed and resolved by ``git claude-sync conflicts``.  The record lives in the
tool's home and the remote version in the sync repo's object store, kept alive
by a ref under ``refs/claude-sync/`` that is never pushed (push sends only
``main``), so the stored copy can never travel as a new file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine.files import atomic_write, read_records
from git_claude_sync.machine.paths import Layout
from git_claude_sync.records import asdict, dataclass

KEEP_REF_PREFIX = "refs/claude-sync/conflicts/"


@dataclass(frozen=True)
class Stored:
    path: bytes
    remote_blob: str  # the remote version, as stored (ciphertext)
    local_blob: str  # the local version when the conflict was met
    at: float

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = self.path.hex()
        return data

    @staticmethod
    def from_json(data: dict[str, object]) -> Stored:
        return Stored(
            path=bytes.fromhex(str(data["path"])),
            remote_blob=str(data["remote_blob"]),
            local_blob=str(data["local_blob"]),
            at=float(data["at"]),  # type: ignore[arg-type]
        )


def store_file(git: Git) -> Path:
    return Layout.of_git_dir(git.git_dir).conflicts_file


def load(git: Git) -> list[Stored]:
    return read_records(store_file(git), Stored.from_json)


def _save(git: Git, items: list[Stored]) -> None:
    data = json.dumps([i.to_json() for i in items], indent=2) + "\n"
    atomic_write(store_file(git), data.encode())


def record(git: Git, path: bytes, remote_blob: str, local_blob: str) -> None:
    """Remember a conflict (replacing an older one for the same file)."""
    items = [i for i in load(git) if i.path != path]
    items.append(Stored(path, remote_blob, local_blob, time.time()))
    git.update_ref(KEEP_REF_PREFIX + remote_blob, remote_blob)
    _save(git, items)


def forget(git: Git, path: bytes) -> Stored:
    items = load(git)
    match = [i for i in items if i.path == path]
    if not match:
        raise FatalError(f"no stored conflict for {path.decode('utf-8', 'backslashreplace')}")
    _save(git, [i for i in items if i.path != path])
    if not any(i.remote_blob == match[0].remote_blob for i in items if i.path != path):
        git.delete_ref(KEEP_REF_PREFIX + match[0].remote_blob)
    return match[0]
