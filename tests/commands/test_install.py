"""Claude Code hooks: install/uninstall on settings.json, and the hook entry point.

Everything drives the real CLI in a subprocess (``python -m git_claude_sync``)
with its own HOME; only ``last_hook_failure`` is also checked directly.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from git_claude_sync.claude.settings_hooks import MARKER, installed, last_hook_failure

BIN_DIR = str(Path(sys.executable).parent)

#: What 'install' adds, in order: the Stop hook is the per-turn push.
EVENTS = ["SessionEnd", "SessionStart", "Stop"]

# A settings.json as Claude Code users have them: other hooks on our events and
# others, permissions, env, model, written by json.dumps(indent=2).
REALISTIC = {
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "model": "opus",
    "env": {"BASH_DEFAULT_TIMEOUT_MS": "120000", "DISABLE_TELEMETRY": "1"},
    "permissions": {
        "allow": ["Bash(npm run lint)", "Bash(git diff:*)", "Read(~/.zshrc)"],
        "deny": ["Read(./.env)", "Read(./secrets/**)"],
        "defaultMode": "acceptEdits",
    },
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [{"type": "command", "command": "~/bin/check-bash.sh", "timeout": 5}],
            }
        ],
        "SessionEnd": [
            {"hooks": [{"type": "command", "command": "echo bye >> ~/sessions.log"}]},
        ],
        "SessionStart": [
            {
                "matcher": "startup",
                "hooks": [{"type": "command", "command": "cat ~/notes/today.md"}],
            }
        ],
        # An empty list of an event we leave alone stays as it is.  (One of ours, e.g.
        # "Stop": [], comes back without the empty list: see settings_hooks' docstring.)
        "Notification": [],
    },
    "includeCoAuthoredBy": False,
    "cleanupPeriodDays": 99999,
    "statusLine": {"type": "command", "command": "~/.claude/statusline.sh", "padding": 0},
}


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
    env["HOME"] = str(home)
    env["PATH"] = BIN_DIR + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def cli(
    home: Path, *args: str, stdin: str = "", cwd: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "git_claude_sync", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(home, **extra),
        cwd=cwd or home,
        timeout=60,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    return tmp_path / "a"


def settings_of(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def write_settings(home: Path, text: str | bytes) -> Path:
    path = settings_of(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def ours(data: dict) -> list[tuple[str, dict]]:
    """Every hook entry of ours, with its event."""
    return [
        (event, entry)
        for event, groups in data.get("hooks", {}).items()
        for group in groups
        for entry in group.get("hooks", [])
        if MARKER in entry.get("command", "")
    ]


def fake_initialised(home: Path) -> None:
    """Enough of a sync repo for the hook to consider this home initialised."""
    git_dir = home / ".claude-sync" / "repo.git"
    git_dir.mkdir(parents=True)
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")


def log_of(home: Path) -> str:
    path = home / ".claude-sync" / "sync.log"
    return path.read_text() if path.exists() else ""


# -- install / uninstall -----------------------------------------------------------------------


def test_install_creates_settings_with_both_hooks(home: Path) -> None:
    proc = cli(home, "install")
    assert proc.returncode == 0, proc.stderr
    path = settings_of(home)
    text = path.read_text()
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == ["hooks"]
    assert [event for event, _ in ours(data)] == EVENTS
    for event, entry in ours(data):
        name = {"SessionEnd": "session-end", "SessionStart": "session-start", "Stop": "turn-end"}[
            event
        ]
        assert entry["type"] == "command"
        assert isinstance(entry["timeout"], int)
        # Works on machines without the tool: PATH-relative (then the usual install
        # folders, for a Claude Code started from the desktop), and always exit 0.
        assert entry["command"] == (
            'PATH="$PATH:$HOME/.local/bin:/opt/homebrew/bin:/usr/local/bin"; '
            f"command -v git-claude-sync >/dev/null 2>&1 && git-claude-sync hook {name} || true"
        )
    assert installed(path) == EVENTS


def test_hook_command_exits_zero_when_the_tool_is_missing(home: Path) -> None:
    cli(home, "install")
    data = json.loads(settings_of(home).read_text())
    for _event, entry in ours(data):
        proc = subprocess.run(
            ["/bin/sh", "-c", entry["command"]],
            capture_output=True,
            env={"PATH": "/nonexistent", "HOME": str(home)},
            input=b"{}",
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


def test_hook_command_runs_the_tool_from_path(home: Path) -> None:
    cli(home, "install")
    data = json.loads(settings_of(home).read_text())
    for event, entry in ours(data):
        proc = subprocess.run(
            ["/bin/sh", "-c", entry["command"]],
            capture_output=True,
            env=_env(home),
            input=b"{}",
            timeout=30,
        )
        assert (proc.returncode, proc.stdout) == (0, b"")
        name = "session-end" if event == "SessionEnd" else "session-start"
        assert f"hook {name} session=-: not initialised" in log_of(home)


def test_hook_does_not_wait_for_a_stdin_that_never_closes(home: Path) -> None:
    start = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-m", "git_claude_sync", "hook", "session-end"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=_env(home),
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b'{"session_id": "open"')  # half a JSON object, then silence
        proc.stdin.flush()
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - start < 10
        assert proc.stdout.read() == b""
        proc.stdin.close()
    assert "session=-: not initialised" in log_of(home)


def test_install_twice_changes_nothing(home: Path) -> None:
    path = write_settings(home, json.dumps(REALISTIC, indent=2) + "\n")
    assert cli(home, "install").returncode == 0
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    time.sleep(0.01)
    proc = cli(home, "install")
    assert proc.returncode == 0
    assert "already" in proc.stdout
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == mtime  # not even rewritten


def test_install_keeps_everything_else(home: Path) -> None:
    path = write_settings(home, json.dumps(REALISTIC, indent=2) + "\n")
    assert cli(home, "install").returncode == 0
    data = json.loads(path.read_text())
    assert list(data) == list(REALISTIC)
    for key in REALISTIC:
        if key != "hooks":
            assert data[key] == REALISTIC[key]
    assert list(data["hooks"]) == [*REALISTIC["hooks"], "Stop"]  # the per-turn push
    for event, groups in REALISTIC["hooks"].items():
        # Existing groups untouched and first; ours appended after them.
        assert data["hooks"][event][: len(groups)] == groups
    assert [e for e, _ in ours(data)] == EVENTS
    assert len(data["hooks"]["SessionEnd"]) == 2


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(json.dumps(REALISTIC, indent=2) + "\n", id="indent2-newline"),
        pytest.param(json.dumps(REALISTIC, indent=2), id="no-final-newline"),
        pytest.param(json.dumps(REALISTIC, indent=4) + "\n", id="indent4"),
        pytest.param(json.dumps(REALISTIC, indent="\t"), id="tabs"),
        pytest.param(
            json.dumps({**REALISTIC, "note": "café ✓"}, indent=2, ensure_ascii=False),
            id="raw-unicode",
        ),
        pytest.param(json.dumps({**REALISTIC, "note": "café ✓"}, indent=2), id="escaped-unicode"),
        pytest.param(json.dumps(REALISTIC, indent=2).replace("\n", "\r\n") + "\r\n", id="crlf"),
        pytest.param(json.dumps({"model": "opus"}, indent=2) + "\n", id="no-hooks-key"),
        pytest.param("{}", id="empty-object"),
    ],
)
def test_install_then_uninstall_is_byte_identical(home: Path, text: str) -> None:
    path = write_settings(home, text)
    path.chmod(0o600)
    before = path.read_bytes()
    proc = cli(home, "install")
    assert proc.returncode == 0, proc.stderr
    assert path.read_bytes() != before
    assert installed(path) == EVENTS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    proc = cli(home, "uninstall")
    assert proc.returncode == 0, proc.stderr
    assert "Removed" in proc.stdout
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installed(path) == []
    assert not list(path.parent.glob(".settings.json.*"))  # no temp files left


@pytest.mark.parametrize(
    "before",
    [{"hooks": {}}, {"hooks": {"SessionEnd": []}, "model": "x"}],
    ids=["empty-hooks", "empty-event-list"],
)
def test_empty_containers_present_before_install_are_not_restored(home: Path, before: dict) -> None:
    """Known limitation: nothing is remembered, so uninstall cannot tell an empty
    "hooks" object or event list that was there before install from one that
    install created; it removes both.  The result is the same settings."""
    path = write_settings(home, json.dumps(before, indent=2) + "\n")
    assert cli(home, "install").returncode == 0
    assert cli(home, "uninstall").returncode == 0
    expected = {"model": "x"} if "model" in before else {}
    assert json.loads(path.read_text()) == expected


def test_uninstall_removes_only_our_entries(home: Path) -> None:
    # Our command hand-placed in a group next to the user's own hook.
    shared = {
        "hooks": {
            "SessionEnd": [
                {
                    "matcher": "",
                    "hooks": [
                        {"type": "command", "command": "echo mine"},
                        {"type": "command", "command": "git-claude-sync hook session-end"},
                    ],
                }
            ]
        },
        "model": "sonnet",
    }
    path = write_settings(home, json.dumps(shared, indent=2) + "\n")
    assert cli(home, "uninstall").returncode == 0
    data = json.loads(path.read_text())
    assert data == {
        "hooks": {
            "SessionEnd": [{"matcher": "", "hooks": [{"type": "command", "command": "echo mine"}]}]
        },
        "model": "sonnet",
    }


def test_uninstall_without_our_hooks_changes_nothing(home: Path) -> None:
    text = json.dumps(REALISTIC, separators=(",", ":"))  # compact: would be reformatted
    path = write_settings(home, text)
    proc = cli(home, "uninstall")
    assert proc.returncode == 0
    assert "No git-claude-sync hooks" in proc.stdout
    assert path.read_text() == text


def test_uninstall_without_settings_creates_nothing(home: Path) -> None:
    proc = cli(home, "uninstall")
    assert proc.returncode == 0
    assert not (home / ".claude").exists()


def test_existing_hand_edited_hook_counts_as_installed(home: Path) -> None:
    custom = {
        "hooks": {
            "SessionEnd": [
                {
                    "hooks": [
                        {"type": "command", "command": "/opt/bin/git-claude-sync hook session-end"}
                    ]
                }
            ]
        }
    }
    path = write_settings(home, json.dumps(custom, indent=2) + "\n")
    assert cli(home, "install").returncode == 0
    data = json.loads(path.read_text())
    assert data["hooks"]["SessionEnd"] == custom["hooks"]["SessionEnd"]
    assert [e for e, _ in ours(data)] == EVENTS


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"model": "opus",', "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"hooks": []}', '"hooks" is not a JSON object'),
        ('{"hooks": {"SessionEnd": {}}}', "not a list"),
        (b'{"model": "\xff"}', "not UTF-8"),
    ],
)
@pytest.mark.parametrize("command", ["install", "uninstall"])
def test_bad_settings_is_one_line_error_and_untouched(
    home: Path, text: str | bytes, why: str, command: str
) -> None:
    path = write_settings(home, text)
    before = path.read_bytes()
    proc = cli(home, command)
    if command == "uninstall" and why == "not a list":
        # Nothing of ours in there to remove: not an error for uninstall.
        assert proc.returncode == 0
    else:
        assert proc.returncode != 0
        assert proc.stdout == ""
        lines = proc.stderr.splitlines()
        assert len(lines) == 1, proc.stderr
        assert str(path) in lines[0]
        assert why in lines[0]
        assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    assert not list(path.parent.glob(".settings.json.*"))


def test_project_install_writes_dot_claude_in_cwd(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    proc = cli(home, "install", "--project", cwd=project)
    assert proc.returncode == 0, proc.stderr
    path = project / ".claude" / "settings.json"
    assert installed(path) == EVENTS
    assert not settings_of(home).exists()
    assert cli(home, "uninstall", "--project", cwd=project).returncode == 0
    assert installed(path) == []
    assert json.loads(path.read_text()) == {}


def test_global_install_honours_claude_config_dir(home: Path, tmp_path: Path) -> None:
    config_dir = tmp_path / "elsewhere"
    proc = cli(home, "install", "--global", CLAUDE_CONFIG_DIR=str(config_dir))
    assert proc.returncode == 0, proc.stderr
    assert installed(config_dir / "settings.json") == EVENTS
    assert not settings_of(home).exists()


def test_install_through_a_symlink_keeps_the_symlink(home: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text(json.dumps(REALISTIC, indent=2) + "\n")
    before = real.read_bytes()
    link = settings_of(home)
    link.parent.mkdir()
    link.symlink_to(real)
    assert cli(home, "install").returncode == 0
    assert link.is_symlink()
    assert installed(real) == EVENTS
    assert cli(home, "uninstall").returncode == 0
    assert link.is_symlink()
    assert real.read_bytes() == before


def test_help_lists_install_but_hook_has_its_own_help(home: Path) -> None:
    main_help = cli(home, "--help").stdout
    assert "install" in main_help and "uninstall" in main_help
    proc = cli(home, "hook", "--help")
    assert proc.returncode == 0
    assert "session-end" in proc.stdout and "session-start" in proc.stdout


# -- the hook entry point ----------------------------------------------------------------------


@pytest.mark.parametrize("stdin", ["", "not json at all \x00\x01", "[1, 2]", '{"session_id": 5}'])
def test_hook_in_uninitialised_home_logs_and_exits_zero(home: Path, stdin: str) -> None:
    proc = cli(home, "hook", "session-end", stdin=stdin)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    log = log_of(home)
    assert "hook session-end" in log
    assert "not initialised" in log
    assert not (home / ".claude-sync" / "repo.git").exists()
    assert last_hook_failure(home / ".claude-sync" / "sync.log") is None


def test_hook_logs_session_and_reason(home: Path) -> None:
    payload = {
        "session_id": "abc-123",
        "transcript_path": "/x/y.jsonl",
        "cwd": str(home),
        "hook_event_name": "SessionStart",
        "source": "resume",
    }
    proc = cli(home, "hook", "session-start", stdin=json.dumps(payload))
    assert (proc.returncode, proc.stdout) == (0, "")
    line = log_of(home).splitlines()[-1]
    assert "hook session-start session=abc-123 (resume)" in line
    assert line[:4].isdigit() and "T" in line.split()[0]  # ISO timestamp first


def test_unknown_event_or_none_exits_zero(home: Path) -> None:
    for args in (("hook", "bogus"), ("hook",), ("hook", "session-end", "--weird", "extra")):
        proc = cli(home, *args, stdin="{}")
        assert (proc.returncode, proc.stdout) == (0, ""), args


def test_hook_returns_at_once_and_work_runs_detached(home: Path, tmp_path: Path) -> None:
    fake_initialised(home)
    marker = tmp_path / "work-done"
    work = (
        "import os, sys, time; time.sleep(3); "
        f"open({str(marker)!r}, 'w').write(str(os.getsid(0) == os.getpid())); "
        "print('work stdout'); "
        "print('git-claude-sync: remote unreachable', file=sys.stderr)"
    )
    argv = json.dumps([sys.executable, "-c", work])
    start = time.monotonic()
    # capture_output: if the work inherited our stdout pipe, run() would wait for it.
    proc = cli(
        home,
        "hook",
        "session-end",
        stdin='{"session_id": "s1", "reason": "exit"}',
        GIT_CLAUDE_SYNC_HOOK_ARGV=argv,
    )
    elapsed = time.monotonic() - start
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert elapsed < 1.5, f"hook took {elapsed:.2f}s"
    assert not marker.exists()
    assert "started push" in log_of(home)
    deadline = time.monotonic() + 30
    while "remote unreachable" not in log_of(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.read_text() == "True"  # ran in its own session: survives a killed hook
    log = log_of(home)
    assert "work stdout" in log
    assert last_hook_failure(home / ".claude-sync" / "sync.log") == "remote unreachable"


def test_foreground_mode_waits_and_keeps_stdout_clean(home: Path) -> None:
    fake_initialised(home)
    work = (
        "import sys; print('to stdout'); "
        "print('git-claude-sync: boom', file=sys.stderr); sys.exit(3)"
    )
    proc = cli(
        home,
        "hook",
        "session-start",
        stdin="{}",
        GIT_CLAUDE_SYNC_HOOK_FOREGROUND="1",
        GIT_CLAUDE_SYNC_HOOK_ARGV=json.dumps([sys.executable, "-c", work]),
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    log = log_of(home)
    assert "started pull" in log and "to stdout" in log
    assert last_hook_failure(home / ".claude-sync" / "sync.log") == "boom"


def test_work_that_cannot_start_is_logged_not_raised(home: Path) -> None:
    fake_initialised(home)
    proc = cli(
        home,
        "hook",
        "session-end",
        GIT_CLAUDE_SYNC_HOOK_ARGV=json.dumps(["/nonexistent/program"]),
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    failure = last_hook_failure(home / ".claude-sync" / "sync.log")
    assert failure is not None and "could not start push" in failure


def test_hook_session_end_really_pushes(home: Path) -> None:
    """End to end: init, install, then the SessionEnd hook (foreground) pushes a change."""
    write_settings(home, json.dumps({"model": "opus"}, indent=2) + "\n")
    assert cli(home, "init").returncode == 0
    assert cli(home, "install").returncode == 0
    (home / ".claude" / "CLAUDE.md").write_text("remember this\n")
    remote = home / ".claude-sync" / "remote.git"

    def remote_tip() -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        return subprocess.run(
            ["git", "--git-dir", str(remote), "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            text=True,
            env=env,
        ).stdout.strip()

    before = remote_tip()
    proc = cli(home, "hook", "session-end", stdin="{}", GIT_CLAUDE_SYNC_HOOK_FOREGROUND="1")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert remote_tip() != before, log_of(home)
    assert last_hook_failure(home / ".claude-sync" / "sync.log") is None
    proc = cli(home, "status", "--no-fetch")
    assert "SessionEnd, SessionStart" in proc.stdout, proc.stdout + proc.stderr


# -- last_hook_failure -------------------------------------------------------------------------

START = "2025-01-02T03:04:05+00:00 hook session-end session=s: started push --quiet detached"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], None),
        (["git-claude-sync: old error"], None),
        ([START], None),
        ([START, "Pushed."], None),
        (["git-claude-sync: earlier run failed", START, "Nothing to push."], None),
        ([START, "git-claude-sync: first", "git-claude-sync: second"], "second"),
        ([START, "git-claude-sync: warning: skipped a symlink"], None),
        ([START, "git-claude-sync: bad", START.replace("end", "start")], None),
        (
            [
                START,
                "Traceback (most recent call last):",
                '  File "x.py", line 1, in <module>',
                "    boom()",
                "RuntimeError: it broke",
            ],
            "RuntimeError: it broke",
        ),
    ],
)
def test_last_hook_failure(tmp_path: Path, lines: list[str], expected: str | None) -> None:
    log = tmp_path / "sync.log"
    log.write_text("".join(line + "\n" for line in lines))
    assert last_hook_failure(log) == expected


def test_last_hook_failure_without_log(tmp_path: Path) -> None:
    assert last_hook_failure(tmp_path / "missing.log") is None
