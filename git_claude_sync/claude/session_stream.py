"""file_merge's session merge, streamed: memory for the lines the sides do not share.

Two versions of a session are mostly the same lines (each machine appended to
a common start).  Merged whole, base, ours, theirs, their lines and the result
were all in memory at once: 9 times a 157 MB session (issue 9 allows twice
its size + 100 MB).  Here each side is a ``Source``, a function that reads it
again, a piece at a time, whenever it is called.  The two sides are compared as
they stream to find the complete lines they both begin with; only what follows
is read into memory and merged (``file_merge.merge_session_rest``), and the
result is the shared lines streamed again, then the merged rest: the bytes
``file_merge.merge_file`` gives for the whole sides.

``merge`` returns None, and the caller merges whole, in the cases that need the
whole files: a NUL byte (a binary file: a conflict) or a line with one
identity and different bytes on the two sides (the base decides).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from git_claude_sync.records import dataclass

Source = Callable[[], Iterator[bytes]]  # the content again, in pieces, on each call


@dataclass(frozen=True)
class Streamed:
    chunks: Source  # the merged content, in pieces
    reason: str  # as MergeResult.reason: never content


def merge(base: Source | None, ours: Source, theirs: Source) -> Streamed | None:
    """Merge a session changed on both sides (``base`` None: added on both)."""
    shared, equal = compare(ours(), theirs())
    if equal:
        return Streamed(ours, "same on both sides")
    if base is not None and compare(base(), ours())[1]:
        return Streamed(theirs, "changed on their side only")
    if base is not None and compare(base(), theirs())[1]:
        return Streamed(ours, "changed on our side only")
    if any(_holds_nul(side()) for side in (ours, theirs, *([base] if base else []))):
        return None  # binary: merged whole, a conflict
    from git_claude_sync.claude import file_merge  # here: a sync starts without difflib

    rest = file_merge.merge_session_rest(_after(ours(), shared), _after(theirs(), shared))
    if rest is None:
        return None
    merged = rest.data

    def chunks() -> Iterator[bytes]:
        yield from _before(ours(), shared)
        yield merged

    return Streamed(chunks, rest.reason)


def compare(a: Iterable[bytes], b: Iterable[bytes]) -> tuple[int, bool]:
    """(length of the complete lines both streams begin with, whether they are equal),
    reading each only as far as they agree."""
    left, right = _pieces(a), _pieces(b)
    done = shared = 0  # bytes equal so far; the end of the last complete line in them
    x = y = b""
    while True:
        x = x or next(left, b"")
        y = y or next(right, b"")
        if not x or not y:
            return shared, not x and not y
        n = min(len(x), len(y))
        differ = x[:n] != y[:n]
        if differ:
            n = _first_difference(x[:n], y[:n])
        line_end = x.rfind(b"\n", 0, n)
        if line_end >= 0:
            shared = done + line_end + 1
        if differ:
            return shared, False
        done += n
        x, y = x[n:], y[n:]


def _first_difference(x: bytes, y: bytes) -> int:
    lo, hi = 0, len(x)  # x[:lo] == y[:lo]; they differ before hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if x[lo:mid] == y[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _pieces(stream: Iterable[bytes]) -> Iterator[bytes]:
    """The non-empty pieces (an empty one would read as the end)."""
    return (piece for piece in stream if piece)


def _holds_nul(stream: Iterable[bytes]) -> bool:
    return any(b"\0" in piece for piece in stream)


def _after(stream: Iterable[bytes], offset: int) -> bytes:
    """Everything from ``offset`` on (the stream is read to its end: authenticated whole)."""
    out = []
    for piece in stream:
        if offset >= len(piece):
            offset -= len(piece)
            continue
        out.append(piece[offset:])
        offset = 0
    return b"".join(out)


def _before(stream: Iterable[bytes], length: int) -> Iterator[bytes]:
    """The first ``length`` bytes, piece by piece."""
    for piece in stream:
        if length <= 0:
            return
        yield piece[:length]
        length -= len(piece)
