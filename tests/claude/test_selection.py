"""The selection: what git sees of the Claude directory (info/exclude)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from git_claude_sync.claude import selection
from git_claude_sync.machine.config import Config


def visible(claude: Path, text: str) -> set[str]:
    """What git would add from ``claude`` under this exclude text."""
    git_dir = claude.parent / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
    (git_dir / "info").mkdir(exist_ok=True)
    (git_dir / "info" / "exclude").write_text(text)
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "--work-tree", str(claude), "ls-files", "-o",
         "--exclude-standard"],
        capture_output=True, text=True, check=True, cwd=claude,
    ).stdout  # fmt: skip
    return set(out.split())


def test_scripts_settings_json_runs_are_synced_and_nothing_around_them(tmp_path: Path) -> None:
    claude = tmp_path / ".claude"
    settings = {
        "statusLine": {"command": "~/.claude/tools/status.sh --short"},
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "$HOME/.claude/a b.sh"}]}]},
    }
    files = {
        "settings.json": json.dumps(settings),
        "tools/status.sh": "x",
        "tools/other.sh": "x",
        "a b.sh": "x",
        "plugins/installed_plugins.json": "{}",
        "plugins/cache/p/index.js": "x",
        "projects/-x/.session-aliases": "/x",
        "projects/-x/s.jsonl": "{}\n",
    }
    for rel, text in files.items():
        (claude / rel).parent.mkdir(parents=True, exist_ok=True)
        (claude / rel).write_text(text)
    assert selection.referenced_scripts(claude) == ["tools/status.sh"]  # "a b.sh": split
    seen = visible(claude, selection.exclude_file_text(Config(machine="m"), claude))
    assert seen == {
        "settings.json",
        "tools/status.sh",
        "plugins/installed_plugins.json",
        "projects/-x/s.jsonl",
    }


def test_no_settings_no_scripts(tmp_path: Path) -> None:
    assert selection.referenced_scripts(tmp_path) == []
    (tmp_path / "settings.json").write_text("{broken")
    assert selection.referenced_scripts(tmp_path) == []
