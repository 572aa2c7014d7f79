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
from collections.abc import Callable, Iterable
from pathlib import Path

from git_claude_sync.crypto import codec
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import sealed_state
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import Layout
from git_claude_sync.ui.report import plural, show_path

MARK = b".sync-conflict-"
# Compiled at first use: most runs meet no conflict copy (issue 14).
_NAME = rb"^(?P<stem>.+?)\.sync-conflict-\d{8}-\d{6}-[^./]*(?P<ext>\.[^/]*)?$"
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
    match = re.match(_NAME, name)
    if match is None:
        return None
    return head + slash + match["stem"] + (match["ext"] or b"")


def listed(git: Git) -> list[tuple[bytes, bytes]]:
    """(copy, original) for every conflict copy the sync repo tracks."""
    found = []
    for path in git.index_paths_with(MARK):
        original = original_of(path)
        if original is not None:
            found.append((path, original))
    return sorted(found)


def machine_of(git: Git, commit: str, path: bytes) -> str:
    """The machine that last changed ``path`` in ``commit``'s history (its sealed state)."""
    entries = git.log(commit, [os.fsdecode(path)], limit=1)
    return sealed_state.machine_of(git, entries[0]) if entries else "remote"


def keep_unwritten(
    git: Git,
    key: Key,
    claude_dir: Path,
    path: bytes,
    mine: tuple[str, str],
    theirs_mode: str,
    theirs: Callable[[], Iterable[bytes]],
    machine: str,
) -> bytes:
    """A remote version a pull could not write here (a folder or a file in the way, no
    permission): a conflict copy like any other, so it reaches every machine.

    This machine's version stays in place and the index holds it again (``mine``,
    its entry before the pull), so the next push does not take it for a change
    made here; the remote version (``theirs``, plaintext in pieces) becomes a copy
    beside it in the index, sent by the next push.  The copy is written here too
    when it can be; if not, it stays in the repo only (skip-worktree, like a
    session deleted here), listed by ``conflicts`` all the same.  Returns its path.
    """
    copy = copy_name(path, machine)
    blob = git.store_blob(b"".join(key.seal(copy, codec.chunked(theirs()))))
    git.update_index({path: mine, copy: (theirs_mode, blob)})
    try:
        files.replace_file(files.fs_path(claude_dir, copy), theirs(), theirs_mode == "100755")
    except OSError:
        git.set_skip_worktree([copy], True)
    return copy


def unwritten(git: Git) -> set[bytes]:
    """Copies ``keep_unwritten`` could not write here: in the repo only, like a session
    deleted here (a pull that removes one has nothing to remove)."""
    return {copy for copy, _ in listed(git) if copy in git.skip_worktree_paths(copy)}


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
