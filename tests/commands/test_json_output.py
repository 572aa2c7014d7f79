"""``--json`` on every listing command: one document, ``{"schema": 1, "command": ...}``.

The members checked here are the ones docs/spec/json-output.md promises.
"""

from __future__ import annotations

import json
from typing import Any

from tests.machines import Machine

SESSION = (
    b'{"type":"user","uuid":"u1","sessionId":"5f1c2d3e-0000-4000-8000-000000000001",'
    b'"cwd":"/home/alice/code/api","timestamp":"2026-06-20T10:00:00Z",'
    b'"message":{"role":"user","content":"fix the login bug"}}\n'
)


def document(machine: Machine, *args: str) -> dict[str, Any]:
    proc = machine.run(*args, "--json")
    data = json.loads(proc.stdout)
    assert data["schema"] == 1
    return data


def test_sessions_log_conflicts_map_and_key_as_json(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-home-alice-code-api/5f1c2d3e-0000-4000-8000-000000000001.jsonl", SESSION)
    a.run("push")

    sessions = document(a, "sessions")
    assert sessions["command"] == "sessions"
    (one,) = sessions["sessions"]
    assert one["id"] == "5f1c2d3e-0000-4000-8000-000000000001"
    assert one["where"] == "here" and one["title"] == "fix the login bug"
    assert one["cwd"] == "/home/alice/code/api" and one["size"] == len(SESSION)
    assert one["last_activity"] == "2026-06-20T10:00:00Z"
    assert set(one) == {
        "id",
        "project",
        "cwd",
        "folder",
        "last_activity",
        "size",
        "machine",
        "where",
        "title",
    }

    log = document(a, "log")
    assert log["command"] == "log" and len(log["syncs"]) == 2
    latest = log["syncs"][0]
    assert latest["kind"] == "sync" and latest["sessions"][0]["id"] == one["id"]
    assert latest["stored_bytes_delta"] > 0 and latest["at"].endswith("Z")
    assert len(latest["commit"]) == 40

    assert document(a, "conflicts") == {"schema": 1, "command": "conflicts", "conflicts": []}
    a.write("CLAUDE.md", b"base\n")
    a.run("push")
    b.run("pull")
    a.write("CLAUDE.md", b"from a\n")
    a.run("push")
    b.write("CLAUDE.md", b"from b\n")
    b.run("pull", check=False)
    (conflict,) = document(b, "conflicts")["conflicts"]
    assert conflict["path"] == "CLAUDE.md"

    mapping = document(a, "map", "--list")
    assert mapping["command"] == "map" and mapping["rules"] == [] and "home" in mapping
    a.run("map", "/opt/work", str(a.home / "src"))
    assert document(a, "map", "--list")["rules"] == [
        {"from": "/opt/work", "to": str(a.home / "src")}
    ]
    refused = a.run("map", "/x", "/y", "--json", check=False)
    assert refused.returncode == 2 and "--json goes with --list only" in refused.stderr

    key = document(a, "key", "fingerprint")
    assert key["fingerprint"] == a.run("key", "fingerprint").stdout.strip()
    assert key["fingerprint"] == document(b, "key", "fingerprint")["fingerprint"]
