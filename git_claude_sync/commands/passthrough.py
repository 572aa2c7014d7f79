"""``git claude-sync git ARGS``: plain git on the sync repo.

The repo's textconv driver shows plaintext in ``git log -p`` and ``git show``;
what git stores stays ciphertext.
"""

from __future__ import annotations

from git_claude_sync.engine.sync_repo import open_repo


def run(args: list[str]) -> int:
    repo = open_repo()
    return repo.git.passthrough(args)
