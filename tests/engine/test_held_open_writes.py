"""Writes besides a pull's keep a session Claude Code holds open whole (issue 9).

A pull only appends the lines a session lacks, in place (steps.apply).  The
other writers of sessions did not: ``restore``, ``conflicts resolve`` and the
merge of two project folders replaced the file by rename, and a writer holding
an ``O_APPEND`` descriptor went on writing into the old, unlinked file: every
line after it was lost.  Each is checked here with such a descriptor, a line
written through it after the write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from git_claude_sync.claude import project_folders
from tests.machines import Machine

SID = "5f0c1d2e-held"
SESSION = f"projects/-home-u-app/{SID}.jsonl"


def line(uuid: str, text: str = "x") -> bytes:
    return json.dumps({"uuid": uuid, "type": "user", "text": text}).encode() + b"\n"


def held_open(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND)


def test_restore_appends_to_a_session_held_open(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.write(SESSION, line("1") + line("2"))
    a.run("push")
    target = a.claude / SESSION
    target.write_bytes(line("1") + line("mine"))  # not pushed: restored only with --force
    fd = held_open(target)
    try:
        a.run("restore", SID, "--force")
        os.write(fd, line("after"))  # Claude Code's next line, same descriptor
    finally:
        os.close(fd)
    assert target.read_bytes() == line("1") + line("mine") + line("2") + line("after")


def test_conflicts_resolve_appends_to_a_session_held_open(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write(SESSION, line("1"))
    a.run("push")
    b.run("pull")
    binary = b'{"uuid": "a", "text": "\0"}\n'  # a NUL byte: merged as a conflict
    a.write(SESSION, line("1") + binary)
    a.run("push")
    b.write(SESSION, line("1") + line("b"))
    pulled = b.run("pull", check=False)
    assert pulled.returncode == 3, pulled  # a conflict copy waits for a person
    target = b.claude / SESSION
    fd = held_open(target)
    try:
        b.run("conflicts", "resolve", SESSION, "--theirs")
        os.write(fd, line("after"))
    finally:
        os.close(fd)
    assert target.read_bytes() == line("1") + line("b") + binary + line("after")


def test_merging_two_project_folders_appends_to_a_session_held_open(tmp_path: Path) -> None:
    source, target = tmp_path / "-old-name", tmp_path / "-new-name"
    source.mkdir()
    target.mkdir()
    (source / "s.jsonl").write_bytes(line("1") + line("2"))  # the other folder has more
    (target / "s.jsonl").write_bytes(line("1"))
    (source / "t.jsonl").write_bytes(line("1") + line("old"))  # both went on differently
    (target / "t.jsonl").write_bytes(line("1") + line("new"))
    (source / "u.jsonl").write_bytes(line("1") + line("old"))
    (target / "u.jsonl").write_bytes(line("1") + b'{"uuid": "half')  # a line being written
    fds = {name: held_open(target / name) for name in ("s.jsonl", "t.jsonl", "u.jsonl")}
    try:
        assert project_folders.move_tree(source, target) == 3
        for name, fd in fds.items():
            os.write(fd, b'", "end": 1}\n' if name == "u.jsonl" else line("after"))
    finally:
        for fd in fds.values():
            os.close(fd)
    assert (target / "s.jsonl").read_bytes() == line("1") + line("2") + line("after")
    assert (target / "t.jsonl").read_bytes() == line("1") + line("new") + line("old") + line(
        "after"
    )
    # Never glued to a half line: the other folder's file waits beside it, nothing lost.
    assert (target / "u.jsonl").read_bytes() == line("1") + b'{"uuid": "half", "end": 1}\n'
    assert (target / "u.jsonl.moved").read_bytes() == line("1") + line("old")
    assert not any(source.iterdir())
