"""Issue 9: the ways a sync could lose or corrupt data, each through the real CLI.

1. A pull never loses or tears a line Claude Code is writing, even through a
   descriptor held open across the pull and a line written in two writes.
2. An unattended conflict never makes an edit vanish from a working copy.
3. An emptied or swapped Claude directory never deletes everything everywhere.
4. A missing Claude directory is one clear line, never a traceback.
5. Git lock files left by a killed run never block the next one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from tests.machines import Machine, launch

SESSION = "projects/-home-u-app/5f0c1d2e-held.jsonl"


def line(uuid: str, second: int, text: str = "x") -> bytes:
    record = {"uuid": uuid, "timestamp": f"2026-03-01T00:00:{second:02d}Z", "text": text}
    return json.dumps(record).encode() + b"\n"


def held_open(path: Path) -> int:
    """A descriptor as a long-lived writer holds it: opened once, O_APPEND."""
    return os.open(path, os.O_WRONLY | os.O_APPEND)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


# -- 1. appends during a pull --------------------------------------------------


def test_a_line_written_in_two_writes_around_a_pull_survives(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    first = line("s-0", 0)
    a.write(SESSION, first)
    a.run("push")
    b.run("pull")
    target = b.claude / SESSION
    fd = held_open(target)
    try:
        torn = line("b-1", 10, "written in two halves")
        os.write(fd, torn[:20])  # half a line before the pull
        remote = line("a-1", 5)
        with open(a.claude / SESSION, "ab") as handle:
            handle.write(remote)
        a.run("push")
        b.run("pull")
        os.write(fd, torn[20:])  # the rest after it, same descriptor
        after = line("b-2", 11)
        os.write(fd, after)
    finally:
        os.close(fd)
    # Nothing lost, nothing torn: the remote line may come later, never glued.
    b.run("pull")
    got = lines_of(target)
    assert sorted(got) == sorted([first, torn, after, remote]), got
    b.run("push")
    a.run("pull")
    assert sorted(lines_of(a.claude / SESSION)) == sorted(got)


def test_a_descriptor_held_across_a_pull_keeps_writing_into_the_file(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    first = line("s-0", 0)
    a.write(SESSION, first)
    a.run("push")
    b.run("pull")
    target = b.claude / SESSION
    fd = held_open(target)
    try:
        mine = line("b-1", 3)
        os.write(fd, mine)
        b.run("push")  # committed: the next merge interleaves both sides by time
        remote = line("a-1", 2)
        with open(a.claude / SESSION, "ab") as handle:
            handle.write(remote)
        a.run("pull")
        a.run("push")
        b.run("pull")
        later = line("b-2", 4)
        os.write(fd, later)
    finally:
        os.close(fd)
    assert sorted(lines_of(target)) == sorted([first, mine, remote, later])


def test_a_fast_forward_that_reorders_lines_keeps_the_held_descriptor(
    pair: tuple[Machine, Machine],
) -> None:
    """b merges and pushes (lines ordered by time); a fast-forwards while writing."""
    a, b = pair
    first = line("s-0", 0)
    a.write(SESSION, first)
    a.run("push")
    b.run("pull")
    target = a.claude / SESSION
    fd = held_open(target)
    try:
        mine = line("a-1", 5)
        os.write(fd, mine)
        a.run("push")
        theirs = line("b-1", 3)  # earlier: b's merge puts it before a's line
        with open(b.claude / SESSION, "ab") as handle:
            handle.write(theirs)
        b.run("pull")
        b.run("push")
        a.run("pull")
        later = line("a-2", 6)
        os.write(fd, later)
    finally:
        os.close(fd)
    want = sorted([first, mine, theirs, later])
    assert sorted(lines_of(target)) == want
    a.run("push")
    b.run("pull")
    assert sorted(lines_of(b.claude / SESSION)) == want
    # Settled: same lines on both, nothing left to send either way.
    assert "Nothing to push" in a.run("push").stdout
    assert "Nothing to push" in b.run("push").stdout


# -- 2. unattended conflicts -------------------------------------------------------

NEEDS_A_PERSON = 3  # exit code: done, but conflicts need a person (README)


def conflict_copies(machine: Machine, stem: str = "CLAUDE") -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in machine.claude.iterdir()
        if p.name.startswith(f"{stem}.sync-conflict-")
    }


def test_an_unattended_conflict_keeps_every_version_as_a_file_on_every_machine(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"# notes\nuse tabs\n")
    a.run("push")
    b.run("pull")
    a.write("CLAUDE.md", b"# notes\nuse spaces (a)\n")
    a.run("push")
    b.write("CLAUDE.md", b"# notes\nuse tabs, width 8 (b)\n")
    pulled = b.run("pull", check=False)  # no terminal: a hook
    assert pulled.returncode == NEEDS_A_PERSON, pulled
    assert "CLAUDE.md" in pulled.stderr and "conflicts" in pulled.stderr
    assert (b.claude / "CLAUDE.md").read_bytes() == b"# notes\nuse tabs, width 8 (b)\n"
    copies = conflict_copies(b)
    assert list(copies.values()) == [b"# notes\nuse spaces (a)\n"]
    [copy] = copies
    assert re.fullmatch(r"CLAUDE\.sync-conflict-\d{8}-\d{6}-[\w-]+\.md", copy), copy
    assert b.run("push", check=False).returncode == NEEDS_A_PERSON

    # a's edit never vanishes from a: the copy comes along.
    got = a.run("pull", check=False)
    assert got.returncode == NEEDS_A_PERSON, got
    versions = {(a.claude / "CLAUDE.md").read_bytes(), *conflict_copies(a).values()}
    assert versions == {b"# notes\nuse spaces (a)\n", b"# notes\nuse tabs, width 8 (b)\n"}
    for machine in (a, b):
        assert copy in machine.run("conflicts").stdout
        status = machine.run("status", "--no-fetch", check=False)  # 3: conflicts wait
        assert status.returncode == 3
        assert "CLAUDE.md" in status.stdout.split("Conflicts", 1)[1]
    # Even a no-change push says so: the launcher's fast path steps aside.
    assert launch(a, "push", real="/bin/false").returncode == 1  # handed to Python
    assert a.run("push", check=False).returncode == NEEDS_A_PERSON

    # A person chooses (on a): the copy goes everywhere.
    a.run("conflicts", "resolve", "CLAUDE.md", "--remote")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"# notes\nuse spaces (a)\n"
    assert not conflict_copies(a)
    assert a.run("push").returncode == 0
    assert b.run("pull").returncode == 0
    assert (b.claude / "CLAUDE.md").read_bytes() == b"# notes\nuse spaces (a)\n"
    assert not conflict_copies(b)
    assert "No conflicts" in b.run("conflicts").stdout


# -- 3. an emptied or swapped Claude directory ----------------------------------------

SYNCED = {
    "CLAUDE.md": b"# notes\n",
    "history.jsonl": b'{"display":"hi","timestamp":1}\n',
    "commands/review.md": b"review it\n",
    SESSION: line("s-0", 0),
}


def synced_pair(pair: tuple[Machine, Machine]) -> tuple[Machine, Machine]:
    a, b = pair
    for rel, data in SYNCED.items():
        a.write(rel, data)
    a.run("push")
    b.run("pull")
    return a, b


def remote_tip(machine: Machine) -> str:
    return machine.git("ls-remote", str(machine.default_remote), "main").stdout.decode()


def test_an_emptied_claude_directory_deletes_nothing_and_pull_restores_it(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = synced_pair(pair)
    before = remote_tip(a)
    shutil.rmtree(b.claude)  # a reinstall
    b.claude.mkdir()
    pushed = b.run("push", check=False)
    assert pushed.returncode == 1, pushed
    assert "--allow-mass-delete" in pushed.stderr and "pull" in pushed.stderr
    assert len(pushed.stderr.strip().splitlines()) == 1, pushed.stderr
    assert remote_tip(a) == before
    assert "Already up to date" in a.run("pull").stdout
    status = b.run("status", check=False)
    assert status.returncode == 4 and "pull' restores them" in status.stdout  # needs attention
    pulled = b.run("pull")
    assert "Restored" in pulled.stdout, pulled
    for rel, data in {**SYNCED, "settings.json": b'{"model": "opus"}\n'}.items():
        assert (b.claude / rel).read_bytes() == data, rel
    assert "Nothing to push" in b.run("push").stdout


def test_deleting_most_files_on_purpose_takes_allow_mass_delete(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = synced_pair(pair)
    for rel in ("CLAUDE.md", "history.jsonl", "commands/review.md"):
        (b.claude / rel).unlink()
    assert b.run("push", check=False).returncode == 1
    b.run("push", "--allow-mass-delete")
    a.run("pull")
    for rel in ("CLAUDE.md", "history.jsonl", "commands/review.md"):
        assert not (a.claude / rel).exists(), rel
    assert (a.claude / "settings.json").exists() and (a.claude / SESSION).exists()


def test_another_claude_directory_is_refused_naming_both(machine_a: Machine) -> None:
    a = machine_a
    custom = a.home / "claude-custom"
    (custom / "commands").mkdir(parents=True)
    (custom / "CLAUDE.md").write_bytes(b"# mine\n")
    (custom / "commands" / "x.md").write_bytes(b"x\n")
    a.run("init", CLAUDE_CONFIG_DIR=str(custom))
    a.run("push", CLAUDE_CONFIG_DIR=str(custom))
    before = remote_tip(a)
    a.claude.mkdir()  # an empty ~/.claude, and CLAUDE_CONFIG_DIR forgotten
    for command in ("push", "pull", "status"):
        proc = a.run(command, check=False)
        assert proc.returncode == (4 if command == "status" else 1), proc  # 4: needs attention
        assert str(custom) in proc.stderr and str(a.claude) in proc.stderr, proc.stderr
        assert "--switch-claude-dir" in proc.stderr
    assert remote_tip(a) == before
    assert a.run("push", CLAUDE_CONFIG_DIR=str(custom)).returncode == 0
    # Moving on purpose: the files come into the new directory, nothing is deleted.
    a.run("init", "--switch-claude-dir")
    assert a.run("push", check=False).returncode == 1
    a.run("pull")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"# mine\n"
    assert (a.claude / "commands" / "x.md").read_bytes() == b"x\n"
    assert remote_tip(a) == before


# -- 4. a missing Claude directory ------------------------------------------------------


def test_a_missing_claude_directory_is_one_line_and_pull_brings_it_back(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = synced_pair(pair)
    shutil.rmtree(b.claude)
    for command in ("push", "status"):
        proc = b.run(command, check=False)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) <= 1, proc.stderr
    b.run("pull")
    for rel, data in SYNCED.items():
        assert (b.claude / rel).read_bytes() == data, rel


# -- 5. git lock files left by a killed run ----------------------------------------------

GIT_LOCKS = (
    "refs/heads/main.lock",
    "refs/remotes/origin/main.lock",
    "packed-refs.lock",
    "HEAD.lock",
    "config.lock",
    "index.lock",
)


def leave_locks(machine: Machine, crashed: bool) -> list[Path]:
    """What ``kill -9`` during a pull leaves: git's lock files, and our pid in sync.lock."""
    git_dir = machine.tool_home / "repo.git"
    made = []
    for name in GIT_LOCKS:
        path = git_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        made.append(path)
    (machine.tool_home / "sync.lock").write_text("999999\n" if crashed else "")
    return made


def test_git_locks_left_by_a_killed_run_are_removed(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    b.write("CLAUDE.md", b"from b\n")
    b.run("push")
    locks = leave_locks(a, crashed=True)
    a.write("commands/x.md", b"x\n")
    a.run("pull")
    a.run("push")
    assert not [p for p in locks if p.exists()]
    b.run("pull")
    assert (b.claude / "commands/x.md").read_bytes() == b"x\n"
    assert (a.claude / "CLAUDE.md").read_bytes() == b"from b\n"


def test_git_locks_of_a_run_that_did_not_crash_are_left_alone(
    pair: tuple[Machine, Machine],
) -> None:
    """Maybe a git command someone runs by hand: reported in one line, never removed."""
    a, _b = pair
    ref_lock = leave_locks(a, crashed=False)[0]
    a.write("commands/x.md", b"x\n")
    proc = a.run("push", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert ".lock exists" in proc.stderr, proc.stderr
    assert ref_lock.exists()


def test_restore_takes_a_session_in_this_machines_order_for_pushed(
    pair: tuple[Machine, Machine],
) -> None:
    """After a merge a session holds the synced lines in this machine's order: not a change."""
    a, b = pair
    sid = "5f0c1d2e-held"
    first = line("s-0", 0)
    a.write(SESSION, first)
    a.run("push")
    b.run("pull")
    with open(a.claude / SESSION, "ab") as handle:
        handle.write(line("a-1", 5))
    a.run("push")
    with open(b.claude / SESSION, "ab") as handle:
        handle.write(line("b-1", 7))  # later: the merge puts a's line first, b's file does not
    b.run("pull")
    b.run("push")  # the merge
    assert "Nothing to push" in b.run("push").stdout
    assert sorted(lines_of(b.claude / SESSION)) == sorted([first, line("a-1", 5), line("b-1", 7)])
    assert lines_of(b.claude / SESSION)[-1] == line("a-1", 5)  # b's order, not the merge's
    before = (b.claude / SESSION).read_bytes()
    proc = b.run("restore", sid, check=False)
    assert "not pushed" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc
    assert (b.claude / SESSION).read_bytes() == before  # all there: not rewritten


def test_joining_with_a_conflicting_file_exits_3_and_keeps_both(
    machine_a: Machine, machine_b: Machine
) -> None:
    a, b = machine_a, machine_b
    a.write("CLAUDE.md", b"from a\n")
    a.run("init")
    a.run("push")
    b.write("CLAUDE.md", b"from b\n")
    joined = b.run("init", "--git", str(a.default_remote), "--key", str(a.key_file), check=False)
    assert joined.returncode == NEEDS_A_PERSON, joined
    assert (b.claude / "CLAUDE.md").read_bytes() == b"from b\n"
    assert list(conflict_copies(b).values()) == [b"from a\n"]


def test_claude_codes_own_clean_up_of_old_todos_is_no_mass_deletion(
    pair: tuple[Machine, Machine],
) -> None:
    """Claude Code deletes todos/ and plans/ by age: those deletions sync as before."""
    a, b = synced_pair(pair)
    for n in range(8):
        a.write(f"todos/s{n}-agent-s{n}.json", b"[]\n")
    a.run("push")
    for n in range(7):  # most of the synced files outside projects/
        (a.claude / f"todos/s{n}-agent-s{n}.json").unlink()
    a.run("push")
    b.run("pull")
    assert sorted(p.name for p in (b.claude / "todos").iterdir()) == ["s7-agent-s7.json"]
