"""settings_hooks: where the hooks find git-claude-sync."""

from __future__ import annotations

import shutil
from pathlib import Path

from git_claude_sync.claude import settings_hooks
from git_claude_sync.machine import programs


def test_the_tool_is_found_as_shutil_which_finds_it(tmp_path: Path) -> None:
    # machine/programs.which stands in for shutil.which (its import cost status ~2 ms).
    folders = [tmp_path / name for name in ("a", "b", "c", "d")]
    for folder in folders:
        folder.mkdir()
    (folders[0] / "git-claude-sync").mkdir()  # a folder of that name: not it
    (folders[1] / "git-claude-sync").write_text("#!/bin/sh\n")  # not executable: not it
    tool = folders[2] / "git-claude-sync"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    (folders[3] / "git-claude-sync").symlink_to(tool)
    for order in (folders, folders[::-1], folders[:2], [tmp_path / "none", *folders]):
        path = ":".join(map(str, order))
        expected = shutil.which("git-claude-sync", path=path)
        assert programs.which("git-claude-sync", path) == expected
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "git-claude-sync").symlink_to(tool)
    path = f"{settings_hooks.MINIMAL_PATH}:{home}/.local/bin:/opt/homebrew/bin:/usr/local/bin"
    assert settings_hooks.tool_for_hooks(home) == shutil.which("git-claude-sync", path=path)
