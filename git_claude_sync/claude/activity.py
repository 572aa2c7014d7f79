"""When a session was last active, read from its content (for the mtime a pull gives it).

Claude Code ages transcripts by mtime: its picker shows "N days ago" from it,
and its clean-up deletes files older than ``cleanupPeriodDays`` by it.  A file
written by a pull would otherwise look brand new.
"""

from __future__ import annotations

import json

_LINES_READ = 64  # lines looked at from the end (a summary line has no timestamp)


def _moment(value: object) -> float | None:
    if isinstance(value, str):
        # Here, not at the top: datetime is ~1.2 ms of every push's start, and only a
        # pull's written sessions are dated (issue 14).
        from datetime import datetime

        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment.timestamp() if moment.tzinfo is not None else None
    return None


def is_session_file(path: bytes) -> bool:
    """Files under ``projects/``: transcripts and what belongs to them."""
    return path.startswith(b"projects/")


def last_activity(content: bytes) -> float | None:
    """The ``timestamp`` of the last line that has one (seconds since the epoch)."""
    return _last_dated(content)[0]


def activity_line(content: bytes) -> bytes:
    """The one line of ``content`` that ``last_activity`` reads its answer from (empty if
    none): all of it a pull needs to keep of a file it does not hold."""
    return _last_dated(content)[1]


def _last_dated(content: bytes) -> tuple[float | None, bytes]:
    end = len(content)
    for _ in range(_LINES_READ):
        if end <= 0:
            break
        start = content.rfind(b"\n", 0, end - 1) + 1
        line = content[start:end].strip()
        end = start
        if b'"timestamp"' not in line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        moment = _moment(obj.get("timestamp")) if isinstance(obj, dict) else None
        if moment is not None:
            return moment, line
    return None, b""
