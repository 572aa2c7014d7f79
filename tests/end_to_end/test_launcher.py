"""bin/git-claude-sync answers a no-change push without Python, and nothing else."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.machines import Machine, launch


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
    a.run("push")
    assert launch(a, "push", "--verbose").returncode == 1  # options: not the fast path
    assert launch(a, "pull").returncode == 1
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
