"""history.jsonl's translation gives the very bytes the line-by-line rule gave.

The clean filter must stay deterministic across versions: a file checked out by an older
version cleans to the blob it came from.  ``_by_lines`` below is that rule as it was first
written (a regex over each line, the key exactly once); the module now finds the keys in one
pass over the whole content, and must agree with it on every input, odd ones above all.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable

from git_claude_sync.claude import history_paths
from git_claude_sync.claude.project_folders import Mapping, Rule

MAPPINGS = [
    Mapping(home="/Users/alice"),
    Mapping(home="/home/alice"),
    Mapping(home="/home/alice", rules=[Rule("~/code", "/home/alice/src")]),
]

_LINE_PROJECT = re.compile(rb'"project"\s*:\s*("(?:[^"\\]|\\.)*")')


def _by_lines(content: bytes, there: Callable[[str], str], back: Callable[[str], str]) -> bytes:
    """The reference: each line on its own, as history_paths did it before issue 14."""

    def one(line: bytes, moves: dict[bytes, bytes | None]) -> bytes:
        found = list(_LINE_PROJECT.finditer(line))
        if len(found) != 1:
            return line
        match = found[0]
        token = match.group(1)
        if token not in moves:
            moves[token] = history_paths._move(token, there, back)
        moved = moves[token]
        if moved is None:
            return line
        return line[: match.start(1)] + moved + line[match.end(1) :]

    if b'"project"' not in content:
        return content
    moves: dict[bytes, bytes | None] = {}
    return b"\n".join(one(line, moves) for line in content.split(b"\n"))


def _assert_same(content: bytes, cuts: list[int] | None = None) -> None:
    """Whole, and in parts cut at ``cuts`` (as the filters get it: packets, chunks)."""
    ends = sorted(cuts or [])
    parts = [content[a:b] for a, b in zip([0, *ends], [*ends, len(content)], strict=True)]
    for mapping in MAPPINGS:
        canonical = _by_lines(content, mapping.canonical_path, mapping.local_path)
        assert history_paths.to_canonical(content, mapping) == canonical, content[:300]
        assert b"".join(history_paths.to_canonical_parts(parts, mapping)) == canonical, parts
        local = _by_lines(content, mapping.local_path, mapping.canonical_path)
        assert history_paths.to_local(content, mapping) == local, content[:300]
        assert b"".join(history_paths.to_local_parts(parts, mapping)) == local, parts


def _cuts(rng: random.Random, content: bytes) -> list[int]:
    return [rng.randrange(len(content) + 1) for _ in range(rng.randrange(6))]


PROJECTS = [
    "/Users/alice/code/api",
    "/home/alice/code/api",
    "/home/alice/src/api",
    "/home/alice/code/x",
    "~/code/api",
    "~/notes",
    "~",
    "/Users/alice",
    "/opt/work",
    "/Users/bob/elsewhere",
    "~/café app",
    "/Users/alice/日本語/ü",
    '/Users/alice/a "quoted" dir',
    "/Users/alice/back\\slash",
    "/Users/alice/tab\tand\nnewline",
    "~/\u2028line sep",
    "",
    "project",
]


def _value(rng: random.Random) -> bytes:
    project = rng.choice(PROJECTS)
    kind = rng.randrange(10)
    if kind < 6:
        return json.dumps(project, ensure_ascii=False).encode()
    if kind == 6:
        return json.dumps(project).encode()  # \\u escapes: other escapes, left alone
    if kind == 7:
        return json.dumps(project).replace("/", "\\/").encode()
    if kind == 8:
        return rng.choice([b"7", b"null", b"true", b"[]", b'{"a":1}', b'"~/x', b'"a\\'])
    return b'"' + rng.choice(PROJECTS).encode() + b'"'  # raw: may hold a bare quote or newline


def _space(rng: random.Random) -> bytes:
    return rng.choice([b"", b"", b"", b" ", b"  ", b"\t", b"\r", b"\x0b", b"\x0c", b" \r "])


def _string(rng: random.Random) -> bytes:
    inside = rng.choice(
        [
            "fix the tests",
            '"project":"/Users/alice/x"',
            "project",
            '"project"',
            "é\u2028\U0001f600",
            "back\\slash",
            "",
        ]
    )
    return json.dumps(inside, ensure_ascii=rng.random() < 0.3).encode()


def _line(rng: random.Random) -> bytes:
    kind = rng.randrange(20)
    if kind == 0:
        return b""
    if kind == 1:
        return rng.choice([b"not json", b"{", b"}", b'"project"', b'"project":', b"\xff\xfe"])
    if kind == 2:
        return _fuzz(rng)
    fields = [
        b'"display":' + _string(rng),
        b'"pastedContents":{}',
        b'"timestamp":' + str(rng.randrange(10**13)).encode(),
    ]
    keys = 1 if kind > 5 else rng.choice([0, 2, 2, 3])
    for _ in range(keys):
        key = b'"project"' + _space(rng) + b":" + _space(rng)
        fields.insert(rng.randrange(len(fields) + 1), key + _value(rng))
    if rng.random() < 0.1:
        fields.append(b'"pastedContents":{"1":{"project":' + _value(rng) + b"}}")
    if rng.random() < 0.05:
        fields.append(b'"project":"project":' + _value(rng))  # a value that is a key again
    line = b"{" + b",".join(fields) + b"}"
    if rng.random() < 0.1:
        line += b"\r"
    return line


def _fuzz(rng: random.Random) -> bytes:
    pieces = [b'"project"', b":", b" ", b'"', b"\\", b"\r", b"~/a", b"/Users/alice/b", b"\xc3"]
    return b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 16)))


def _content(rng: random.Random) -> bytes:
    lines = [_line(rng) for _ in range(rng.randrange(0, 12))]
    if rng.random() < 0.3:  # a run of one project, as a real history has
        lines += [_line(random.Random(rng.random()))] * rng.randrange(2, 6)
    end = rng.choice([b"\n", b"\n", b"", b"\r\n"])
    return b"\n".join(lines) + end


def test_many_generated_histories_translate_to_the_same_bytes() -> None:
    rng = random.Random(14)
    for _ in range(2000):
        content = _content(rng)
        _assert_same(content, _cuts(rng, content))


def test_a_history_of_many_blocks_translates_to_the_same_bytes() -> None:
    rng = random.Random(1400)
    content = b"".join(_content(rng) for _ in range(1500))  # ~0.5 MB, translated in blocks
    assert len(content) > 4 * history_paths._BLOCK
    _assert_same(content, _cuts(rng, content))


def test_fuzzed_bytes_translate_to_the_same_bytes() -> None:
    rng = random.Random(1414)
    for _ in range(3000):
        content = b"\n".join(_fuzz(rng) for _ in range(rng.randrange(1, 5)))
        _assert_same(content, _cuts(rng, content))


def test_edges_translate_to_the_same_bytes() -> None:
    key = b'"project":"/Users/alice/x"'
    for content in [
        b"",
        b"\n",
        key,
        key + b"\n",
        key + b"\n" + key,
        key + key + b"\n" + key,
        b'"project":"project":"/Users/alice/x"\n' + key,
        b'"project":"/Users/alice/a\\"project":"/Users/alice/b"\n',
        b'"project"project":"/Users/alice/x"\n',
        b'"project":"/Users/alice/x\\\n"\n' + key,
        b'"project":"/Users/alice/x\n"\n' + key,
        b'"project" \n:"/Users/alice/x"\n',
        b'"project":\n"/Users/alice/x"\n',
        key + b"\r\n" + key + b"\r\n",
        b"\n\n" + key + b"\n\n",
    ]:
        _assert_same(content)
        _assert_same(content, list(range(len(content) + 1)))  # a byte a time, and empty parts


def test_lines_of_several_megabytes_translate_to_the_same_bytes() -> None:
    display = json.dumps("x" * 3_000_000 + '"project":"/Users/alice/x"').encode()
    big = b'{"display":' + display + b',"project":"/Users/alice/x"}'
    pasted = b'{"display":"a","project":"/home/alice/code/api","p":"' + b"y" * 2_000_000 + b'"}'
    content = big + b"\n" + pasted + b"\n" + big
    _assert_same(content, list(range(0, len(content), 65516)))  # git's packets
