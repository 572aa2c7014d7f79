"""Kinds of files in Claude Code's directory, as far as storing them is concerned."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator


def is_append_only(path: bytes) -> bool:
    """Files Claude Code only ever appends lines to: session transcripts, ``history.jsonl``."""
    return path == b"history.jsonl" or (path.startswith(b"projects/") and path.endswith(b".jsonl"))


def line_ended(parts: Iterable[bytes], *, rest: bool) -> Iterator[bytes]:
    """``parts`` joined or cut so that each piece ends at a line's end; the bytes after the
    last newline come last if ``rest``, else they are left out (a torn line)."""
    held: list[bytes] = []
    for part in parts:
        cut = part.rfind(b"\n") + 1
        if not cut:
            held.append(part)
            continue
        yield b"".join([*held, part[:cut]]) if held else part[:cut]
        held = [part[cut:]] if cut < len(part) else []
    if rest and held:
        yield b"".join(held)


# The same paths as gitattributes patterns (anchored at the top; ``**/`` also matches no
# folder, so ``projects/s.jsonl`` and nested subagent sessions match too): where git may
# store a version as a delta of the last (engine/sync_repo.ATTRIBUTES).
# tests/engine/test_delta_attributes.py checks them against ``is_append_only``.
APPEND_ONLY_PATTERNS = ("/history.jsonl", "/projects/**/*.jsonl")


def complete_part(path: bytes, content: bytes) -> bytes:
    """The part of ``content`` that is stored: up to the last newline for append-only files.

    Claude Code appends a line at a time; a file read mid-write (or after a
    crash) ends in a torn line, which must never travel.
    """
    if is_append_only(path):
        return content[: content.rfind(b"\n") + 1]
    return content


def same_lines(a: bytes, b: bytes) -> bool:
    """Whether two texts hold the same lines, each as often, in any order."""
    return len(a) == len(b) and sorted(a.split(b"\n")) == sorted(b.split(b"\n"))


def holds_lines(have: bytes, want: bytes) -> bool:
    """Whether ``have`` holds every complete line of ``want``, each as often (in any order)."""
    counts = Counter(have.splitlines(keepends=True))
    counts.subtract(want[: want.rfind(b"\n") + 1].splitlines(keepends=True))
    return all(n >= 0 for n in counts.values())


# Folders Claude Code itself empties by age at start-up (cleanupPeriodDays), besides sessions.
SWEPT_BY_AGE = (b"todos/", b"plans/", b"tasks/", b"file-history/")


def swept_by_age(path: bytes) -> bool:
    """Files Claude Code deletes on its own when they grow old (their deletion is routine)."""
    return path.startswith(SWEPT_BY_AGE)
