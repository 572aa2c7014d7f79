"""A pull that cannot write a file: named, the rest goes through, and the remote
version reaches every machine as a conflict copy (issue 9).

The remote version used to be stored on this machine only (conflict_store),
and the next push sent this machine's version back as a change: the other
machine's edit vanished from every working copy but in one machine's private
store.  Now it is a conflict copy, synced like any file (README: conflicts).
"""

from __future__ import annotations

import os

from git_claude_sync.engine.conflict_copies import NEEDS_A_PERSON
from tests.engine.test_odd_paths import NOBODY, Confined
from tests.machines import Machine


def copies_in(machine: Machine, folder: str) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in (machine.claude / folder).iterdir()
        if ".sync-conflict-" in p.name
    }


def test_a_file_a_pull_cannot_write_reaches_every_machine_as_a_conflict_copy(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("commands/x.md", b"one\n")
    a.run("push")
    b.run("pull")
    b.write("commands/x.md", b"two\n")
    b.write("CLAUDE.md", b"the rest goes through\n")
    b.run("push")
    a = Confined(a.home)
    folder = a.claude / "commands"
    folder.chmod(0o555)  # not writable here (owned by another user: even for root)
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    try:
        pulled = a.run("pull", check=False)
        assert pulled.returncode == NEEDS_A_PERSON, pulled
        assert "cannot write commands/x.md" in pulled.stderr, pulled.stderr
        assert "Traceback" not in pulled.stderr
        assert (a.claude / "CLAUDE.md").read_bytes() == b"the rest goes through\n"
        assert (folder / "x.md").read_bytes() == b"one\n"  # left as it is
        assert "commands/x.md" in a.run("conflicts").stdout
        pushed = a.run("push", check=False)  # sends the copy; x.md here is no change
        assert pushed.returncode == NEEDS_A_PERSON, pushed
    finally:
        if os.geteuid() == 0:
            os.chown(folder, 0, 0)
        folder.chmod(0o755)
    # The other machine's edit is a file on every machine until a person chooses.
    assert b.run("pull", check=False).returncode == NEEDS_A_PERSON
    assert list(copies_in(b, "commands").values()) == [b"two\n"]
    assert (b.claude / "commands" / "x.md").read_bytes() == b"one\n"
    assert "commands/x.md" in b.run("conflicts").stdout
    b.run("conflicts", "resolve", "commands/x.md", "--theirs")
    assert (b.claude / "commands" / "x.md").read_bytes() == b"two\n"
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands" / "x.md").read_bytes() == b"two\n"
    assert not copies_in(a, "commands")
