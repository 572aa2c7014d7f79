"""bin/git-claude-sync answers a no-change push and a pull with nothing new without Python,
and nothing else."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from git_claude_sync.claude.project_folders import encode
from git_claude_sync.engine.odd_paths import MTIME_GRAIN_S
from tests.machines import LAUNCHER, Machine, launch


def aged(path: Path) -> Path:
    """The file and its folder dated a minute back: a write seconds before a push is taken
    for new once more (odd_paths.MTIME_GRAIN_S), and these tests look at the push after."""
    stamp = time.time() - 60
    for each in (path, path.parent):
        os.utime(each, (stamp, stamp))
    return path


def test_no_change_push_is_answered_without_python(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    # /bin/false stands in for the Python CLI: only the fast path can succeed.
    proc = launch(a, "push")
    assert proc.returncode == 0 and proc.stdout == "Nothing to push.\n"
    # The remote moved ahead: still nothing of ours to send.
    b.write("CLAUDE.md", b"from b\n")
    b.run("push")
    a.run("status", check=False)  # fetches (exit 1: changes to pull)
    assert launch(a, "push").returncode == 0


def test_anything_else_goes_to_the_python_cli(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    a.write("CLAUDE.md", b"changed\n")
    assert launch(a, "push").returncode == 1  # handed over (to /bin/false)
    assert launch(a, "pull").returncode == 1  # a pull commits local changes first
    a.run("push")
    assert launch(a, "push", "--verbose").returncode == 1  # options: not the fast path
    assert launch(a, "pull", "--quiet").returncode == 1
    # A local commit the remote lacks must be pushed by the real CLI.
    a.write("CLAUDE.md", b"again\n")
    a.run("git", "add", "-A")
    a.run("git", "commit", "-q", "-m", "local only")
    assert launch(a, "push").returncode == 1
    # The real CLI behind the launcher does the work.
    real = subprocess.run(["which", "git-claude-sync"], capture_output=True, text=True, env=a.env())
    proc = launch(a, "push", real=real.stdout.strip())
    assert proc.returncode == 0 and "Pushed" in proc.stdout


def test_a_newer_config_file_defers_to_python(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    config = a.tool_home / "config.toml"
    config.write_text(config.read_text() + "\n")
    exclude = a.tool_home / "repo.git" / "info" / "exclude"
    stamp = exclude.stat().st_mtime
    os.utime(config, (stamp + 10, stamp + 10))
    assert launch(a, "push").returncode == 1


def test_uninitialised_home_defers_to_python(machine_a: Machine) -> None:
    assert launch(machine_a, "push").returncode == 1


def test_pull_with_nothing_new_is_answered_without_python(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    assert json.loads(a.run("status", "--json").stdout)["last_pull"] is None
    proc = launch(a, "pull")
    assert proc.returncode == 0 and proc.stdout == "Already up to date.\n"
    # status counts it as a pull (the launcher dates an empty file, writes nothing else).
    assert (a.tool_home / "up-to-date").read_bytes() == b""
    assert json.loads(a.run("status", "--json").stdout)["last_pull"] is not None
    assert launch(b, "pull").returncode == 0


def test_a_pull_with_anything_new_goes_to_python(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    b.write("CLAUDE.md", b"from b\n")
    b.run("push")
    # The remote moved since a last fetched: never missed.
    assert launch(a, "pull").returncode == 1
    # Fetched (status fetches) but not merged yet: still the real CLI's.
    a.run("status", check=False)
    assert launch(a, "pull").returncode == 1
    a.run("pull")
    assert launch(a, "pull").returncode == 0
    # Local changes are committed by the real pull: the same size, in the same second.
    settings = a.claude / "settings.json"
    before = settings.read_bytes()
    settings.write_bytes(before.replace(b"opus", b"OPUS"))
    assert launch(a, "pull").returncode == 1
    # A session appended in a mapped project folder (staged through a link, which
    # git status does not look into).
    folder = encode(str(a.home / "code" / "p"))
    session = aged(a.write(f"projects/{folder}/s.jsonl", b'{"uuid":"1"}\n'))
    a.run("push")
    assert (a.tool_home / "linked-roots").read_bytes()
    assert launch(a, "pull").returncode == 0
    with session.open("ab") as f:
        f.write(b'{"uuid":"2"}\n')
    assert launch(a, "pull").returncode == 1
    aged(session)
    a.run("push")
    assert launch(a, "push").returncode == 0
    # A linked folder that is gone is a change too (find cannot walk it).
    shutil.rmtree(session.parent.resolve())
    assert launch(a, "push").returncode == 1
    assert launch(a, "pull").returncode == 1


def test_a_pull_from_the_network_or_with_work_waiting_goes_to_python(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    assert launch(a, "pull").returncode == 0
    (a.tool_home / "deferred-lines.json").write_text("[]\n")
    assert launch(a, "pull").returncode == 1
    (a.tool_home / "deferred-lines.json").unlink()
    (a.tool_home / "conflicts-waiting").write_text("")
    assert launch(a, "pull").returncode == 1
    (a.tool_home / "conflicts-waiting").unlink()
    # Not a folder on this machine: the real CLI bounds the wait on the network.
    a.run("git", "config", "remote.origin.url", f"file://{a.default_remote}")
    assert launch(a, "pull").returncode == 1


def test_a_linked_file_changed_with_a_coarse_clock_is_still_a_change(
    pair: tuple[Machine, Machine],
) -> None:
    """A file system that keeps mtimes to the second (HFS+) or two (FAT) can date a write
    made just after the staging no later than linked-roots: the same size, the same time."""
    a, _b = pair
    folder = encode(str(a.home / "code" / "p"))
    session = aged(a.write(f"projects/{folder}/s.jsonl", b'{"uuid":"1"}\n'))
    a.run("push")
    assert launch(a, "push").returncode == 0
    roots = a.tool_home / "linked-roots"
    session.write_bytes(b'{"uuid":"2"}\n')
    # The earliest a write after the staging began can be dated, to FAT's two seconds.
    began = roots.stat().st_mtime + MTIME_GRAIN_S
    stamp = math.floor(began / 2) * 2
    os.utime(session, (stamp, stamp))
    assert launch(a, "push").returncode == 1
    assert launch(a, "pull").returncode == 1


def test_a_no_change_hook_is_answered_without_python(pair: tuple[Machine, Machine]) -> None:
    """Claude Code's session-end and session-start hooks run `git-claude-sync hook ...`,
    which finds the launcher: with nothing to push or pull, no Python starts (/bin/false
    stands in for it), nothing is printed, and the hook log says the last run was fine."""
    a, _b = pair
    log = a.tool_home / "sync.log"
    # An earlier hook run failed: status would show it until a later run's line.
    log.write_text(
        "2026-01-01T00:00:00+00:00 hook session-end session=x: started push\n"
        "git-claude-sync: remote unreachable\n"
    )
    for event, what in (("session-end", "nothing to push"), ("session-start", "up to date")):
        proc = launch(a, "hook", event)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
        last = log.read_text().splitlines()[-1]
        assert f" hook {event} session=-: " in last and what in last
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ", last)
    status = json.loads(a.run("status", "--json").stdout)
    assert status["last_pull"] is not None
    assert "remote unreachable" not in json.dumps(status)
    # Anything to do, another event, or an extra argument: the Python CLI's hook.
    assert launch(a, "hook", "turn-end").returncode == 1
    assert launch(a, "hook", "session-end", "x").returncode == 1
    a.write("CLAUDE.md", b"changed\n")
    assert launch(a, "hook", "session-end").returncode == 1
    assert launch(a, "hook", "session-start").returncode == 1
    # The real hook behind the launcher still pushes (in the foreground, to look at it).
    real = subprocess.run(["which", "git-claude-sync"], capture_output=True, text=True, env=a.env())
    proc = subprocess.run(
        ["sh", str(LAUNCHER), "hook", "session-end"],
        capture_output=True,
        text=True,
        input="{}",
        cwd=a.home,
        env=a.env(GIT_CLAUDE_SYNC_REAL=real.stdout.strip(), GIT_CLAUDE_SYNC_HOOK_FOREGROUND="1"),
    )
    assert (proc.returncode, proc.stdout) == (0, "")
    assert launch(a, "hook", "session-end").returncode == 0


def test_a_change_in_any_of_several_linked_folders_goes_to_python(
    pair: tuple[Machine, Machine],
) -> None:
    """The launcher walks the linked folders in two halves side by side (alternate lines of
    linked-roots): a change under any one of them is seen, whichever half walks it."""
    a, _b = pair
    sessions = [
        aged(a.write(f"projects/{encode(str(a.home / 'code' / name))}/s.jsonl", b'{"u":"1"}\n'))
        for name in ("p1", "p2", "p3")
    ]
    a.run("push")
    assert len((a.tool_home / "linked-roots").read_bytes().splitlines()) >= 3
    assert launch(a, "push").returncode == 0
    for session in sessions:
        with session.open("ab") as f:
            f.write(b'{"u":"2"}\n')
        assert launch(a, "push").returncode == 1, session
        assert launch(a, "pull").returncode == 1, session
        aged(session)
        a.run("push")
        assert launch(a, "push").returncode == 0


def test_linked_roots_as_before_are_only_dated_again(pair: tuple[Machine, Machine]) -> None:
    """A push with the same linked folders as the last one leaves linked-roots' content
    (not written again: a durable write less a push) but dates it to its staging."""
    a, _b = pair
    folder = encode(str(a.home / "code" / "p"))
    session = aged(a.write(f"projects/{folder}/s.jsonl", b'{"uuid":"1"}\n'))
    a.run("push")
    roots = a.tool_home / "linked-roots"
    first = roots.stat()
    os.utime(roots, (first.st_mtime - 100, first.st_mtime - 100))
    with session.open("ab") as f:
        f.write(b'{"uuid":"2"}\n')
    began = time.time()
    a.run("push")
    again = roots.stat()
    assert again.st_ino == first.st_ino and roots.read_bytes().endswith(b"\n")
    assert began - 1 - MTIME_GRAIN_S <= again.st_mtime <= time.time()
    aged(session)  # written before that staging: nothing new for the launcher
    assert launch(a, "push").returncode == 0
