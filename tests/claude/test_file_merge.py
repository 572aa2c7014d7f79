"""The content merge (git_claude_sync.claude.file_merge) and its git merge driver."""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from git_claude_sync.claude.file_merge import (
    BINARY,
    HISTORY,
    JSON,
    SESSION,
    TEXT,
    kind_of,
    merge_file,
    merge_text,
    split_lines,
)
from git_claude_sync.crypto import keyfile
from git_claude_sync.crypto.codec import Key

SESSION_PATH = b"projects/-home-u-app/0b2c-session.jsonl"


def lines(data: bytes) -> list[bytes]:
    return split_lines(data)[0]


def jl(**fields: object) -> bytes:
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"


def msg(uuid: str, parent: str | None = None, ts: str = "2025-01-01T00:00:00.000Z") -> bytes:
    return jl(parentUuid=parent, uuid=uuid, type="user", timestamp=ts, message={"text": uuid})


def both_ways(path: bytes, base: bytes | None, ours: bytes, theirs: bytes) -> bytes:
    """Merge both ways round; assert the same clean result and return it."""
    one = merge_file(path, base, ours, theirs)
    two = merge_file(path, base, theirs, ours)
    assert not one.conflict and not two.conflict, (one.reason, two.reason)
    assert one.data == two.data
    return one.data


# --- dispatch and the generic rules ----------------------------------------


def test_kind_of() -> None:
    assert kind_of(b"projects/-a/s.jsonl") == SESSION
    assert kind_of(b"projects/-a/s/subagents/agent-1.jsonl") == SESSION
    assert kind_of(b"projects/-a/s/subagents/agent-1.meta.json") == JSON
    assert kind_of(b"history.jsonl") == HISTORY
    assert kind_of(b"projects/-a/history.jsonl") == SESSION
    assert kind_of(b"settings.json") == JSON
    assert kind_of(b"todos/a-agent-a.json") == JSON
    assert kind_of(b"CLAUDE.md") == TEXT
    assert kind_of(b"commands/review.md") == TEXT


@pytest.mark.parametrize("path", [SESSION_PATH, b"history.jsonl", b"settings.json", b"a.md"])
def test_generic_rules(path: bytes) -> None:
    base, changed = b"anything\n", b"{not even valid\x00\n"
    assert merge_file(path, base, changed, changed).data is changed
    assert merge_file(path, base, base, changed).data is changed
    assert merge_file(path, base, changed, base).data is changed
    for result in (merge_file(path, None, changed, changed), merge_file(path, base, base, changed)):
        assert not result.conflict


def test_binary_changed_on_both_sides_is_a_conflict() -> None:
    ours, theirs = b"\x89PNG\x00ours", b"\x89PNG\x00theirs"
    result = merge_file(b"plugins/x.bin", b"\x89PNG\x00base", ours, theirs)
    assert result.conflict and result.kind == BINARY and result.data is ours
    assert merge_file(b"a.md", None, ours, theirs).conflict
    # a NUL in a session file is not a transcript either
    assert merge_file(SESSION_PATH, b"", msg("a"), b"\x00" + msg("b")).conflict


# --- sessions ---------------------------------------------------------------


def test_session_concurrent_appends_keep_every_line_and_converge() -> None:
    base = msg("1") + msg("2", "1")
    ours = base + msg("a1", "2", "2025-01-02T00:00:00Z") + msg("a2", "a1", "2025-01-02T00:00:01Z")
    theirs = base + msg("b1", "2", "2025-01-01T12:00:00Z")
    merged = both_ways(SESSION_PATH, base, ours, theirs)
    # the tail that started earlier (theirs) comes first; each tail stays whole
    assert lines(merged) == lines(base) + lines(theirs)[2:] + lines(ours)[2:]


def test_session_blocks_without_timestamps_order_by_bytes() -> None:
    base = msg("1")
    one = base + jl(type="queue-operation", operation="enqueue", content="x")
    two = base + jl(type="queue-operation", operation="dequeue")
    merged = both_ways(SESSION_PATH, base, one, two)
    assert merged == base + min(one[len(base) :], two[len(base) :]) + max(
        one[len(base) :], two[len(base) :]
    )


def test_session_lines_are_matched_by_uuid_else_bytes() -> None:
    summary_a = jl(type="summary", summary="first", leafUuid="1")
    summary_b = jl(type="summary", summary="second", leafUuid="1")
    ours = msg("1") + summary_a
    theirs = msg("1") + summary_b
    merged = both_ways(SESSION_PATH, msg("1"), ours, theirs)
    assert sorted(lines(merged)) == sorted([msg("1"), summary_a, summary_b])
    # the same uuid written with different bytes is one line: the side that changed it wins
    edited = msg("1").replace(b'"type":"user"', b'"type":"user","isMeta":true')
    base = msg("1") + msg("2", "1")
    ours = edited + msg("2", "1") + msg("3", "2")
    result = merge_file(SESSION_PATH, base, ours, base + msg("4", "2"))
    assert lines(result.data).count(edited) == 1 and msg("1") not in lines(result.data)
    assert "different bytes" in result.reason
    assert both_ways(SESSION_PATH, base, ours, base + msg("4", "2")) == result.data


def test_session_keeps_lines_removed_on_one_side_and_a_sides_own_repeats() -> None:
    base = msg("1") + msg("2", "1")
    ours = msg("2", "1") + msg("3", "2")  # lost its first line
    theirs = base + msg("4", "2")
    merged = both_ways(SESSION_PATH, base, ours, theirs)
    assert Counter(lines(merged)) == Counter(lines(base) + [msg("3", "2"), msg("4", "2")])
    blank_twice = msg("1") + b"\n" + b"\n"
    merged = both_ways(SESSION_PATH, msg("1"), blank_twice, msg("1") + msg("5", "1"))
    assert lines(merged).count(b"\n") == 2


def test_session_without_base_is_a_union() -> None:
    ours, theirs = msg("a") + msg("b", "a"), msg("a") + msg("c", "a")
    merged = both_ways(SESSION_PATH, None, ours, theirs)
    assert sorted(lines(merged)) == sorted([msg("a"), msg("b", "a"), msg("c", "a")])
    assert both_ways(SESSION_PATH, None, b"", theirs) == theirs
    assert both_ways(SESSION_PATH, b"", b"", theirs) == theirs


def test_session_torn_last_line_kept_only_from_ours() -> None:
    base = msg("1")
    torn = b'{"parentUuid":"2","uuid":"3","type":"assist'
    ours = base + msg("2", "1") + torn
    theirs = base + msg("9", "1", "2024-12-31T00:00:00Z")
    result = merge_file(SESSION_PATH, base, ours, theirs)
    assert not result.conflict
    assert result.data == base + msg("9", "1", "2024-12-31T00:00:00Z") + msg("2", "1") + torn
    assert "torn" in result.reason and b"assist" not in result.reason.encode()
    other = merge_file(SESSION_PATH, base, theirs, ours)
    assert other.data == base + msg("9", "1", "2024-12-31T00:00:00Z") + msg("2", "1")
    assert "dropped" in other.reason


def test_session_crlf_lines_are_opaque_bytes() -> None:
    base = b'{"uuid":"1"}\r\n'
    merged = both_ways(SESSION_PATH, base, base + b'{"uuid":"2"}\r\n', base + b"plain\r\n")
    assert sorted(lines(merged)) == sorted([base, b'{"uuid":"2"}\r\n', b"plain\r\n"])


def _corpus_pool(corpus: Path, want: int = 1500) -> list[bytes]:
    """Distinct-identity complete lines from real transcripts, small ones preferred."""
    pool: list[bytes] = []
    seen: set[bytes] = set()
    for path in sorted((corpus / "projects").rglob("*.jsonl")):
        for line in lines(path.read_bytes()):
            if len(line) > 8192:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            uuid = obj.get("uuid") if isinstance(obj, dict) else None
            ident = uuid.encode() if isinstance(uuid, str) else line
            if ident not in seen:
                seen.add(ident)
                pool.append(line)
        if len(pool) >= want:
            break
    return pool


def _check_union(result: bytes, *sides: list[bytes]) -> None:
    got = lines(result)
    union = {line for side in sides for line in side}
    assert Counter(got) == Counter(union), "a line was lost or duplicated"
    for side in sides:
        members = set(side)
        assert [line for line in got if line in members] == side, "a side's order changed"


def test_session_random_histories_from_corpus(corpus: Path) -> None:
    pool = _corpus_pool(corpus)
    assert len(pool) > 300
    kinds = Counter(json.loads(line).get("type") for line in pool)
    assert {"user", "assistant"} <= set(kinds)
    rng = random.Random(20250601)
    for _trial in range(400):
        picked = rng.sample(pool, 60)
        base = picked[: rng.randint(0, 20)]
        rest = picked[len(base) :]
        shared = rest[: rng.choice([0, 0, rng.randint(1, 5)])]
        rest = rest[len(shared) :]
        a_tail = rest[: rng.randint(0, 12)]
        b_tail = rest[len(a_tail) : len(a_tail) + rng.randint(0, 12)]
        ours = base + shared + a_tail
        theirs = base + shared + b_tail
        if rng.random() < 0.2:  # theirs pulled part of our tail before appending
            theirs = base + shared + a_tail[: rng.randint(0, len(a_tail))] + b_tail
        if rng.random() < 0.1 and ours:  # a side lost lines (e.g. cleaned up): keep them
            del ours[rng.randrange(len(ours))]
        b_bytes: bytes | None = b"".join(base) if rng.random() > 0.1 else None
        o_bytes, t_bytes = b"".join(ours), b"".join(theirs)

        merged = both_ways(SESSION_PATH, b_bytes, o_bytes, t_bytes)
        if b_bytes == t_bytes:  # a change on one side only is taken as it is
            assert merged == o_bytes
        else:
            _check_union(merged, ours, theirs)

        # a second round: both go on appending on top of what they have
        o2 = merged + b"".join(rest[-3:-1])
        t2 = t_bytes + rest[-1]
        again = both_ways(SESSION_PATH, t_bytes, o2, t2)
        _check_union(again, lines(o2), lines(t2))
        # merging a result with either input changes nothing
        assert merge_file(SESSION_PATH, b_bytes, merged, o_bytes).data == merged

        if rng.random() < 0.3:  # our file ends in a write in progress
            torn = rest[-1][: rng.randint(1, len(rest[-1]) - 1)]
            result = merge_file(SESSION_PATH, b_bytes, o_bytes + torn, t_bytes)
            assert not result.conflict
            assert result.data == merged + torn


# --- history.jsonl ----------------------------------------------------------


def hist(ts: int, text: str) -> bytes:
    return jl(display=text, pastedContents={}, timestamp=ts, project="/home/u/app")


def test_history_union_sorted_by_timestamp_without_duplicates() -> None:
    base = hist(1, "a") + hist(5, "b")
    ours = base + hist(7, "c") + hist(20, "e")
    theirs = base + hist(6, "x") + hist(7, "c") + hist(30, "y")
    merged = both_ways(b"history.jsonl", base, ours, theirs)
    assert merged == base + hist(6, "x") + hist(7, "c") + hist(20, "e") + hist(30, "y")


def test_history_unparseable_lines_follow_their_predecessor() -> None:
    base = hist(1, "a")
    ours = base + hist(10, "b") + b"garbage\n" + hist(12, "c")
    theirs = base + hist(11, "z")
    merged = both_ways(b"history.jsonl", base, ours, theirs)
    assert merged == base + hist(10, "b") + b"garbage\n" + hist(11, "z") + hist(12, "c")
    first = both_ways(b"history.jsonl", None, b"junk\n" + hist(3, "q"), hist(2, "p"))
    assert first == b"junk\n" + hist(2, "p") + hist(3, "q")


def test_history_torn_line_and_random_symmetry() -> None:
    base = hist(1, "a")
    result = merge_file(b"history.jsonl", base, base + b'{"display":"tor', base + hist(2, "b"))
    assert result.data == base + hist(2, "b") + b'{"display":"tor' and not result.conflict
    rng = random.Random(7)
    for _ in range(200):
        entries = [hist(rng.randint(0, 50), f"e{i}") for i in range(rng.randint(0, 12))]
        common = entries[: rng.randint(0, len(entries))]
        others = entries[len(common) :]
        ours = common + rng.sample(others, rng.randint(0, len(others)))
        theirs = common + rng.sample(others, rng.randint(0, len(others)))
        merged = both_ways(b"history.jsonl", b"".join(common), b"".join(ours), b"".join(theirs))
        got = lines(merged)
        assert set(got) == set(ours) | set(theirs) and len(got) == len(set(got))
        if common not in (ours, theirs) and ours != theirs:  # else a side is taken as is
            stamps = [json.loads(line)["timestamp"] for line in got]
            assert stamps == sorted(stamps)


# --- JSON -------------------------------------------------------------------


def dump(value: object) -> bytes:
    return json.dumps(value, indent=2).encode() + b"\n"


def test_json_disjoint_changes_merge_by_key() -> None:
    base = dump({"model": "opus", "env": {"A": "1"}, "hooks": {}, "gone": 1})
    ours = dump({"model": "sonnet", "env": {"A": "1", "B": "2"}, "hooks": {}, "gone": 1})
    theirs = dump({"model": "opus", "env": {"A": "1", "C": "3"}, "hooks": {}, "new": [1, 2]})
    result = merge_file(b"settings.json", base, ours, theirs)
    assert not result.conflict and result.kind == JSON
    assert result.data == dump(
        {"model": "sonnet", "env": {"A": "1", "B": "2", "C": "3"}, "hooks": {}, "new": [1, 2]}
    )
    assert list(json.loads(result.data)) == ["model", "env", "hooks", "new"]
    assert json.loads(merge_file(b"settings.json", base, theirs, ours).data) == json.loads(
        result.data
    )


def test_json_result_equal_to_a_side_keeps_its_bytes() -> None:
    base = b'{"a": 1, "b": 2}'
    ours = b'{\n    "b": 2,\n    "a": 1,\n    "c": 3\n}'  # reordered, other indent
    theirs = b'{"a":1,"b":2,"c":3}'  # made the same change
    assert merge_file(b"settings.json", base, ours, theirs).data is ours
    deleted = b'{"a": 1}'
    assert merge_file(b"settings.json", base, deleted, b'{"b":2, "a":1}').data is deleted


def test_json_conflicts() -> None:
    base = dump({"model": "opus", "permissions": {"allow": ["Bash(ls)"]}})
    cases = [
        ({"model": "sonnet", "permissions": {"allow": ["Bash(ls)"]}}, {"model": "haiku"}),
        (
            {"model": "opus", "permissions": {"allow": ["Bash(ls)", "Read"]}},
            {"model": "opus", "permissions": {"allow": ["Bash(ls)", "Edit"]}},
        ),
        ({"model": "opus", "permissions": {"allow": ["x"]}}, {"model": "opus"}),  # edit/delete
        ({"model": True}, {"model": 1}),  # true is not 1
    ]
    for ours_value, theirs_value in cases:
        ours = dump(ours_value)
        result = merge_file(b"settings.json", base, ours, dump(theirs_value))
        assert result.conflict and result.data is ours
        assert "opus" not in result.reason and "sonnet" not in result.reason
        assert result.marked is not None and b"<<<<<<<" in result.marked
    # both added: differing keys conflict, disjoint keys merge
    assert merge_file(b"settings.json", None, dump({"a": 1}), dump({"a": 2})).conflict
    added = merge_file(b"settings.json", None, dump({"a": 1}), dump({"b": 2}))
    assert json.loads(added.data) == {"a": 1, "b": 2}


def test_todos_lists_are_whole_values() -> None:
    base = dump([{"content": "x", "status": "pending"}])
    ours = dump([{"content": "x", "status": "completed"}])
    theirs = dump([{"content": "x", "status": "pending"}, {"content": "y", "status": "pending"}])
    assert merge_file(b"todos/s-agent-s.json", base, ours, theirs).conflict


def test_invalid_json_falls_back_to_text() -> None:
    base = b'{\n  // comment\n  "a": 1,\n  "z": 0,\n  "b": 2\n}\n'
    ours = base.replace(b'"a": 1', b'"a": 5')
    theirs = base.replace(b'"b": 2', b'"b": 6')
    result = merge_file(b"settings.json", base, ours, theirs)
    assert not result.conflict and result.kind == TEXT
    assert result.data == base.replace(b'"a": 1', b'"a": 5').replace(b'"b": 2', b'"b": 6')


# --- text (diff3) -------------------------------------------------------------


def test_text_non_overlapping_edits_merge() -> None:
    base = b"# Notes\n\nalpha\nbeta\ngamma\ndelta\n"
    ours = b"# Notes\n\nALPHA\nbeta\ngamma\ndelta\n"
    theirs = b"# Notes\n\nalpha\nbeta\ngamma\ndelta\nepsilon\n"
    assert (
        both_ways(b"CLAUDE.md", base, ours, theirs)
        == b"# Notes\n\nALPHA\nbeta\ngamma\ndelta\nepsilon\n"
    )
    # the same edit on both sides is no conflict
    same = b"# Notes\n\nalpha\nBETA\ngamma\ndelta\n"
    assert both_ways(b"CLAUDE.md", base, same + b"x\n", same) == same + b"x\n"


def test_text_overlapping_edits_conflict_with_markers() -> None:
    base = b"one\ntwo\nthree\n"
    ours, theirs = b"one\nTWO\nthree\n", b"one\n2\nthree\n"
    result = merge_file(b"agents/reviewer.md", base, ours, theirs)
    assert result.conflict and result.data is ours and b"TWO" not in result.reason.encode()
    assert result.marked == (
        b"one\n<<<<<<< local\nTWO\n||||||| base\ntwo\n=======\n2\n>>>>>>> remote\nthree\n"
    )
    no_newline = merge_text(b"a", b"b", b"c")
    assert no_newline.marked == (b"<<<<<<< local\nb\n||||||| base\na\n=======\nc\n>>>>>>> remote\n")
    assert merge_file(b"CLAUDE.md", None, b"mine\n", b"yours\n").conflict


def test_text_keeps_missing_final_newline_and_crlf() -> None:
    base = b"a\r\nb\r\nc"
    assert both_ways(b"x.md", base, b"A\r\nb\r\nc", b"a\r\nb\r\nC") == b"A\r\nb\r\nC"


def test_text_random_edits_symmetric() -> None:
    rng = random.Random(3)
    words = [f"w{i}\n".encode() for i in range(8)]
    clean = 0
    for _ in range(300):
        base = [rng.choice(words) for _ in range(rng.randint(0, 10))]

        def edit(src: list[bytes]) -> list[bytes]:
            out = list(src)
            for _ in range(rng.randint(0, 3)):
                i = rng.randint(0, len(out))
                op = rng.random()
                if op < 0.4:
                    out.insert(i, rng.choice(words))
                elif op < 0.7 and i < len(out):
                    del out[i]
                elif i < len(out):
                    out[i] = rng.choice(words)
            return out

        b, o, t = b"".join(base), b"".join(edit(base)), b"".join(edit(base))
        one, two = merge_file(b"x.md", b, o, t), merge_file(b"x.md", b, t, o)
        assert one.conflict == two.conflict
        if not one.conflict:
            clean += 1
            assert one.data == two.data
    assert clean > 100


def test_text_disjoint_regions_always_merge() -> None:
    rng = random.Random(11)
    for _ in range(100):
        base = [f"line {i}\n".encode() for i in range(30)]
        i, j = rng.randint(0, 9), rng.randint(20, 29)
        ours, theirs, want = list(base), list(base), list(base)
        ours[i] = want[i] = b"ours\n"
        theirs[j] = want[j] = b"theirs\n"
        ours.insert(12, b"inserted\n")
        want.insert(12, b"inserted\n")
        merged = both_ways(b"x.md", b"".join(base), b"".join(ours), b"".join(theirs))
        assert merged == b"".join(want)


# --- the git merge driver -----------------------------------------------------


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(repo.parent), GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        check=check,
    )


@pytest.fixture
def driver_repo(tmp_path: Path) -> tuple[Path, Key]:
    key_path = tmp_path / "key"
    key = keyfile.generate(key_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    driver = " ".join(
        [shlex.quote(sys.executable), "-m", "git_claude_sync.filters.merge_driver", "--key"]
        + [shlex.quote(str(key_path)), "%O", "%A", "%B", "%P"]
    )
    _git(repo, "config", "merge.claude-sync.name", "git-claude-sync")
    _git(repo, "config", "merge.claude-sync.driver", driver)
    (repo / ".git" / "info" / "attributes").write_text("* merge=claude-sync -text\n")
    return repo, key


def _commit(repo: Path, key: Key, files: dict[str, bytes], message: str) -> None:
    for name, plain in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(key.encrypt(name.encode(), plain))
        _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)


def _stored(repo: Path, key: Key, name: str) -> bytes:
    return key.decrypt(name.encode(), _git(repo, "show", f"HEAD:{name}").stdout)


def test_merge_driver_in_a_real_git_merge(driver_repo: tuple[Path, Key]) -> None:
    repo, key = driver_repo
    session = "projects/-home-u-app/s1.jsonl"
    base = msg("1") + msg("2", "1")
    ours = base + msg("a", "2", "2025-02-01T00:00:00Z") + jl(type="summary", leafUuid="a")
    theirs = base + msg("b", "2", "2025-01-01T00:00:00Z")
    notes_base = b"alpha\nbeta\ngamma\ndelta\n"
    _commit(repo, key, {session: base, "CLAUDE.md": notes_base}, "base")
    _git(repo, "checkout", "-q", "-b", "other")
    _commit(repo, key, {session: theirs, "CLAUDE.md": b"alpha\nbeta\ngamma\nDELTA\n"}, "theirs")
    _git(repo, "checkout", "-q", "main")
    _commit(repo, key, {session: ours, "CLAUDE.md": b"ALPHA\nbeta\ngamma\ndelta\n"}, "ours")

    merged = _git(repo, "merge", "-q", "--no-edit", "other", check=False)
    assert merged.returncode == 0, merged.stderr.decode()
    want = merge_file(session.encode(), base, ours, theirs).data
    assert _stored(repo, key, session) == want
    assert lines(want) == lines(base) + lines(theirs)[2:] + lines(ours)[2:]
    assert _stored(repo, key, "CLAUDE.md") == b"ALPHA\nbeta\ngamma\nDELTA\n"
    # nothing stored or left in the work tree is plaintext
    objects = _git(repo, "cat-file", "--batch-all-objects", "--batch").stdout
    assert b"ALPHA" not in objects and b"parentUuid" not in objects
    for path in repo.rglob("*"):
        if path.is_file():
            assert b"parentUuid" not in path.read_bytes() and b"ALPHA" not in path.read_bytes()


def test_merge_driver_add_add_and_conflict(driver_repo: tuple[Path, Key]) -> None:
    repo, key = driver_repo
    _commit(repo, key, {"README": b"root\n"}, "root")
    _git(repo, "checkout", "-q", "-b", "other")
    _commit(
        repo,
        key,
        {"history.jsonl": hist(2, "b"), "settings.json": dump({"model": "haiku"})},
        "theirs",
    )
    _git(repo, "checkout", "-q", "main")
    # added on both sides: git hands the driver an empty %O
    ours_settings = dump({"model": "opus"})
    _commit(repo, key, {"history.jsonl": hist(1, "a"), "settings.json": ours_settings}, "ours")

    merged = _git(repo, "merge", "-q", "--no-edit", "other", check=False)
    assert merged.returncode == 1
    assert b"settings.json: conflict" in merged.stderr and b"opus" not in merged.stderr
    unmerged = _git(repo, "ls-files", "-u").stdout.decode()
    assert "settings.json" in unmerged and "history.jsonl" not in unmerged
    staged = _git(repo, "show", ":history.jsonl").stdout
    assert key.decrypt(b"history.jsonl", staged) == hist(1, "a") + hist(2, "b")
    # the conflicted file holds our version, still encrypted, without markers
    on_disk = (repo / "settings.json").read_bytes()
    assert key.decrypt(b"settings.json", on_disk) == ours_settings


def test_merge_driver_refuses_what_it_cannot_decrypt(tmp_path: Path) -> None:
    from git_claude_sync.filters import merge_driver as driver

    key = keyfile.generate(tmp_path / "key")
    other = Key(bytes(32))
    files = {}
    for name, blob in [
        ("O", b""),
        ("A", key.encrypt(b"CLAUDE.md", b"a\n")),
        ("B", other.encrypt(b"CLAUDE.md", b"b\n")),
    ]:
        files[name] = tmp_path / name
        files[name].write_bytes(blob)
    before = files["A"].read_bytes()
    args = ["--key", str(tmp_path / "key"), *(str(files[n]) for n in "OAB")]
    assert driver.main([*args, "CLAUDE.md"]) == 2
    assert files["A"].read_bytes() == before
    # a blob stored under another path fails its path binding
    files["B"].write_bytes(key.encrypt(b"elsewhere.md", b"b\n"))
    assert driver.main([*args, "CLAUDE.md"]) == 2
    files["B"].write_bytes(key.encrypt(b"CLAUDE.md", b"b\n"))
    assert driver.main([*args, "CLAUDE.md"]) == 1
    assert files["A"].read_bytes() == before
