"""``status`` on a Claude directory just as the last sync staged it takes HEAD's tree
instead of staging again (engine/outlook.py): it must still see every change a staging
would, and must really skip the staging when nothing changed (issue 14's start-up)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.commands.test_status import CHANGES, IN_SYNC, status
from tests.machines import Machine

SESSION = "projects/-p/s.jsonl"


def traced(machine: Machine, tmp: Path) -> tuple[int, list[str]]:
    """``status --json`` with git's trace: its exit code and every git command it ran."""
    trace = tmp / f"trace-{time.monotonic_ns()}"
    proc = machine.run("status", "--json", check=False, GIT_TRACE=str(trace))
    lines = trace.read_text().splitlines() if trace.exists() else []
    return proc.returncode, [line.split("trace: ", 1)[-1] for line in lines if "git " in line]


def staged_again(commands: list[str]) -> bool:
    """Whether the tree was staged (a preview's, in a scratch index): its listing of
    untracked files; git add, unless it had nothing to stage (engine/add_skip.py)."""
    return any(
        " add " in f" {c} " or c.endswith(" add") or " ls-files -z --others " in f" {c} "
        for c in commands
    )


def test_an_unchanged_tree_is_not_staged_and_a_remote_ahead_still_shows(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    a.write(SESSION, b'{"uuid":"1"}\n')
    a.run("push")
    b.run("pull")
    code, commands = traced(b, tmp_path)
    assert code == IN_SYNC and commands and not staged_again(commands)

    a.write(SESSION, b'{"uuid":"1"}\n{"uuid":"2"}\n')
    a.run("push")
    code, commands = traced(b, tmp_path)
    assert code == CHANGES and not staged_again(commands)
    assert status(b)[1]["to_pull"] == [SESSION]
    assert status(b)[1]["to_push"] == []


def test_a_change_an_untracked_file_and_a_deletion_are_still_seen(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    a.write("CLAUDE.md", b"two\n")  # same size
    code, commands = traced(a, tmp_path)
    assert code == CHANGES and staged_again(commands)
    assert status(a)[1]["to_push"] == ["CLAUDE.md"]
    a.run("push")

    a.write("commands/new.md", b"new\n")
    assert status(a)[1]["to_push"] == ["commands/new.md"]
    a.run("push")

    (a.claude / "commands" / "new.md").unlink()
    assert status(a)[1]["to_push"] == ["commands/new.md"]
    a.run("push")
    assert status(a)[0] == IN_SYNC


def test_a_kept_session_back_in_the_claude_directory_is_seen(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    a.write(SESSION, b'{"uuid":"1"}\n')
    a.run("push")
    (a.claude / SESSION).unlink()  # cleaned up by Claude Code: kept in the repo (kept.py)
    a.run("push")
    assert status(a)[0] == IN_SYNC
    a.write(SESSION, b'{"uuid":"1"}\n{"uuid":"2"}\n')  # back, and grown
    code, doc = status(a)
    assert (code, doc["to_push"]) == (CHANGES, [SESSION])


def test_a_change_through_a_linked_file_or_folder_is_seen(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    dotfiles = a.home / "dotfiles"
    (dotfiles / "commands").mkdir(parents=True)
    (dotfiles / "CLAUDE.md").write_bytes(b"# from dotfiles\n")
    (dotfiles / "commands" / "hello.md").write_bytes(b"hello\n")
    long_ago = time.time() - 3600  # older than any staging: only a change makes them newer
    for path in (dotfiles / "CLAUDE.md", dotfiles / "commands" / "hello.md", dotfiles / "commands"):
        os.utime(path, (long_ago, long_ago))
    os.symlink(dotfiles / "CLAUDE.md", a.claude / "CLAUDE.md")
    os.symlink("../dotfiles/commands", a.claude / "commands")
    a.run("push")
    code, commands = traced(a, tmp_path)
    assert code == IN_SYNC and not staged_again(commands)

    (dotfiles / "commands" / "hello.md").write_bytes(b"hello again\n")
    code, doc = status(a)
    assert (code, doc["to_push"]) == (CHANGES, ["commands/hello.md"])
    a.run("push")

    (dotfiles / "commands" / "more.md").write_bytes(b"more\n")
    assert status(a)[1]["to_push"] == ["commands/more.md"]
    a.run("push")

    (dotfiles / "CLAUDE.md").unlink()  # the link now leads nowhere: staging says what then
    code, commands = traced(a, tmp_path)
    assert staged_again(commands)
