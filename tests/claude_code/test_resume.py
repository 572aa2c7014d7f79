"""Sessions made by the real Claude Code on one machine, resumed on another."""

from __future__ import annotations

import json
from pathlib import Path

from tests.claude_code.client import Claude
from tests.machines import Machine


def sessions(machine: Machine) -> dict[str, Path]:
    """Session id -> transcript, for every transcript under projects/ (links not followed)."""
    found = {}
    for path in (machine.claude / "projects").rglob("*.jsonl"):
        if path.parent.parent.name == "projects" and not path.parent.is_symlink():
            found[path.stem] = path
    return found


def join(a: Machine, b: Machine) -> None:
    a.run("init")
    a.run("push")
    b.run("init", "--git", str(a.default_remote), "--key", str(a.key_file))


def test_resume_and_continue_across_homes(claude_mac: Claude, claude_linux: Claude) -> None:
    mac, linux = claude_mac.machine, claude_linux.machine
    api_mac, api_linux = mac.home / "code" / "api", linux.home / "code" / "api"

    assert claude_mac.ask(api_mac, "hello from the mac") == 2
    (sid,) = sessions(mac)
    join(mac, linux)
    linux.run("pull")

    # --resume ID in B's own folder for the project: the transcript is loaded.
    assert claude_linux.ask(api_linux, "hi from linux", "--resume", sid) == 4
    assert claude_linux.sent("hi from linux", "hello from the mac")
    # --continue: the latest session of this folder, now with both turns.
    assert claude_linux.ask(api_linux, "more from linux", "--continue") == 6
    assert claude_linux.sent("more from linux", "hi from linux")
    linux.run("push")

    mac.run("pull")
    assert claude_mac.ask(api_mac, "back on the mac", "--resume", sid) == 8
    assert claude_mac.sent("back on the mac", "more from linux")
    # One transcript, in the real folder Claude Code uses on the Mac (which the
    # canonical name links to), with every turn of both machines.
    transcript = sessions(mac)[sid]
    canonical = mac.claude / "projects" / "~-code-api"
    assert canonical.is_symlink() and canonical.resolve() == transcript.parent.resolve()
    prompts = [
        line["message"]["content"]
        for line in map(json.loads, transcript.read_text().splitlines())
        if line.get("type") == "user" and isinstance(line["message"]["content"], str)
    ]
    assert prompts == ["hello from the mac", "hi from linux", "more from linux", "back on the mac"]


def test_resume_picker_across_homes(claude_mac: Claude, claude_linux: Claude) -> None:
    """The /resume picker lists and opens a session made interactively on the other machine.

    (Sessions made by ``claude -p`` are hidden from the picker by design.)
    """
    mac, linux = claude_mac.machine, claude_linux.machine
    with claude_mac.tmux(mac.home / "code" / "api") as session:
        session.ready()
        session.enter("hello from the mac")
        assert session.answer("hello from the mac") == 2
        session.exit()
    join(mac, linux)
    linux.run("pull")

    with claude_linux.tmux(linux.home / "code" / "api") as session:
        session.ready()
        session.enter("/resume")
        session.wait("Resume session")
        session.wait("hello from the mac")
        session.keys("Enter")
        session.wait("I see 2 messages")  # the transcript, shown
        session.ready()
        session.enter("hi from linux")
        # 2 messages loaded, the new prompt, and a note of the switch (a fresh session: 2).
        assert session.answer("hi from linux") >= 4
        assert claude_linux.sent("hi from linux", "hello from the mac")
