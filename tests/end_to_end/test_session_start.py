"""The SessionStart hook waits a few seconds for its pull, never longer, never failing."""

from __future__ import annotations

import json
import subprocess
import time

from tests.machines import Machine

SESSION = "projects/-opt-work-api/{}.jsonl"


def session_start(machine: Machine, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    payload = {"session_id": "s1", "hook_event_name": "SessionStart", "source": "startup"}
    start = time.monotonic()
    proc = subprocess.run(
        ["git-claude-sync", "hook", "session-start"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=machine.env(**env),
        cwd=machine.home,
        timeout=60,
    )
    return proc, time.monotonic() - start


def log_of(machine: Machine) -> str:
    return (machine.tool_home / "sync.log").read_text()


def new_session(machine: Machine, sid: str) -> bytes:
    line = {"type": "user", "uuid": sid, "timestamp": "2026-01-01T00:00:00Z"}
    data = json.dumps(line).encode() + b"\n"
    machine.write(SESSION.format(sid), data)
    return data


def test_a_quick_pull_lands_before_the_session_starts(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    data = new_session(a, "quick")
    a.run("push")
    proc, elapsed = session_start(b, CLAUDE_SYNC_START_WAIT="15")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert (b.claude / SESSION.format("quick")).read_bytes() == data  # there already
    assert elapsed < 15
    assert "the session start waited" in log_of(b) and "exit 0" in log_of(b)


def test_a_slow_remote_delays_the_session_by_the_budget_only(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    data = new_session(a, "slow")
    a.run("push")
    # A remote that takes 6 s to answer a fetch.
    b.git("config", "remote.origin.uploadpack", "sleep 6; git-upload-pack")
    budget = 1.5
    proc, elapsed = session_start(b, CLAUDE_SYNC_START_WAIT=str(budget))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert budget <= elapsed < budget + 2.5, f"the hook took {elapsed:.1f} s"
    assert not (b.claude / SESSION.format("slow")).exists()
    assert "the pull goes on in the background" in log_of(b)
    deadline = time.monotonic() + 40
    target = b.claude / SESSION.format("slow")
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.read_bytes() == data  # the pull went on and landed


def test_start_wait_comes_from_config_toml_and_zero_returns_at_once(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    config = b.tool_home / "config.toml"
    config.write_text(config.read_text().replace("start_wait = 4", "start_wait = 0"))
    b.git("config", "remote.origin.uploadpack", "sleep 6; git-upload-pack")
    proc, elapsed = session_start(b)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert elapsed < 1.5
    assert "the session start waited" not in log_of(b)
