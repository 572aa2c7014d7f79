"""Machine-readable output (``--json``): one JSON document on stdout, versioned.

Every document is an object whose first member is ``"schema": SCHEMA``; the
schema of each command is in docs/spec/json-output.md.  Within a schema
version members are only ever added, never renamed or removed.
"""

from __future__ import annotations

import json
from typing import Any

from git_claude_sync.ui.report import echo

#: Bumped when a member changes meaning or goes away (adding one does not).
SCHEMA = 1


def path(raw: bytes) -> str:
    """A path of the Claude directory: UTF-8, undecodable bytes as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace")


def when(moment: float | None) -> str | None:
    """An instant as ISO 8601 in UTC (``2026-11-29T06:30:00Z``), or None."""
    if moment is None:
        return None
    import datetime  # here: ~1.2 ms that a plain status (not --json) never needs (issue 14)

    stamp = datetime.datetime.fromtimestamp(moment, datetime.UTC)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


def emit(command: str, **members: Any) -> None:
    """Print the document for ``command``: ``{"schema": 1, "command": ..., **members}``."""
    document = {"schema": SCHEMA, "command": command, **members}
    echo(json.dumps(document, indent=2))
