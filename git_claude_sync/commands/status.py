"""``git claude-sync status``: what push and pull would move, and the state of things."""

from __future__ import annotations

import time

import click

from git_claude_sync.claude import selection, settings_hooks
from git_claude_sync.engine import conflict_copies, steps
from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import REMOTE_REF
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui.report import Report, plural, show_path

_MAX_LISTED = 20


def _ago(moment: float | None) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int(time.time() - moment))
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = seconds // size
            label = f"{amount} {unit}{'s' if unit == 'day' and amount > 1 else ''}"
            return f"{when} ({label} ago)"
    return f"{when} (just now)"


def _row(label: str, value: str) -> None:
    click.echo(f"{label:<18}{value}")


def _listing(paths: list[bytes]) -> None:
    for path in paths[:_MAX_LISTED]:
        click.echo(f"    {show_path(path)}")
    if len(paths) > _MAX_LISTED:
        click.echo(f"    … and {len(paths) - _MAX_LISTED} more")


def run(*, fetch: bool = True) -> None:
    repo = open_repo()
    layout, git = repo.layout, repo.git
    report = Report(0)
    _row("Claude directory", str(layout.claude_dir))
    _row("Sync repo", str(layout.git_dir))
    _row("Key", f"{repo.key.fingerprint}  ({layout.key_file})")
    with sync_lock(layout):
        remote_note = ""
        if fetch:
            try:
                steps.fetch(repo)
                remote_note = "fetched just now"
            except FatalError as err:
                remote_note = f"unreachable ({err})"
        state = steps.load_state(repo)
        if not remote_note.startswith("fetched"):
            last = f"last fetched {_ago(state.get('fetched'))}"
            remote_note = f"{remote_note}; {last}" if remote_note else last
        _row("Remote", f"{git.remote_url()}  [{remote_note}]")
        _row("Last push", _ago(state.get("pushed")))
        _row("Last pull", _ago(state.get("pulled")))
        preview = steps.preview(repo, report, git.rev(REMOTE_REF))
    to_push, to_pull, conflicts = preview.to_push, preview.to_pull, preview.conflicts
    _row("To push", plural(len(to_push), "file") if to_push else "nothing")
    if preview.mass_deletion:
        _row(
            "Refused",
            f"push would delete {plural(len(preview.mass_deletion), 'file')} everywhere "
            f"({layout.claude_dir} lacks them): 'git claude-sync pull' restores them, "
            "'push --allow-mass-delete' deletes them",
        )
    _listing(to_push)
    _row("To pull", plural(len(to_pull), "file") if to_pull else "nothing")
    _listing(to_pull)
    if conflicts:
        _row("Changed on both", plural(len(conflicts), "file") + " (push and pull will stop)")
        _listing(conflicts)
    copies = conflict_copies.listed(git)
    _row(
        "Conflicts",
        f"{plural(len(copies), 'file')} need a person ('git claude-sync conflicts')"
        if copies
        else "none",
    )
    for copy, original in copies[:_MAX_LISTED]:
        click.echo(f"    {show_path(original)}: the other version is in {show_path(copy)}")
    for path, why in preview.staged.held_back:
        _row("Held back", f"{show_path(path)}: Claude Code would skip it ({why})")
        click.echo(f"{'':<18}the last good version stays synced; fix the file to sync it again")
    synced, local = selection.classify_top_level(layout.claude_dir, repo.config)
    _row("Synced", " ".join(synced) or "nothing yet")
    _row("Not synced", " ".join(local) or "nothing")
    for path in preview.staged.skipped:
        click.echo(f"    skipped {show_path(path)} (symlink or nested repository)")
    settings = layout.claude_dir / "settings.json"
    events = settings_hooks.installed(settings) if settings.exists() else []
    _row(
        "Hooks",
        ", ".join(events) + f" in {settings}"
        if events
        else "not installed (git claude-sync install)",
    )
    failure = settings_hooks.last_hook_failure(layout.log_file)
    _row(
        "Hook log",
        str(layout.log_file) + (f"\n{'':<18}last run failed: {failure}" if failure else ""),
    )
