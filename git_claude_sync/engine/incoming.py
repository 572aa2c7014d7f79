"""A pull's files as plaintext: authenticated whole, held in memory only when small.

``steps.apply`` authenticates every incoming blob before it writes any file,
then compares, appends or writes each.  Holding a file's plaintext whole (and
joining it from its pieces) made a pull peak at twice a large file's size;
issue 9 allows its size + 100 MB.  So a small file is decrypted once and kept,
and a large one is authenticated a chunk at a time (``codec.Key.open``), keeping
only its size, a digest and its last lines, then decrypted again, a chunk at a
time, whenever it is read: its ciphertext (``git.read_blobs``) is the one copy
held.  Decryption is deterministic, so every reading yields the bytes the
authentication saw.  A large blob's ciphertext is not held either: ``load``
moves it to an anonymous temporary file (ciphertext, safe anywhere) as it
comes, one blob at a time, so a changed file's old and new versions are not
both in memory.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from git_claude_sync.claude import activity
from git_claude_sync.crypto.codec import HEADER_LEN, Key
from git_claude_sync.crypto.keyring import Keyring
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine.files import WriteBatch
from git_claude_sync.records import dataclass

if TYPE_CHECKING:
    from concurrent.futures import Future

SMALL = 8 << 20  # plaintext held whole up to this size (the filter process's spool too)
_TAIL = 1 << 20  # kept from the end of a large file: activity.last_activity reads the last lines
_READ = 1 << 20
_WORKERS = 2  # fresh files written at once: one decrypts while the other waits on the disk
_IN_FLIGHT = 8  # fresh files queued for them at most (their ciphertext held meanwhile)


class Plain:
    """One file's plaintext: whole, or read again from its ciphertext piece by piece."""

    __slots__ = ("_again", "_data", "digest", "size", "tail")

    def __init__(
        self,
        again: Callable[[], Iterator[bytes]],
        data: bytes | None,
        size: int,
        digest: bytes,
        tail: bytes,
    ) -> None:
        self._again, self._data = again, data
        self.size, self.digest, self.tail = size, digest, tail

    def chunks(self) -> Iterator[bytes]:
        if self._data is not None:
            yield self._data
        else:
            yield from self._again()

    def whole(self) -> bytes:
        return self._data if self._data is not None else b"".join(self._again())

    def same(self, other: Plain | None) -> bool:
        """The same bytes (False if either digest is unknown: a file written unheld)."""
        return (
            other is not None
            and bool(self.digest and other.digest)
            and (self.size, self.digest) == (other.size, other.digest)
        )


class Spooled:
    """A large blob's ciphertext in an anonymous temporary file, read at any offset
    (a ``crypto.codec.Stored``: the clean step builds on it too, engine/clean_here)."""

    def __init__(self, data: bytes | IO[bytes]) -> None:
        if not isinstance(data, bytes):  # already in a temporary file (git.iter_spooled_blobs)
            self._file: IO[bytes] = data
            return
        import tempfile  # only for a large blob: shutil, random, bz2, lzma come with it

        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the pull)
        self._file.write(data)
        self._file.flush()

    @property
    def size(self) -> int:
        return os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        self._file.close()

    def reader(self) -> Callable[[int], bytes]:
        """A ``read`` from the start, independent of any other reader's."""
        offset = 0

        def read(size: int) -> bytes:
            nonlocal offset
            data = os.pread(self._file.fileno(), size, offset)
            offset += len(data)
            return data

        return read


Blob = bytes | Spooled


def as_blob(data: bytes | IO[bytes]) -> Blob:
    """What ``Git.iter_spooled_blobs`` gives: in memory, or in a temporary file."""
    return data if isinstance(data, bytes) else Spooled(data)


def load(git: Git, oids: Iterable[str]) -> dict[str, Blob]:
    """Stored blobs by id: small ones in memory, large ones spooled (one in memory at a time)."""
    return {oid: as_blob(data) for oid, data in git.iter_spooled_blobs(oids, SMALL)}


def _reader(blob: Blob) -> Callable[[int], bytes]:
    """A ``read`` from the blob's start, wherever it waits."""
    return io.BytesIO(blob).read if isinstance(blob, bytes) else blob.reader()


def plaintext(key: Key, path: bytes, blob: Blob) -> Iterator[bytes]:
    """``blob``'s plaintext (stored at ``path``), a piece at a time, each authenticated."""
    for piece, _record in key.open(path, _reader(blob)):
        yield piece


def key_of(keys: Keyring, blob: Blob) -> Key:
    """The key (current or retired) a stored blob names in its header."""
    return keys.key_for(_reader(blob)(HEADER_LEN))


def open_blob(
    key: Key, path: bytes, blob: Blob, as_local: Callable[[bytes], bytes] | None = None
) -> Plain:
    """Authenticate ``blob`` (stored at ``path``) to its end; raises the codec's errors.

    ``as_local`` turns the stored content into this machine's (history.jsonl's
    project paths): such a file is always held whole.
    """

    def pieces() -> Iterator[bytes]:
        return plaintext(key, path, blob)

    held: list[bytes] | None = []
    digest = hashlib.blake2b(digest_size=16)
    size = 0
    tail = bytearray()
    for piece in pieces():
        digest.update(piece)
        size += len(piece)
        if held is None:
            tail += piece
            if len(tail) > 2 * _TAIL:
                del tail[:-_TAIL]
        else:
            held.append(piece)
            if size > SMALL and as_local is None:  # large: read again when needed
                tail += b"".join(held)[-_TAIL:]
                held = None
    if held is None:
        return Plain(pieces, None, size, digest.digest(), bytes(tail[-_TAIL:]))
    data = b"".join(held)
    if as_local is not None:
        data = as_local(data)
        digest = hashlib.blake2b(data, digest_size=16)
    return Plain(pieces, data, len(data), digest.digest(), data[-_TAIL:])


@dataclass(frozen=True)
class Fresh:
    """A file new to this machine, where nothing is: written without being held."""

    target: Path
    oid: str
    executable: bool
    session: bool  # dated by its last activity: the line saying so is kept


def write_fresh(
    git: Git, key: Key, batch: WriteBatch, fresh: dict[bytes, Fresh]
) -> tuple[dict[bytes, tuple[Plain, os.stat_result]], dict[str, Blob], list[tuple[bytes, str]]]:
    """Decrypt each fresh file straight into its temporary file in ``batch``, a few
    blobs at a time: neither its plaintext nor its ciphertext is held (a joining
    machine's whole tree was: 330 MB for 200 MB of files).  Authenticated as it is written;
    nothing is in place before ``batch.commit``, so a file failing to decrypt leaves
    nothing behind.  Returns what was written (its ``Plain``, read again from the
    repo if ever needed, and its stat as written), the blobs of files that could not
    be written beside their name (the caller handles them as before), and failures.
    """
    by_oid: dict[str, list[bytes]] = {}
    for path, item in fresh.items():
        by_oid.setdefault(item.oid, []).append(path)
    done: dict[bytes, tuple[Plain, os.stat_result]] = {}
    left: dict[str, Blob] = {}
    failed: list[tuple[bytes, str]] = []

    def collect(job: Future[tuple[bytes, str, Blob, _Seen, os.stat_result | str | None]]) -> None:
        path, oid, blob, seen, outcome = job.result()
        if isinstance(outcome, str):
            failed.append((path, outcome))
        elif outcome is None:
            left[oid] = blob
        else:
            done[path] = (seen.plain(functools.partial(_again, git, key, path, oid)), outcome)

    # Imported here: with logging and traceback it costs every push's start-up a few ms.
    from concurrent.futures import ThreadPoolExecutor

    # Two at a time: while one waits on the file system (creating a file costs up to a
    # millisecond on a busy disk), the other decrypts; a few blobs in flight at most.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        running: collections.deque[Future[Any]] = collections.deque()
        for oid, data in git.iter_spooled_blobs(by_oid, SMALL):
            blob = as_blob(data)
            for path in by_oid[oid]:
                running.append(pool.submit(_write_one, batch, key, path, oid, blob, fresh[path]))
            while len(running) > _IN_FLIGHT:
                collect(running.popleft())
        while running:
            collect(running.popleft())
    return done, left, failed


def _write_one(
    batch: WriteBatch, key: Key, path: bytes, oid: str, blob: Blob, item: Fresh
) -> tuple[bytes, str, Blob, _Seen, os.stat_result | str | None]:
    """One fresh file written: its stat, the error that stopped it, or None if it cannot
    be written beside its name (the caller then handles it as before)."""
    seen = _Seen(item.session)
    try:
        pieces = seen.through(key.open(path, _reader(blob)))
        stat = batch.replace(item.target, pieces, item.executable)
    except FatalError as err:
        return path, oid, blob, seen, str(err)
    except OSError:
        return path, oid, blob, seen, None
    return path, oid, blob, seen, stat


class _Seen:
    """Size (and for a session, last lines) of a plaintext as it goes by.

    No digest: ``Plain.same`` is asked only of files this machine deleted and kept
    (engine/kept.py), never fresh; without one it answers "not the same"."""

    def __init__(self, session: bool) -> None:
        self.size = 0
        # The last pieces, just enough for the last _TAIL bytes: joined once at the end
        # (copying every piece into one growing buffer, then that buffer twice more, was
        # ~0.1 s of a 200 MiB join's CPU, under the GIL the other worker waits for).
        self.tail: collections.deque[bytes] | None = collections.deque() if session else None
        self._held = 0

    def through(self, records: Iterator[tuple[bytes, bytes]]) -> Iterator[bytes]:
        for piece, _record in records:
            self.size += len(piece)
            if self.tail is not None:
                self.tail.append(piece)
                self._held += len(piece)
                while self._held - len(self.tail[0]) >= _TAIL:
                    self._held -= len(self.tail.popleft())
            yield piece

    def plain(self, again: Callable[[], Iterator[bytes]]) -> Plain:
        # Of the tail, only the line a session's dating reads: a join's thousands of
        # small files would otherwise all be held after all.
        tail = b"".join(self.tail)[-_TAIL:] if self.tail is not None else b""
        return Plain(again, None, self.size, b"", activity.activity_line(tail))


def _again(git: Git, key: Key, path: bytes, oid: str) -> Iterator[bytes]:
    """A fresh file's plaintext once more, from the repo (rarely wanted: see steps.apply)."""
    data = dict(git.iter_spooled_blobs([oid], SMALL))[oid]
    yield from plaintext(key, path, as_blob(data))


def compare_file(target: Path, expected: Plain | None) -> str:
    """How the file at ``target`` stands to ``expected`` (None: no file expected),
    read a piece at a time: "missing" (cannot be read), "same", "grown" (starts with
    it and goes on; any file when none is expected) or "other"."""
    try:
        handle = open(target, "rb")  # noqa: SIM115 (closed below, whatever happens)
    except OSError:
        return "missing"
    try:
        if expected is None:
            return "grown"
        for piece in expected.chunks():
            view = memoryview(piece)
            while view:
                have = handle.read(min(len(view), _READ))
                if not have or have != view[: len(have)]:
                    return "other"
                view = view[len(have) :]
        return "grown" if handle.read(1) else "same"
    except OSError:
        return "missing"
    finally:
        handle.close()
