"""Odd paths in the Claude directory (issue 9): each one is synced or skipped by
name, and none of them blocks a sync or loses a file."""

from __future__ import annotations

from tests.machines import Machine


def no_traceback(*outputs: str) -> None:
    for out in outputs:
        assert "Traceback" not in out, out


def test_a_file_name_with_a_newline_syncs_and_never_blocks_later_pushes(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write(b"commands/a\nb.md", b"two-line name\n")
    a.run("push")
    a.write("CLAUDE.md", b"later change\n")
    a.run("push")  # used to fail: "commands/a is not encrypted"
    b.run("pull")
    assert (b.claude / "commands" / "a\nb.md").read_bytes() == b"two-line name\n"
    assert (b.claude / "CLAUDE.md").read_bytes() == b"later change\n"
    # Deleted, the name still lies in history: pushes keep working.
    (a.claude / "commands" / "a\nb.md").unlink()
    a.run("push")
    a.write("CLAUDE.md", b"after the deletion\n")
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    b.run("pull")
    assert not (b.claude / "commands" / "a\nb.md").exists()
    assert (b.claude / "CLAUDE.md").read_bytes() == b"after the deletion\n"
