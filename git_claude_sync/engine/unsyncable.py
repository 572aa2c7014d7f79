"""Index entries git cannot encrypt, dropped before a commit: symlinks (mode 120000) and
nested repositories' gitlinks (160000) carry no content, only a name or a commit id.

Found without listing the whole index after ``git add -A`` (a second ``ls-files`` of a
large tree: ~20 ms of an append push).  An entry that differs from HEAD comes with its mode
in ``diff-index --raw`` (the staged changes, asked anyway).  One that equals HEAD's was in
the index before the add (the listing a push holds then): add -A stages no link or nested
repository itself, as odd_paths keeps it off every one in the work tree; so if that
listing has such an entry the add did not change (a link plain git committed, then
dangling: add leaves it), the index is listed as before.
"""

from __future__ import annotations

from collections.abc import Mapping

from git_claude_sync.git import Git

MODES = ("120000", "160000")  # symlinks, nested repositories

Changes = list[tuple[str, bytes]]


def unstage(git: Git, before: Mapping[bytes, str] | None) -> tuple[list[bytes], Changes]:
    """Drop such entries from the index: (the paths dropped, the staged changes after).
    ``before``: the index's entries of these modes just before ``git add -A``, path ->
    mode (``Git.held_index_modes``), if held (None: listed)."""
    staged = git.staged_modes()
    changed = {path for _kind, path, _mode in staged}
    if before is None or any(path not in changed for path in before):
        paths = [path for path, (mode, _oid) in git.index_entries().items() if mode in MODES]
    else:
        paths = [path for _kind, path, mode in staged if mode in MODES]
    if not paths:
        return [], [(kind, path) for kind, path, _mode in staged]
    git.unstage(paths)
    return paths, git.staged_status()
