"""What the index is built from: this machine's sync repo, its keys and its Claude directory.

The keys are loaded only when a blob must be decrypted (a transcript not in the
Claude directory): a search whose index is current never loads the crypto core.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine.paths import Layout
from git_claude_sync.records import dataclass

if TYPE_CHECKING:
    from git_claude_sync.crypto.codec import Key
    from git_claude_sync.crypto.keyring import Keyring


@dataclass(frozen=True)
class Source:
    layout: Layout
    git: Git
    key: Key | None = None  # the current key, if the caller has it loaded

    @property
    def claude_dir(self) -> Path:
        return self.git.work_tree

    @property
    def index_file(self) -> Path:
        return self.layout.search_index_file

    @functools.cached_property
    def keys(self) -> Keyring:
        """The current key and the retired ones: history may be under either."""
        from git_claude_sync.crypto import keyring

        return keyring.keyring_for(self.layout.key_file, self.key)


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
    return Source(layout, git, key)
