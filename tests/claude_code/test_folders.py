"""Claude Code's project folder names, and sessions in awkward places (issue 11).

Each case runs the real client: the folder it makes must be the one
``project_folders.folder_name`` computes, and a session must resume on the other
machine both ways.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from git_claude_sync.claude.project_folders import folder_name
from tests.claude_code.client import Claude
from tests.claude_code.test_resume import join, sessions

LONG = "a-very-long-folder-name-" * 8  # 192 characters


def folders(claude: Claude) -> set[str]:
    projects = claude.machine.claude / "projects"
    return {p.name for p in projects.iterdir()} if projects.is_dir() else set()


def test_folder_names_match_the_client(claude_at: Callable[[str], Claude], tmp_path: Path) -> None:
    claude = claude_at("home/alice")
    home = claude.machine.home
    (tmp_path / "real").mkdir()
    (home / "linked").symlink_to(tmp_path / "real")
    short = len(str(home / "code" / "x")) - 1
    cases = [
        home / "code" / "my.app with spaces",
        home / "code" / "🚀 rocket é",  # one emoji: two UTF-16 units, two dashes
        home / "linked" / "api",  # a link on the way: the real path names the folder
        home / "code" / LONG,  # more than 200: shortened with a hash
        home / "code" / ("x" * (200 - short)),  # exactly 200: kept whole
        home / "code" / ("x" * (201 - short)),  # 201: shortened
    ]
    assert len(folder_name(str(cases[4]))) == 200
    assert len(folder_name(str(cases[5]))) > 201
    for cwd in cases:
        before = folders(claude)
        claude.ask(cwd, "hello")
        made = folders(claude) - before
        assert made == {folder_name(os.path.realpath(cwd))}, cwd


def in_own_folder(claude: Claude, cwd: Path, sid: str) -> bool:
    """Whether the session is in the folder Claude Code reads first for ``cwd``."""
    folder = claude.machine.claude / "projects" / folder_name(os.path.realpath(cwd))
    return (folder / f"{sid}.jsonl").is_file()


def both_ways(a: Claude, cwd_a: Path, b: Claude, cwd_b: Path) -> None:
    """A session started on each machine, each resumed on the other and back again.

    A's is made before A's first push (its folder is renamed canonical then), B's
    after B joined (made in the folder a pull linked, or next to it).
    """
    assert a.ask(cwd_a, "hello from A") == 2
    (sid_a,) = sessions(a.machine)
    join(a.machine, b.machine)
    b.machine.run("pull")
    assert in_own_folder(b, cwd_b, sid_a)
    assert b.ask(cwd_b, "hi from B", "--resume", sid_a) == 4
    assert b.sent("hi from B", "hello from A")
    assert b.ask(cwd_b, "more from B", "--continue") == 6
    assert b.ask(cwd_b, "hello from B") == 2
    (sid_b,) = set(sessions(b.machine)) - {sid_a}
    b.machine.run("push")

    a.machine.run("pull")
    assert in_own_folder(a, cwd_a, sid_a) and in_own_folder(a, cwd_a, sid_b)
    assert a.ask(cwd_a, "back on A", "--resume", sid_a) == 8
    assert a.sent("back on A", "more from B")
    assert a.ask(cwd_a, "hi from A", "--resume", sid_b) == 4
    assert a.sent("hi from A", "hello from B")
    a.machine.run("push")

    b.machine.run("pull")
    assert in_own_folder(b, cwd_b, sid_b)
    assert b.ask(cwd_b, "back on B", "--resume", sid_b) == 6
    assert b.sent("back on B", "hi from A")


# A home long enough that ~/code/api makes a name over 200 characters on B only.
LONG_HOME = "home/" + "alice-" * 30


def test_long_path_on_one_machine_only(claude_at: Callable[[str], Claude]) -> None:
    a, b = claude_at("Users/alice"), claude_at(LONG_HOME)
    cwd_a, cwd_b = a.machine.home / "code" / "api", b.machine.home / "code" / "api"
    assert len(folder_name(str(cwd_b))) > 200 > len(folder_name(str(cwd_a)))
    both_ways(a, cwd_a, b, cwd_b)


def test_non_bmp_characters(claude_at: Callable[[str], Claude]) -> None:
    a, b = claude_at("Users/alice"), claude_at("home/alice")
    name = "🚀 launch-𝔸pp"
    both_ways(a, a.machine.home / "code" / name, b, b.machine.home / "code" / name)


def test_home_reached_through_a_link(claude_at: Callable[[str], Claude], tmp_path: Path) -> None:
    """HOME=/…/x/home/alice where home -> var/home (Fedora Silverblue, /home -> /var/home)."""
    (tmp_path / "x" / "var" / "home" / "alice").mkdir(parents=True)
    (tmp_path / "x" / "home").symlink_to("var/home")
    a, b = claude_at("Users/alice"), claude_at("x/home/alice")
    both_ways(a, a.machine.home / "code" / "api", b, b.machine.home / "code" / "api")


def test_long_path_on_both_machines(claude_at: Callable[[str], Claude]) -> None:
    """Even the canonical name (``~-code-…``) is over 200: shortened the same way."""
    a, b = claude_at("Users/alice"), claude_at("home/alice")
    name = "project-" * 25  # 200 characters
    cwd_a, cwd_b = a.machine.home / "code" / name, b.machine.home / "code" / name
    both_ways(a, cwd_a, b, cwd_b)
    (canonical,) = (p for p in (b.machine.claude / "projects").iterdir() if p.is_symlink())
    assert canonical.name.startswith("~-code-project-") and len(canonical.name) < 210
