"""The engine's one call into search: after a push or pull, index what it brought.

A sync must never fail because of the index: anything going wrong here is
swallowed.  An unusable index is deleted (the next search builds it again,
saying so); an index never built is left unbuilt (building one is the first
search's work, not a push's).  Nothing is imported until an index exists: a
machine that never searched pays one ``stat`` per sync.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from git_claude_sync.crypto.codec import Key
    from git_claude_sync.git import Git
    from git_claude_sync.machine.paths import Layout


def after_sync(layout: Layout, git: Git, key: Key) -> None:
    """Bring an existing index up to the sync repo's HEAD; never raises."""
    if not layout.search_index_file.exists():
        return
    try:
        import sqlite3

        from git_claude_sync.search import database, index
        from git_claude_sync.search.source import source_for

        try:
            index.update_from(source_for(layout, git, key))
        except (database.IndexBroken, sqlite3.DatabaseError) as err:
            if not database.is_busy(err):  # busy: the next sync or search catches up
                with contextlib.suppress(OSError):
                    database.remove(layout.search_index_file)
    except Exception:  # noqa: BLE001 -- the index is a convenience; the sync is not
        pass
