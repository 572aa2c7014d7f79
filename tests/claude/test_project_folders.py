"""Project folders across machines with different home paths (docs/MAPPING.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from git_claude_sync.claude import project_folders
from git_claude_sync.claude.project_folders import Mapping, Rule, encode
from tests.machines import Machine, git_plain, launcher_state

SIDS = [f"{n:08x}-0000-4000-8000-{n:012x}" for n in range(1, 10)]


def transcript(sid: str, cwd: str, text: str = "hello") -> bytes:
    lines = [
        {"type": "user", "uuid": f"{sid[:8]}-u", "sessionId": sid, "cwd": cwd,
         "timestamp": "2025-06-01T10:00:00Z", "message": {"role": "user", "content": text}},
        {"type": "assistant", "uuid": f"{sid[:8]}-a", "sessionId": sid, "cwd": cwd,
         "timestamp": "2025-06-01T10:00:05Z", "message": {"role": "assistant", "content": "ok"}},
    ]  # fmt: skip
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def start_session(machine: Machine, cwd: Path, sid: str, text: str = "hello") -> Path:
    """What Claude Code does: write into projects/<encoded cwd>/ (through a link if there)."""
    path = machine.claude / "projects" / encode(str(cwd)) / f"{sid}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(transcript(sid, str(cwd), text))
    return path


def reachable(machine: Machine, cwd: Path, sid: str) -> bytes | None:
    """The session as Claude Code would find it when resuming in ``cwd``."""
    path = machine.claude / "projects" / encode(str(cwd)) / f"{sid}.jsonl"
    return path.read_bytes() if path.exists() else None


def remote_sessions(remote: Path) -> list[str]:
    out = git_plain("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "main", "projects")
    return sorted(out.decode().split())


def commits(remote: Path) -> int:
    return int(git_plain("--git-dir", str(remote), "rev-list", "--count", "main"))


@pytest.fixture
def mac(tmp_path: Path) -> Machine:
    (tmp_path / "alice-mac").mkdir()
    return Machine(tmp_path / "alice-mac")


@pytest.fixture
def linux(tmp_path: Path) -> Machine:
    (tmp_path / "home" / "alice").mkdir(parents=True)
    return Machine(tmp_path / "home" / "alice")


def by_name(machine: Machine) -> list[tuple[str, bytes]]:
    """Every file of the Claude directory by its name (session ids are unique)."""
    return sorted((os.path.basename(os.fsdecode(p)), d) for p, d in machine.files().items())


def join(mac: Machine, linux: Machine) -> None:
    mac.run("init")
    mac.run("push")
    linux.run("init", "--git", str(mac.default_remote), "--key", str(mac.key_file))


def test_sessions_follow_the_home_directory_both_ways(mac: Machine, linux: Machine) -> None:
    api_mac, api_linux = mac.home / "code/api", linux.home / "code/api"
    first = start_session(mac, api_mac, SIDS[0], "fix the login test")
    original = first.read_bytes()
    # my.app and my-app share one folder in Claude Code's encoding; both stay reachable.
    start_session(mac, mac.home / "code/my.app", SIDS[1])
    start_session(mac, mac.home / "code/my-app", SIDS[2])
    join(mac, linux)

    # The repo holds one canonical folder per project, named after the home-relative path.
    assert remote_sessions(mac.default_remote) == [
        f"projects/~-code-api/{SIDS[0]}.jsonl",
        f"projects/~-code-my-app/{SIDS[1]}.jsonl",
        f"projects/~-code-my-app/{SIDS[2]}.jsonl",
    ]
    # On the Mac, Claude Code still finds its folder, a real one (its picker lists only
    # real folders); the canonical name is a link to it.
    assert reachable(mac, api_mac, SIDS[0]) == original
    local_mac = mac.claude / "projects" / encode(str(api_mac))
    assert local_mac.is_dir() and not local_mac.is_symlink()
    assert os.readlink(mac.claude / "projects" / "~-code-api") == local_mac.name
    # On Linux, from the mapped folder.
    assert reachable(linux, api_linux, SIDS[0]) == original
    assert reachable(linux, linux.home / "code/my.app", SIDS[1]) is not None
    assert reachable(linux, linux.home / "code/my-app", SIDS[2]) is not None

    # A session started on Linux in that folder goes into the Mac's folder for the project.
    start_session(linux, api_linux, SIDS[3], "from linux")
    # And one in a project Linux has and the Mac has never seen.
    start_session(linux, linux.home / "code/web", SIDS[4])
    linux.run("push")
    mac.run("pull")
    assert b"from linux" in (reachable(mac, api_mac, SIDS[3]) or b"")
    assert reachable(mac, mac.home / "code/web", SIDS[4]) is not None
    assert remote_sessions(mac.default_remote) == sorted(
        [
            f"projects/~-code-api/{SIDS[0]}.jsonl",
            f"projects/~-code-api/{SIDS[3]}.jsonl",
            f"projects/~-code-my-app/{SIDS[1]}.jsonl",
            f"projects/~-code-my-app/{SIDS[2]}.jsonl",
            f"projects/~-code-web/{SIDS[4]}.jsonl",
        ]
    )

    # Resumed on the Mac (appended through its link): one file, merged, synced once.
    resumed = mac.claude / "projects" / encode(str(api_mac)) / f"{SIDS[3]}.jsonl"
    resumed.write_bytes(resumed.read_bytes() + transcript(SIDS[3], str(api_mac), "more"))
    mac.run("push")
    linux.run("pull")
    assert reachable(linux, api_linux, SIDS[3]) == resumed.read_bytes()

    # Links are invisible to git: nothing left to push, nothing skipped, nothing twice.
    for machine in (mac, linux):
        out = machine.run("push").stdout
        assert "Nothing to push" in out
        assert "skipped" not in machine.run("push").stderr
        assert launcher_state(machine) == ""  # the launcher's no-change fast path holds
    # The same sessions on both machines, byte for byte, under each machine's names.
    assert by_name(mac) == by_name(linux)
    for machine in (mac, linux):  # and only real folders for Claude Code to list
        projects = machine.claude / "projects"
        real = [p for p in projects.iterdir() if p.is_dir() and not p.is_symlink()]
        assert all(not p.name.startswith("~") for p in real)


def test_a_rule_for_another_source_root_and_changing_it_moves_nothing_twice(
    mac: Machine, linux: Machine
) -> None:
    start_session(mac, mac.home / "work/api", SIDS[0], "mac api")
    # Not under ~/work: the rule must not take it although its folder starts alike.
    start_session(mac, mac.home / "work-notes/x", SIDS[1], "notes")
    join(mac, linux)
    # Before any rule, Linux worked on its checkout under ~/src/api.
    start_session(linux, linux.home / "src/api", SIDS[2], "linux before the rule")
    linux.run("push")
    mac.run("pull")
    assert f"projects/~-src-api/{SIDS[2]}.jsonl" in remote_sessions(mac.default_remote)

    # The Mac's ~/work is Linux's ~/src.  FROM is written as the Mac's real path.
    out = linux.run("map", str(mac.home / "work"), str(linux.home / "src")).stdout
    assert "(stored as ~/work)" in out
    listed = linux.run("map", "--list").stdout
    assert f"~/work -> {linux.home / 'src'}" in listed

    api_linux = linux.home / "src/api"
    assert reachable(linux, api_linux, SIDS[0]) is not None  # the Mac's session
    assert reachable(linux, api_linux, SIDS[2]) is not None  # its own, moved along
    assert reachable(linux, linux.home / "work-notes/x", SIDS[1]) is not None
    assert reachable(linux, linux.home / "src-notes/x", SIDS[1]) is None

    before = commits(mac.default_remote)
    linux.run("push")
    assert commits(mac.default_remote) == before + 1
    mac.run("pull")
    assert b"linux before the rule" in (reachable(mac, mac.home / "work/api", SIDS[2]) or b"")
    assert remote_sessions(mac.default_remote) == sorted(
        [
            f"projects/~-work-api/{SIDS[0]}.jsonl",
            f"projects/~-work-api/{SIDS[2]}.jsonl",
            f"projects/~-work-notes-x/{SIDS[1]}.jsonl",
        ]
    )

    # Nothing moves twice: arranging again, setting the same rule again, syncing again.
    linux.run("map", str(mac.home / "work"), str(linux.home / "src"))
    for machine in (linux, mac, linux):
        assert "Nothing to push" in machine.run("push").stdout
    assert commits(mac.default_remote) == before + 1

    # A new Linux session under the rule lands in the Mac's folder.
    start_session(linux, api_linux, SIDS[3], "after the rule")
    linux.run("push")
    mac.run("pull")
    assert b"after the rule" in (reachable(mac, mac.home / "work/api", SIDS[3]) or b"")

    # Removing the rule: the Mac's project is reachable under its home path again.
    linux.run("map", "--remove", str(linux.home / "src"))
    assert reachable(linux, linux.home / "work/api", SIDS[0]) is not None


def test_mapping_rules_in_memory() -> None:
    linux = Mapping(home="/home/alice", rules=[Rule("~/code", "/home/alice/src")])
    assert linux.canonical_source("/Users/alice/code") == "~/code"
    assert linux.canonical_source("/opt/work/") == "/opt/work"
    assert linux.canonical_path("/home/alice/src/api") == "~/code/api"
    assert linux.canonical_path("/home/alice/notes") == "~/notes"
    assert linux.canonical_path("/srv/x") == "/srv/x"
    assert project_folders.canonical_folder("~/code/my.app") == "~-code-my-app"
    # Local names of canonical folders, with and without a cwd to settle the boundary.
    assert linux.local_of_canonical("~-code-api", []) == "-home-alice-src-api"
    assert linux.local_of_canonical("~-notes", []) == "-home-alice-notes"
    assert linux.local_of_canonical("-srv-x", []) == "-srv-x"
    fresh = Mapping(home="/home/alice", rules=list(linux.rules))
    ambiguous = "~-code-review-x"
    assert fresh.local_of_canonical(ambiguous, ["/Users/alice/code-review/x"]) == (
        "-home-alice-code-review-x"
    )
    assert (
        Mapping(home="/home/alice", rules=list(linux.rules)).local_of_canonical(
            ambiguous, ["/Users/alice/code/review-x"]
        )
        == "-home-alice-src-review-x"
    )
    # A folder Claude Code made here: the cwd inside it says which project it is.
    assert linux.canonical_of_local("-home-alice-src-api", ["/home/alice/src/api"]) == (
        "~-code-api"
    )
    assert (
        Mapping(home="/home/alice").canonical_of_local("-home-alice-x", ["/home/alice-x"])
        == "-home-alice-x"
    )


def test_links_never_replace_a_real_folder(tmp_path: Path) -> None:
    from git_claude_sync.machine.paths import Layout

    claude = tmp_path / ".claude"
    projects = claude / "projects"
    (projects / "~-code-api").mkdir(parents=True)
    (projects / "~-code-api" / "a.jsonl").write_bytes(transcript("a", "/Users/bob/code/api"))
    layout = Layout(home=tmp_path / ".claude-sync", claude_dir=claude)
    home = Mapping(home=str(tmp_path))
    done = project_folders.arrange(layout, home)
    local = encode(str(tmp_path / "code/api"))
    assert done.linked == {local: "~-code-api"}
    assert os.readlink(projects / "~-code-api") == local
    assert (projects / local / "a.jsonl").is_file() and not (projects / local).is_symlink()
    assert project_folders.exclude_lines(claude)[-2:] == [
        "/projects/~-code-api",
        "/projects/" + local + "/",
    ]
    # Arranging again changes nothing.
    assert project_folders.arrange(layout, Mapping(home=str(tmp_path))).moved == []


def test_our_links_and_real_folders_are_told_by_kind(tmp_path: Path) -> None:
    """``links``: only links to a sibling folder (dangling or not); ``_real_folders``: only
    real, visible folders, never a link to one (both read the folder's entries once)."""
    projects = tmp_path / "projects"
    assert project_folders.links(projects) == {}  # no folder yet
    (projects / "real").mkdir(parents=True)
    (projects / ".hidden").mkdir()
    (projects / "file.jsonl").write_bytes(b"")
    os.symlink("real", projects / "canonical")
    os.symlink("gone", projects / "dangling")
    os.symlink(str(tmp_path), projects / "absolute")
    os.symlink("..", projects / "up")
    os.symlink("real/sub", projects / "deeper")
    assert project_folders.links(projects) == {"canonical": "real", "dangling": "gone"}
    assert project_folders._real_folders(projects) == ["real"]


def test_rehome_reads_the_history_only_for_a_session_started_here(tmp_path: Path) -> None:
    """A join's first arrange: every session came from another machine's home, so which
    were committed elsewhere (the whole history, read from git) is never asked."""
    projects = tmp_path / "projects"
    (projects / "-Users-bob-api").mkdir(parents=True)
    (projects / "-Users-bob-api" / f"{SIDS[0]}.jsonl").write_bytes(
        transcript(SIDS[0], "/Users/bob/api")
    )

    def history() -> set[bytes]:
        raise AssertionError("the history was read")

    here = Mapping(home=str(tmp_path))
    assert project_folders.rehome(here, projects, history, {}) == 0
    # A session started under this home, in a folder not its own: now it is asked.
    (projects / "-Users-bob-api" / f"{SIDS[1]}.jsonl").write_bytes(
        transcript(SIDS[1], str(tmp_path / "api"))
    )
    asked: list[int] = []

    def recorded() -> set[bytes]:
        asked.append(1)
        return set()

    assert project_folders.rehome(here, projects, recorded, {}) == 1
    assert asked == [1]
    assert (projects / encode(str(tmp_path / "api")) / f"{SIDS[1]}.jsonl").is_file()


def test_a_projects_folder_that_is_itself_a_link_syncs_its_mapped_sessions(
    mac: Machine, linux: Machine
) -> None:
    # projects/ kept on another disk, linked into the Claude directory: walking through
    # that link must not also walk the mapped folders under this machine's own names (a
    # session synced twice, once under a name holding the home), nor lose an append.
    elsewhere = mac.home / "disk" / "projects"
    elsewhere.mkdir(parents=True)
    mac.claude.mkdir(exist_ok=True)
    os.symlink(elsewhere, mac.claude / "projects")
    api_mac, api_linux = mac.home / "code/api", linux.home / "code/api"
    session = start_session(mac, api_mac, SIDS[0], "on another disk")
    join(mac, linux)
    assert remote_sessions(mac.default_remote) == [f"projects/~-code-api/{SIDS[0]}.jsonl"]
    assert reachable(linux, api_linux, SIDS[0]) == session.read_bytes()

    with session.open("ab") as f:
        f.write(transcript(SIDS[0], str(api_mac), "appended"))
    mac.run("push")
    linux.run("pull")
    assert reachable(linux, api_linux, SIDS[0]) == session.read_bytes()
    assert remote_sessions(mac.default_remote) == [f"projects/~-code-api/{SIDS[0]}.jsonl"]
    assert (mac.claude / "projects").is_symlink()
    assert "Nothing to push" in mac.run("push").stdout
