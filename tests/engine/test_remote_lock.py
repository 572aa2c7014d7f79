"""A ref lock a killed push left on a remote on this disk (kill -9, power cut: its
receive-pack died holding ``refs/heads/main.lock``) no longer stops every later push:
git reports it as a failed ref update, which the push took for a remote that moved, five
times, then gave up ("the remote kept moving"), until someone removed the file by hand.
Found by the kill -9 fault test (tests/end_to_end/test_faults.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from git_claude_sync import git as git_module
from tests.machines import Machine


def test_a_push_goes_through_a_ref_lock_a_killed_push_left(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    lock = a.default_remote / "refs" / "heads" / "main.lock"
    lock.write_bytes(b"")  # as a receive-pack killed mid-update leaves it
    a.write("CLAUDE.md", b"one\ntwo\n")
    proc = a.run("push")
    assert "a lock a killed push left on the remote" in proc.stderr
    assert not lock.exists()
    b.run("pull")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"one\ntwo\n"


def held_lock(tmp_path: Path) -> tuple[Path, bytes]:
    remote = tmp_path / "remote.git"
    (remote / "refs" / "heads").mkdir(parents=True)
    lock = remote / "refs" / "heads" / "main.lock"
    lock.write_bytes(b"")
    said = (
        "remote: error: cannot lock ref 'refs/heads/main': "
        f"Unable to create '{remote}/./refs/heads/main.lock': File exists."
    )
    return lock, said.encode()


def test_a_lock_another_push_is_using_is_left_alone(tmp_path: Path) -> None:
    """One that is released or taken again while watched belongs to a push at work."""
    lock, said = held_lock(tmp_path)

    def another_push() -> None:
        time.sleep(0.3)
        lock.unlink()
        lock.write_bytes(b"deadbeef\n")  # the next update's lock, another file

    worker = threading.Thread(target=another_push)
    worker.start()
    git_module._clear_lock_left_by_a_killed_push(said, str(lock.parents[2]))
    worker.join()
    assert lock.read_bytes() == b"deadbeef\n"


def test_only_a_lock_inside_a_remote_on_this_disk_is_touched(tmp_path: Path) -> None:
    lock, said = held_lock(tmp_path)
    elsewhere = tmp_path / "other.git"
    elsewhere.mkdir()
    for url in (str(elsewhere), "ssh://host/" + str(lock.parents[2]), "relative/remote.git"):
        started = time.monotonic()
        git_module._clear_lock_left_by_a_killed_push(said, url)
        assert lock.exists() and time.monotonic() - started < 1
    git_module._clear_lock_left_by_a_killed_push(said, "file://" + str(lock.parents[2]))
    assert not lock.exists()
