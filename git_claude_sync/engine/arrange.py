"""Arranging project folders before and after a sync (docs/MAPPING.md).

Each project lives in the repo under one canonical folder; this machine sees
it under the folder name Claude Code computes here.  ``claude/project_folders``
knows the naming and the links; this module runs it for the sync repo: which
sessions came from other machines, and git's exclude list that follows the
links.
"""

from __future__ import annotations

import functools

from git_claude_sync.claude import project_folders
from git_claude_sync.engine.sync_repo import SyncRepo, write_info
from git_claude_sync.ui.report import Report, show_text


def foreign_sessions(repo: SyncRepo) -> set[bytes]:
    """Session files first committed by another machine (from the sync repo's history)."""
    head = repo.git.rev("HEAD")
    if head is None:
        return set()
    # Imported here: only a changed mapping asks, and a push starts a few ms sooner without.
    from git_claude_sync.engine import session_history

    history = session_history.read_history(repo.git, head)
    return {
        path
        for path, versions in history.versions.items()
        if versions and versions[-1].machine != repo.config.machine
    }


def arrange_repo(repo: SyncRepo, report: Report | None = None) -> project_folders.Arranged:
    """``project_folders.arrange`` for a sync (under its lock), then git's exclude list."""
    layout = repo.layout
    mapping = project_folders.load(layout)
    changed = project_folders.applied_fingerprint(layout) != mapping.fingerprint()
    foreign = functools.partial(foreign_sessions, repo) if changed else None
    done = project_folders.arrange(layout, mapping, foreign)
    # Only the exclude list can have changed (the links): the repo's config was written
    # when it was opened, a git process ago.
    write_info(layout, repo.config)
    if report is not None:
        for old, new in done.moved:
            report.detail(
                show_text(f"  projects/{old} -> projects/{new} (canonical folder; linked)")
            )
        if done.rehomed:
            report.say(
                f"Moved {done.rehomed} session(s) made here to the folder the new mapping gives."
            )
    return done
