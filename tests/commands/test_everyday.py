"""The small things of everyday use (issue 12's "smaller" list), each on the real CLI."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

from tests.machines import Machine


def on_terminal(
    machine: Machine, args: list[str], answer: str, after: bytes, **extra: str
) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal; type ``answer`` once the output ends with ``after``."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        ["git", "claude-sync", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=machine.env(**{"TERM": "dumb", **extra}),
        cwd=machine.home,
        close_fds=True,
    )
    os.close(terminal)
    output, answered = b"", False
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
            if not answered and output.rstrip().endswith(after):
                os.write(controller, answer.encode() + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=30)
    os.close(controller)
    return code, output.decode("utf-8", "replace")


def test_push_refuses_ours_with_theirs(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    for command in ("push", "pull"):
        proc = a.run(command, "--ours", "--theirs", check=False)
        assert proc.returncode == 2
        assert "--ours and --theirs exclude each other" in proc.stderr
    assert a.run("push", "--ours").returncode == 0  # one alone is fine


def test_conflicts_resolve_says_ours_and_theirs_like_push(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"base\n")
    a.run("push")
    b.run("pull")
    a.write("CLAUDE.md", b"from a\n")
    a.run("push")
    b.write("CLAUDE.md", b"from b\n")
    b.run("pull", check=False)  # no terminal: the conflict waits for a person
    listing = b.run("conflicts").stdout
    assert "--ours|--theirs|--both" in listing and "--local" not in listing
    help_text = b.run("conflicts", "resolve", "-h").stdout
    assert "--theirs" in help_text and "--remote" not in help_text  # documented: one spelling
    refused = b.run("conflicts", "resolve", "CLAUDE.md", "--ours", "--remote", check=False)
    assert refused.returncode == 2 and "exclude each other" in refused.stderr
    b.run("conflicts", "resolve", "CLAUDE.md", "--theirs")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"from a\n"


def test_key_rotate_asks_on_a_terminal(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    before = a.run("key", "fingerprint").stdout
    code, output = on_terminal(a, ["key", "rotate"], "n", b"[y/N]:")
    assert "stops every other machine" in output
    assert code == 1 and "key not rotated; nothing was changed" in output
    assert a.run("key", "fingerprint").stdout == before
    code, output = on_terminal(a, ["key", "rotate"], "y", b"[y/N]:")
    assert code == 0 and "Rotated the key" in output, output
    assert a.run("key", "fingerprint").stdout != before
    # --yes does not ask (here without a terminal, where it never asks anyway).
    assert "Rotated the key" in a.run("key", "rotate", "--yes").stdout


def test_map_refuses_a_relative_from(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    proc = a.run("map", "relative/path", "/x", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "git-claude-sync: FROM must be an absolute path as the other machine has it "
        "(/Users/alice/code, ~/code or C:\\code), not 'relative/path'"
    ]
    assert not (a.tool_home / "map.json").exists()
    assert "Mapped /Users/alice/code" in a.run("map", "/Users/alice/code", str(a.home)).stdout


def test_key_export_names_the_real_remote_and_key_use_after_a_rotation(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    env = {"GIT_CLAUDE_SYNC_PASSPHRASE": "correct horse battery staple"}
    proc = a.run("key", "export", **env)
    assert f"init --git {a.default_remote} --key-code CODE" in proc.stderr
    assert "URL" not in proc.stderr and "key use" not in proc.stderr
    a.run("key", "rotate", "--yes")
    proc = a.run("key", "export", **env)
    assert "a machine already syncing runs: git claude-sync key use --key-code CODE" in (
        proc.stderr
    )


def test_init_with_a_key_but_no_remote_is_refused(machine_a: Machine, machine_b: Machine) -> None:
    machine_a.run("init")
    proc = machine_b.run("init", "--key", str(machine_a.key_file), check=False)
    assert proc.returncode == 1
    assert "name its remote with --git URL" in proc.stderr
    assert not machine_b.tool_home.exists()  # nothing made, no lonely remote


def test_new_machines_get_distinct_names(machine_a: Machine, machine_b: Machine) -> None:
    machine_a.run("init")
    machine_b.run("init")
    names = []
    for m in (machine_a, machine_b):
        text = (m.tool_home / "config.toml").read_text()
        found = re.search(r"^machine = '(.+)'$", text, re.M) or re.search(
            r'^machine = "(.+)"$', text, re.M
        )
        assert found, text
        names.append(found.group(1))
    assert names[0] != names[1]
    host = names[0].rsplit("-", 1)[0]
    assert all(re.fullmatch(re.escape(host) + r"-[0-9a-f]{4}", n) for n in names)


def test_git_show_of_a_path_prints_plaintext(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.write("CLAUDE.md", b"# the plaintext\n")
    a.run("push")
    assert a.run("git", "show", "HEAD:CLAUDE.md").stdout == "# the plaintext\n"
    raw = subprocess.run(
        ["git", "claude-sync", "git", "show", "--no-textconv", "HEAD:CLAUDE.md"],
        capture_output=True,
        env=a.env(),
        cwd=a.home,
    ).stdout
    assert raw.startswith(b"\0GCSYNC") and b"the plaintext" not in raw  # as stored


# -- hooks -------------------------------------------------------------------------------------


def _our_commands(settings: Path) -> dict[str, str]:
    data = json.loads(settings.read_text())
    return {
        event: entry["command"]
        for event, groups in data["hooks"].items()
        for group in groups
        for entry in group["hooks"]
        if "git-claude-sync hook" in entry["command"]
    }


def test_hook_finds_the_tool_in_local_bin_from_a_desktop_path(machine_a: Machine) -> None:
    """A Claude Code started from the desktop has a minimal PATH, without ~/.local/bin."""
    machine_a.run("init")
    proc = machine_a.run("install")
    # The tests' own PATH has it only in .venv/bin: install and status say so.
    assert "started from the desktop" in proc.stderr
    status = json.loads(machine_a.run("status", "--json", check=False).stdout)
    assert status["hooks"]["tool"] is None
    assert any("desktop" in item for item in status["attention"])

    local_bin = machine_a.home / ".local" / "bin"
    local_bin.mkdir(parents=True)
    real = subprocess.run(
        ["which", "git-claude-sync"], capture_output=True, text=True, env=machine_a.env()
    ).stdout.strip()
    (local_bin / "git-claude-sync").symlink_to(real)
    commands = _our_commands(machine_a.claude / "settings.json")
    ran = subprocess.run(
        ["/bin/sh", "-c", commands["SessionEnd"]],
        input=b"{}",
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(machine_a.home),
            "GIT_CLAUDE_SYNC_HOOK_ARGV": json.dumps(["true"]),
        },
        timeout=60,
    )
    assert (ran.returncode, ran.stdout) == (0, b"")
    log = (machine_a.tool_home / "sync.log").read_text()
    assert "hook session-end session=-: started push" in log
    status = json.loads(machine_a.run("status", "--json", check=False).stdout)
    assert status["hooks"]["tool"] == str(local_bin / "git-claude-sync")
    assert not any("desktop" in item for item in status["attention"])


def test_install_updates_a_hook_an_older_version_wrote(machine_a: Machine) -> None:
    machine_a.run("init")
    settings = machine_a.claude / "settings.json"
    old = "command -v git-claude-sync >/dev/null 2>&1 && git-claude-sync hook session-end || true"
    hooks = {"SessionEnd": [{"hooks": [{"type": "command", "command": old, "timeout": 30}]}]}
    settings.write_text(json.dumps({"hooks": hooks}, indent=2) + "\n")
    status = json.loads(machine_a.run("status", "--json", check=False).stdout)
    assert status["hooks"]["stale"] == ["SessionEnd"]
    assert any("older version" in item for item in status["attention"])
    machine_a.run("install")
    commands = _our_commands(settings)
    assert set(commands) == {"SessionEnd", "SessionStart", "Stop"}
    assert commands["SessionEnd"].startswith('PATH="$PATH:$HOME/.local/bin')
    status = json.loads(machine_a.run("status", "--json", check=False).stdout)
    assert status["hooks"]["stale"] == []
    # --no-per-turn leaves the Stop hook out, and takes out one installed before.
    machine_a.run("install", "--no-per-turn")
    assert set(_our_commands(settings)) == {"SessionEnd", "SessionStart"}
    machine_a.run("uninstall")
    machine_a.run("install", "--no-per-turn")
    assert set(_our_commands(settings)) == {"SessionEnd", "SessionStart"}
    machine_a.run("install")
    assert set(_our_commands(settings)) == {"SessionEnd", "SessionStart", "Stop"}


# -- the per-turn push -------------------------------------------------------------------------


def test_a_burst_of_turns_makes_one_push_after_the_quiet(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.run("install")
    stop = _our_commands(a.claude / "settings.json")["Stop"]
    env = a.env(GIT_CLAUDE_SYNC_TURN_QUIET="5")  # well above a hook's start-up, even loaded
    for turn in range(4):  # four turns, each appending to the session
        a.write("projects/-p/s.jsonl", b"".join(b'{"uuid":"%d"}\n' % i for i in range(turn + 1)))
        started = time.monotonic()
        hook = subprocess.run(
            ["/bin/sh", "-c", stop],
            input=b'{"session_id":"s1"}',
            capture_output=True,
            env=env,
            timeout=30,
        )
        assert (hook.returncode, hook.stdout, hook.stderr) == (0, b"", b"")
        assert time.monotonic() - started < 5  # returned at once, the push still to come
        time.sleep(0.3)
    runner = a.tool_home / "turn-runner.pid"
    deadline = time.monotonic() + 60
    while runner.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not runner.exists(), "the runner never finished"
    log = (a.tool_home / "sync.log").read_text()
    assert log.count("hook turn-end session=s1: turn noted") == 4
    assert log.count("hook turn-end session=-: push --quiet") == 1, log
    # The last turn's state is what was pushed: the other machine gets all four lines.
    b.run("pull")
    assert (b.claude / "projects/-p/s.jsonl").read_bytes().count(b"uuid") == 4


# -- optional extras ---------------------------------------------------------------------------


def test_a_bucket_without_its_extra_names_the_extra(machine_a: Machine, tmp_path: Path) -> None:
    """A plain install carries what a git remote needs; buckets name the extra to add."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for module in ("boto3", "botocore", "google"):
        (blocked / f"{module}.py").write_text(
            f"raise ModuleNotFoundError('No module named {module}', name={module!r})\n"
        )
    env = {"PYTHONPATH": str(blocked)}
    for args, extra in (
        (("--s3", "s3://bucket/x", "--endpoint", "http://127.0.0.1:9"), "[s3]"),
        (("--gcs", "gs://bucket/x"), "[gcs]"),
    ):
        proc = machine_a.run("init", *args, check=False, **env)
        assert proc.returncode == 1
        assert len(proc.stderr.splitlines()) == 1, proc.stderr
        only = proc.stderr.strip()
        assert f"need the {extra} extra" in only and f"git-claude-sync{extra}" in only
        assert not machine_a.tool_home.exists()
    # A git remote needs neither.
    assert machine_a.run("init", **env).returncode == 0


# -- progress ----------------------------------------------------------------------------------


def test_a_long_phase_shows_itself_on_a_terminal_only(
    pair: tuple[Machine, Machine], corpus: Path
) -> None:
    from tests.machines import copy_corpus

    a, b = pair
    copy_corpus(a.claude, corpus)
    a.run("push")
    # A pull has no progress of git's own: each phase that lasts shows itself
    # (here at once: the delay, 0.5 s normally, is 0 for the test).
    code, output = on_terminal(b, ["pull"], "", b"\0never", GIT_CLAUDE_SYNC_PROGRESS_DELAY="0")
    assert code == 0, output
    assert re.search(r"(fetch|merge)… \d+ s", output), output
    assert "\x1b[K" in output  # the line is cleared once the phase ends
    assert "Pulled 106 files." in output
    # Without a terminal (hooks, scripts) nothing of it.
    a.write("CLAUDE.md", b"more\n")
    a.run("push")
    proc = b.run("pull", GIT_CLAUDE_SYNC_PROGRESS_DELAY="0")
    assert "…" not in proc.stderr + proc.stdout and "\x1b" not in proc.stderr


# -- colour ------------------------------------------------------------------------------------


def test_colour_on_a_terminal_honours_no_color_and_color_ui(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    green = "\x1b[32min-sync\x1b[m"
    code, output = on_terminal(a, ["status"], "", b"\0never", TERM="xterm")
    assert code == 0 and green in output, output
    code, output = on_terminal(a, ["status"], "", b"\0never", TERM="xterm", NO_COLOR="1")
    assert code == 0 and "\x1b[" not in output
    assert "\x1b[" not in a.run("status").stdout  # not a terminal
    subprocess.run(["git", "config", "--global", "color.ui", "never"], env=a.env(), check=True)
    code, output = on_terminal(a, ["status"], "", b"\0never", TERM="xterm")
    assert "\x1b[" not in output
    subprocess.run(["git", "config", "--global", "color.ui", "always"], env=a.env(), check=True)
    assert green in a.run("status").stdout


def test_sessions_fits_the_terminal_width(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    prompt = "please refactor the authentication module and all of its tests"
    line = json.dumps(
        {
            "type": "user",
            "uuid": "u1",
            "sessionId": "5f1c2d3e-0000-4000-8000-000000000001",
            "cwd": "/home/alice/code/a-project-with-a-long-name",
            "timestamp": "2026-06-20T10:00:00Z",
            "message": {"role": "user", "content": prompt},
        }
    )
    folder = "projects/-home-alice-code-a-project-with-a-long-name"
    a.write(f"{folder}/5f1c2d3e-0000-4000-8000-000000000001.jsonl", line.encode() + b"\n")
    a.run("push")
    code, output = on_terminal(a, ["sessions"], "", b"\0never", COLUMNS="80")
    assert code == 0, output
    rows = [r for r in output.splitlines() if r.startswith("5f1c2d3e")]
    assert rows and all(len(r) <= 80 for r in rows), rows
    assert rows[0].endswith("…")
    # Piped (scripts, grep) the title stays whole.
    assert prompt.strip() in a.run("sessions", COLUMNS="80").stdout


# -- scheduled sync ----------------------------------------------------------------------------


def test_schedule_installs_a_systemd_user_timer_that_syncs(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """systemctl is a stand-in that records its calls (no user systemd here); the unit's
    ExecStart is then run for real, as the timer would."""
    import shlex

    a, b = pair
    fake = tmp_path / "fakebin"
    fake.mkdir()
    calls = tmp_path / "systemctl.calls"
    (fake / "systemctl").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    (fake / "systemctl").chmod(0o755)
    path = f"{fake}:{a.env()['PATH']}"
    out = a.run("schedule", "--every", "5", PATH=path).stdout
    units = a.home / ".config" / "systemd" / "user"
    assert f"{units}/git-claude-sync.timer" in out
    timer = (units / "git-claude-sync.timer").read_text()
    assert "OnUnitActiveSec=5min" in timer and "WantedBy=timers.target" in timer
    service = (units / "git-claude-sync.service").read_text()
    assert calls.read_text().splitlines() == [
        "--user daemon-reload",
        "--user enable --now git-claude-sync.timer",
    ]
    # What the timer runs: a push (which pulls first), in the foreground, logged like hooks.
    exec_start = next(ln for ln in service.splitlines() if ln.startswith("ExecStart="))
    b.write("CLAUDE.md", b"from b\n")
    b.run("push")
    a.write("commands/new.md", b"from a\n")
    ran = subprocess.run(
        shlex.split(exec_start.removeprefix("ExecStart=")),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=a.env(),
        timeout=120,
    )
    assert (ran.returncode, ran.stdout) == (0, b"")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"from b\n"
    b.run("pull")
    assert (b.claude / "commands/new.md").read_bytes() == b"from a\n"
    assert (
        "hook scheduled session=-: started push --quiet in the foreground"
        in (a.tool_home / "sync.log").read_text()
    )

    assert "Removed the scheduled sync" in a.run("schedule", "--remove", PATH=path).stdout
    assert not units.joinpath("git-claude-sync.timer").exists()
    assert "--user disable --now git-claude-sync.timer" in calls.read_text()
    assert "No scheduled sync." in a.run("schedule", "--remove", PATH=path).stdout


def test_the_progress_line_has_count_bytes_rate_and_time_left() -> None:
    from git_claude_sync.ui.report import Report

    report = Report()
    report.interactive  # noqa: B018 -- a plain property: no terminal here, so no line
    with report.phase("merge"):
        report.progress(3, 4)  # no activity without a terminal: a no-op, never an error
    from git_claude_sync.ui import report as module

    activity = module._Activity.__new__(module._Activity)
    activity.name, activity.start = "merge", time.monotonic() - 4
    activity.done_count, activity.total, activity.size = 400, 800, 20_000_000
    assert activity.line() == "merge… 4 s, 400/800 files, 20.0 MB (5.0 MB/s), ~5 s left"


def test_an_unexpected_os_error_is_one_line_not_a_traceback(machine_a: Machine) -> None:
    """A file of the tool's home that is not what it should be (here a folder where
    map.json belongs): one line naming it and a non-zero exit, never a traceback."""
    machine_a.run("init")
    (machine_a.tool_home / "map.json").mkdir()
    proc = machine_a.run("map", "--list", check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("git-claude-sync: ") and proc.stderr.count("\n") == 1
    assert "map.json" in proc.stderr
