"""What a command tells the person: normal lines, --verbose detail and phase timings."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET, NORMAL, VERBOSE = 0, 1, 2


def echo(message: str, *, err: bool = False, color: bool | None = None) -> None:
    """A line on stdout (stderr with ``err``), flushed, as ``click.echo`` prints it: colour
    codes stripped unless the stream is a terminal, or kept with ``color=True``.

    Not click's own: importing click costs ~20 ms of CPU, a tenth of an append push, and
    the commands run most (push, pull, status) print only through here.
    """
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no console at all (pythonw): click prints nothing either
        return
    if (not stream.isatty() if color is None else not color) and "\033" in message:
        import re  # only when there is a colour to strip

        message = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", message)  # click's strip_ansi
    line = message + "\n"
    try:
        stream.write(line)
    except UnicodeEncodeError:  # an ASCII-only stream: click's writer replaces what it can't
        encoding = stream.encoding or "ascii"
        stream.write(line.encode(encoding, "replace").decode(encoding))
    stream.flush()


class Report:
    def __init__(self, verbosity: int = NORMAL) -> None:
        self.verbosity = verbosity
        self.timings: list[tuple[str, float]] = []
        self._activity: _Activity | None = None

    def progress(self, done: int, total: int, size: int = 0) -> None:
        """How far the current phase is (files done of total, bytes so far): shown on a
        terminal with its rate and the time left; free otherwise."""
        if self._activity is not None:
            self._activity.done_count, self._activity.total, self._activity.size = (
                done,
                total,
                size,
            )

    def say(self, message: str) -> None:
        if self.verbosity >= NORMAL:
            echo(message)

    def detail(self, message: str) -> None:
        if self.verbosity >= VERBOSE:
            echo(message)

    def warn(self, message: str) -> None:
        echo(f"git-claude-sync: warning: {show_text(message)}", err=True)

    @property
    def interactive(self) -> bool:
        return self.verbosity >= NORMAL and sys.stderr.isatty()

    def waiting(self) -> None:
        self.say("Waiting for another git-claude-sync run to finish…")

    def print_total(self) -> None:
        if self.timings:
            total = sum(seconds for _, seconds in self.timings)
            self.detail(f"  [{total * 1000:8.1f} ms] total")

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        shown = _Activity(name) if self.interactive and self.verbosity < VERBOSE else None
        self._activity = shown
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self._activity = None
            if shown is not None:
                shown.stop()
            self.timings.append((name, elapsed))
            self.detail(f"  [{elapsed * 1000:8.1f} ms] {name}")


class _Activity:
    """On a terminal, a phase that lasts shows itself on stderr ("merge… 3 s"), then goes.

    Nothing is drawn for a phase shorter than ``DELAY``, and nothing ever when
    stderr is not a terminal (hooks, scripts, tests): the output stays as it was.
    """

    DELAY = 0.5
    DELAY_ENV = "GIT_CLAUDE_SYNC_PROGRESS_DELAY"  # seconds; tests set 0

    def __init__(self, name: str) -> None:
        import os
        import threading

        try:
            self.delay = float(os.environ.get(self.DELAY_ENV, self.DELAY))
        except ValueError:
            self.delay = self.DELAY
        self.name = name
        self.start = time.monotonic()
        self.done_count = self.total = self.size = 0
        self.drawn = False
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._draw, daemon=True)
        self.thread.start()

    def _draw(self) -> None:
        if self.done.wait(self.delay):
            return
        while not self.done.is_set():
            sys.stderr.write(f"\r\033[K{self.line()}")
            sys.stderr.flush()
            self.drawn = True
            self.done.wait(0.25)

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        text = f"{self.name}… {int(elapsed)} s"
        if self.total:
            text += f", {self.done_count}/{self.total} files"
            if self.size:
                text += (
                    f", {self.size / 1e6:.1f} MB ({self.size / 1e6 / max(elapsed, 0.1):.1f} MB/s)"
                )
            if 0 < self.done_count < self.total:
                left = elapsed * (self.total - self.done_count) / self.done_count
                text += f", ~{int(left) + 1} s left"
        return text

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


#: ANSI colours used, as git uses them (diff: red old, green new; errors red).
COLOURS = {"red": 31, "green": 32, "yellow": 33, "bold": 1}


def colour_wanted(color_ui: str | None = None) -> bool:
    """Colour stdout as git would: on a terminal, unless NO_COLOR is set (no-color.org) or
    git's ``color.ui`` says never; ``color.ui = always`` colours even a pipe."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    setting = (color_ui or "auto").lower()
    if setting in ("never", "false", "off", "no", "0"):
        return False
    if setting == "always":
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def paint(text: str, colour: str, wanted: bool) -> str:
    return f"\033[{COLOURS[colour]}m{text}\033[m" if wanted and text else text


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# C0, DEL and C1 (U+0080-U+009F: U+009B is a CSI to some terminals): never printed raw.
_CONTROL = {i: f"\\x{i:02x}" for i in [*range(0x20), *range(0x7F, 0xA0)]} | {
    0x0A: "\\n",
    0x09: "\\t",
}


def show_path(path: bytes) -> str:
    """A name from disk or the remote, printable on one line whatever it holds."""
    return path.decode("utf-8", "backslashreplace").translate(_CONTROL)


def show_text(text: str) -> str:
    """A message that may quote the remote (git's stderr, a name in an error): no
    control character reaches the terminal, so no escape sequence either."""
    return text.translate(_CONTROL)
