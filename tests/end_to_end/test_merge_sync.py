"""Both machines changed the same file: merged like git would, on decrypted content."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time

from tests.machines import Machine, all_objects


def diverge(a: Machine, b: Machine, path: str, base: bytes, on_a: bytes, on_b: bytes) -> None:
    a.write(path, base)
    a.run("push")
    b.run("pull")
    a.write(path, on_a)
    a.run("push")
    b.write(path, on_b)


def test_one_session_resumed_on_two_machines_keeps_every_line(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    base = b'{"uuid":"1","timestamp":"2026-01-01T00:00:00Z"}\n'
    line_a = b'{"uuid":"a","timestamp":"2026-01-01T00:01:00Z"}\n'
    line_b = b'{"uuid":"b","timestamp":"2026-01-01T00:02:00Z"}\n'
    diverge(a, b, "projects/-p/s.jsonl", base, base + line_a, base + line_b)
    out = b.run("push").stdout
    assert "Merged the contents of 1 file" in out
    a.run("pull")
    merged_a = (a.claude / "projects/-p/s.jsonl").read_bytes()
    merged_b = (b.claude / "projects/-p/s.jsonl").read_bytes()
    # Every line on both; each machine's file only grew (lines it lacked were
    # appended in place, never rewritten under Claude Code), so orders differ.
    assert merged_a == base + line_a + line_b
    assert merged_b == base + line_b + line_a
    # Converged: nothing more travels either way.
    assert "Nothing to push" in a.run("push").stdout
    assert "Already up to date" in b.run("pull").stdout


def test_settings_edited_on_both_machines_merge_by_key(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    base = {"model": "opus", "env": {"A": "1"}}
    on_a = {**base, "theme": "dark"}
    on_b = {**base, "env": {"A": "1", "B": "2"}}
    diverge(
        a,
        b,
        "settings.json",
        json.dumps(base, indent=2).encode(),
        json.dumps(on_a, indent=2).encode(),
        json.dumps(on_b, indent=2).encode(),
    )
    b.run("pull")
    merged = json.loads((b.claude / "settings.json").read_bytes())
    assert merged == {"model": "opus", "env": {"A": "1", "B": "2"}, "theme": "dark"}


def test_theirs_flag_takes_the_remote_version(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    diverge(a, b, "CLAUDE.md", b"line\n", b"from a\n", b"from b\n")
    b.run("pull", "--theirs")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"from a\n"
    # This machine's version is still in the sync repo's history.
    assert "from b" in b.run("git", "log", "-p").stdout


def test_keep_both_from_a_terminal_prompt(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    diverge(a, b, "commands/deploy.md", b"line\n", b"from a\n", b"from b\n")
    output = run_on_terminal(b, ["pull"], answers=["d", "b"])
    assert "Both machines changed commands/deploy.md" in output
    assert "+from a" in output  # the diff was shown
    assert (b.claude / "commands/deploy.md").read_bytes() == b"from b\n"
    assert (b.claude / "commands/deploy.remote.md").read_bytes() == b"from a\n"


def test_manual_git_merge_uses_the_same_merge(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    base = b'{"uuid":"1"}\n'
    diverge(a, b, "projects/-p/s.jsonl", base, base + b'{"uuid":"a"}\n', base + b'{"uuid":"b"}\n')
    b.run("git", "add", "-A")
    b.run("git", "commit", "-q", "-m", "local")
    b.run("git", "fetch", "-q", "origin")
    b.run("git", "merge", "-q", "--no-edit", "origin/main")
    merged = (b.claude / "projects/-p/s.jsonl").read_bytes()
    assert merged == base + b'{"uuid":"a"}\n{"uuid":"b"}\n'
    stored = b.git("cat-file", "blob", "HEAD:projects/-p/s.jsonl").stdout
    assert stored.startswith(b"\x00GCSYNC\x00") and b'"uuid"' not in stored
    b.run("push")
    assert b'"uuid":"b"' not in all_objects(a.default_remote)


def run_on_terminal(machine: Machine, args: list[str], answers: list[str]) -> str:
    """Run the CLI on a pseudo-terminal, typing each answer at a prompt."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        ["git", "claude-sync", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=machine.env(TERM="dumb", PAGER="cat", GIT_PAGER="cat"),
        cwd=machine.home,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith(b"Choice:"):
                os.write(controller, pending.pop(0).encode() + b"\n")
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(controller)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    return text
