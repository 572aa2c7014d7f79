"""Sessions deleted here but kept in the sync repo (and on the remote).

Claude Code deletes transcripts older than ``cleanupPeriodDays`` (30 by
default) at start-up, silently.  Syncing that deletion would delete the
session on every machine and leave it only in history, so a deletion under
``projects/`` is not committed unless the user asks (``push --prune``).

A file that moved to another project folder (mapping, docs/MAPPING.md) is
not a deletion: its old path goes when its new one is added.

Mechanism: after ``git add -A`` stages such a deletion, the index entry is put
back from HEAD and marked *skip-worktree*.  git then treats the missing file
as unchanged: ``git status`` stays clean (the launcher's no-change push keeps
its fast path), ``git add -A`` leaves it alone, commits keep it, and the
``sessions`` and ``restore`` commands find it in HEAD.  The mark is dropped
when the file comes back (restore, a pull bringing a newer version, the user
copying it back) and, with ``--prune``, for every kept file, so that the
deletion is staged after all.
"""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.engine.conflict_copies import original_of
from git_claude_sync.git import Git
from git_claude_sync.machine import files

PREFIX = b"projects/"


def kept_paths(git: Git) -> set[bytes]:
    """Paths marked skip-worktree (under ``projects/``): deleted here, kept in the repo."""
    return git.skip_worktree_paths(PREFIX)


def mark(git: Git, paths: list[bytes]) -> None:
    git.set_skip_worktree(paths, True)


def before_add(git: Git, work_tree: Path, prune: bool) -> None:
    """Unmark kept files that are back in the work tree (all of them with ``prune``)."""
    kept = kept_paths(git)
    if not prune:
        kept = {p for p in kept if files.fs_path(work_tree, p).exists()}
    git.set_skip_worktree(sorted(kept), False)


def keep_deleted(git: Git, staged: list[tuple[str, bytes]]) -> list[bytes]:
    """Undo staged deletions under ``projects/``; returns the paths kept this way."""
    # A file moved to another project folder (docs/MAPPING.md) is added there in
    # the same commit: that deletion is a move, not a clean-up, and goes through.
    moved = {within_project(path) for kind, path in staged if kind == "A"}
    paths = [
        path
        for kind, path in staged
        if kind == "D"
        and path.startswith(PREFIX)
        and within_project(path) not in moved
        and original_of(path) is None  # a resolved conflict copy: gone everywhere
    ]
    if not paths:
        return []
    git.reset_paths(paths)
    mark(git, paths)
    return paths


def within_project(path: bytes) -> bytes | None:
    """``projects/<folder>/<rest>`` -> ``<rest>`` (None outside ``projects/``)."""
    parts = path.split(b"/", 2)
    return parts[2] if len(parts) == 3 and parts[0] + b"/" == PREFIX else None
