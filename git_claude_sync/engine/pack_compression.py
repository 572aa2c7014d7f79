"""Deflate what a small push sends: its commit and trees (issue 14).

The sync repo sets ``pack.compression`` 0 (engine/sync_repo.git_settings): its blobs are
ciphertext, which deflate cannot shrink, and deflating a first push's 200 MB of it would
cost seconds.  But git decides per push, not per object, and an append's push is a few
kilobytes of which the commit and trees are a third; deflate shrinks the commit's clear
text (~340 bytes to ~235).  So each push is decided by the ciphertext it would deflate: the
blobs it sends whole (a session or the metrics document it appends to goes as a delta of a
few hundred bytes).  Up to ``SMALL_PUSH`` of them, the pack is deflated at level 1 (as
small as level 9 for such text; zlib takes ~10-80 ms a MiB of ciphertext here, so at most
a few ms); above, not at all.  Objects git reuses from a pack go as they are
stored whatever the level, so mixing levels between pushes costs nothing.
"""

from __future__ import annotations

from git_claude_sync.claude.file_kinds import is_append_only
from git_claude_sync.engine import sync_metrics
from git_claude_sync.git import Git

SMALL_PUSH = 64 * 1024
LEVEL = 1


def level_for(git: Git, tip: str, remote_tip: str | None) -> int | None:
    """The ``pack.compression`` to push ``tip`` with, or None: the repo's own (0)."""
    if remote_tip is None:  # a first push: everything, whole
        return None
    whole = git.whole_bytes_to_send(tip, remote_tip, _may_delta)
    return LEVEL if whole <= SMALL_PUSH else None


def _may_delta(path: bytes) -> bool:
    """Sealed onto its last blob, so sent as a delta of it (engine/sync_repo.DELTA_ATTRIBUTES)."""
    return is_append_only(path) or sync_metrics.is_carried(path)
