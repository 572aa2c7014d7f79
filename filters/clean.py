"""What the clean step stores for a file: complete lines, and stable ciphertext.

Complete lines: Claude Code appends to transcripts and ``history.jsonl`` a line
at a time; a file read mid-write (or after a crash) ends in a torn line with
no newline.  Only whole lines are stored, so a torn line never reaches other
machines; it stays in the local file and is stored once it is complete.

Machine-independent history: ``history.jsonl`` is stored with each line's
``project`` in canonical form (``claude/history_paths.py``); smudge gives it
back as this machine's path.

Stable ciphertext: encryption is deterministic for one codec and one zstd build, but another
machine may compress the same plaintext to other bytes (a newer libzstd, a
future format version).  If cleaning re-encrypted every file git re-reads,
two such machines would re-upload the same file to each other forever.  So
before encrypting, the clean step looks at the blob the index already holds
for the path: if it decrypts to exactly the bytes being cleaned, those stored
bytes are the answer.

Same lines, another order: a pull adds the other machines' lines to a session
or ``history.jsonl`` by appending them in place (machine/files.append_lines),
never by rewriting a file Claude Code may be writing, so a file can hold the
stored lines in another order than the stored blob.  For append-only files a
permutation of the stored lines is the stored blob too: the order on disk is
this machine's, and git does not see a change that would send it back and forth.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from git_claude_sync.claude import history_paths
from git_claude_sync.claude.file_kinds import is_append_only, line_ended, same_lines
from git_claude_sync.crypto.codec import HEADER_LEN, Key, Stored, as_stored, looks_encrypted
from git_claude_sync.errors import CodecError

if TYPE_CHECKING:  # a history.jsonl's mapping: loaded only for that file (history_paths)
    from git_claude_sync.claude.project_folders import Mapping

__all__ = ["clean", "clean_into", "complete_lines", "is_append_only", "same_lines"]


def clean(
    key: Key, path: bytes, content: bytes, previous: bytes | None, mapping: Mapping | None = None
) -> bytes:
    """What is stored for ``content`` at ``path``, given the blob the index holds now."""
    out = io.BytesIO()
    kept = clean_into(key, path, [content], previous, out, mapping)
    return previous if kept is not None and previous is not None else out.getvalue()


def clean_into(
    key: Key,
    path: bytes,
    stream: Iterable[bytes],
    previous: bytes | Stored | None,
    out: BinaryIO,
    mapping: Mapping | None = None,
) -> bytes | Stored | None:
    """Seal the stored part of ``stream`` into ``out``, onto ``previous``'s chunks.

    An append keeps every chunk of ``previous`` and adds new ones (``Key.seal_onto``),
    and unchanged content gives ``previous`` itself: ``seal_onto`` says so, having
    authenticated each chunk it kept and compared its plaintext with the stream's.
    Returns ``previous`` instead (what ``out`` holds is then to be ignored) when it
    holds the same plaintext in another layout (format 1, another zstd), or for an
    append-only file the same lines in another order; only then are both blobs read
    again to compare them.  ``previous`` is only ever read as a stream: a large blob
    is never held whole.
    """
    plaintext = complete_lines(path, stream)
    if mapping is not None and history_paths.is_history(path):
        # Its project paths are stored canonical, a few lines at a time: never whole.
        plaintext = history_paths.to_canonical_parts(plaintext, mapping)
    if _write_all(key.seal_onto(path, plaintext, previous), out):
        return None  # an append (or previous itself, if nothing was)
    source = as_stored(previous)
    if source is None or not looks_encrypted(source.reader()(HEADER_LEN)):
        return None  # nothing to compare
    lines = is_append_only(path)
    try:
        stored = _Digest.of(key.open(path, source.reader()), lines)
    except CodecError:
        return None
    out.seek(0)
    ours = _Digest.of(key.open(path, out.read), lines)
    return previous if ours.same(stored) else None


def _write_all(parts: Generator[bytes, None, bool], out: BinaryIO) -> bool:
    """Write every part to ``out``; what the generator returns."""
    while True:
        try:
            part = next(parts)
        except StopIteration as end:
            return bool(end.value)
        out.write(part)


class _Digest:
    """A plaintext's hash and, for append-only files, the multiset of its lines."""

    def __init__(self, whole: bytes, lines: Counter[bytes] | None) -> None:
        self.whole = whole
        self.lines = lines

    @classmethod
    def of(cls, opened: Iterator[tuple[bytes, bytes]], lines: bool) -> _Digest:
        whole = hashlib.blake2b(digest_size=32)
        counted = _Lines() if lines else None
        for piece, _record in opened:
            whole.update(piece)
            if counted is not None:
                counted.feed(piece)
        return cls(whole.digest(), counted.counts() if counted is not None else None)

    def same(self, other: _Digest) -> bool:
        return self.whole == other.whole or (self.lines is not None and self.lines == other.lines)


class _Lines:
    """The multiset of a text's lines (split at every newline), fed a piece at a time."""

    def __init__(self) -> None:
        self._counts: Counter[bytes] = Counter()
        self._partial: list[bytes] = []

    def feed(self, data: bytes) -> None:
        parts = data.split(b"\n")
        for part in parts[:-1]:
            self._partial.append(part)
            self._counts[hashlib.blake2b(b"".join(self._partial), digest_size=16).digest()] += 1
            self._partial = []
        self._partial.append(parts[-1])

    def counts(self) -> Counter[bytes]:
        last = hashlib.blake2b(b"".join(self._partial), digest_size=16).digest()
        return self._counts + Counter({last: 1})


def complete_lines(path: bytes, stream: Iterable[bytes]) -> Iterator[bytes]:
    """The part of ``stream`` that is stored: up to its last newline for append-only files.

    Claude Code appends a line at a time; a file read mid-write (or after a
    crash) ends in a torn line, which must never travel.  The bytes after the
    last newline seen so far are held back until a newline follows them.
    """
    if not is_append_only(path):
        yield from stream
        return
    yield from line_ended(stream, rest=False)
