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
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from git_claude_sync.claude import history_paths
from git_claude_sync.claude.file_kinds import is_append_only, same_lines
from git_claude_sync.claude.project_folders import Mapping
from git_claude_sync.crypto.codec import Key, chunked, looks_encrypted
from git_claude_sync.errors import CodecError

__all__ = ["clean", "clean_into", "complete_lines", "is_append_only", "same_lines"]


def clean(
    key: Key, path: bytes, content: bytes, previous: bytes | None, mapping: Mapping | None = None
) -> bytes:
    """What is stored for ``content`` at ``path``, given the blob the index holds now."""
    out = io.BytesIO()
    kept = clean_into(key, path, [content], previous, out, mapping)
    return kept if kept is not None else out.getvalue()


def clean_into(
    key: Key,
    path: bytes,
    stream: Iterable[bytes],
    previous: bytes | None,
    out: BinaryIO,
    mapping: Mapping | None = None,
) -> bytes | None:
    """Seal the stored part of ``stream`` into ``out``, a chunk at a time.

    Returns ``previous`` instead (what ``out`` holds is then to be ignored) when
    it holds the same plaintext, or for an append-only file the same lines in
    another order: compared a chunk at a time, and lines by their digests.
    """
    old = key.open(path, io.BytesIO(previous).read) if previous is not None else None
    same = old is not None and looks_encrypted(previous or b"")
    reordered = same and is_append_only(path)
    ours, theirs = _Lines(), _Lines()

    def compared(pieces: Iterator[tuple[bytes, bool]]) -> Iterator[tuple[bytes, bool]]:
        nonlocal same, reordered
        for piece, final in pieces:
            if reordered:
                ours.feed(piece)
            if same or reordered:
                assert old is not None
                try:
                    stored = next(old)[0]
                except StopIteration:
                    stored = None
                except CodecError:
                    same = reordered = False
                    stored = None
                same = same and stored == piece
                if reordered and stored is not None:
                    theirs.feed(stored)
            yield piece, final

    plaintext = complete_lines(path, stream)
    if mapping is not None and history_paths.is_history(path):
        # Its project paths are stored canonical: history.jsonl is small, taken whole.
        plaintext = iter([history_paths.to_canonical(b"".join(plaintext), mapping)])
    for part in key.seal(path, compared(chunked(plaintext))):
        out.write(part)
    if same or reordered:
        assert old is not None
        try:
            for stored, _record in old:  # whatever the stored blob holds beyond ours
                same = False
                if reordered:
                    theirs.feed(stored)
        except CodecError:
            same = reordered = False
    if same or (reordered and ours.counts() == theirs.counts()):
        return previous
    return None


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
    held: list[bytes] = []
    for part in stream:
        cut = part.rfind(b"\n") + 1
        if not cut:
            held.append(part)
            continue
        yield b"".join([*held, part[:cut]])
        held = [part[cut:]]
