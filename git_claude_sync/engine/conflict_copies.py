"""Conflict copies: both versions of a file kept as files, on every machine.

When a conflict cannot be asked about (a hook, cron) or is left for later, the
merge keeps this machine's version at the path and puts the other one beside
it as ``<stem>.sync-conflict-<YYYYMMDD>-<HHMMSS>-<machine>.<ext>`` (Syncthing's
name; ``<machine>`` wrote the version in the copy).  The copy is committed and
synced like any file, so every machine holds both versions as files: whichever
machine's version ends up at the path, the other machine's edit is still there
to read.  While any copy exists, ``status`` and ``conflicts`` list it and push
and pull exit with ``NEEDS_A_PERSON``.  ``conflicts resolve`` (or deleting the
copy by hand) removes it, and the next push removes it everywhere.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from git_claude_sync.engine import sealed_state
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine.paths import Layout
from git_claude_sync.ui.report import plural, show_path

MARK = b".sync-conflict-"
_NAME = re.compile(rb"^(?P<stem>.+?)\.sync-conflict-\d{8}-\d{6}-[^./]*(?P<ext>\.[^/]*)?$")
NEEDS_A_PERSON = 3  # exit code: the run did its work, but conflicts need a person


class NeedsAPerson(FatalError):
    """Everything was synced, but conflict copies wait for a person's choice."""

    exit_code = NEEDS_A_PERSON

    def __init__(self, copies: list[tuple[bytes, bytes]]) -> None:
        names = ", ".join(show_path(copy) for copy, _ in copies[:5])
        more = f" and {len(copies) - 5} more" if len(copies) > 5 else ""
        super().__init__(
            f"{plural(len(copies), 'conflict')} {'needs' if len(copies) == 1 else 'need'} a "
            f"person: {names}{more} (both versions "
            "are kept as files; see 'git claude-sync conflicts')"
        )


def copy_name(path: bytes, machine: str, when: float | None = None) -> bytes:
    """Where the version of ``path`` that ``machine`` wrote goes: beside it, marked."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when)).encode()
    label = re.sub(r"[^A-Za-z0-9_-]+", "-", machine).strip("-").encode() or b"machine"
    head, slash, name = path.rpartition(b"/")
    stem, dot, ext = name.rpartition(b".")
    if not (dot and stem):
        stem, ext = name, b""
    marked = stem + MARK + stamp + b"-" + label + (b"." + ext if ext else b"")
    return head + slash + marked


def original_of(copy: bytes) -> bytes | None:
    """The path a conflict copy belongs to, or None if ``copy`` is no conflict copy."""
    head, slash, name = copy.rpartition(b"/")
    match = _NAME.match(name)
    if match is None:
        return None
    return head + slash + match["stem"] + (match["ext"] or b"")


def listed(git: Git) -> list[tuple[bytes, bytes]]:
    """(copy, original) for every conflict copy the sync repo tracks."""
    found = []
    for path in git.index_entries():
        original = original_of(path) if MARK in path else None
        if original is not None:
            found.append((path, original))
    return sorted(found)


def machine_of(git: Git, commit: str, path: bytes) -> str:
    """The machine that last changed ``path`` in ``commit``'s history (its sealed state)."""
    entries = git.log(commit, [os.fsdecode(path)], limit=1)
    return sealed_state.machine_of(git, entries[0]) if entries else "remote"


def marker(git: Git) -> Path:
    """Exists while copies wait: the launcher's no-change push (bin/) then steps aside."""
    return Layout.of_git_dir(git.git_dir).conflicts_waiting_file


def check(git: Git) -> None:
    """Raise ``NeedsAPerson`` (exit 3) if conflict copies are waiting."""
    copies = listed(git)
    if not copies:
        marker(git).unlink(missing_ok=True)
        return
    marker(git).touch()
    raise NeedsAPerson(copies)
