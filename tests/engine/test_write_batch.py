"""A pull's files are written beside their names, made durable together, then renamed
into place (machine/files.WriteBatch): a run killed at any point of it converges.

Killed before any rename, the Claude directory holds nothing but our temporary files
(removed by the next run); killed after some renames, those files are whole and the
branch has not moved; either way the next pull ends with every file as the remote has
it, nothing left over, and the same tree on both machines.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from git_claude_sync.machine.files import TEMP_SUFFIX, WriteBatch
from tests.machines import Machine
from tests.remote.injection import KILL_BEFORE_PLACING, KILL_MID_PLACING, injecting

FILES = {
    "CLAUDE.md": b"from a\n",
    "commands/one.md": b"one\n" * 100,
    "commands/two.md": b"two\n" * 100,
    "todos/t.json": b"[]",
    "agents/x.md": b"x\n",
}


@pytest.mark.parametrize("fault", [KILL_BEFORE_PLACING, KILL_MID_PLACING])
def test_a_join_killed_while_placing_its_files_converges(
    machine_a: Machine, tmp_path: Path, fault: str
) -> None:
    a = machine_a
    for rel, data in FILES.items():
        a.write(rel, data)
    a.run("init")
    a.run("push")
    c = Machine(tmp_path / "c")
    c.claude.mkdir(parents=True)
    log = tmp_path / "fault.log"
    joined = c.run(
        "init", "--git", str(a.default_remote), "--key", str(a.key_file), check=False,
        **injecting(fault=fault, fault_log=log),
    )  # fmt: skip
    assert joined.returncode < 0 or joined.returncode == 137, joined  # SIGKILL
    assert log.read_text().startswith(fault)
    placed = [rel for rel in FILES if (c.claude / rel).exists()]
    assert len(placed) == (0 if fault == KILL_BEFORE_PLACING else 1)
    for rel in placed:  # in place means whole
        assert (c.claude / rel).read_bytes() == FILES[rel]
    branch = subprocess.run(
        ["git", "--git-dir", str(c.tool_home / "repo.git"), "rev-parse", "-q", "--verify",
         "refs/heads/main"], capture_output=True, env=c.env(),
    )  # fmt: skip
    assert branch.returncode != 0  # the branch moves only once every file is in place
    c.run("pull")
    assert c.files() == {rel.encode(): data for rel, data in FILES.items()}
    assert not list(c.claude.rglob(f"*{TEMP_SUFFIX}"))
    # Files the killed run had placed were taken for this machine's own, equal to the
    # remote's (as after a kill between two files' renames before batching): the tree
    # pushed is the one already there, not one new blob in it.
    c.run("push")
    assert c.git("rev-parse", "HEAD^{tree}").stdout == a.git("rev-parse", "HEAD^{tree}").stdout


def test_a_file_written_again_after_the_early_sync_is_synced_by_commit(tmp_path: Path) -> None:
    """``start_sync`` makes what is written so far durable in the background; a file
    dropped and written again after it (same temporary name, new data) is not taken for
    covered by it, and every file ends in place with its last content."""
    batch = WriteBatch()
    names = [tmp_path / "d" / f"f{n}" for n in range(20)]
    for name in names:
        batch.replace(name, b"first")
    batch.start_sync()
    batch.drop(names[0])
    batch.replace(names[0], b"second")
    batch.replace(tmp_path / "late", b"late")
    early = batch._early
    assert early is not None
    covered = early.wait()
    assert {p.name.split(".")[1] for p in covered} == {f"f{n}" for n in range(1, 20)}
    batch.commit()
    assert names[0].read_bytes() == b"second" and (tmp_path / "late").read_bytes() == b"late"
    assert all(name.read_bytes() == b"first" for name in names[1:])
    assert not list(tmp_path.rglob(f"*{TEMP_SUFFIX}"))
