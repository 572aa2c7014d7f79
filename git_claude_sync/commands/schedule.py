"""``git claude-sync schedule``: a sync every N minutes, with or without Claude Code running.

Linux: a ``systemd --user`` timer and service in ``~/.config/systemd/user``;
macOS: a launchd agent in ``~/Library/LaunchAgents``.  Both run
``git-claude-sync hook scheduled``, which pushes (fetching and merging first,
so it also pulls) and logs to ``~/.claude-sync/sync.log`` like the hooks, so
``status`` shows a failure.  ``--remove`` stops and deletes what was installed.
The files name this machine's Python: they are per machine, never synced.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click

from git_claude_sync.errors import FatalError
from git_claude_sync.machine.files import atomic_write

NAME = "git-claude-sync"
LABEL = "dev.git-claude-sync.sync"


def _systemd_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def _launchd_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def _command() -> list[str]:
    return [sys.executable, "-m", "git_claude_sync", "hook", "scheduled"]


def systemd_units(minutes: int) -> dict[str, str]:
    command = " ".join(shlex.quote(part) for part in _command())
    return {
        f"{NAME}.service": (
            "[Unit]\nDescription=git-claude-sync: sync the Claude directory\n\n"
            f"[Service]\nType=oneshot\nExecStart={command}\nStandardInput=null\n"
        ),
        f"{NAME}.timer": (
            f"[Unit]\nDescription=git-claude-sync every {minutes} min\n\n"
            f"[Timer]\nOnBootSec=2min\nOnUnitActiveSec={minutes}min\nPersistent=true\n\n"
            "[Install]\nWantedBy=timers.target\n"
        ),
    }


def launchd_plist(minutes: int) -> str:
    args = "".join(f"    <string>{part}</string>\n" for part in _command())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key><string>{LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{args}  </array>\n"
        f"  <key>StartInterval</key><integer>{minutes * 60}</integer>\n"
        "  <key>RunAtLoad</key><true/>\n"
        "</dict>\n</plist>\n"
    )


def _quietly(argv: list[str]) -> None:
    """Run a service manager's command whose failure changes nothing (unload, disable)."""
    subprocess.run(argv, capture_output=True, check=False, stdin=subprocess.DEVNULL)


def _run(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise FatalError(f"{argv[0]} is not available here; nothing was scheduled")
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        why = (proc.stderr or proc.stdout).strip().splitlines()
        raise FatalError(f"{' '.join(argv)} failed: {why[-1] if why else proc.returncode}")


def install(minutes: int) -> None:
    if minutes < 1:
        raise FatalError("--every takes at least 1 (minutes)")
    if sys.platform == "darwin":
        path = _launchd_file()
        _quietly(["launchctl", "unload", str(path)])
        atomic_write(path, launchd_plist(minutes).encode(), 0o644)
        _run(["launchctl", "load", "-w", str(path)])
        click.echo(f"Scheduled a sync every {minutes} min: launchd agent {path}")
        return
    folder = _systemd_dir()
    for name, text in systemd_units(minutes).items():
        atomic_write(folder / name, text.encode(), 0o644)
    _run(["systemctl", "--user", "daemon-reload"])
    _run(["systemctl", "--user", "enable", "--now", f"{NAME}.timer"])
    click.echo(f"Scheduled a sync every {minutes} min: systemd user timer {folder}/{NAME}.timer")
    click.echo("  It runs while you are logged in ('loginctl enable-linger' for always).")


def remove() -> None:
    if sys.platform == "darwin":
        path = _launchd_file()
        if not path.exists():
            click.echo("No scheduled sync.")
            return
        _quietly(["launchctl", "unload", "-w", str(path)])
        path.unlink()
        click.echo(f"Removed the scheduled sync ({path}).")
        return
    folder = _systemd_dir()
    files = [folder / name for name in (f"{NAME}.timer", f"{NAME}.service")]
    if not any(f.exists() for f in files):
        click.echo("No scheduled sync.")
        return
    if shutil.which("systemctl"):
        _quietly(["systemctl", "--user", "disable", "--now", f"{NAME}.timer"])
    for path in files:
        path.unlink(missing_ok=True)
    if shutil.which("systemctl"):
        _quietly(["systemctl", "--user", "daemon-reload"])
    click.echo(f"Removed the scheduled sync ({folder}/{NAME}.timer).")
