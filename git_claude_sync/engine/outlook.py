"""What push and pull would move, as ``status`` shows it.

Usually the Claude directory is just as the last push or pull staged it.  Then staging
it again (``steps.preview``: ``git add -A`` and its companions in a scratch index, about
a dozen git processes and the whole staging machinery to import) would give HEAD's tree,
so the tree is HEAD's, taken without staging.  "Just as staged" is the launcher's test
for a push with nothing to send (bin/git-claude-sync), plus what a staging does beyond
``git add -A``:

- ``git status`` lists nothing: nothing staged, modified or untracked;
- nothing under a folder or file staged through a link (``linked-roots``, which
  ``git status`` cannot see into) is newer than that staging, and no such link dangles;
- no sessions a pull left waiting for lines (``deferred-lines.json``: staging appends them);
- no session kept as deleted here (kept.py, skip-worktree, which ``git status`` skips) is
  back in the Claude directory: staging would take it up again.

Anything else, or any doubt, and the caller stages in a scratch index as before.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from git_claude_sync.engine import kept, sync_metrics, tree_merge
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.git import Git
from git_claude_sync.machine import files
from git_claude_sync.records import dataclass, field

#: Links may lead anywhere (a link to a home folder): past this many files and folders,
#: the walk gives up and the caller stages instead.
_MOST_LOOKED_AT = 50_000


@dataclass
class Outlook:
    base: tree_merge.Tree
    ours: tree_merge.Tree  # what a push would send: staged now, or HEAD's
    theirs: tree_merge.Tree
    skipped: list[bytes] = field(default_factory=list)  # symlinks, nested repositories
    held_back: list[tuple[bytes, str]] = field(default_factory=list)  # (path, why)
    mass_deletion: list[bytes] = field(default_factory=list)  # push would refuse these

    @property
    def to_push(self) -> list[bytes]:
        return _shown(_differences(self.base, self.ours))

    @property
    def to_pull(self) -> list[bytes]:
        return _shown(_differences(self.base, self.theirs))

    @property
    def conflicts(self) -> list[bytes]:
        return tree_merge.merge_trees(self.base, self.ours, self.theirs).conflicts


def _differences(old: tree_merge.Tree, new: tree_merge.Tree) -> list[bytes]:
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


def _shown(paths: list[bytes]) -> list[bytes]:
    """Files a person syncs: metrics files (sync_metrics.py) are the tool's own."""
    return [p for p in paths if not sync_metrics.is_carried(p)]


def as_staged(repo: SyncRepo) -> bool:
    """True if staging the Claude directory now would change nothing (the module's
    docstring); False when it might."""
    layout, git = repo.layout, repo.git
    if layout.deferred_lines_file.exists():
        return False
    roots = _linked_roots(layout.linked_roots_file)
    if roots is None or _changed_through_links(layout.linked_roots_file, repo.claude_dir, roots):
        return False
    if any(files.fs_path(repo.claude_dir, p).exists() for p in kept.kept_paths(git)):
        return False
    listed = git.worktree_changes()
    return listed is not None and all(_link_to_folder(repo, roots, r) for r in listed)


def _link_to_folder(repo: SyncRepo, roots: set[bytes], record: bytes) -> bool:
    """A linked root that is a link to a folder is untracked to git (its files are staged
    through it, odd_paths.py): the one line of ``git status`` that is no change."""
    path = record[2:]
    return (
        record[:2] == b"? "
        and path in roots
        and os.path.islink(os.path.join(os.fsencode(repo.claude_dir), path))
    )


def unstaged(repo: SyncRepo, remote_tip: str | None) -> Outlook:
    """The outlook when ``as_staged``: ours is HEAD's tree."""
    return beside_remote(repo.git, repo.git.rev("HEAD"), remote_tip)


def beside_remote(
    git: Git,
    ours: str | None,
    remote_tip: str | None,
    *,
    skipped: list[bytes] | None = None,
    held_back: list[tuple[bytes, str]] | None = None,
    mass_deletion: list[bytes] | None = None,
) -> Outlook:
    """The outlook of pushing the tree ``ours`` names (None: nothing yet) and pulling
    ``remote_tip``, from where HEAD and the remote part; each tree listed once."""
    head = git.rev("HEAD")
    base = git.merge_base(head, remote_tip) if head and remote_tip else None
    listed: dict[str, tree_merge.Tree] = {}

    def tree(rev: str | None) -> tree_merge.Tree:
        if rev is None:
            return {}
        if rev not in listed:
            listed[rev] = git.ls_tree(rev)
        return listed[rev]

    return Outlook(
        base=tree(base),
        ours=tree(ours),
        theirs=tree(remote_tip),
        skipped=skipped or [],
        held_back=held_back or [],
        mass_deletion=mass_deletion or [],
    )


def _linked_roots(roots_file: Path) -> set[bytes] | None:
    """The folders and files the last staging staged through a link; None if unreadable."""
    try:
        return {line for line in roots_file.read_bytes().split(b"\n") if line}
    except FileNotFoundError:
        return set()
    except OSError:
        return None


def _changed_through_links(roots_file: Path, claude_dir: Path, roots: set[bytes]) -> bool:
    """The launcher's ``changed_through_links``: anything under the linked roots (links
    followed) newer than ``linked-roots``, a link that leads nowhere, or anything that
    cannot be looked at (a loop, a folder reached twice, an unreadable folder)."""
    if not roots:
        return False
    try:
        since = roots_file.stat().st_mtime_ns
    except OSError:
        return True
    seen: set[tuple[int, int]] = set()
    budget = _MOST_LOOKED_AT
    pending = [os.path.join(os.fsencode(claude_dir), root) for root in sorted(roots)]
    while pending:
        path = pending.pop()
        budget -= 1
        if budget < 0:
            return True  # a link to somewhere vast (a home folder): staging finds out
        try:
            st = os.stat(path)  # through links, as find -L
        except OSError:
            return True  # dangling, gone, or unreadable
        if st.st_mtime_ns > since:
            return True
        if not stat.S_ISDIR(st.st_mode):
            continue
        if (st.st_dev, st.st_ino) in seen:
            return True
        seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(path) as entries:
                pending.extend(entry.path for entry in entries)
        except OSError:
            return True
    return False
