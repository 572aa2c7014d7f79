"""A push's commit does not run the files it just staged through the filter again.

git takes an index entry whose file changed in the second the index was written, or
later, for racily clean, and re-reads it through the clean filter whenever it writes the
index (its racy-git rule): ``write-tree`` writing back its cache of trees started a filter
process for nothing on every push of a file changed just before (as a hook's push is).
The tree is then written from a copy of the index dated 0, which git never takes for
racy; the commit's tree is still the index's, and the next push still sees a change.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from git_claude_sync.claude.project_folders import encode
from tests.machines import Machine, carry_metrics_next, filter_starts

LATER = 30  # seconds ahead: racy for every index written before then, whatever the clock


def _racy(target: Path) -> None:
    later = time.time() + LATER
    os.utime(target, (later, later))


def _push_counting_filters(machine: Machine, trace: Path) -> int:
    """Push; how many filters git started for it (a process, or a relay to the CLI's)."""
    machine.run("push", GIT_TRACE=str(trace))
    return filter_starts(trace)


def test_a_file_changed_in_the_index_second_is_cleaned_once(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"one\n")
    a.run("push")  # the first push also carries the machine's metrics (two more index writes)
    target = a.write("CLAUDE.md", b"one\ntwo\n")
    _racy(target)
    assert _push_counting_filters(a, tmp_path / "trace") == 1  # git add's own
    tree = a.git("rev-parse", "HEAD^{tree}").stdout
    assert tree == a.git("--work-tree", str(a.claude), "write-tree").stdout
    b.run("pull")
    assert b.claude.joinpath("CLAUDE.md").read_bytes() == b"one\ntwo\n"
    # Still racy in the index left as it was: a same-size change in that second is seen.
    _racy(a.write("CLAUDE.md", b"one\nTWO\n"))
    a.run("push")
    b.run("pull")
    assert b.claude.joinpath("CLAUDE.md").read_bytes() == b"one\nTWO\n"


def test_a_push_carrying_the_metrics_writes_the_index_once_more_not_twice(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """The metrics file goes into the index marked skip-worktree in one process: one
    index write (one filter start for the racy file), where two made two."""
    a, _b = pair
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    carry_metrics_next(a)
    _racy(a.write("CLAUDE.md", b"one\ntwo\n"))
    assert _push_counting_filters(a, tmp_path / "trace") == 2  # add's, the metrics' write
    carried = a.git("ls-files", "-v", "--", ".claude-sync/metrics").stdout.splitlines()
    assert carried and all(line.startswith(b"S ") for line in carried)  # never in the work tree
    assert a.git("ls-tree", "-r", "--name-only", "HEAD", "--", ".claude-sync/metrics").stdout


def test_a_push_through_links_cleans_a_file_changed_in_the_index_second_once(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """A session appended in a mapped project folder (staged through its link, in process)
    beside a file git add stages in the index's second: the linked entries are staged
    before git add, whose index write is then the last before the commit's tree."""
    a, b = pair
    folder = encode(str(a.home / "code" / "p"))
    session = a.write(f"projects/{folder}/s.jsonl", b'{"uuid":"1"}\n')
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    with session.open("ab") as f:
        f.write(b'{"uuid":"2"}\n')
    _racy(a.write("CLAUDE.md", b"one\ntwo\n"))
    assert _push_counting_filters(a, tmp_path / "trace") == 1  # git add's own
    b.run("pull")
    assert b.claude.joinpath("CLAUDE.md").read_bytes() == b"one\ntwo\n"
    pulled = b.claude / "projects" / encode(str(b.home / "code" / "p")) / "s.jsonl"
    assert pulled.read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'


def _root_tree_cached(index: bytes) -> bool:
    """Whether the index's cache of trees (its TREE extension) holds the root tree: the
    next write-tree, diff-index and status need not build it again."""
    at = index.find(b"TREE")
    if at < 0:
        return False
    # "TREE", a 4-byte size, then the root: its path (empty), NUL, its entry count (-1
    # when invalidated), a space, its subtree count, a newline.
    count = index[at + 9 : index.index(b" ", at + 9)]
    return count != b"-1"


def test_an_append_through_a_link_alone_is_committed_without_git_writing_the_index(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """A session appended just before the push (a hook's push) is staged through its link,
    without stat data: git never takes it for racily clean.  Only a file's content changed,
    so its tree is written in the CLI from HEAD's (``Git.write_tree``): no ``git
    write-tree`` reads and writes the whole index again, and the index is left as the
    staging wrote it, holding just what was committed."""
    a, b = pair
    folder = encode(str(a.home / "code" / "p"))
    session = a.write(f"projects/{folder}/s.jsonl", b'{"uuid":"1"}\n')
    earlier = time.time() - LATER  # never racy itself: only the session is
    os.utime(a.write("CLAUDE.md", b"one\n"), (earlier, earlier))
    a.run("push")
    with session.open("ab") as f:
        f.write(b'{"uuid":"2"}\n')
    _racy(session)
    trace = tmp_path / "trace"
    a.run("push", GIT_TRACE=str(trace))
    assert b" write-tree" not in trace.read_bytes()
    assert a.git("diff-index", "--cached", "HEAD").stdout == b""
    a.git("fsck", "--strict", "--no-dangling")
    b.run("pull")
    pulled = b.claude / "projects" / encode(str(b.home / "code" / "p")) / "s.jsonl"
    assert pulled.read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
