"""The clean/smudge filter served inside the CLI, for the git commands the CLI runs itself.

git starts ``filter.claude-sync.process`` once for every command that filters: a Python
process that pays ~60 ms of CPU (interpreter, imports, the key) before its first file,
once or more a push, ~1,250 times a test-suite run (issue 8).  The CLI has all of that
loaded already.  So each of its own git commands that may filter names, with
``-c filter.claude-sync.process=...``, a relay instead: a shell and two ``cat``s joined
to two FIFOs in a private folder (~2 ms), and the CLI answers on the FIFOs' other ends,
in a thread, with the filter process's own loop (``process.serve``).  The protocol, the
key and every byte of the answers are the same; only the process computing them differs.

Everything else that starts git (a user's ``git diff``, the launcher's ``git status``,
a large first push that shows progress) still gets the configured filter process; so
does a command whose relay cannot be set up (no FIFOs in the sync repo's folder, no
``cat`` on PATH).

Linux only: the relay's wait for git relies on how Linux polls a FIFO that no writer has
opened yet (not readable until one has).  Elsewhere git starts the filter process.

The FIFOs carry plaintext, as the filter process's pipes do: they live in a folder only
this user can enter, and a FIFO's bytes stay in the kernel, never on disk.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import os
import select
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from git_claude_sync.git import FILTER_RELAY_PREFIX
from git_claude_sync.machine import programs

_numbers = itertools.count()

#: How long the thread waits for the relay's reader once git sent its first request.
_READER_WAIT = 10.0
#: How long the command waits for the thread once git ended (it ends with git's relay).
_JOIN_WAIT = 60.0


class Relay:
    """One git command's way to the filter served here: two FIFOs and what ``cat`` joins
    them to.  ``command`` is the relay git runs as the filter process."""

    def __init__(self, git_dir: Path, cat: str) -> None:
        self.cat = cat
        # In the sync repo's own folder (only this user's), named for this process:
        # lock.py sweeps what a killed run left there.
        self.folder = git_dir / f"{FILTER_RELAY_PREFIX}{os.getpid()}.{next(_numbers)}"
        self.requests = self.folder / "requests"  # git -> here
        self.answers = self.folder / "answers"  # here -> git
        os.mkdir(self.folder, 0o700)
        try:
            os.mkfifo(self.requests, 0o600)
            os.mkfifo(self.answers, 0o600)
            # Open before git starts, so the relay's writer never waits for a reader.
            self._requests = os.open(self.requests, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            self._remove()
            raise
        self._git_done_r, self._git_done_w = os.pipe()
        self._lock = threading.Lock()
        self.errors = io.StringIO()  # what the filter would have written on stderr

    @property
    def command(self) -> str:
        answers, requests = shlex.quote(str(self.answers)), shlex.quote(str(self.requests))
        cat = shlex.quote(self.cat)
        return f"{cat} <{answers} & exec {cat} >{requests}"

    def serve(self, key_path: Path, git_dir: Path, index_file: Path) -> None:
        """Answer git through the FIFOs until the relay ends; nothing if git never
        started it.  Runs in its own thread; never raises."""
        ready, _, _ = select.select([self._requests, self._git_done_r], [], [])
        if self._requests not in ready:
            self._close_requests()
            return  # git ended without a file to filter
        # Imported only now that git needs a filter: a status or a no-change push never does.
        from git_claude_sync.filters import pktline, process

        try:
            os.set_blocking(self._requests, True)
            answers = self._open_answers()
            if answers is None:
                self.errors.write("git-claude-sync: filter relay: no reader for the answers\n")
                return
            with (
                os.fdopen(self._requests, "rb", closefd=False) as stdin,
                os.fdopen(answers, "wb") as stdout,
            ):
                process.serve(
                    key_path, stdin, stdout, git_dir, index_file=index_file, errors=self.errors
                )
        except (pktline.ProtocolError, EOFError) as err:
            self.errors.write(f"git-claude-sync: filter protocol error: {err}\n")
        except BrokenPipeError:
            self.errors.write("git-claude-sync: filter relay: git stopped reading\n")
        except Exception as err:  # never a traceback: git reports the filter as failed
            self.errors.write(f"git-claude-sync: filter failed: {type(err).__name__}: {err}\n")
        finally:
            # The relay's writer dies on its next write, and git with it, rather than
            # both waiting for a reader that is gone.
            self._close_requests()

    def _close_requests(self) -> None:
        with self._lock:
            if self._requests >= 0:
                os.close(self._requests)
                self._requests = -1

    def _open_answers(self) -> int | None:
        """The answers FIFO open for writing, once the relay's ``cat`` opened it to
        read; None if git ended first or the reader never came."""
        deadline = time.monotonic() + _READER_WAIT
        while True:
            try:
                fd = os.open(self.answers, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader yet
                ready, _, _ = select.select([self._git_done_r], [], [], 0.001)
                if ready or time.monotonic() > deadline:
                    return None
                continue
            os.set_blocking(fd, True)
            return fd

    def git_done(self) -> None:
        os.write(self._git_done_w, b".")

    def close(self) -> None:
        self._close_requests()
        for fd in (self._git_done_r, self._git_done_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._remove()

    def _remove(self) -> None:
        for fifo in (self.requests, self.answers):
            fifo.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()


@functools.cache
def _cat() -> str | None:
    """``cat`` on PATH, as git's shell would find it; None (no relay) without one."""
    found = programs.which("cat")
    return os.path.abspath(found) if found is not None else None


class ServedFilter:
    """The filter of one sync repo, served in this process (``Git.filter_here``)."""

    def __init__(self, key_path: Path, git_dir: Path, driver: str) -> None:
        self.key_path = key_path
        self.git_dir = git_dir
        self.driver = driver

    @contextlib.contextmanager
    def serving(self, index_file: Path) -> Iterator[ServedCall | None]:
        """Ready to answer one git command working on ``index_file``: its ``-c`` setting
        and, once it ended, what the filter reported; None when no relay can be made
        (the configured filter process serves the command then)."""
        cat = _cat()
        if sys.platform != "linux" or cat is None:
            yield None
            return
        try:
            relay = Relay(self.git_dir, cat)
        except OSError:
            yield None
            return
        worker = threading.Thread(
            target=relay.serve,
            args=(self.key_path, self.git_dir, index_file),
            name="git-claude-sync filter",
            daemon=True,
        )
        worker.start()
        try:
            yield ServedCall(f"filter.{self.driver}.process={relay.command}", relay)
        finally:
            relay.git_done()
            worker.join(_JOIN_WAIT)
            relay.close()


class ServedCall:
    def __init__(self, config: str, relay: Relay) -> None:
        self.config = config
        self._relay = relay

    def reports(self) -> bytes:
        """What the filter wrote for git's stderr (failed files), as the filter process
        would have; valid once the command ended."""
        return self._relay.errors.getvalue().encode("utf-8", "surrogateescape")
