"""``git claude-sync doctor``: everything that silently breaks sync, each with its fix.

Each check prints one line: ``ok``, ``warn`` (works, but worth fixing) or
``FAIL`` (sync is broken or will be), and for the last two, what to do.
The exit code is 1 when any check failed, else 0.
"""

from __future__ import annotations

import shutil
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from git_claude_sync.claude import settings_hooks
from git_claude_sync.crypto import keyfile
from git_claude_sync.crypto.codec import format_fingerprint
from git_claude_sync.crypto.keyring import adopt_hint
from git_claude_sync.engine import remote_key, steps, sync_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import REMOTE_REF, git_version
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.machine.paths import Layout, current

MIN_GIT = (2, 28)
MIN_PYTHON = (3, 11)
#: Free space below which a sync may fail half-way (pack files, atomic copies).
LOW_DISK = 200 * 1024 * 1024
#: A remote commit this far in the future means this machine's clock is behind.
CLOCK_SKEW = 300.0


@dataclass
class Check:
    name: str
    level: str  # "ok", "warn", "FAIL"
    detail: str
    fix: str = ""


def _versions() -> list[Check]:
    checks = []
    found = git_version()
    if found is None:
        checks.append(Check("git version", "FAIL", "git does not run", "install git 2.28 or newer"))
    elif found[1] < MIN_GIT:
        checks.append(Check("git version", "FAIL", f"git {found[0]}", "install git 2.28 or newer"))
    else:
        checks.append(Check("git version", "ok", f"git {found[0]}"))
    python = ".".join(map(str, sys.version_info[:3]))
    level = "ok" if sys.version_info[:2] >= MIN_PYTHON else "FAIL"
    checks.append(
        Check(
            "python",
            level,
            f"Python {python} ({sys.executable})",
            "" if level == "ok" else "reinstall with Python 3.11 or newer",
        )
    )
    return checks


def _key(layout: Layout) -> Check:
    path = layout.key_file
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return Check(
            "key",
            "FAIL",
            f"no key at {path}",
            "git claude-sync init (with --key-code from a machine already syncing)",
        )
    if mode & 0o077:
        return Check(
            "key", "FAIL", f"{path} has mode {mode:o}: others can read it", f"chmod 600 {path}"
        )
    try:
        key = keyfile.load(path)
    except FatalError as err:
        return Check("key", "FAIL", str(err), "restore the key file from a copy")
    return Check("key", "ok", f"{key.fingerprint} ({path}, mode 600)")


def _hooks(layout: Layout) -> list[Check]:
    settings = layout.claude_dir / "settings.json"
    events = settings_hooks.installed(settings) if settings.exists() else []
    checks = []
    if not events:
        checks.append(
            Check(
                "hooks",
                "warn",
                f"no hooks in {settings}: sync runs only by hand",
                "git claude-sync install",
            )
        )
    else:
        missing = [e for e in settings_hooks.EVENTS if e not in events]
        stale = settings_hooks.stale(settings)
        if stale:
            checks.append(
                Check(
                    "hooks",
                    "FAIL",
                    f"{', '.join(stale)} written by an older version",
                    "git claude-sync install",
                )
            )
        elif missing:
            checks.append(
                Check(
                    "hooks",
                    "warn",
                    f"{', '.join(events)} installed; not {', '.join(missing)}",
                    "git claude-sync install",
                )
            )
        else:
            checks.append(Check("hooks", "ok", f"{', '.join(events)} in {settings}"))
    tool = settings_hooks.tool_for_hooks(Path.home())
    here = shutil.which("git-claude-sync")
    if tool is not None:
        checks.append(Check("hook PATH", "ok", f"hooks run {tool}, even from a desktop launch"))
    elif here is not None:
        checks.append(
            Check(
                "hook PATH",
                "FAIL" if events else "warn",
                f"git-claude-sync is found only on this shell's PATH ({here}); a Claude Code "
                "started from the desktop does not see it",
                f"mkdir -p ~/.local/bin && ln -s {here} ~/.local/bin/git-claude-sync",
            )
        )
    else:
        checks.append(
            Check(
                "hook PATH",
                "FAIL" if events else "warn",
                "git-claude-sync is not on PATH",
                "./install.sh, then open a new shell",
            )
        )
    failure = settings_hooks.last_hook_failure(layout.log_file)
    if failure:
        checks.append(
            Check(
                "last hook run",
                "FAIL",
                failure,
                f"see {layout.log_file}; 'git claude-sync push' shows it again",
            )
        )
    return checks


def _disk(layout: Layout) -> list[Check]:
    checks = []
    for what, path in (("Claude directory", layout.claude_dir), ("tool home", layout.home)):
        where = path if path.exists() else path.parent
        try:
            free = shutil.disk_usage(where).free
        except OSError:
            continue
        shown = f"{free / 1024 / 1024 / 1024:.1f} GiB free for the {what} ({where})"
        if free < LOW_DISK:
            checks.append(Check("disk", "FAIL", shown, "free some space"))
        else:
            checks.append(Check("disk", "ok", shown))
    return checks


def _remote(layout: Layout) -> list[Check]:
    try:
        repo = sync_repo.open_repo(layout)
    except FatalError as err:
        return [Check("sync repo", "FAIL", str(err), "see the message")]
    checks = [Check("sync repo", "ok", str(layout.git_dir))]
    url = repo.git.remote_url() or "?"
    with sync_lock(layout):
        try:
            steps.fetch(repo)
        except FatalError as err:
            return [
                *checks,
                Check(
                    "remote",
                    "FAIL",
                    f"{url}: {err}",
                    "check the network, the URL and your credentials",
                ),
            ]
        tip = repo.git.rev(REMOTE_REF)
    checks.append(Check("remote", "ok", f"{url} answers"))
    if tip is None:
        return checks
    key_id = remote_key.remote_key_id(repo.git, tip)
    if key_id is not None and key_id != repo.key.key_id:
        checks.append(
            Check(
                "remote key",
                "FAIL",
                f"the remote moved to key {format_fingerprint(key_id)}",
                adopt_hint(layout, key_id),
            )
        )
    else:
        checks.append(
            Check("remote key", "ok", f"the remote's files are under {repo.key.fingerprint}")
        )
    ahead = repo.git.commit_time(tip) - time.time()
    if ahead > CLOCK_SKEW:
        checks.append(
            Check(
                "clock",
                "warn",
                f"the remote's last sync is {int(ahead)} s in this machine's future",
                "set the clock (timedatectl set-ntp true; macOS: Date & Time)",
            )
        )
    else:
        checks.append(Check("clock", "ok", "no skew seen against the remote's last sync"))
    return checks


def run() -> int:
    layout = current()
    checks = [*_versions(), _key(layout)]
    if checks[-1].level != "FAIL" or layout.git_dir.exists():
        checks += _remote(layout)
    checks += _hooks(layout) + _disk(layout)
    width = max(len(c.name) for c in checks)
    for check in checks:
        click.echo(f"{check.level:<4}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.level != "ok":
            click.echo(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    failed = sum(1 for c in checks if c.level == "FAIL")
    warned = sum(1 for c in checks if c.level == "warn")
    if failed:
        click.echo(
            f"{failed} problem(s) break or will break sync; fix them, then run doctor again."
        )
        return 1
    click.echo(
        "Everything that sync depends on looks right"
        + (f" ({warned} warning(s))." if warned else ".")
    )
    return 0
