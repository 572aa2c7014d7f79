"""``git add -A`` left out when it provably has nothing to stage.

An append push at 1 GiB changes one linked session, which odd_paths.py stages
itself; ``git add -A`` then walks 13k entries to find nothing (~17 ms).  Past the
paths it is told to leave (``Survey.leave``), it looks at two things: the files
the index does not track (``Git.untracked_listing``), and each index entry not
marked assume-unchanged or skip-worktree, compared with its file's lstat by its
stat data (``ie_match_stat``), read again by content when racily clean (its
mtime not older than the index file's).  It stages nothing when:

- git lists no untracked file but ones it is told to leave, and no nested
  repository (``folder/``);
- the index holds no unmerged entry and none intent to add (``Git.index_stat``:
  an index this code does not read whole counts as such);
- each entry it looks at is a regular file whose lstat, taken by the survey,
  equals the stat data the index holds, every field git may compare (ctime and
  mtime with their ns, dev, ino, uid, gid, size, each cut to 32 bits as git cuts
  them; the mode's type and executable bit), with a size that is not 0 (git's
  smudged entry; an empty file's encrypted blob is not git's empty blob), and an
  mtime in a second before the index file's (never racily clean: stricter than
  git, which compares the ns where built to);
- no entry it looks at lies under a link staged through it: stage_links marks
  every one assume-unchanged, else git add would stage it as deleted.

Anything else, or any doubt: git add runs, as before.  A file changed after the
survey's lstat, or created after git's listing of untracked files, goes with the
next push, as one changed just after git add would: its lstat no longer matches
the index (nor is it tracked), so ``git status`` and the next push see it.
"""

from __future__ import annotations

import stat

from git_claude_sync.engine.odd_paths import Survey, under_any
from git_claude_sync.git import Git

_32_BITS = 0xFFFFFFFF
_S = 10**9


def nothing_to_add(git: Git, found: Survey, untracked: list[bytes]) -> bool:
    """Whether ``git add -A`` leaving ``found.leave`` would stage nothing (see above);
    ``untracked``: what ``survey`` was given."""
    if found.nested or found.empty:
        return False
    leave = set(found.leave)
    if any(path.endswith(b"/") or not under_any(path, leave) for path in untracked):
        return False
    index = git.index_stat()
    if index is None:
        return False
    racy_from = index.written_ns // _S
    linked = set(found.links) | found.hidden
    aside = leave | linked
    stats = found.stats
    # One pass over ~3k entries at 1 GiB, every field compared inline (a function
    # call and two tuples an entry were half of this check's time).
    for path, (cs, cn, ms, mn, dev, ino, mode, uid, gid, size) in index.entries.items():
        if aside and under_any(path, aside):
            if under_any(path, linked):
                return False  # a linked entry git would look at (see above)
            continue  # left to itself: git add is told to leave it
        st = stats.get(path)
        if st is None:
            return False
        mtime, ctime = st.st_mtime_ns, st.st_ctime_ns
        if (
            size == 0
            or size != st.st_size & _32_BITS
            or mode != _git_mode(st.st_mode)
            or mtime // _S >= racy_from
            or ms != (mtime // _S) & _32_BITS
            or mn != mtime % _S
            or cs != (ctime // _S) & _32_BITS
            or cn != ctime % _S
            or ino != st.st_ino & _32_BITS
            or dev != st.st_dev & _32_BITS
            or uid != st.st_uid & _32_BITS
            or gid != st.st_gid & _32_BITS
        ):
            return False
    return True


_GIT_MODES: dict[int, int | None] = {}


def _git_mode(st_mode: int) -> int | None:
    """The index mode git gives a file of this ``st_mode`` (its type and executable
    bit); None for anything but a regular file."""
    mode = _GIT_MODES.get(st_mode, 0)
    if mode == 0:
        mode = (0o100755 if st_mode & 0o100 else 0o100644) if stat.S_ISREG(st_mode) else None
        _GIT_MODES[st_mode] = mode
    return mode
