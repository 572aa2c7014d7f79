"""One sync at a time per machine.

Several Claude sessions ending together each start a hook push; they queue on
an ``flock`` of ``~/.claude-sync/sync.lock``.  The kernel drops the lock when its
holder dies, so a crashed run never leaves a stale lock of ours; a stale
``index.lock`` left by a killed git is removed once we hold our lock, since
only a run holding it may use the sync repo's index; after a killed run
(see below) so are the ref, packed-refs, HEAD and config locks it left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from git_claude_sync.errors import FatalError
from git_claude_sync.git import FILTER_RELAY_PREFIX, TEMP_INDEX_GLOB
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import Layout

STALE_INDEX_LOCK_SECONDS = 10.0
LOCK_WAIT_SECONDS = 600.0
LOCK_WAIT_ENV = "CLAUDE_SYNC_LOCK_WAIT"


def lock_wait() -> float:
    """How long a run waits for another to finish: ``CLAUDE_SYNC_LOCK_WAIT`` or 600 s."""
    value = os.environ.get(LOCK_WAIT_ENV, "")
    try:
        seconds = float(value) if value else LOCK_WAIT_SECONDS
    except ValueError:
        raise FatalError(f"{LOCK_WAIT_ENV} must be a number of seconds") from None
    if not seconds >= 0:
        raise FatalError(f"{LOCK_WAIT_ENV} must be a number of seconds")
    return seconds


def _holder(fd: int) -> str:
    """``(pid N)`` of the run holding the lock, as it wrote it, or nothing."""
    pid = os.pread(fd, 64, 0).strip()
    return f" (pid {int(pid)})" if pid.isdigit() else ""


@contextmanager
def sync_lock(
    layout: Layout,
    timeout: float | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold this machine's sync lock (waiting up to ``timeout``, else ``lock_wait()``, seconds).

    The holder cannot keep it for ever: each of its waits on the remote is bounded
    (``git.run_remote``), and the kernel drops the lock when a killed holder dies.
    """
    timeout = lock_wait() if timeout is None else timeout
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
                        f"another git-claude-sync run{_holder(fd)} has held {lock_file} for "
                        f"over {timeout:g} s; try again later (or wait longer: "
                        f"{LOCK_WAIT_ENV}=SECONDS)"
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
            _remove_git_locks(git_dir)
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
    """What a killed run was writing: files in the Claude directory, scratch indexes,
    the FIFOs of a filter it served (filters/served_in_cli.py)."""
    files.remove_temp_files(layout.claude_dir)
    for scratch in layout.git_dir.glob(TEMP_INDEX_GLOB):
        scratch.unlink(missing_ok=True)
    for relay in layout.git_dir.glob(FILTER_RELAY_PREFIX + "*"):
        with contextlib.suppress(OSError):
            for fifo in relay.iterdir():
                fifo.unlink()
            relay.rmdir()


# Lock files git leaves when killed mid-command (besides index.lock): refs and
# their reflogs, packed refs, HEAD, the config.  Only a run holding our lock
# uses the sync repo, so after a crashed run (our pid left in sync.lock) they
# are that run's.
_GIT_LOCK_FILES = ("HEAD.lock", "ORIG_HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock")


def _remove_git_locks(git_dir: Path) -> None:
    for name in _GIT_LOCK_FILES:
        (git_dir / name).unlink(missing_ok=True)
    for folder in ("refs", "logs"):
        for lock in (git_dir / folder).rglob("*.lock"):
            lock.unlink(missing_ok=True)


def _remove_stale_index_lock(git_dir: Path, crashed: bool) -> None:
    index_lock = git_dir / "index.lock"
    try:
        age = time.time() - index_lock.stat().st_mtime
    except FileNotFoundError:
        return
    # Left by a killed run, or too old for a git command someone runs by hand.
    if crashed or age > STALE_INDEX_LOCK_SECONDS:
        index_lock.unlink(missing_ok=True)
