"""A pull records the stat data of the files it wrote (git.Git.record_written).

Without it, the next ``git update-index --refresh`` ran every pulled file through the clean
filter again (a joining machine's whole tree: seconds).  The checks: git finds the written
files clean without the filter; a file changed after it was written is still seen; an
entry whose file is not what was written keeps git's empty stat data.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from git_claude_sync.git import RACY_BYTES, Git, Written
from tests.machines import Machine


def _unchanged_by_stat(machine: Machine, path: str) -> bool:
    """``git diff-files --quiet PATH`` with a clean filter that always fails: true only if
    git takes the file for unchanged by its stat data alone."""
    return subprocess.run(
        ["git", "-c", "filter.claude-sync.process=false", "-c", "filter.claude-sync.clean=false",
         "--git-dir", str(machine.tool_home / "repo.git"), "diff-files", "--quiet", "--", path],
        capture_output=True, env=machine.env(),
    ).returncode == 0  # fmt: skip


def _stat_of(machine: Machine, path: str) -> bytes:
    debug = machine.git("ls-files", "--debug", "--", path).stdout
    return debug.split(b"\n", 1)[1]


def test_a_pull_leaves_the_files_it_wrote_clean_to_git(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"from a\n")
    a.write("commands/x.md", b"x" * 5000)
    a.write("todos/t.json", b"[]")
    a.run("push")
    b.run("pull")
    for path in ("CLAUDE.md", "commands/x.md", "todos/t.json"):
        # Recorded; git itself still compares by content a file written in the second
        # it wrote the index in (its racy-git rule), so the filter may run for these.
        assert b"mtime: 0:0" not in _stat_of(b, path)


def test_a_file_changed_after_the_pull_is_still_pushed(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("commands/x.md", b"one\n")
    a.run("push")
    b.run("pull")
    target = b.claude / "commands/x.md"
    before = target.stat()
    target.write_bytes(b"two\n")  # same size, in place
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    b.run("push")
    a.run("pull")
    assert a.claude.joinpath("commands/x.md").read_bytes() == b"two\n"


def test_an_entry_whose_file_is_not_what_was_written_is_left_alone(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("commands/x.md", b"one\n")
    a.run("push")
    b.run("pull")
    git = Git(b.tool_home / "repo.git", b.claude)
    oid = git.ls_tree("HEAD")[b"commands/x.md"][1]
    old = (b.claude / "commands/x.md").stat().st_mtime_ns - 5 * 10**9
    os.utime(b.claude / "commands/x.md", ns=(old, old))  # older than the index: not racy
    st = (b.claude / "commands/x.md").stat()
    b.git("update-index", "--cacheinfo", f"100644,{oid},commands/x.md")  # empty stat data
    assert not _unchanged_by_stat(b, "commands/x.md")
    for wrong in (
        Written(oid, st.st_ino + 1, st.st_size),  # replaced since
        Written(oid, st.st_ino, st.st_size + 1),  # appended to since
        Written("0" * 40, st.st_ino, st.st_size),  # another blob
    ):
        assert git.record_written({b"commands/x.md": wrong}) == 0
        assert b"mtime: 0:0" in _stat_of(b, "commands/x.md")
    assert git.record_written({b"commands/x.md": Written(oid, st.st_ino, st.st_size)}) == 1
    assert b"mtime: 0:0" not in _stat_of(b, "commands/x.md")
    assert not (b.tool_home / "repo.git" / "index.lock").exists()
    b.git("fsck", "--no-progress")  # the index's checksum and entries are git's
    assert _unchanged_by_stat(b, "commands/x.md")


def test_a_large_pulled_file_is_not_encrypted_again_in_its_own_second(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    # git re-reads by content every entry whose file is not older than the index (its
    # racy-timestamp rule): the pull's own refresh would encrypt a large file it just
    # wrote a second time, holding its whole ciphertext (issue 9's memory).
    a, b = pair
    a.write("agents/big.bin", os.urandom(RACY_BYTES + (1 << 20)))
    a.write("CLAUDE.md", b"small\n")
    a.run("push")
    trace = tmp_path / "packets"
    b.run("pull", GIT_TRACE_PACKET=str(trace))
    cleaned = [
        line.split(b"pathname=", 1)[1]
        for line in trace.read_bytes().splitlines()
        if b"git> pathname=" in line
    ]
    assert b"agents/big.bin" not in cleaned
    assert (b.claude / "agents/big.bin").read_bytes() == (a.claude / "agents/big.bin").read_bytes()


def test_a_joining_machines_history_is_recorded_though_written_in_its_own_paths(
    tmp_path: Path,
) -> None:
    # history.jsonl is written with this machine's project paths, not the blob's
    # plaintext; when cleaning it gives the blob back, it is recorded too: otherwise
    # a join's refresh started the filter process (a Python start-up) for it alone.
    (tmp_path / "Users" / "alice").mkdir(parents=True)
    (tmp_path / "home" / "alice").mkdir(parents=True)
    mac, linux = Machine(tmp_path / "Users" / "alice"), Machine(tmp_path / "home" / "alice")
    line = b'{"display":"one","pastedContents":{},"timestamp":1000,"project":"%s"}\n'
    mac.write("history.jsonl", line % str(mac.home / "code/api").encode())
    # The join must outlast the second it writes history.jsonl in (git.RACY_BYTES), or the
    # refresh takes history.jsonl for racily clean and cleans it again, as designed.  A
    # large file that sorts after it and is written after it does that: settings.json,
    # which a join reads whole and writes in path order.  (A large agents/ file did not:
    # a join streams such new files first, and under load history.jsonl fell into a later
    # second of its own, below the threshold; this test failed one suite run in five.)
    padding = os.urandom(RACY_BYTES // 2).hex().encode()
    mac.write("settings.json", b'{"padding": "%s"}\n' % padding)
    mac.run("init")
    mac.run("push")
    trace = tmp_path / "packets"
    linux.run(
        "init", "--git", str(mac.default_remote), "--key", str(mac.key_file),
        GIT_TRACE_PACKET=str(trace),
    )  # fmt: skip
    written = (linux.claude / "history.jsonl").read_bytes()
    assert written == line % str(linux.home / "code/api").encode()
    assert b"git> pathname=history.jsonl" not in trace.read_bytes()
    assert b"mtime: 0:0" not in _stat_of(linux, "history.jsonl")
