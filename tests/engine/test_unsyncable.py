"""Entries git cannot encrypt (symlinks 120000, gitlinks 160000) never leave this machine,
however they came into the index: the push drops them from its commit.  A push no longer
lists the whole index after ``git add -A`` to find them (engine/unsyncable.py): these
pin that the entries it finds otherwise are the same."""

from __future__ import annotations

import os

from tests.machines import Machine


def _tree(machine: Machine) -> dict[bytes, bytes]:
    """Path -> mode of every entry of the sync repo's HEAD."""
    out = machine.git("ls-tree", "-r", "-z", "HEAD").stdout
    return {record.split(b"\t", 1)[1]: record.split()[0] for record in out.split(b"\0") if record}


def _index(machine: Machine) -> dict[bytes, bytes]:
    out = machine.git("ls-files", "-s", "-z").stdout
    return {record.split(b"\t", 1)[1]: record.split()[0] for record in out.split(b"\0") if record}


def test_a_link_plain_git_committed_is_still_found_after_add(
    pair: tuple[Machine, Machine],
) -> None:
    """``git claude-sync git add`` of a dangling link committed it as a link (120000):
    the index holds it unchanged from HEAD and add -A leaves it (a dangling link is
    skipped).  The push still finds it, as the listing after add did: named as not
    synced, out of the index; and that commit, not ciphertext, is refused."""
    a, _b = pair
    (a.claude / "commands").mkdir()
    os.symlink(a.home / "nowhere.md", a.claude / "commands" / "dangling.md")
    a.run("git", "add", "-f", "commands/dangling.md")
    a.run("git", "commit", "-q", "-m", "a link, by hand")
    assert _tree(a)[b"commands/dangling.md"] == b"120000"
    a.write("CLAUDE.md", b"a change to push\n")
    proc = a.run("push", check=False)
    assert proc.returncode != 0
    assert "skipped commands/dangling.md: symlinks and nested repositories" in proc.stderr
    assert "refusing to push: commands/dangling.md is not encrypted" in proc.stderr
    assert b"commands/dangling.md" not in _index(a)


def test_a_link_and_a_gitlink_staged_by_hand_never_leave(pair: tuple[Machine, Machine]) -> None:
    """Entries new since HEAD with a link's or a gitlink's mode (staged by plain git, not
    committed) are dropped from the push's commit too."""
    a, b = pair
    (a.claude / "commands").mkdir()
    os.symlink(a.home / "nowhere.md", a.claude / "commands" / "gone.md")
    a.run("git", "add", "-f", "commands/gone.md")
    a.run("git", "update-index", "--add", "--cacheinfo", "160000," + "c0" * 20 + ",skills/sub")
    assert _index(a)[b"skills/sub"] == b"160000"
    a.write("CLAUDE.md", b"a change to push\n")
    a.run("push")
    tree = _tree(a)
    assert b"commands/gone.md" not in tree and b"skills/sub" not in tree
    assert tree[b"CLAUDE.md"] == b"100644"
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"a change to push\n"
