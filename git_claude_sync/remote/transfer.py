"""The bucket as a git remote: one encrypted manifest, and encrypted packs.

Layout (normative text: docs/spec/bucket.md):

* ``MANIFEST_NAME``: the manifest, sealed with the repo key at the pseudo-path
  ``\\x00remote/manifest``: refs, HEAD, the ordered list of packs (each with the
  commits it brings, its "tips"), packs recently dropped by consolidation, and
  a serial number.  Replaced only by compare-and-swap on the provider's version.
* every other object: a git pack under a random 32-hex-digit name, sealed at the
  pseudo-path ``\\x00remote/pack/<name>``.  Pack *k* may be thin against the
  objects of packs before it.

Push uploads one thin pack of what the remote lacks, then swaps the manifest;
losing the swap to another machine reports "fetch first", so the caller's
fetch-merge-retry takes over.  A pack that no manifest names is garbage from an
interrupted or lost push, deleted once older than a grace period.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from git_claude_sync.crypto.codec import Key, chunked, parse_header
from git_claude_sync.errors import CodecError, FatalError, NotEncrypted, WrongKey
from git_claude_sync.git import CallerRepo
from git_claude_sync.remote import spool
from git_claude_sync.remote.freshness import Freshness
from git_claude_sync.remote.store import NAME, Store, check_conditional_writes, new_name

FORMAT = 1
# The manifest's name does not depend on the key: a machine with the wrong key
# must find it and be told, not see an empty remote and write a second one.
MANIFEST_NAME = hashlib.sha256(b"git-claude-sync remote manifest v1").hexdigest()[:32]
MANIFEST_PATH = b"\x00remote/manifest"
PACK_PATH = b"\x00remote/pack/"

MAX_PACKS = int(os.environ.get("CLAUDE_SYNC_REMOTE_MAX_PACKS", "8"))
GRACE_SECONDS = float(os.environ.get("CLAUDE_SYNC_REMOTE_GRACE_SECONDS", str(24 * 3600)))
CAS_ATTEMPTS = 5
FETCH_FIRST = "fetch first"
NON_FAST_FORWARD = "non-fast forward"
STALE_INFO = "stale info"  # a --force-with-lease whose expected value is not the remote's


@dataclass
class Pack:
    id: str
    size: int  # bytes stored (ciphertext)
    tips: list[str]  # commits (or other objects) whose closure the packs up to this one hold

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "size": self.size, "tips": self.tips}


@dataclass
class Manifest:
    refs: dict[str, str] = field(default_factory=dict)
    head: str | None = None
    packs: list[Pack] = field(default_factory=list)
    dropped: list[tuple[str, float]] = field(default_factory=list)  # (pack id, when)
    serial: int = 0

    def encode(self) -> bytes:
        data = {
            "format": FORMAT,
            "serial": self.serial,
            "refs": self.refs,
            "head": self.head,
            "packs": [p.to_json() for p in self.packs],
            "dropped": [{"id": i, "at": at} for i, at in self.dropped],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise FatalError(
                    f"the bucket's manifest has format {data.get('format')}; "
                    "upgrade git-claude-sync"
                )
            return cls(
                refs={str(k): str(v) for k, v in data["refs"].items()},
                head=data.get("head"),
                packs=[Pack(p["id"], int(p["size"]), list(p["tips"])) for p in data["packs"]],
                dropped=[(d["id"], float(d["at"])) for d in data.get("dropped", [])],
                serial=int(data["serial"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise FatalError("the bucket's manifest is malformed") from None

    def covered(self) -> set[str]:
        """Objects whose whole closure the bucket holds."""
        return set(self.refs.values()) | {t for p in self.packs for t in p.tips}

    def pack_ids(self) -> set[str]:
        return {p.id for p in self.packs}


def seal_manifest(key: Key, manifest: Manifest) -> bytes:
    """The manifest as stored: a blob sealed at the pseudo-path ``MANIFEST_PATH``."""
    return key.encrypt(MANIFEST_PATH, manifest.encode())


def open_manifest(key: Key, sealed: bytes) -> Manifest:
    """Open and parse a stored manifest (``CodecError`` or ``FatalError`` if it does not)."""
    return Manifest.decode(key.decrypt(MANIFEST_PATH, sealed))


def seal_pack(key: Key, name: str, data: bytes) -> bytes:
    """A git pack as stored under the object name ``name``."""
    return key.encrypt(PACK_PATH + name.encode(), data)


def open_pack(key: Key, name: str, sealed: bytes) -> bytes:
    """The git pack stored under ``name`` (``CodecError`` if it is not that pack)."""
    return key.decrypt(PACK_PATH + name.encode(), sealed)


def seal_pack_file(key: Key, name: str, pack: Path, sealed: Path) -> int:
    """``seal_pack`` from the file ``pack`` to a new file ``sealed``, a chunk at a time (the
    same bytes); the sealed size."""
    with spool.create(sealed) as out:
        for part in key.seal(PACK_PATH + name.encode(), chunked(spool.blocks(pack))):
            out.write(part)
        return out.tell()


def open_pack_file(key: Key, name: str, sealed: Path, pack: Path) -> None:
    """``open_pack`` from the file ``sealed`` to a new file ``pack``, a chunk at a time.

    Only a return proves the pack whole (the finaliser closes the chain): until then
    ``pack`` holds plaintext not yet authenticated as a whole, which no one may read —
    the caller feeds git from it only after this returns, and removes it on an error.
    """
    with open(sealed, "rb") as source, spool.create(pack) as out:
        for piece, _record in key.open(PACK_PATH + name.encode(), source.read):
            out.write(piece)


def consolidation_start(sizes: list[int], max_packs: int) -> int | None:
    """Index from which to merge the trailing packs into one, or None to leave them.

    Merges a suffix while the pack before it is at most twice the suffix's total,
    so sizes stay roughly geometric and a consolidation rewrites the recent small
    packs, not the whole history; everything (index 0) once the suffix outgrows it.
    """
    count = len(sizes)
    if count <= max_packs:
        return None
    start = count - 1
    total = sizes[start]
    while start > 0 and sizes[start - 1] <= 2 * total:
        start -= 1
        total += sizes[start]
    return min(start, max_packs - 1)


class Remote:
    def __init__(
        self,
        store: Store,
        key_loader: Callable[[], Key],
        *,
        say: Callable[[str], None] | None = None,
        also_open: Callable[[], list[Key]] | None = None,
        moved: Callable[[bytes, str], str] | None = None,
        freshness: Freshness | None = None,
    ) -> None:
        self.store = store
        self.freshness = freshness  # refuses an older manifest than seen (freshness.py)
        self._key_loader = key_loader
        self._key: Key | None = None
        self.say = say or (lambda _message: None)
        # Keys besides the current one a manifest may be under: a rotation's new
        # key, written on this machine (docs/spec/rotation.md, "Buckets").
        self._also_open = also_open or (lambda: [])
        # The one line for a manifest under a key this machine lacks (key id, why).
        self._moved = moved or wrong_key
        self.manifest: Manifest | None = None
        self.version: str | None = None
        self.manifest_key: Key | None = None  # the key the manifest (and its packs) is under
        self.expected: dict[str, str] = {}  # ref -> value a --force-with-lease expects
        self._read = False

    @property
    def key(self) -> Key:
        if self._key is None:
            self._key = self._key_loader()
        return self._key

    # -- the manifest ------------------------------------------------------------

    def read_manifest(self) -> tuple[Manifest, str | None]:
        got = self.store.get(MANIFEST_NAME)
        if got is None:
            self.store.check_access()  # a missing bucket must not look like an empty remote
            if self.freshness is not None:
                self.freshness.check(None, None)
            self.manifest, self.version = Manifest(), None
        else:
            sealed, version = got
            try:
                key = self._key_for(sealed)
                manifest = open_manifest(key, sealed)
            except NotEncrypted:
                raise FatalError(
                    f"{self.store.url} holds an object at the manifest's name that "
                    "git-claude-sync did not write; refusing to use it"
                ) from None
            except WrongKey as err:
                key_id = parse_header(sealed).key_id
                raise FatalError(f"{self.store.url}: {self._moved(key_id, str(err))}") from None
            except CodecError as err:
                raise FatalError(f"{self.store.url}: the manifest is {err}") from None
            if self.freshness is not None:
                self.freshness.check(manifest.serial, sealed)
                self.freshness.record(manifest.serial, sealed)
            self.manifest, self.version, self.manifest_key = manifest, version, key
        self._read = True
        return self.manifest, self.version

    def current(self) -> tuple[Manifest, str | None]:
        if not self._read:
            return self.read_manifest()
        assert self.manifest is not None
        return self.manifest, self.version

    def _key_for(self, sealed: bytes) -> Key:
        """The key a stored manifest names, if this machine may open it; else the current one
        (which then fails, naming both)."""
        key_id = parse_header(sealed).key_id
        if key_id == self.key.key_id:
            return self.key
        for key in self._also_open():
            if key.key_id == key_id:
                return key
        return self.key

    def _seal_manifest(self, manifest: Manifest) -> bytes:
        return seal_manifest(self.key, manifest)

    def _pack_key(self) -> Key:
        return self.key

    def _swap(self, proposed: Manifest, version: str | None) -> str | None:
        """Replace the manifest by ``proposed`` if still at ``version``; its new version."""
        if self.freshness is not None:  # after an accepted rollback: above what was seen
            proposed = replace(proposed, serial=self.freshness.next_serial(proposed.serial - 1))
        sealed = self._seal_manifest(proposed)
        new_version = self.store.put_if_match(MANIFEST_NAME, sealed, version)
        if new_version is not None:
            self.manifest, self.version = proposed, new_version
            if self.freshness is not None:
                self.freshness.record(proposed.serial, sealed)
        return new_version

    # -- fetch ---------------------------------------------------------------------

    def fetch(self, wanted: Iterable[str]) -> None:
        """Bring every pack whose tips this repository lacks, in manifest order."""
        for attempt in range(3):
            manifest, _ = self.current() if attempt == 0 else self.read_manifest()
            if self._fetch_packs(manifest):
                break
        else:
            raise FatalError(f"{self.store.url}: packs kept disappearing while fetching")
        missing = CallerRepo.missing_objects(list(wanted))
        if missing:
            raise FatalError(
                f"{self.store.url}: the manifest names {missing[0][:12]} but no pack holds it"
            )

    def _fetch_packs(self, manifest: Manifest) -> bool:
        """False if a pack the manifest names is gone (a newer manifest dropped it)."""
        all_tips = {t for p in manifest.packs for t in p.tips}
        absent = set(CallerRepo.missing_objects(sorted(all_tips)))
        strict = _fsck_wanted()
        self.store.prefetch([p.id for p in manifest.packs if any(t in absent for t in p.tips)])
        for pack in manifest.packs:
            if not any(t in absent for t in pack.tips):
                continue
            with spool.folder() as where:  # the pack and its sealed copy, as files (issue 9)
                sealed, plain = where / "sealed", where / "pack"
                if self.store.get_file(pack.id, sealed) is None:
                    return False
                self.say(f"Fetching {_size(sealed.stat().st_size)} from {self.store.url}")
                try:
                    open_pack_file(self.manifest_key or self.key, pack.id, sealed, plain)
                except CodecError as err:
                    raise FatalError(f"{self.store.url}: a pack is {err}") from None
                sealed.unlink()  # half the disk while git indexes the pack
                with open(plain, "rb") as data:
                    CallerRepo.index_pack_from(
                        ["--stdin", "--fix-thin"] + (["--strict"] if strict else []), data
                    )
            absent -= set(pack.tips)
        return True

    # -- push ------------------------------------------------------------------------

    def push(
        self, specs: list[tuple[bool, str, str]], *, dry_run: bool = False
    ) -> list[tuple[str, str | None]]:
        """Apply ``(force, src, dst)`` updates; returns ``(dst, error or None)`` for each."""
        manifest, version = self.current()
        self.check_manifest_key()
        results: dict[str, str | None] = {}
        updates: dict[str, str | None] = {}
        for force, src, dst in specs:
            old = manifest.refs.get(dst)
            if dst in self.expected:
                expected = self.expected[dst]
                if not expected.strip("0"):  # git's all-zero id for "REF:": must not exist
                    expected = ""
                if (old or "") != expected:
                    results[dst] = STALE_INFO
                    continue
                force = True
            if not src:
                updates[dst] = None
                continue
            new = CallerRepo.rev_parse(src)
            if old is not None and old != new and not force:
                if CallerRepo.missing_objects([old]):
                    results[dst] = FETCH_FIRST
                    continue
                if not CallerRepo.is_ancestor(old, new):
                    results[dst] = NON_FAST_FORWARD
                    continue
            if old != new:
                updates[dst] = new
            else:
                results[dst] = None
        if not updates or dry_run:
            return [(dst, results.get(dst)) for _f, _s, dst in specs]

        if version is None:
            check_conditional_writes(self.store)  # first push to this bucket and prefix
        negatives, new_pack = self.upload_for(manifest, updates)
        outcome = self.swap_manifest(manifest, version, updates, negatives, new_pack)
        for dst in updates:
            results[dst] = outcome
        if outcome is None:
            self._maintain(had_dropped=bool(manifest.dropped))
        return [(dst, results.get(dst)) for _f, _s, dst in specs]

    def check_manifest_key(self) -> None:
        """A plain push never writes over a manifest under another key (a rotation here
        that has not finished switching keys)."""
        if self.manifest_key is not None and self.manifest_key.key_id != self.key.key_id:
            raise FatalError(
                f"{self.store.url}: {self._moved(self.manifest_key.key_id, 'under another key')}"
            )

    def upload_for(
        self, manifest: Manifest, updates: dict[str, str | None]
    ) -> tuple[list[str], Pack | None]:
        """Step 3 of a push: the negatives used and the pack stored (None: nothing new)."""
        missing = CallerRepo.missing_objects(manifest.refs.values())
        negatives = sorted(set(manifest.refs.values()) - set(missing))
        positives = sorted({v for v in updates.values() if v})
        return negatives, self._upload_pack(positives, negatives, thin=True) if positives else None

    def proposed(
        self, manifest: Manifest, updates: dict[str, str | None], pack: Pack | None
    ) -> Manifest:
        """The manifest a push writes over ``manifest``."""
        return _updated(manifest, updates, pack)

    def swap_manifest(
        self,
        manifest: Manifest,
        version: str | None,
        updates: dict[str, str | None],
        negatives: list[str],
        new_pack: Pack | None,
    ) -> str | None:
        """Step 4 of a push, once its pack is stored: the manifest read at ``version``,
        with ``updates`` and ``new_pack``, replaces it by compare-and-swap.  Returns
        None when the swap landed, or the error for every pushed ref."""
        for _attempt in range(CAS_ATTEMPTS):
            proposed = self.proposed(manifest, updates, new_pack)
            if self._swap(proposed, version) is not None:
                return None
            current, current_version = self.read_manifest()
            self.check_manifest_key()
            if all(current.refs.get(d) == v for d, v in updates.items()) and (
                new_pack is None or new_pack.id in current.pack_ids()
            ):
                return None  # our own write landed; only its answer was lost
            moved = any(current.refs.get(d) != manifest.refs.get(d) for d in updates)
            if moved or not set(negatives) <= current.covered():
                return FETCH_FIRST  # another machine won: the caller fetches, merges, retries
            # Only other refs changed, or a consolidation: rebase our update onto it.
            manifest, version = current, current_version
        return FETCH_FIRST

    def _upload_pack(
        self, positives: list[str], negatives: list[str], *, thin: bool
    ) -> Pack | None:
        with spool.folder() as where:  # the pack and its sealed copy, as files (issue 9)
            plain, sealed = where / "pack", where / "sealed"
            with spool.create(plain) as out:
                CallerRepo.pack_objects_to(out, positives, negatives, thin=thin)
            with open(plain, "rb") as handle:
                if _object_count(handle.read(12)) == 0:
                    return None
            name = new_name()
            size = seal_pack_file(self._pack_key(), name, plain, sealed)
            plain.unlink()  # half the disk while it uploads
            self.say(f"Uploading {_size(size)} to {self.store.url}")
            self.store.put_file(name, sealed)
        return Pack(name, size, positives)

    # -- maintenance -------------------------------------------------------------------

    def _maintain(self, *, had_dropped: bool) -> None:
        """Consolidate and collect garbage after a successful push; failures only warn.

        A store where packs land only with their manifest has garbage only from packs
        consolidation dropped: no listing (a round trip) while there are none."""
        try:
            self._consolidate()
            dropped = had_dropped or bool(self.manifest and self.manifest.dropped)
            if self.store.may_hold_orphans or dropped:
                self._collect_garbage()
        except FatalError as err:
            sys.stderr.write(f"git-claude-sync: warning: remote maintenance skipped: {err}\n")

    def _consolidate(self) -> None:
        manifest, version = self.current()
        start = consolidation_start([p.size for p in manifest.packs], MAX_PACKS)
        if start is None or version is None:
            return
        base, tail = manifest.packs[:start], manifest.packs[start:]
        refs = sorted(set(manifest.refs.values()))
        base_tips = sorted({t for p in base for t in p.tips})
        if CallerRepo.missing_objects(refs + base_tips):
            return  # this machine lacks part of the history: another one will do it
        merged = self._upload_pack(refs, base_tips, thin=bool(base)) if refs else None
        now = time.time()
        proposed = Manifest(
            refs=dict(manifest.refs),
            head=manifest.head,
            packs=base + ([merged] if merged else []),
            dropped=_recent(manifest.dropped, now) + [(p.id, now) for p in tail],
            serial=manifest.serial + 1,
        )
        if self._swap(proposed, version) is not None:
            self.say(f"Consolidated {len(tail)} packs on {self.store.url}")

    def _collect_garbage(self) -> None:
        manifest, version = self.current()  # read before the listing: see delete_many
        now = time.time()
        keep = (
            {MANIFEST_NAME} | manifest.pack_ids() | {i for i, _ in _recent(manifest.dropped, now)}
        )
        self.store.delete_many(
            [
                info.name
                for info in self.store.list()
                if NAME.match(info.name)
                and info.name not in keep
                and now - info.modified >= GRACE_SECONDS
            ],
            guard=(MANIFEST_NAME, version),
        )


def wrong_key(_key_id: bytes, why: str) -> str:
    """A manifest under a key this machine lacks, when nothing says it moved."""
    return (
        f"wrong key: the remote is {why}; use a copy of the first machine's key (init --key FILE)"
    )


def _recent(dropped: list[tuple[str, float]], now: float) -> list[tuple[str, float]]:
    return [(i, at) for i, at in dropped if now - at < GRACE_SECONDS]


def _updated(manifest: Manifest, updates: dict[str, str | None], pack: Pack | None) -> Manifest:
    refs = dict(manifest.refs)
    for dst, new in updates.items():
        if new is None:
            refs.pop(dst, None)
        else:
            refs[dst] = new
    head = manifest.head if manifest.head in refs else None
    if head is None and refs:
        head = "refs/heads/main" if "refs/heads/main" in refs else sorted(refs)[0]
    return Manifest(
        refs=refs,
        head=head,
        packs=manifest.packs + ([pack] if pack else []),
        dropped=_recent(manifest.dropped, time.time()),
        serial=manifest.serial + 1,
    )


# -- git ---------------------------------------------------------------------------------


def _object_count(header: bytes) -> int:
    """The object count a pack's first 12 bytes give."""
    if len(header) < 12 or not header.startswith(b"PACK"):
        raise FatalError("pack-objects wrote no pack")
    return int.from_bytes(header[8:12], "big")


def _fsck_wanted() -> bool:
    for name in ("fetch.fsckObjects", "transfer.fsckObjects"):
        value = CallerRepo.config_bool(name)
        if value is not None:
            return value
    return False


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"
