"""The streamed session merge gives file_merge's bytes, read a piece at a time.

claude/session_stream.py merges only what follows the lines two sides share;
these check it against merging the whole files, on random sides cut into
random pieces (shared starts, appends on each side, torn last lines, lines
without a uuid, one side unchanged, both sides added), and that it leaves to
the whole merge the cases only that can decide (NUL bytes, one identity with
different bytes).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from git_claude_sync.claude import file_merge, session_stream

PATH = b"projects/-home-u-p/s.jsonl"


def source(data: bytes, size: int) -> session_stream.Source:
    def pieces() -> Iterator[bytes]:
        yield from (data[i : i + size] for i in range(0, len(data), size))
        yield b""  # the codec may end with an empty piece

    return pieces


def line(rng: random.Random, n: int, who: str) -> bytes:
    obj = {"uuid": f"{who}{n}", "pad": "x" * rng.randrange(30), "timestamp": f"2026-01-{n:04d}"}
    return json.dumps(obj).encode() + b"\n"


def test_the_streamed_merge_equals_the_whole_merge() -> None:
    rng = random.Random(9)
    streamed = 0
    for _ in range(2000):
        shared = b"".join(line(rng, n, "s") for n in range(rng.randrange(30)))
        shared += b"no uuid here\n" * rng.randrange(3)
        ours = shared + b"".join(line(rng, n, "a") for n in range(rng.randrange(5)))
        theirs = shared + b"".join(line(rng, n, "b") for n in range(rng.randrange(5)))
        if rng.random() < 0.2:
            ours += b'{"uuid": "torn'
        if rng.random() < 0.2:
            theirs += b'{"uuid": "to'
        if rng.random() < 0.2:
            theirs = theirs.replace(b"no uuid here\n", b"another\n", 1)
        base: bytes | None = shared if rng.random() < 0.8 else None
        if base is not None and rng.random() < 0.1:
            ours = base
        whole = file_merge.merge_file(PATH, base, ours, theirs)
        merged = session_stream.merge(
            source(base, rng.randrange(1, 40)) if base is not None else None,
            source(ours, rng.randrange(1, 40)),
            source(theirs, rng.randrange(1, 40)),
        )
        assert merged is not None
        assert b"".join(merged.chunks()) == whole.data
        streamed += 1
    assert streamed == 2000


def test_what_only_the_whole_files_decide_is_left_to_the_whole_merge() -> None:
    shared = b'{"uuid": "1", "text": "a"}\n'
    ours = shared + b'{"uuid": "2", "text": "mine"}\n'
    theirs = shared + b'{"uuid": "2", "text": "yours"}\n'  # one identity, two contents
    assert session_stream.merge(source(shared, 7), source(ours, 5), source(theirs, 3)) is None
    binary = shared + b"\0\n"
    assert session_stream.merge(source(shared, 7), source(ours, 5), source(binary, 3)) is None


def test_sides_are_compared_by_complete_lines() -> None:
    shared, equal = session_stream.compare([b"ab\ncd", b"\nef"], [b"ab\ncd\ne", b"g"])
    assert (shared, equal) == (6, False)
    assert session_stream.compare([b"ab\n", b""], [b"a", b"b\n"]) == (3, True)
    assert session_stream.compare([b"ab"], [b"ab\n"]) == (0, False)
