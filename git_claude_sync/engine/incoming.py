"""A pull's files as plaintext: authenticated whole, held in memory only when small.

``steps.apply`` authenticates every incoming blob before it writes any file,
then compares, appends or writes each.  Holding a file's plaintext whole (and
joining it from its pieces) made a pull peak at twice a large file's size;
issue 9 allows its size + 100 MB.  So a small file is decrypted once and kept,
and a large one is authenticated a chunk at a time (``codec.Key.open``), keeping
only its size, a digest and its last lines, then decrypted again, a chunk at a
time, whenever it is read: its ciphertext (``git.read_blobs``) is the one copy
held.  Decryption is deterministic, so every reading yields the bytes the
authentication saw.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from git_claude_sync.crypto.codec import Key

SMALL = 8 << 20  # plaintext held whole up to this size (the filter process's spool too)
_TAIL = 1 << 20  # kept from the end of a large file: activity.last_activity reads the last lines
_READ = 1 << 20


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
        return other is not None and (self.size, self.digest) == (other.size, other.digest)


def open_blob(
    key: Key, path: bytes, blob: bytes, as_local: Callable[[bytes], bytes] | None = None
) -> Plain:
    """Authenticate ``blob`` (stored at ``path``) to its end; raises the codec's errors.

    ``as_local`` turns the stored content into this machine's (history.jsonl's
    project paths): such a file is always held whole.
    """

    def pieces() -> Iterator[bytes]:
        for piece, _record in key.open(path, io.BytesIO(blob).read):
            yield piece

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
