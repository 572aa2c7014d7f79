"""What a person sets up by hand travels; installs, caches and local paths stay."""

from __future__ import annotations

import json
from pathlib import Path

from git_claude_sync.claude.project_folders import encode
from tests.machines import Machine, git_plain, launcher_state


def remote_files(machine: Machine) -> set[str]:
    remote = str(machine.default_remote)
    out = git_plain("--git-dir", remote, "ls-tree", "-r", "--name-only", "main")
    return set(out.decode().split("\n")) - {""}


def test_hand_made_setup_is_synced_and_local_state_is_not(tmp_path: Path) -> None:
    (tmp_path / "Users/alice").mkdir(parents=True)
    (tmp_path / "home/alice").mkdir(parents=True)
    mac, linux = Machine(tmp_path / "Users/alice"), Machine(tmp_path / "home/alice")
    settings = {
        "statusLine": {"type": "command", "command": "bash ~/.claude/statusline.sh"},
        "hooks": {
            "Stop": [
                {"hooks": [{"type": "command", "command": "python3 $HOME/.claude/bin/deep/x.py"}]}
            ],
            "Notification": [
                {"hooks": [{"type": "command", "command": f"{mac.claude}/notify.sh --loud"}]}
            ],
        },
    }
    mac.write("settings.json", json.dumps(settings).encode())
    synced = {
        "keybindings.json": b'{"bindings": []}\n',
        "hooks/format.sh": b"#!/bin/sh\n",
        "output-styles/terse.md": b"# terse\n",
        "statusline.sh": b"echo status\n",
        "bin/deep/x.py": b"print('stop')\n",
        "notify.sh": b"notify-send done\n",
        "plugins/installed_plugins.json": b'{"version": 2, "plugins": {}}\n',
        "plugins/known_marketplaces.json": b"{}\n",
    }
    local = {
        "plugins/cache/acme/plugin/index.js": b"installed code\n",
        "plugins/marketplaces/acme/.claude-plugin/marketplace.json": b"{}\n",
        "bin/other.py": b"not referenced\n",
        "unreferenced.sh": b"echo\n",
        ".credentials.json": b'{"token": "x"}',
    }
    for rel, data in {**synced, **local}.items():
        mac.write(rel, data)
    # Auto memory lives in the project's folder and follows it like its sessions.
    api = mac.home / "code/api"
    folder = mac.claude / "projects" / encode(str(api))
    session = {"type": "user", "uuid": "u1", "cwd": str(api), "timestamp": "2026-01-01T00:00:00Z"}
    mac.write(f"projects/{folder.name}/s1.jsonl", json.dumps(session).encode() + b"\n")
    mac.write(f"projects/{folder.name}/memory/MEMORY.md", b"- uses pytest\n")
    # /add-dir's absolute local paths stay on this machine.
    mac.write(f"projects/{folder.name}/.session-aliases", str(mac.home / "other").encode())

    mac.run("init")
    mac.run("push")
    stored = remote_files(mac)
    assert set(synced) <= stored
    assert not set(local) & stored
    assert "projects/~-code-api/memory/MEMORY.md" in stored
    assert not any(name.endswith(".session-aliases") for name in stored)
    assert launcher_state(mac) == ""

    status = mac.run("status", check=False).stdout  # its exit code says in sync or not
    synced_row = next(x for x in status.splitlines() if x.startswith("Synced"))
    local_row = next(x for x in status.splitlines() if x.startswith("Not synced"))
    for name in ("keybindings.json", "plugins/installed_plugins.json", "statusline.sh"):
        assert name in synced_row.split()
    for name in ("plugins", "unreferenced.sh", ".credentials.json"):
        assert name in local_row.split()

    linux.run("init", "--git", str(mac.default_remote), "--key", str(mac.key_file))
    for rel, data in synced.items():
        assert (linux.claude / rel).read_bytes() == data
    for rel in local:
        assert not (linux.claude / rel).exists()
    here = linux.claude / "projects" / encode(str(linux.home / "code/api"))
    assert (here / "memory/MEMORY.md").read_bytes() == b"- uses pytest\n"
    assert not (here / ".session-aliases").exists()
