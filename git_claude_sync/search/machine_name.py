"""Which machine made a commit: the one place the search index asks.

Today the commit's author is ``git-claude-sync (<machine>)`` (and its message
starts ``<machine>:``).  When the machine name moves out of the commit's
clear text into sealed state inside the commit, only ``machine_of`` changes:
the index calls nothing else to learn it.
"""

from __future__ import annotations

import re

from git_claude_sync.git import LogEntry
from git_claude_sync.search.source import Source

_AUTHOR = re.compile(r"^git-claude-sync \((.*)\)$")


def machine_of(source: Source, entry: LogEntry) -> str | None:
    """The machine that made ``entry``'s commit, or None when the commit does not tell.

    ``source`` holds the sync repo and its keys, for a reader that must open the commit.
    """
    del source  # today the author line says it
    match = _AUTHOR.match(entry.author)
    return match.group(1) if match else None
