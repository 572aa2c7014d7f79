"""The backend interface: a flat namespace of opaque objects under one prefix.

Five operations, as restic's backends have: ``get``, ``put``, a compare-and-swap
``put_if_match``, ``list`` and ``delete``.  Everything above this module (the
manifest, packs, consolidation, garbage collection) is the same on every
provider; each backend only maps these calls and its errors to ``StoreError``
with a one-line message.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import secrets
import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from git_claude_sync.errors import FatalError

# Every object this tool writes has such a name (relative to the prefix):
# garbage collection never touches anything else that shares the bucket.
NAME = re.compile(r"^[0-9a-f]{32}$")

# Test-only fault injection: "kill-mid-upload" SIGKILLs the process halfway
# through sending a pack, "kill-before-manifest" after the pack is stored but
# before the manifest names it.
FAULT_ENV = "CLAUDE_SYNC_REMOTE_FAULT"


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

    @abstractmethod
    def get(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and version, or None if it does not exist."""

    @abstractmethod
    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` (atomically: readers see all of it or nothing)."""

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

    def check_access(self) -> None:
        """Raise a clear ``StoreError`` if the bucket is missing or cannot be listed."""
        self.list()


def check_conditional_writes(store: Store) -> None:
    """Prove the provider enforces preconditions: each write below must be refused.

    A provider that ignores ``If-None-Match``/``If-Match`` (or generation
    preconditions) would let two machines overwrite each other's refs.
    """
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


class UploadBody(io.BytesIO):
    """The bytes of an upload; under fault injection, kills the process mid-send.

    ``send_pass`` is how many times the client rewinds the body before sending
    it (botocore reads it once to hash it when signing over plain http).
    """

    def __init__(self, data: bytes, *, send_pass: int = 0, fault: bool = False) -> None:
        super().__init__(data)
        self._size = len(data)
        self._rewinds = 0
        self._read = 0
        self._send_pass = send_pass
        self._fault = fault

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0 and self._read:
            self._rewinds += 1
            self._read = 0
        return super().seek(offset, whence)

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self._read += len(chunk)
        if self._fault and self._rewinds >= self._send_pass and self._read * 2 >= self._size:
            os.kill(os.getpid(), signal.SIGKILL)
        return chunk


def fault(point: str) -> bool:
    return os.environ.get(FAULT_ENV) == point


# -- a local directory, for tests of the protocol logic --------------------------


class LocalStore(Store):
    """``file:///path``: a directory as a bucket.  For tests; CAS holds on one machine only."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"file://{root}"

    def _path(self, name: str) -> Path:
        return self.root / name

    def check_access(self) -> None:
        if not self.root.is_dir():
            raise StoreError(f"{self.url}: the directory does not exist")

    def get(self, name: str) -> tuple[bytes, str] | None:
        try:
            data = self._path(name).read_bytes()
        except FileNotFoundError:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.root / f".tmp-{name}-{os.getpid()}"
        with open(tmp, "wb") as handle:
            body = UploadBody(data, fault=fault("kill-mid-upload") and len(data) > 1024)
            while chunk := body.read(64 * 1024):
                handle.write(chunk)
        tmp.replace(self._path(name))

    def put(self, name: str, data: bytes) -> None:
        self.check_access()
        self._write(name, data)

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        self.check_access()
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.get(name)
            if (current[1] if current else None) != version:
                return None
            self._write(name, data)
        return hashlib.sha256(data).hexdigest()

    def list(self) -> list[ObjectInfo]:
        self.check_access()
        found = []
        for entry in os.scandir(self.root):
            if entry.is_file() and not entry.name.startswith("."):
                st = entry.stat()
                found.append(ObjectInfo(entry.name, st.st_size, st.st_mtime))
        return found

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
