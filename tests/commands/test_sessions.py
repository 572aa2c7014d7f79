"""Sessions across machines: deletions kept on the remote, listing, restore, the sync log."""

from __future__ import annotations

import json
import os
import time

import pytest

from git_claude_sync.engine import session_history
from tests.machines import Machine, git_plain, launcher_state
from tests.prepared import PreparedPairs

SID_1 = "1a1a1a1a-0000-4000-8000-000000000001"
SID_2 = "2b2b2b2b-0000-4000-8000-000000000002"
SID_3 = "3c3c3c3c-0000-4000-8000-000000000003"


def transcript(sid: str, cwd: str, prompt: str, stamps: list[str]) -> bytes:
    lines = []
    for i, stamp in enumerate(stamps):
        kind = "user" if i % 2 == 0 else "assistant"
        content = prompt if i == 0 else f"line {i}"
        lines.append(
            {
                "type": kind,
                "uuid": f"{sid[:8]}-{i}",
                "sessionId": sid,
                "cwd": cwd,
                "timestamp": stamp,
                "message": {"role": kind, "content": content},
            }
        )
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def session_path(folder: str, sid: str) -> str:
    return f"projects/{folder}/{sid}.jsonl"


def remote_paths(machine: Machine) -> set[bytes]:
    out = git_plain(
        "--git-dir", str(machine.default_remote), "ls-tree", "-r", "--name-only", "-z", "main"
    )
    return {p for p in out.split(b"\0") if p}


def _synced(a: Machine, b: Machine) -> None:
    a.write(
        session_path("-home-a-src-api", SID_1),
        transcript(SID_1, "/home/a/src/api", "Fix the flaky login test", ["2025-06-01T10:00:00Z"]),
    )
    subagent = f"projects/-home-a-src-api/{SID_1}/subagents/agent-x.jsonl"
    a.write(subagent, b'{"sessionId":"' + SID_1.encode() + b'","uuid":"s1"}\n')
    a.write(
        session_path("-home-a-src-api", SID_2),
        transcript(
            SID_2,
            "/home/a/src/api",
            "Add pagination to /users",
            ["2025-06-02T09:00:00Z", "2025-06-02T09:30:00Z"],
        ),
    )
    a.write(
        session_path("-home-a-src-my-app", SID_3),
        transcript(SID_3, "/home/a/src/my.app", "Write the README", ["2025-06-03T08:00:00Z"]),
    )
    a.run("push")
    b.run("pull")


@pytest.fixture
def synced(
    machine_a: Machine, machine_b: Machine, prepared_pairs: PreparedPairs
) -> tuple[Machine, Machine]:
    """A has two sessions in one project and one in another; B has pulled them (built once
    per worker and copied)."""
    return prepared_pairs.copy(_synced, machine_a, machine_b)


def test_a_session_deleted_here_stays_on_the_remote_until_push_prune(
    synced: tuple[Machine, Machine],
) -> None:
    a, b = synced
    path = session_path("-home-a-src-api", SID_1)
    (a.claude / path).unlink()  # Claude Code's clean-up
    out = a.run("push").stdout
    assert "Kept 1 file deleted here on the remote" in out and "--prune" in out
    assert path.encode() in remote_paths(a)
    # The deletion is remembered: nothing left to push, git status clean (launcher fast path).
    assert "Nothing to push" in a.run("push").stdout
    assert launcher_state(a) == ""
    status = a.run("status", check=False).stdout.splitlines()
    assert next(line for line in status if line.startswith("To push")).split()[-1] == "nothing"
    # Other machines keep their copy.
    b.run("pull")
    assert (b.claude / path).exists()
    # A pull does not bring it back while nothing changes it elsewhere...
    b.write(
        session_path("-home-a-src-api", SID_2),
        (b.claude / session_path("-home-a-src-api", SID_2)).read_bytes() + b'{"uuid":"more"}\n',
    )
    b.run("push")
    a.run("pull")
    assert not (a.claude / path).exists()
    # ...but new content from another machine does (the session is in use there).
    b.write(path, (b.claude / path).read_bytes() + b'{"uuid":"resumed"}\n')
    b.run("push")
    a.run("pull")
    assert (a.claude / path).read_bytes().endswith(b'{"uuid":"resumed"}\n')
    assert launcher_state(a) == ""

    # --prune deletes it everywhere.
    (a.claude / path).unlink()
    a.run("push")
    assert path.encode() in remote_paths(a)
    a.run("push", "--prune")
    assert path.encode() not in remote_paths(a)
    b.run("pull")
    assert not (b.claude / path).exists()


def test_sessions_lists_every_machines_sessions(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    b.run("git", "config", "user.name", "ignored")  # machine names come from config.toml
    (b.tool_home / "config.toml").write_text('machine = "desktop"\n')
    b.write(
        session_path("-home-a-src-api", SID_2),
        (b.claude / session_path("-home-a-src-api", SID_2)).read_bytes()
        + transcript(SID_2, "/home/a/src/api", "more", ["2025-06-05T12:00:00Z"]),
    )
    b.run("push")
    a.run("pull")
    (a.claude / session_path("-home-a-src-my-app", SID_3)).unlink()

    out = a.run("sessions").stdout
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["SESSION", "PROJECT", "LAST", "ACTIVITY"]
    rows = {line[:8]: line for line in lines[1:-1]}
    assert set(rows) == {SID_1[:8], SID_2[:8], SID_3[:8]}
    assert "desktop" in rows[SID_2[:8]] and "Add pagination to /users" in rows[SID_2[:8]]
    assert "api" in rows[SID_1[:8]] and "Fix the flaky login test" in rows[SID_1[:8]]
    # The project comes from the cwd recorded in the session, not the ambiguous folder name.
    assert "my.app" in rows[SID_3[:8]] and "remote" in rows[SID_3[:8]]
    # Latest activity first.
    assert [line[:8] for line in lines[1:-1]] == [SID_2[:8], SID_3[:8], SID_1[:8]]
    assert "1 deleted here but kept on the remote" in lines[-1]

    only = a.run("sessions", "--project", "my.app").stdout.splitlines()
    assert [line[:8] for line in only[1:-1]] == [SID_3[:8]]
    by_machine = a.run("sessions", "--machine", "desktop").stdout.splitlines()
    assert [line[:8] for line in by_machine[1:-1]] == [SID_2[:8]]
    recent = a.run("sessions", "--since", "2025-06-02T12:00:00+00:00").stdout.splitlines()
    assert [line[:8] for line in recent[1:-1]] == [SID_2[:8], SID_3[:8]]
    bad = a.run("sessions", "--since", "whenever", check=False)
    assert bad.returncode != 0 and "cannot read the date" in bad.stderr


def test_restore_brings_back_a_session_deleted_here_without_touching_others(
    synced: tuple[Machine, Machine],
) -> None:
    a, _b = synced
    path = session_path("-home-a-src-api", SID_1)
    subagent = f"projects/-home-a-src-api/{SID_1}/subagents/agent-x.jsonl"
    original = (a.claude / path).read_bytes()
    original_sub = (a.claude / subagent).read_bytes()
    (a.claude / path).unlink()
    (a.claude / subagent).unlink()
    os.rmdir(a.claude / f"projects/-home-a-src-api/{SID_1}/subagents")
    a.run("push")
    other = a.claude / session_path("-home-a-src-api", SID_2)
    other.write_bytes(other.read_bytes() + b'{"uuid":"unpushed"}\n')
    other_before = other.read_bytes()

    out = a.run("restore", SID_1[:6]).stdout
    assert "Restored session " + SID_1 in out and "2 files" in out
    assert "claude --resume " + SID_1 in out
    assert (a.claude / path).read_bytes() == original
    assert (a.claude / subagent).read_bytes() == original_sub
    assert other.read_bytes() == other_before  # not touched, even with unpushed changes
    # Restored as synced: only the other session's own change is left to push.
    out = a.run("push", "-v").stdout
    assert "0 added, 1 changed, 0 deleted" in out
    assert "Nothing to push" in a.run("push").stdout
    assert "already in that state" in a.run("restore", SID_1).stdout


def test_restore_from_history_and_at_a_date(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    path = session_path("-home-a-src-api", SID_2)
    first = (a.claude / path).read_bytes()
    time.sleep(1.1)
    moment = time.time()
    time.sleep(1.1)
    a.write(path, first + b'{"uuid":"later"}\n')
    a.run("push")

    # Its state at a time: a session only grows, so all of it is here already; a
    # restore never drops the lines written since (Claude Code may hold the file open).
    out = a.run("restore", SID_2[:8], "--at", str(moment_iso(moment))).stdout
    assert "already in that state" in out
    assert (a.claude / path).read_bytes() == first + b'{"uuid":"later"}\n'

    # Unpushed changes are never overwritten without --force.
    a.write(path, first + b'{"uuid":"mine"}\n')
    refused = a.run("restore", SID_2[:8], check=False)
    assert refused.returncode != 0 and "not pushed yet" in refused.stderr
    assert (a.claude / path).read_bytes() == first + b'{"uuid":"mine"}\n'
    a.run("restore", SID_2[:8], "--force")  # the lines it lacks, appended: none lost
    assert (a.claude / path).read_bytes() == first + b'{"uuid":"mine"}\n{"uuid":"later"}\n'

    # Deleted everywhere (--prune): still in history, and restorable.
    (b.claude / session_path("-home-a-src-my-app", SID_3)).unlink()
    b.run("pull")
    b.run("push", "--prune")
    a.run("pull")
    assert not (a.claude / session_path("-home-a-src-my-app", SID_3)).exists()
    listing = a.run("sessions").stdout
    assert "history" in next(line for line in listing.splitlines() if line.startswith(SID_3[:8]))
    a.run("restore", SID_3)
    restored = (a.claude / session_path("-home-a-src-my-app", SID_3)).read_bytes()
    assert b"Write the README" in restored
    a.run("push")
    assert session_path("-home-a-src-my-app", SID_3).encode() in remote_paths(a)

    ambiguous = a.run("restore", "", check=False)
    assert ambiguous.returncode != 0
    unknown = a.run("restore", "ffff", check=False)
    assert unknown.returncode != 0 and "no session 'ffff'" in unknown.stderr


def moment_iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(moment))


def test_log_shows_machine_sessions_and_size(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    (b.tool_home / "config.toml").write_text('machine = "desktop"\n')
    path = session_path("-home-a-src-api", SID_2)
    pad = os.urandom(3000).hex().encode()  # incompressible: the size shows in KB
    b.write(path, (b.claude / path).read_bytes() + b'{"uuid":"x","pad":"' + pad + b'"}\n')
    b.write("CLAUDE.md", b"notes\n")
    b.run("push")
    a.run("pull")
    out = a.run("log").stdout.splitlines()
    newest = out[0]
    assert "desktop" in newest and "1 session (api)" in newest and "1 other file" in newest
    assert "+" in newest and "KB" in newest
    # A's first push: three sessions in two projects, plus settings.json from the fixture.
    assert any("3 sessions (api ×2, my.app)" in line for line in out)
    verbose = a.run("log", "-v", "-n", "1").stdout
    assert SID_2[:8] in verbose and "Add pagination" in verbose
    assert a.run("log", "--machine", "desktop").stdout.count("\n") == 1


def test_summaries_read_titles_commands_and_timestamps() -> None:
    lines = [
        {"type": "summary", "summary": "Login fixes", "leafUuid": "x"},
        {"type": "user", "isMeta": True, "message": {"content": "Caveat: meta"}},
        {
            "type": "user",
            "cwd": "/w/p",
            "sessionId": "s",
            "timestamp": "2025-01-01T00:00:05Z",
            "message": {
                "content": "<command-name>/init</command-name><command-args></command-args>"
            },
        },
        {"type": "assistant", "timestamp": "2025-01-01T00:00:09.5Z", "message": {}},
        {"type": "user", "timestamp": "2025-01-01T00:00:07Z", "message": {"content": "later"}},
    ]
    data = b"".join(json.dumps(x).encode() + b"\n" for x in lines) + b'{"torn'
    summary = session_history.summarize(data)
    # A slash command is the title only when nothing was typed.
    assert summary.title == "later" and summary.cwd == "/w/p" and summary.session_id == "s"
    only_command = b"".join(json.dumps(x).encode() + b"\n" for x in lines[1:4])
    assert session_history.summarize(only_command).title == "/init"
    assert summary.last == pytest.approx(1735689609.5)
    untitled = session_history.summarize(json.dumps(lines[0]).encode() + b"\n")
    assert untitled.title == "Login fixes"
    assert session_history.parse_date("3d", now=1_000_000) == 1_000_000 - 3 * 86400
    assert session_history.parse_date("2 weeks ago", now=2_000_000) == 2_000_000 - 14 * 86400
    assert session_history.parse_date("2025-01-01T00:00:00Z") == 1735689600
