"""Claude Code appends to a session while push and pull read it.

A writer thread plays Claude Code: it appends lines to a session, some in two
writes with a pause between (so for a moment the file ends in a torn line).
Meanwhile the machine pushes and pulls again and again, and another machine
sends its own changes.  Every version of the session the sync repo ever
committed must end on a line boundary and hold only whole lines someone wrote;
once the writer stops, both machines hold every line.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fleet import committed_versions, fsck, head, make_fleet, temp_files, torn_files
from tests.machines import Machine

SESSION = "projects/-home-u-live/0b6c2a1e-live.jsonl"


class ClaudeWriter(threading.Thread):
    """Appends lines to one file until stopped; some lines in two writes.

    Each write opens the file by name, as Node's ``appendFile`` does.  (A writer
    holding one descriptor across a pull: tests/engine/test_data_safety.py.)
    """

    def __init__(self, path: Path, seed: int, who: str) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.rng = random.Random(seed)
        self.who = who
        self.lines: list[bytes] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        # Set while a sync may append to this very file (``whole_lines``): no line is then
        # begun in two writes.  See test_one_session_merged_while_claude_appends_keeps_every_line.
        self.whole_only = threading.Event()
        self.mid_line = threading.Lock()  # held from a line's first write to its second

    def line(self) -> bytes:
        n = len(self.lines)
        record = {
            "uuid": f"{self.who}-{n}",
            "timestamp": f"2026-03-01T00:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z",
            "message": {"content": "y" * self.rng.randrange(20, 4000)},
        }
        return json.dumps(record).encode() + b"\n"

    def append(self, data: bytes) -> None:
        # As Node's appendFileSync does: open by name, one write, close.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                line = self.line()
                if self.rng.random() < 0.5 and not self.whole_only.is_set():
                    cut = self.rng.randrange(1, len(line) - 1)
                    with self.mid_line:
                        if self.whole_only.is_set():  # set meanwhile
                            self.append(line)
                        else:
                            self.append(line[:cut])
                            time.sleep(self.rng.uniform(0, 0.02))
                            self.append(line[cut:])
                else:
                    self.append(line)
                self.lines.append(line)
                time.sleep(self.rng.uniform(0, 0.01))
        except BaseException as err:  # reported by the test
            self.error = err

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=30)
        assert self.error is None, self.error


@contextmanager
def whole_lines(writer: ClaudeWriter) -> Iterator[None]:
    """While inside, the writer writes each line in one write, as Claude Code does: a line
    begun in two writes is finished before, none is begun during."""
    writer.whole_only.set()
    with writer.mid_line:
        pass
    try:
        yield
    finally:
        writer.whole_only.clear()


def check_committed(machine: Machine, path: str, written: set[bytes]) -> int:
    versions = committed_versions(machine, path)
    for data in versions:
        assert data.endswith(b"\n"), f"a committed version ends mid-line: {data[-80:]!r}"
        for line in data.splitlines(keepends=True):
            assert line in written, f"a committed line nobody wrote: {line[:80]!r}"
    return len(versions)


def test_pushes_while_claude_appends_commit_only_whole_lines(tmp_path: Path) -> None:
    a, b = make_fleet(tmp_path, 2)
    first = b'{"uuid":"start","timestamp":"2026-03-01T00:00:00Z"}\n'
    a.write(SESSION, first)
    a.run("push")
    b.run("pull")
    writer = ClaudeWriter(a.claude / SESSION, seed=1, who="a")
    writer.start()
    try:
        for n in range(6):
            if n % 2:  # the remote moves: a's push merges and writes b's file
                b.write(f"commands/c{n}.md", f"from b {n}\n".encode())
                b.run("push")
            a.run("push")
            time.sleep(0.05)
    finally:
        writer.finish()
    a.run("push")
    b.run("pull")
    written = {first, *writer.lines}
    versions = check_committed(a, SESSION, written)
    assert versions >= 4, versions
    final = (b.claude / SESSION).read_bytes()
    assert final == (a.claude / SESSION).read_bytes() == first + b"".join(writer.lines)
    assert not torn_files(b.files())
    fsck(a.tool_home / "repo.git")


def test_one_session_merged_while_claude_appends_keeps_every_line(tmp_path: Path) -> None:
    """The session is resumed on b while a is still writing it: a's push and pull merge it."""
    a, b = make_fleet(tmp_path, 2)
    first = b'{"uuid":"start","timestamp":"2026-03-01T00:00:00Z"}\n'
    a.write(SESSION, first)
    a.run("push")
    b.run("pull")
    writer = ClaudeWriter(a.claude / SESSION, seed=2, who="a")
    writer.start()
    from_b: list[bytes] = []
    failures: list[str] = []
    try:
        for n in range(6):
            line = json.dumps({"uuid": f"b-{n}", "timestamp": f"2026-03-02T00:00:{n:02d}Z"})
            from_b.append(line.encode() + b"\n")
            with open(b.claude / SESSION, "ab") as handle:
                handle.write(from_b[-1])
            b.run("push")
            # a's push or pull appends b's line to the file the writer appends to
            # (machine/files.append_lines): it looks for a torn end, then appends.  A line
            # begun in two writes exactly between the two would get b's line glued to its
            # first half: the window append_lines documents, which Claude Code, writing each
            # line in one write, never opens.  This test's writer then writes whole lines
            # (it glued one line in about one loaded suite run in six); a line torn at the
            # moment a pull looks: tests/engine/test_data_safety.py.
            with whole_lines(writer):
                proc = a.run("push" if n % 2 else "pull", check=False)
            if proc.returncode != 0:
                failures.append(proc.stderr)
            b.run("pull")
    finally:
        writer.finish()
    assert not failures, failures
    a.run("push")
    b.run("pull")
    a.run("pull")
    written = {first, *writer.lines, *from_b}
    for machine in (a, b):
        check_committed(machine, SESSION, written)
        assert not temp_files(machine)
    # A file being written is only ever appended to (machine/files.append_lines):
    # both machines hold every line once, each in its own order, and both sit
    # on the same commit with nothing to send.
    assert head(a) == head(b)
    for machine in (a, b):
        lines = (machine.claude / SESSION).read_bytes().splitlines(keepends=True)
        assert set(lines) == written, f"missing: {len(written - set(lines))} lines"
        assert len(lines) == len(written)
        # Each machine's own lines keep their order.
        for own in (writer.lines, from_b):
            positions = [lines.index(line) for line in own]
            assert positions == sorted(positions)
        assert "Nothing to push" in machine.run("push").stdout
