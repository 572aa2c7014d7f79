"""A new repository's settings, written in one go (git.init_bare), are what one
``git config NAME VALUE`` a setting would have written: the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_claude_sync.git import BARE_SETTINGS, BRANCH, init_bare
from tests.machines import git_plain

# Names and values that git quotes, escapes or places apart: an existing name (core.bare),
# sections already there and new, subsections with quotes and backslashes, the case of
# names kept, values with spaces at either end, comment signs, quotes, tabs and newlines.
AWKWARD = {
    "core.bare": "false",
    "core.quotePath": "false",
    "pack.compression": "0",
    "filter.claude-sync.process": "/x/python -m m --key '/k ey' --git-dir /g",
    "Merge.Claude-Sync.name": "git-claude-sync: merge; by #kind",
    'branch.ma"in\\x.merge': "refs/heads/main",
    "claude-sync.keyid": " leading and trailing ",
    "user.name": 'a "quoted" \\ name\twith a tab\nand a newline',
    "core.bigFileThreshold": "1",
    "receive.unpackLimit": "",
}


def one_process_a_setting(path: Path, settings: dict[str, str]) -> bytes:
    git_plain("init", "--bare", "-q", "-b", BRANCH, str(path))
    for name, value in {**BARE_SETTINGS, **settings}.items():
        git_plain(f"--git-dir={path}", "config", name, value)
    return (path / "config").read_bytes()


@pytest.mark.parametrize("settings", [{}, AWKWARD], ids=["bare", "awkward"])
def test_settings_written_in_one_go_are_git_configs_own_bytes(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    if settings:  # a work tree git can enter, its name quoted
        (tmp_path / "a b;").mkdir()
        settings = {"core.bare": "false", "core.worktree": str(tmp_path / "a b;"), **settings}
    init_bare(tmp_path / "new.git", settings)
    written = (tmp_path / "new.git" / "config").read_bytes()
    assert written == one_process_a_setting(tmp_path / "old.git", settings)
    assert not (tmp_path / "new.git" / "config.lock").exists()
    listed = git_plain(f"--git-dir={tmp_path / 'new.git'}", "config", "--list", "--local", "-z")
    assert listed.count(b"\0user.name\n") == (1 if settings else 0)


def test_a_name_git_refuses_is_refused_as_before(tmp_path: Path) -> None:
    """Not written by hand: git config, which refuses it, as it did before."""
    with pytest.raises(Exception, match="no-dot"):
        init_bare(tmp_path / "x.git", {"no-dot": "1"})


def test_a_config_with_what_init_never_writes_goes_through_git_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template's config (a comment here) is left to git config, which keeps it."""
    template = tmp_path / "template"
    template.mkdir()
    (template / "config").write_text("# kept\n[core]\n\tbare = true\n")
    (tmp_path / ".gitconfig").write_text(f"[init]\n\ttemplateDir = {template}\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    init_bare(tmp_path / "new.git", {"user.name": "claude-sync"})
    text = (tmp_path / "new.git" / "config").read_text()
    assert text.startswith("# kept\n")
    assert "\tname = claude-sync\n" in text
