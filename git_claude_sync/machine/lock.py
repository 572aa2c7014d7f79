"""One sync at a time per machine.

Several Claude sessions ending together each start a hook push; they queue on
an ``flock`` of ``~/.claude-sync/sync.lock``.  The kernel drops the lock when its
holder dies, so a crashed run never leaves a stale lock of ours; a stale
``index.lock`` left by a killed git is removed once we hold our lock, since
only a run holding it may use the sync repo's index.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from git_claude_sync.errors import FatalError
from git_claude_sync.git import TEMP_INDEX_GLOB
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import Layout

STALE_INDEX_LOCK_SECONDS = 10.0


@contextmanager
def sync_lock(
    layout: Layout,
    timeout: float = 600.0,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold this machine's sync lock (waiting up to ``timeout`` seconds for it)."""
    lock_file, git_dir = layout.lock_file, layout.git_dir
    lock_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                if time.monotonic() > deadline:
                    raise FatalError(
                        f"another git-claude-sync run has held {lock_file} for over "
                        f"{int(timeout)} s; try again later"
                    ) from None
                time.sleep(0.2)
        # Each run writes its pid and empties the file when it ends, normally or
        # by a FatalError: a pid left here means the last run was killed, and
        # may have left git's lock files and its own temporary files behind.
        crashed = bool(os.pread(fd, 64, 0).strip())
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _remove_stale_index_lock(git_dir, crashed)
        if crashed:
            _remove_temp_files(layout)
        try:
            yield
        except FatalError:
            os.ftruncate(fd, 0)  # failed cleanly: its git commands have ended
            raise
        os.ftruncate(fd, 0)  # ended normally: its git commands left no locks
    finally:
        os.close(fd)  # releases the flock


def _remove_temp_files(layout: Layout) -> None:
    """What a killed run was writing: files in the Claude directory, scratch indexes."""
    files.remove_temp_files(layout.claude_dir)
    for scratch in layout.git_dir.glob(TEMP_INDEX_GLOB):
        scratch.unlink(missing_ok=True)


def _remove_stale_index_lock(git_dir: Path, crashed: bool) -> None:
    index_lock = git_dir / "index.lock"
    try:
        age = time.time() - index_lock.stat().st_mtime
    except FileNotFoundError:
        return
    # Left by a killed run, or too old for a git command someone runs by hand.
    if crashed or age > STALE_INDEX_LOCK_SECONDS:
        index_lock.unlink(missing_ok=True)
