"""``git claude-sync git ARGS``: plain git on the sync repo.

The repo's textconv driver shows plaintext in ``git log -p`` and ``git show``;
what git stores stays ciphertext.
"""

from __future__ import annotations

import subprocess

from git_claude_sync.engine.repo import open_repo


def run(args: list[str]) -> int:
    repo = open_repo()
    return subprocess.call(["git", *args], env=repo.git.env(), cwd=repo.claude_dir)
