"""The backend interface: a flat namespace of opaque objects under one prefix.

Five operations, as restic's backends have: ``get``, ``put``, a compare-and-swap
``put_if_match``, ``list`` and ``delete``; and ``put_file``/``get_file``, the first
two for packs, streamed from and to files (a pack can be as large as a synced file).
Everything above this module (the manifest, packs, consolidation, garbage
collection) is the same on every provider; each backend only maps these calls
and its errors to ``StoreError`` with a one-line message.
"""

from __future__ import annotations

import io
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from git_claude_sync.errors import FatalError
from git_claude_sync.remote import spool

# Every object this tool writes has such a name (relative to the prefix):
# garbage collection never touches anything else that shares the bucket.
NAME = re.compile(r"^[0-9a-f]{32}$")


class StoreError(FatalError):
    """The provider refused or could not be reached; the message says which, in one line."""


class ConditionalWritesUnsupported(StoreError):
    """The provider accepted a write whose precondition was false."""


def new_name() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class ObjectInfo:
    name: str  # relative to the prefix
    size: int
    modified: float  # seconds since the epoch, provider's clock


class Store(ABC):
    """One bucket and prefix.  ``version`` is the provider's ETag or generation, as text."""

    url: str  # for messages: s3://bucket/prefix, gs://…, never credentials
    # True where the protocol itself checks the old value of every conditional write
    # (git's receive-pack, under the ref's lock): no probe needed.
    checks_preconditions = False
    # False where a pack is stored only together with the manifest that names it (an
    # interrupted push leaves nothing behind): garbage is then only what consolidation drops.
    may_hold_orphans = True

    @abstractmethod
    def get(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and version, or None if it does not exist."""

    @abstractmethod
    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` (atomically: readers see all of it or nothing)."""

    def put_file(self, name: str, path: Path) -> None:
        """``put`` of the file at ``path``, as large as a pack may be: a backend streams it.
        (This default reads it whole: for small test stores only.)"""
        self.put(name, path.read_bytes())

    def get_file(self, name: str, path: Path) -> str | None:
        """``get`` into a new file at ``path`` (mode 0600): the object's version, or None
        if it does not exist.  A backend streams it; this default holds it whole."""
        got = self.get(name)
        if got is None:
            return None
        with spool.create(path) as out:
            out.write(got[0])
        return got[1]

    @abstractmethod
    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        """Compare-and-swap: write only if the object is at ``version`` (``None``: does not
        exist yet).  Returns the new version, or ``None`` if the precondition failed."""

    @abstractmethod
    def list(self) -> list[ObjectInfo]:
        """Objects directly under the prefix."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove an object; one already gone is not an error."""

    def prefetch(self, names: Sequence[str]) -> None:
        """Objects about to be read one after another (a backend may fetch them at once)."""
        return None  # a bucket answers each read on its own, as fast

    def delete_many(
        self, names: Sequence[str], *, guard: tuple[str, str | None] | None = None
    ) -> None:
        """Remove objects (a backend may do it in one request).

        ``guard``: (name, version) of the object whose contents, read before the listing
        that chose ``names``, made them garbage.  A backend that can delete only while it
        is still at that version does so (a git host: an object written after the listing
        is then never taken for garbage, however new); a bucket relies on the grace period.
        """
        for name in names:
            self.delete(name)

    def check_access(self) -> None:
        """Raise a clear ``StoreError`` if the bucket is missing or cannot be listed."""
        self.list()

    def upload_body(self, data: bytes) -> BinaryIO:
        """The stream ``put`` sends ``data`` from (every backend uploads through one)."""
        return io.BytesIO(data)

    def upload_file(self, handle: BinaryIO) -> BinaryIO:
        """The stream ``put_file`` sends the open file ``handle`` from (the same seam)."""
        return handle


def check_conditional_writes(store: Store) -> None:
    """Prove the provider enforces preconditions: each write below must be refused.

    A provider that ignores ``If-None-Match``/``If-Match`` (or generation
    preconditions) would let two machines overwrite each other's refs.
    """
    if store.checks_preconditions:
        return
    name = new_name()
    first = store.put_if_match(name, b"probe 1", None)
    if first is None:
        raise StoreError(f"{store.url}: cannot create a probe object")
    try:
        unsupported = ConditionalWritesUnsupported(
            f"{store.url} does not enforce conditional writes (If-None-Match/If-Match or "
            "generation preconditions); concurrent pushes could lose commits, so it is not used"
        )
        if store.put_if_match(name, b"probe 2", None) is not None:
            raise unsupported
        second = store.put_if_match(name, b"probe 3", first)
        if second is None:
            raise StoreError(f"{store.url}: a conditional write with the current version failed")
        if store.put_if_match(name, b"probe 4", first) is not None:
            raise unsupported
    finally:
        store.delete(name)
