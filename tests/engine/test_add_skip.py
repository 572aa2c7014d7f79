"""``git add -A`` left out only when it has nothing to stage (engine/add_skip.py): each
change outside the linked folders is pushed as before; a push where only a linked
session changed runs no ``git add``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from git_claude_sync.engine import add_skip, odd_paths
from git_claude_sync.git import Git
from tests.engine.test_clean_here import LINE, link_folder
from tests.machines import Machine, git_plain


def adds(trace: Path) -> list[list[str]]:
    """The ``git add`` commands the CLI started (``-c NAME=VALUE`` before one passed over)."""
    found = []
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "start" and event["sid"].count("/") == 1:
            argv = event["argv"][1:]
            while argv[:1] == ["-c"]:
                argv = argv[2:]
            if argv[:1] == ["add"]:
                found.append(argv)
    return found


def dated_before(machine: Machine, seconds: float = 30) -> None:
    """Every file of the Claude directory dated ``seconds`` ago: none racily clean."""
    earlier = time.time() - seconds
    for folder, _dirs, names in os.walk(machine.claude):
        for name in names:
            os.utime(os.path.join(folder, name), (earlier, earlier), follow_symlinks=False)


def set_up(a: Machine) -> Path:
    """A linked session and a few ordinary files, pushed; the session's path."""
    session = link_folder(a, "-linked") / "s.jsonl"
    session.write_bytes(b"".join(LINE % i for i in range(50)))
    a.write("commands/x.md", b"first version\n")
    a.write("agents/y.md", b"an agent\n")
    a.write("plans/sub/p.md", b"a plan\n")
    dated_before(a)
    a.run("push")
    a.run("push")  # the index's stat data now this tree's own (a pair's home is a copy)
    return session


def append(session: Path) -> None:
    with session.open("ab") as f:
        f.write(LINE % 1000)
    past = time.time() - 2  # not in the index's second: no racy re-clean
    os.utime(session, (past, past))


def same_size_same_mtime(a: Machine) -> None:
    path = a.claude / "commands" / "x.md"
    st = path.stat()
    # git compares ctime to the second (built without USE_NSEC): a change in the very
    # second of the last ctime, with mtime and size kept, it misses, as plain git would.
    while time.time_ns() // 10**9 <= st.st_ctime_ns // 10**9:
        time.sleep(0.05)
    path.write_bytes(b"other version\n")  # as long: only its ctime tells
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def new_file(a: Machine) -> None:
    a.write("agents/new.md", b"new\n")


def deleted_file(a: Machine) -> None:
    (a.claude / "agents" / "y.md").unlink()


def racy_edit(a: Machine) -> None:
    # Staged by a push, then changed again at once, in the index's second, as long.
    a.write("commands/x.md", b"racy one\n")
    a.run("push")
    a.write("commands/x.md", b"racy two\n")


def made_executable(a: Machine) -> None:
    (a.claude / "commands" / "x.md").chmod(0o755)


def folder_replaced_by_file(a: Machine) -> None:
    (a.claude / "plans" / "sub" / "p.md").unlink()
    (a.claude / "plans" / "sub").rmdir()
    a.write("plans/sub", b"now a file\n")


CHANGES: dict[str, Callable[[Machine], None]] = {
    "same size and mtime": same_size_same_mtime,
    "new file": new_file,
    "deleted file": deleted_file,
    "racy edit": racy_edit,
    "chmod +x": made_executable,
    "folder replaced by a file": folder_replaced_by_file,
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_beside_a_linked_append_is_pushed(
    pair: tuple[Machine, Machine], tmp_path: Path, change: str
) -> None:
    a, b = pair
    session = set_up(a)
    CHANGES[change](a)
    append(session)
    trace = tmp_path / "trace.json"
    assert a.run("push", GIT_TRACE2_EVENT=str(trace)).stdout.startswith("Pushed")
    assert [argv[:2] for argv in adds(trace)] == [["add", "-A"]]

    b.run("pull")
    want = {path: data for path, data in a.files().items() if not path.startswith(b".")}
    want[b"projects/-linked/s.jsonl"] = session.read_bytes()  # behind its link
    got = {path: data for path, data in b.files().items() if not path.startswith(b".")}
    assert got == want
    head = a.git("ls-tree", "HEAD", "commands/x.md").stdout.split()[0]
    assert head == (b"100755" if change == "chmod +x" else b"100644")
    assert a.run("push").stdout.strip().startswith("Nothing to push")


def test_a_push_of_a_linked_append_alone_runs_no_git_add(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    session = set_up(a)
    append(session)
    trace = tmp_path / "trace.json"
    assert a.run("push", GIT_TRACE2_EVENT=str(trace)).stdout.startswith("Pushed")
    assert adds(trace) == []

    b.run("pull")
    assert b.files()[b"projects/-linked/s.jsonl"].endswith(LINE % 1000)
    assert a.run("push").stdout.strip().startswith("Nothing to push")


# -- the rule, on a plain repository --------------------------------------------------


def clean_repo(tmp_path: Path, object_format: str = "sha1") -> tuple[Git, Path]:
    """A work tree of two files, added by git in a second after theirs."""
    work = tmp_path / "work"
    work.mkdir()
    git_plain("init", "-q", f"--object-format={object_format}", str(work))
    for name in ("a", "b"):
        (work / name).write_bytes(b"content of " + name.encode() + b"\n")
        past = time.time() - 30
        os.utime(work / name, (past, past))
    git_plain("add", "-A", cwd=work)
    return Git(work / ".git", work), work


def nothing_to_add(git: Git, work: Path) -> bool:
    untracked = git.untracked_listing().paths()
    return add_skip.nothing_to_add(git, odd_paths.survey(git, work, untracked), untracked)


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_nothing_to_add_only_when_every_entry_is_stat_clean(
    tmp_path: Path, object_format: str
) -> None:
    git, work = clean_repo(tmp_path, object_format)
    assert nothing_to_add(git, work)

    # Racily clean: recorded by git with an mtime not older than the index file.
    future = time.time() + 100
    os.utime(work / "a", (future, future))
    git_plain("update-index", "-q", "--refresh", cwd=work)
    assert nothing_to_add(Git(git.git_dir, work), work) is False
    past = time.time() - 30
    os.utime(work / "a", (past, past))
    git_plain("update-index", "-q", "--refresh", cwd=work)
    assert nothing_to_add(Git(git.git_dir, work), work)

    (work / "c").write_bytes(b"new\n")  # untracked
    assert nothing_to_add(Git(git.git_dir, work), work) is False
    git_plain("add", "-N", "c", cwd=work)  # intent to add
    assert nothing_to_add(Git(git.git_dir, work), work) is False


def test_entries_marked_are_asked_as_git_add_would_see_them(tmp_path: Path) -> None:
    git, work = clean_repo(tmp_path)
    git_plain("update-index", "--skip-worktree", "a", cwd=work)  # kept.py's: add leaves it
    (work / "a").write_bytes(b"changed, but git add leaves it\n")
    assert nothing_to_add(Git(git.git_dir, work), work)
    # assume-unchanged outside a link: the survey drops the mark, and git add sees the change
    git_plain("update-index", "--no-skip-worktree", "a", cwd=work)
    git_plain("update-index", "--assume-unchanged", "a", cwd=work)
    assert nothing_to_add(Git(git.git_dir, work), work) is False
    assert git_plain("ls-files", "-v", "a", cwd=work) == b"H a\n"


def test_an_unmerged_or_smudged_index_is_added(tmp_path: Path) -> None:
    git, work = clean_repo(tmp_path)
    blob = git_plain("hash-object", "-w", "a", cwd=work).decode().strip()
    # Stat data zeroed, as git leaves a racily clean entry it found changed (its size 0).
    git_plain("update-index", "--cacheinfo", f"100644,{blob},a", cwd=work)
    assert nothing_to_add(Git(git.git_dir, work), work) is False
    git_plain("add", "a", cwd=work)
    assert nothing_to_add(Git(git.git_dir, work), work)
    unmerged = "".join(f"100644 {blob} {stage}\tb\n" for stage in (1, 2))
    git_plain("update-index", "--index-info", cwd=work, input=f"0 {'0' * 40}\tb\n".encode())
    git_plain("update-index", "--index-info", cwd=work, input=unmerged.encode())
    assert nothing_to_add(Git(git.git_dir, work), work) is False
