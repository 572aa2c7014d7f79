"""Lookup modes when the project on the resuming machine has several git worktrees.

Claude Code 2.1.197 (read from its code, checked here): ``--resume ID`` and
``--continue`` read the working directory's folder first, following links.  The
``/resume`` picker reads that folder directly only while the repository has at
most one worktree; with two or more it scans ``projects/`` for the folders of all
worktrees and skips entries that are not real directories, i.e. our links.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.claude_code.client import Claude
from tests.claude_code.fake_api import FakeAnthropic
from tests.claude_code.test_resume import join, sessions
from tests.machines import Machine


def git_repo_with_worktree(machine: Machine, repo: Path) -> Path:
    """``repo`` as a git repository with a second worktree beside it; returns that one."""
    repo.mkdir(parents=True)
    env = machine.env()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "0")
    other = repo.with_name(repo.name + "-feature")
    git("worktree", "add", "-q", "-b", "feature", str(other))
    return other


def test_resume_by_id_and_continue_with_two_worktrees(
    claude_mac: Claude, claude_linux: Claude
) -> None:
    mac, linux = claude_mac.machine, claude_linux.machine
    api_linux = linux.home / "code" / "api"
    git_repo_with_worktree(linux, api_linux)
    assert claude_mac.ask(mac.home / "code" / "api", "hello from the mac") == 2
    (sid,) = sessions(mac)
    join(mac, linux)
    linux.run("pull")
    assert claude_linux.ask(api_linux, "hi from linux", "--resume", sid) == 4
    assert claude_linux.sent("hi from linux", "hello from the mac")
    assert claude_linux.ask(api_linux, "more from linux", "--continue") == 6


def picker_lists(claude: Claude, cwd: Path, title: str) -> bool:
    """Open ``/resume`` in ``cwd``: whether the picker offers the session ``title``."""
    with claude.tmux(cwd) as session:
        session.ready()
        session.enter("/resume")
        screen = session.wait(lambda s: title in s or "No conversations found" in s)
        return title in screen


def make_interactive_session(claude: Claude, cwd: Path, prompt: str) -> None:
    with claude.tmux(cwd) as session:
        session.ready()
        session.enter(prompt)
        assert session.answer(prompt) == 2
        session.exit()


def test_picker_with_one_worktree(claude_mac: Claude, claude_linux: Claude) -> None:
    """A git repository with a single worktree: the picker reads the (linked) folder."""
    mac, linux = claude_mac.machine, claude_linux.machine
    api_linux = linux.home / "code" / "api"
    api_linux.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=api_linux, env=linux.env(), check=True)
    make_interactive_session(claude_mac, mac.home / "code" / "api", "hello from the mac")
    join(mac, linux)
    linux.run("pull")
    assert picker_lists(claude_linux, api_linux, "hello from the mac")


def test_picker_with_two_worktrees(claude_mac: Claude, claude_linux: Claude) -> None:
    mac, linux = claude_mac.machine, claude_linux.machine
    api_linux = linux.home / "code" / "api"
    git_repo_with_worktree(linux, api_linux)
    make_interactive_session(claude_mac, mac.home / "code" / "api", "hello from the mac")
    join(mac, linux)
    linux.run("pull")
    assert picker_lists(claude_linux, api_linux, "hello from the mac")


@pytest.fixture
def plain_tmp() -> Iterator[Path]:
    """A folder whose path has only letters, digits, ``/`` and ``-`` (tmp_path has ``_``)."""
    path = Path(tempfile.gettempdir()) / f"ccs-{os.getpid()}-{time.monotonic_ns()}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(
    "where",
    [
        "plain",
        "with_underscore",
    ],
)
def test_picker_with_two_worktrees_after_a_push_on_the_same_machine(
    claude_bin: Path, api: FakeAnthropic, plain_tmp: Path, where: str
) -> None:
    """The machine's own session, listed before its first push and after it.

    With >= 2 worktrees the picker skips every folder of ``projects/`` that is not a
    real directory: the folder Claude Code made stays real after a push (its
    canonical name is the link), in a plain path and in one with ``_`` alike.
    """
    home = plain_tmp / ("home/alice" if where == "plain" else "home/alice_b")
    home.mkdir(parents=True)
    claude = Claude(claude_bin, Machine(home), api)
    api_dir = home / "code" / "api"
    git_repo_with_worktree(claude.machine, api_dir)
    make_interactive_session(claude, api_dir, "hello from linux")
    assert picker_lists(claude, api_dir, "hello from linux")
    claude.machine.run("init")
    claude.machine.run("push")
    assert picker_lists(claude, api_dir, "hello from linux")


def test_resume_by_id_finds_a_session_of_another_worktree(
    claude_mac: Claude, claude_linux: Claude
) -> None:
    """Made in the feature worktree on one machine, resumed from the main one on the other."""
    mac, linux = claude_mac.machine, claude_linux.machine
    api_linux = linux.home / "code" / "api"
    git_repo_with_worktree(linux, api_linux)
    assert claude_mac.ask(mac.home / "code" / "api-feature", "hello from the mac") == 2
    (sid,) = sessions(mac)
    join(mac, linux)
    linux.run("pull")
    assert claude_linux.ask(api_linux, "hi from linux", "--resume", sid) == 4
    assert claude_linux.sent("hi from linux", "hello from the mac")
