"""The marker a moved repository keeps on its branch, and following it.

``remote hide`` (commands/hide.py) moves a transparent remote to the hidden
layout and then replaces the host's branch by this marker: one commit, always
the same (docs/spec/git-host.md, "Moving a repository"), whose only file says
where the data went.  A machine still using the transparent URL fetches the
marker instead of history; ``follow`` sees it and switches that machine to the
hidden URL for the same repository, so other machines follow without a step of
their own.
"""

from __future__ import annotations

from git_claude_sync.errors import FatalError
from git_claude_sync.git import HIDDEN_PREFIX, Git, fixed_commit, object_id, scrub
from git_claude_sync.ui.report import Report

README = (
    b"This repository is synced by git-claude-sync in its hidden layout: only encrypted\n"
    b"objects, under refs/cs/, readable with the sync key. This branch is a marker left\n"
    b"when the repository moved to that layout; it holds nothing else.\n"
)
MESSAGE = b"git-claude-sync: moved to the hidden layout\n"


def marker_objects() -> list[tuple[bytes, bytes]]:
    """The marker's objects (type, content): its README blob, tree and commit, in order."""
    return fixed_commit(b"README", README, MESSAGE)


MARKER = object_id(*marker_objects()[-1])


def write_marker(git: Git) -> str:
    """Store the marker's objects in ``git``'s repository; the marker's id."""
    for kind, body in marker_objects():
        git.store_object(kind.decode(), body)
    return MARKER


def follow(git: Git, tip: str | None) -> str | None:
    """``tip`` as fetched; if it is the marker, switch the remote to the hidden layout of
    the same repository and fetch again (its tip)."""
    if tip != MARKER:
        return tip
    url = git.remote_url() or ""
    if url.startswith(HIDDEN_PREFIX):
        raise FatalError(
            f"the remote {scrub(url)} serves the marker of a moved repository as its branch"
        )
    hidden = HIDDEN_PREFIX + url
    git.set_remote_url(hidden)
    Report().warn(
        f"the remote moved to the hidden layout (another machine ran 'git claude-sync remote "
        f"hide'); this machine follows it: the remote is now {scrub(hidden)}"
    )
    tip = git.fetch_branch()
    if tip is None or tip == MARKER:
        git.set_remote_url(url)
        raise FatalError(
            f"the remote {scrub(url)} holds the marker of a moved repository, but its hidden "
            "layout is empty; run 'git claude-sync remote hide' on the machine that moved it"
        )
    return tip
