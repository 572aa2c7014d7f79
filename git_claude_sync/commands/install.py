"""Claude Code hooks: install and uninstall (what they run is commands/claude_hook.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from git_claude_sync.claude import settings_hooks
from git_claude_sync.claude.settings_hooks import TURN_QUIET
from git_claude_sync.machine.paths import current


def _settings_path(scope: str) -> Path:
    if scope == "project":
        return Path.cwd() / ".claude" / "settings.json"
    return current().claude_dir / "settings.json"


_global = click.option(
    "--global",
    "scope",
    flag_value="global",
    default=True,
    help="The Claude directory's settings.json (default; synced, so every machine gets the hooks).",
)
_project = click.option(
    "--project",
    "scope",
    flag_value="project",
    help="./.claude/settings.json of the project in the current directory.",
)


@click.command()
@_global
@_project
@click.option(
    "--per-turn/--no-per-turn",
    default=True,
    show_default=True,
    help="Also push after every turn (Claude Code's Stop hook), once turns go quiet for "
    f"{TURN_QUIET:g} s, so a crash loses at most the last turns (--no-per-turn also "
    "removes one installed before).",
)
def install(scope: str, per_turn: bool) -> None:
    """Add Claude Code hooks: pull when a session starts; push when it ends and after turns.

    The hooks return at once and sync in the background; their output goes to
    ~/.claude-sync/sync.log and 'status' shows the last failure.  The per-turn
    push waits until no turn has ended for a few seconds, so a burst of turns
    makes one push.  The hook command finds git-claude-sync on PATH or in
    ~/.local/bin (where a Claude Code started from the desktop still finds it)
    and does nothing on a machine without it, so a synced settings.json is safe
    everywhere.  Running install again changes nothing but an outdated hook
    command; every other setting and hook is left as it is.
    """
    path = _settings_path(scope)
    events = "SessionStart (pull), SessionEnd" + (" and Stop (push)" if per_turn else " (push)")
    if settings_hooks.install(path, per_turn=per_turn):
        click.echo(f"Installed {events} hooks in {path}")
    else:
        click.echo(f"Hooks already installed in {path}")
    check_tool_for_hooks(Path.home())


def check_tool_for_hooks(home: Path) -> None:
    """Warn when hooks would not find git-claude-sync (doctor and status say it too)."""
    if settings_hooks.tool_for_hooks(home) is not None:
        return
    here = shutil.which("git-claude-sync")
    if here is None:
        why = "git-claude-sync is not on PATH here, so the hooks will do nothing until it is"
    else:
        why = (
            f"hooks find git-claude-sync ({here}) only on this shell's PATH; a Claude Code "
            f"started from the desktop will not: link it into {home}/.local/bin"
        )
    click.echo(f"git-claude-sync: warning: {why}", err=True)


@click.command()
@_global
@_project
def uninstall(scope: str) -> None:
    """Remove the hooks that 'install' added, and nothing else."""
    path = _settings_path(scope)
    if settings_hooks.uninstall(path):
        click.echo(f"Removed git-claude-sync hooks from {path}")
    else:
        click.echo(f"No git-claude-sync hooks in {path}")


COMMANDS: list[click.Command] = [install, uninstall]
