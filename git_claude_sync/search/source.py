"""What the index is built from: this machine's sync repo, its keys and its Claude directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from git_claude_sync.crypto import keyfile, keyring
from git_claude_sync.crypto.codec import Key
from git_claude_sync.crypto.keyring import Keyring
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine.paths import Layout


@dataclass(frozen=True)
class Source:
    layout: Layout
    git: Git
    keys: Keyring  # the current key and the retired ones: history may be under either

    @property
    def claude_dir(self) -> Path:
        return self.git.work_tree

    @property
    def index_file(self) -> Path:
        return self.layout.search_index_file


def source_for(layout: Layout, git: Git | None = None, key: Key | None = None) -> Source:
    """The source of this machine (the engine passes the ``git`` and ``key`` it has open)."""
    if git is None:
        if not (layout.git_dir / "HEAD").is_file():
            raise FatalError(
                f"not initialised ({layout.git_dir} missing): run 'git claude-sync init'"
            )
        git = Git(git_dir=layout.git_dir, work_tree=layout.claude_dir)
        # The Claude directory recorded at init, whatever this shell's CLAUDE_CONFIG_DIR says.
        recorded = git.config_get("core.worktree")
        if recorded:
            git = Git(git_dir=layout.git_dir, work_tree=Path(recorded))
    if key is None:
        key = keyfile.load(layout.key_file)
    return Source(layout, git, keyring.keyring_for(layout.key_file, key))
