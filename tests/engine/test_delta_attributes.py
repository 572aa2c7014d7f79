"""Deltas only where they pay (issue 9): git may store a version as a delta of the last only
for the append-only kinds (claude/file_kinds.is_append_only), in the sync repo and in the
local remote init made, whose upload-pack and gc pack with their own attributes.  Any other
file is stored whole, so its push never pays git's delta search (3-5x its size)."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_claude_sync.claude.file_kinds import is_append_only
from tests.machines import Machine, git_plain

PATHS = [
    "history.jsonl",
    "projects/-home-u-app/3f0c2a8e.jsonl",
    "projects/-home-u-app/3f0c2a8e/subagents/agent-1.jsonl",
    "projects/s.jsonl",
    "projects/-home-u-app/.hidden.jsonl",
    "projects/-home-u-app/notes.json",
    "projects/-home-u-app/a.jsonl.bak",
    "projects-old/-home-u-app/s.jsonl",
    "todos/history.jsonl",
    "sub/projects/-home-u-app/s.jsonl",
    "history.jsonl.1",
    "agents/big.bin",
    "settings.json",
    "CLAUDE.md",
]


def delta(git_dir: Path, rel: str) -> str:
    line = git_plain("--git-dir", str(git_dir), "check-attr", "delta", "--", rel).decode()
    return line.rsplit(": ", 1)[1].strip()


def expected(rel: str) -> str:
    return "set" if is_append_only(rel.encode()) else "unset"


def test_the_patterns_are_the_append_only_kinds() -> None:
    assert sum(is_append_only(rel.encode()) for rel in PATHS) == 5  # the list tests both


@pytest.mark.parametrize("where", ["repo.git", "remote.git"])
def test_only_sessions_and_history_may_be_deltas(pair: tuple[Machine, Machine], where: str) -> None:
    a, b = pair
    for machine in (a, b) if where == "repo.git" else (a,):
        git_dir = machine.tool_home / where
        assert {rel: delta(git_dir, rel) for rel in PATHS} == {rel: expected(rel) for rel in PATHS}


def test_a_local_remote_made_before_gets_them_when_opened(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    for git_dir in (a.tool_home / "repo.git", a.default_remote):
        (git_dir / "info" / "attributes").unlink()
    a.run("status")
    assert delta(a.default_remote, "agents/big.bin") == "unset"
    assert delta(a.default_remote, "history.jsonl") == "set"
    assert delta(a.tool_home / "repo.git", "agents/big.bin") == "unset"


def test_a_remote_the_user_made_is_left_as_it_is(machine_a: Machine, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.git"
    git_plain("init", "--bare", "-q", str(theirs))
    machine_a.run("init", "--git", str(theirs))
    assert delta(theirs, "agents/big.bin") == "unspecified"
    assert delta(machine_a.tool_home / "repo.git", "agents/big.bin") == "unset"


def test_the_metrics_document_may_be_a_delta(pair: tuple[Machine, Machine]) -> None:
    """It is sealed onto its last blob with each carry (engine/metrics_doc.py), as a session
    is: stored whole, every push re-sent it whole (~18 KB at 300 records) and the remote
    kept every version whole after gc."""
    a, _b = pair
    rel = ".claude-sync/metrics/0123abcd.json"
    assert delta(a.tool_home / "repo.git", rel) == "set"
    assert delta(a.default_remote, rel) == "set"
    assert delta(a.tool_home / "repo.git", ".claude-sync/other.json") == "unset"


FOLDERS = ["projects", "projects/-home-u-app", "projects/-home-u-app/3f0c2a8e/subagents",
           "todos", ".claude-sync/metrics"]  # fmt: skip


def test_folders_may_be_deltas(pair: tuple[Machine, Machine]) -> None:
    """git asks the attribute of a tree by its path too: a project folder's tree (~70 bytes
    a session) went whole with every push of an append, 4-25 KB where plain git sends a
    delta of ~60 bytes."""
    a, _b = pair
    for git_dir in (a.tool_home / "repo.git", a.default_remote):
        assert {rel: delta(git_dir, rel) for rel in FOLDERS} == dict.fromkeys(FOLDERS, "set")
