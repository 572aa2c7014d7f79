"""The git processes of a push after an append (issue 14): counted, so a later change
cannot silently add some back.  Each costs 2-4 ms of a push plain git does in ~0.3 s."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.engine.test_add_skip import dated_before
from tests.engine.test_clean_here import LINE, link_folder
from tests.machines import Machine

# Before push14b: 29.  What is left: the config, HEAD and the remote's tip (one
# cat-file), the untracked files (the index is read in process, before git add only:
# after it, the staged changes' modes tell what it must not stage), the linked
# session stored (hash-object; update-index, its assume-unchanged mark with it; no
# add: nothing else changed, engine/add_skip.py), diff-index, write-tree, the sealed
# commit (hash-object, update-ref), verify_outgoing's walk of the lone commit
# (diff-tree -t; the sizes read from its loose objects), the push (which moves the
# remote-tracking ref itself).  The objects read back are loose, inflated without a
# cat-file --batch.
MAX_GIT_PROCESSES = 10


def git_commands(trace: Path) -> list[str]:
    """The git commands the CLI itself started, in order: children of the ``git`` that runs
    ``git claude-sync``, not their own (pack-objects, receive-pack...)."""
    commands = []
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "start" and event["sid"].count("/") == 1:
            commands.append(" ".join(event["argv"][1:3]))
    return commands


def test_an_append_push_starts_few_git_processes(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    session = link_folder(a, "-linked") / "s.jsonl"
    session.write_bytes(b"".join(LINE % i for i in range(2000)))  # several chunks
    dated_before(a)  # none racily clean: git add would read it again
    a.run("push")

    with session.open("ab") as f:
        f.write(LINE % 2000)
    past = time.time() - 2  # not in the index's second: no racy re-clean
    os.utime(session, (past, past))
    trace = tmp_path / "trace.json"
    assert a.run("push", GIT_TRACE2_EVENT=str(trace)).stdout.startswith("Pushed")
    commands = git_commands(trace)
    assert len(commands) <= MAX_GIT_PROCESSES, "\n".join(commands)

    b.run("pull")  # what went out is whole, and the next push has nothing to send
    assert b.files()[b"projects/-linked/s.jsonl"].endswith(LINE % 2000)
    assert a.run("push").stdout.strip().startswith("Nothing to push")
