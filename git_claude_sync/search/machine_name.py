"""Which machine made a commit: the one place the search index asks.

A commit the tool makes names its machine only inside its sealed state
(docs/spec/state.md): the clear text says ``claude-sync <claude-sync@invalid>``.
Commits made before sealing name it in their author, ``git-claude-sync (<machine>)``.
"""

from __future__ import annotations

import re

from git_claude_sync.crypto import state_seal
from git_claude_sync.errors import CodecError
from git_claude_sync.git import LogEntry
from git_claude_sync.search.source import Source

_AUTHOR = re.compile(r"^git-claude-sync \((.*)\)$")


def machine_of(source: Source, entry: LogEntry) -> str | None:
    """The machine that made ``entry``'s commit, or None when the commit does not tell
    (or its seal does not open with this machine's keys)."""
    if entry.seal:
        try:
            return state_seal.open_logged(source.keys, *entry.sealed()).machine
        except CodecError:
            return None
    match = _AUTHOR.match(entry.author)
    return match.group(1) if match else None
