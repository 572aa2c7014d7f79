"""The filter served inside the CLI (filters/served_in_cli.py): the same blobs as the filter
process, no interpreter started for it, a failure in one line, nothing left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from git_claude_sync.filters.served_in_cli import ServedFilter

from git_claude_sync.engine.sync_repo import DRIVER
from git_claude_sync.git import FILTER_RELAY_PREFIX, Git, GitError
from tests.machines import BIN_DIR, Machine, filter_processes, filter_starts


def _relays_left(machine: Machine) -> list[Path]:
    return list((machine.tool_home / "repo.git").glob(FILTER_RELAY_PREFIX + "*"))


def test_a_push_cleans_in_the_cli_what_the_filter_process_would_store(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"one\n")
    a.write("projects/-p/s.jsonl", b"".join(b'{"uuid":"%d"}\n' % i for i in range(2000)))
    a.run("push")
    a.write("CLAUDE.md", b"one\ntwo\n")
    with (a.claude / "projects/-p/s.jsonl").open("ab") as f:
        f.write(b'{"uuid":"appended"}\n')
    trace = tmp_path / "trace"
    a.run("push", GIT_TRACE=str(trace))
    assert filter_starts(trace) >= 1 and filter_processes(trace) == 0
    # Plain git cleans with the configured filter process: it finds the same blobs.
    assert a.git("--work-tree", str(a.claude), "status", "--porcelain").stdout == b""
    for path in ("CLAUDE.md", "projects/-p/s.jsonl"):
        stored = a.git("rev-parse", f"HEAD:{path}").stdout.strip()
        again = a.git(
            "--work-tree", str(a.claude), "hash-object", "--path", path, str(a.claude / path)
        )
        assert again.stdout.strip() == stored
    assert _relays_left(a) == []
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"one\ntwo\n"
    assert b.files()[b"projects/-p/s.jsonl"].endswith(b'{"uuid":"appended"}\n')


def test_a_file_the_served_filter_refuses_fails_the_command_naming_it(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    a.write("CLAUDE.md", b"changed\n")
    git_dir = a.tool_home / "repo.git"
    served = ServedFilter(tmp_path / "no-such-key", git_dir, DRIVER)
    git = Git(git_dir=git_dir, work_tree=a.claude, filter_here=served)
    with pytest.raises(GitError) as failed:
        git.add_all()
    assert str(failed.value).startswith("encrypting failed: CLAUDE.md: ")
    assert "no-such-key" in str(failed.value)
    assert _relays_left(a) == []


def test_a_relay_speaking_nonsense_ends_in_one_line_not_a_hang(tmp_path: Path) -> None:
    git_dir = tmp_path / "repo.git"
    git_dir.mkdir()
    served = ServedFilter(tmp_path / "key", git_dir, DRIVER)
    with served.serving(git_dir / "index") as call:
        assert call is not None
        relay = call.config.split("=", 1)[1]
        started = time.monotonic()
        git = subprocess.Popen(["sh", "-c", relay], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert git.stdin is not None and git.stdout is not None
        git.stdin.write(b"not a packet line")
        git.stdin.flush()
        assert git.stdout.read() == b""  # as git would: waits for an answer, gets the end
        git.stdin.close()
        git.wait(timeout=30)
    assert time.monotonic() - started < 10
    assert call.reports().startswith(b"git-claude-sync: filter protocol error: ")
    assert list(git_dir.iterdir()) == []  # its FIFOs and their folder removed


def test_a_command_that_never_starts_the_filter_does_not_wait_for_it(tmp_path: Path) -> None:
    git_dir = tmp_path / "repo.git"
    git_dir.mkdir()
    served = ServedFilter(tmp_path / "key", git_dir, DRIVER)
    started = time.monotonic()
    with served.serving(git_dir / "index") as call:
        assert call is not None
    assert time.monotonic() - started < 5
    assert call.reports() == b""
    assert list(git_dir.iterdir()) == []


def test_the_relay_folders_of_a_killed_run_are_swept_by_the_next(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    left = a.tool_home / "repo.git" / f"{FILTER_RELAY_PREFIX}999999.0"
    left.mkdir()
    os.mkfifo(left / "requests")
    os.mkfifo(left / "answers")
    (a.tool_home / "sync.lock").write_text("999999\n")  # a run that never ended
    a.write("CLAUDE.md", b"after a crash\n")
    a.run("push")
    assert not left.exists()


def test_without_cat_on_path_git_starts_the_filter_process(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """The relay is two ``cat``s: where PATH has none (a hook's trimmed environment), the
    push still works, through the configured filter process."""
    a, b = pair
    bare = tmp_path / "bin"
    bare.mkdir()
    os.symlink(shutil.which("git") or "/usr/bin/git", bare / "git")
    a.write("CLAUDE.md", b"no cat here\n")
    trace = tmp_path / "trace"
    path = os.pathsep.join((str(bare), BIN_DIR))
    a.run("push", PATH=path, GIT_TRACE=str(trace))
    assert filter_processes(trace) >= 1
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"no cat here\n"
