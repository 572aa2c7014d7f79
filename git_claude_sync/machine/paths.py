"""Where things live.  Every location derives from ``HOME`` and ``CLAUDE_CONFIG_DIR``
at call time, so tests (and people) can run several "machines" on one box."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    home: Path  # the tool's home, ~/.claude-sync
    claude_dir: Path  # the work tree: $CLAUDE_CONFIG_DIR or ~/.claude

    @property
    def git_dir(self) -> Path:
        return self.home / "repo.git"

    @property
    def key_file(self) -> Path:
        return self.home / "key"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def default_remote(self) -> Path:
        return self.home / "remote.git"

    @property
    def log_file(self) -> Path:
        return self.home / "sync.log"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.home / "sync.lock"


def user_home() -> Path:
    home = os.environ.get("HOME")
    return Path(home) if home else Path.home()


def current() -> Layout:
    """The layout for this process's environment."""
    home = user_home()
    tool_home = os.environ.get("CLAUDE_SYNC_HOME")
    claude = os.environ.get("CLAUDE_CONFIG_DIR")
    return Layout(
        home=Path(tool_home) if tool_home else home / ".claude-sync",
        claude_dir=Path(claude) if claude else home / ".claude",
    )
