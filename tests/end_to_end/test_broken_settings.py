"""A settings.json Claude Code would skip never travels and never lands."""

from __future__ import annotations

from tests.machines import Machine

GOOD = b'{"model": "opus"}\n'
BROKEN = b'{"model": "opus", "permissions": {"allow": "Bash(ls)"}}\n'


def test_a_broken_settings_json_is_held_back_and_the_last_good_one_stays(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("settings.json", BROKEN)
    a.write("CLAUDE.md", b"# still synced\n")
    pushed = a.run("push")
    assert "settings.json not synced: Claude Code would skip it" in pushed.stderr
    assert "permissions.allow must be an array" in pushed.stderr
    assert (a.claude / "settings.json").read_bytes() == BROKEN  # the user's file is untouched

    b.run("pull")
    assert (b.claude / "settings.json").read_bytes() == GOOD
    assert (b.claude / "CLAUDE.md").read_bytes() == b"# still synced\n"

    status = a.run("status", check=False).stdout
    assert "Held back" in status and "permissions.allow must be an array" in status

    a.write("settings.json", b'{"model": "sonnet"}\n')  # fixed: syncs again
    a.run("push")
    assert "Held back" not in a.run("status", check=False).stdout
    b.run("pull")
    assert (b.claude / "settings.json").read_bytes() == b'{"model": "sonnet"}\n'


def test_a_broken_settings_json_on_the_remote_is_not_applied_and_is_repaired(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    # Plain git through the passthrough (its commit sealed) pushes a broken settings.json.
    b.write("settings.json", b"{not json")
    b.run("git", "add", "-f", "settings.json")
    b.run("git", "commit", "-q", "-m", "old client")
    b.run("git", "push", "-q", "origin", "main:main")

    pulled = a.run("pull")
    assert "settings.json from the remote not applied" in pulled.stderr
    assert "not valid JSON" in pulled.stderr
    assert (a.claude / "settings.json").read_bytes() == GOOD

    a.run("push")  # the good version goes back to the remote
    b.run("pull")
    assert (b.claude / "settings.json").read_bytes() == GOOD
    assert b.git("--work-tree", str(b.claude), "status", "--porcelain").stdout == b""
