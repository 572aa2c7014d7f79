"""Linked files cleaned in the CLI's own process (engine/clean_here.py): the same blobs
as the filter process stores, without starting it for an append."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from git_claude_sync.engine import clean_here
from tests.machines import Machine, filter_starts

LINE = b'{"type":"assistant","uuid":"%d","message":{"content":"appended"}}\n'


def filter_would_store(machine: Machine, paths: list[bytes]) -> list[str]:
    """What the clean filter process stores for these files, given the index as it is now."""
    proc = subprocess.run(
        ["git", "--git-dir", str(machine.tool_home / "repo.git"), "hash-object", "--stdin-paths"],
        input=b"".join(p + b"\n" for p in paths),
        capture_output=True,
        check=True,
        env=machine.env(),
        cwd=machine.claude,
    )
    return proc.stdout.decode().split()


def indexed(machine: Machine, path: bytes) -> str:
    return machine.git("ls-files", "-s", "--", os.fsdecode(path)).stdout.split()[1].decode()


def link_folder(machine: Machine, name: str) -> Path:
    """``projects/NAME`` made a link to a folder outside the Claude directory."""
    real = machine.home / "elsewhere" / name
    real.mkdir(parents=True)
    (machine.claude / "projects").mkdir(exist_ok=True)
    os.symlink(real, machine.claude / "projects" / name)
    return real


def test_an_append_behind_a_link_stores_the_filters_blob_without_starting_it(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    real = link_folder(a, "-linked")
    session = real / "s.jsonl"
    session.write_bytes(b"".join(LINE % i for i in range(3000)))  # several chunks
    dotfiles = a.home / "dotfiles"
    dotfiles.mkdir()
    history = a.claude / "history.jsonl"
    (dotfiles / "history.jsonl").write_bytes(history.read_bytes() if history.exists() else b"")
    history.unlink(missing_ok=True)
    os.symlink(dotfiles / "history.jsonl", history)
    # Every file dated before the push: one changed in the second its index is written
    # in is racily clean to git, which reads it through the filter again at the next
    # index write, the next push's (a filter start, 3 runs in 20, not this test's point).
    earlier = time.time() - 30
    for folder, _dirs, names in os.walk(a.claude):
        for name in names:
            os.utime(os.path.join(folder, name), (earlier, earlier), follow_symlinks=False)
    a.run("push")

    with session.open("ab") as f:
        f.write(LINE % 3000 + b'{"torn')  # a torn last line stays here
    with (dotfiles / "history.jsonl").open("ab") as f:
        f.write(b'{"display":"hi","project":"%s"}\n' % os.fsencode(a.home / "src"))
    paths = [b"projects/-linked/s.jsonl", b"history.jsonl"]
    expected = filter_would_store(a, paths)
    trace = tmp_path / "trace"
    a.run("push", GIT_TRACE=str(trace))
    assert [indexed(a, p) for p in paths] == expected
    assert filter_starts(trace) == 0  # no filter at all, in a process or served

    b.run("pull")
    pulled = b.files()[b"projects/-linked/s.jsonl"]
    assert pulled.endswith(LINE % 3000) and pulled.count(b"\n") == 3001
    assert a.run("push").stdout.strip().startswith("Nothing to push")


def test_many_linked_files_still_go_through_the_filter_process(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    real = link_folder(a, "-many")
    count = clean_here.MAX_FILES + 4
    for i in range(count):
        (real / f"{i}.jsonl").write_bytes(LINE % i)
    a.run("push")
    b.run("pull")
    synced = b.files()
    assert all(synced[b"projects/-many/%d.jsonl" % i] == LINE % i for i in range(count))


def test_several_appends_stored_together_are_the_filters_blobs_too(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    # Up to ONE_BY_ONE files go to git on its stdin, more through a scratch folder and one
    # git: both must store what the filter process would.
    a, _b = pair
    real = link_folder(a, "-several")
    count = clean_here.ONE_BY_ONE + 2
    for i in range(count):
        (real / f"{i}.jsonl").write_bytes(b"".join(LINE % n for n in range(1000 * i + 1)))
    a.run("push")
    os.utime(real / "0.jsonl", (1, 1))  # touched only: its stored blob is kept
    for i in range(1, count):  # more than ONE_BY_ONE appended
        with (real / f"{i}.jsonl").open("ab") as f:
            f.write(LINE % 99999)
    paths = [b"projects/-several/%d.jsonl" % i for i in range(count)]
    expected = filter_would_store(a, paths)
    trace = tmp_path / "trace"
    a.run("push", GIT_TRACE=str(trace))
    assert [indexed(a, p) for p in paths] == expected
    assert filter_starts(trace) == 0


def test_a_linked_session_in_another_order_keeps_its_blob(pair: tuple[Machine, Machine]) -> None:
    # The same lines in another order (a pull appends in place) are the stored blob: cleaned
    # in memory and found so, nothing is stored and nothing committed.
    a, _b = pair
    session = link_folder(a, "-reordered") / "s.jsonl"
    session.write_bytes(b"".join(LINE % i for i in range(100)))
    a.run("push")
    stored = indexed(a, b"projects/-reordered/s.jsonl")
    session.write_bytes(b"".join(LINE % i for i in reversed(range(100))))
    assert a.run("push").stdout.strip().startswith("Nothing to push")
    assert indexed(a, b"projects/-reordered/s.jsonl") == stored
