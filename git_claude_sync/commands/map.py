"""``git claude-sync map``: which folder of this machine another machine's project is.

Home directories map by default; rules add source roots that differ
(``map /Users/alice/code /home/alice/src``).  Design: ``docs/MAPPING.md``.
"""

from __future__ import annotations

import os

import click

from git_claude_sync.claude import project_folders
from git_claude_sync.engine import arrange
from git_claude_sync.engine.sync_repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import jsonout
from git_claude_sync.ui.report import show_text


def _target(path: str) -> str:
    expanded = os.path.expanduser(path)
    if not os.path.isabs(expanded):
        expanded = os.path.abspath(expanded)
    return os.path.normpath(expanded)


def _check_source(source: str) -> None:
    """FROM names a path on another machine: it cannot be relative to anything here."""
    windows = len(source) > 2 and source[0].isalpha() and source[1] == ":" and source[2] in "\\/"
    if not (source.startswith(("/", "~")) or windows):
        raise FatalError(
            f"FROM must be an absolute path as the other machine has it (/Users/alice/code, "
            f"~/code or C:\\code), not {source!r}"
        )


def add(source: str, target: str) -> None:
    _check_source(source)
    repo = open_repo()
    layout = repo.layout
    with sync_lock(layout):
        rules = project_folders.load(layout)
        project_folders.learn_homes(rules, layout.claude_dir / "projects")
        canonical = rules.canonical_source(source)
        local = _target(target)
        if canonical in ("~", "/") or local == "/":
            raise FatalError("map a project root, not a whole home or the file system root")
        kept = [r for r in rules.rules if r.source != canonical and r.target != local]
        project_folders.save_rules(layout, [*kept, project_folders.Rule(canonical, local)])
        shown = f" (stored as {canonical})" if canonical != source.rstrip("/") else ""
        click.echo(f"Mapped {source}{shown} -> {local}")
        _apply(repo)


def remove(path: str) -> None:
    repo = open_repo()
    layout = repo.layout
    with sync_lock(layout):
        rules = project_folders.load(layout)
        project_folders.learn_homes(rules, layout.claude_dir / "projects")
        canonical, local = rules.canonical_source(path), _target(path)
        kept = [r for r in rules.rules if r.source not in (canonical, path) and r.target != local]
        if len(kept) == len(rules.rules):
            raise FatalError(f"no mapping rule for {path} (see 'git claude-sync map --list')")
        project_folders.save_rules(layout, kept)
        click.echo(f"Removed the rule for {path}")
        _apply(repo)


def _apply(repo: SyncRepo) -> None:
    done = arrange.arrange_repo(repo)
    if done.rehomed:
        click.echo(
            f"Moved {done.rehomed} session(s) made here into the folder the mapping now gives; "
            "'git claude-sync push' sends the move."
        )
    _show_folders(done)


def list_rules(as_json: bool = False) -> None:
    repo = open_repo()
    layout = repo.layout
    with sync_lock(layout):
        rules = project_folders.load(layout)
        done = project_folders.arrange(layout, rules, dry_run=True)
    if as_json:
        jsonout.emit(
            "map",
            home=rules.home,
            rules=[{"from": r.source, "to": r.target} for r in rules.rules],
            folders=[{"local": k, "canonical": v} for k, v in sorted(done.linked.items())],
            pending_moves=[{"from": old, "to": new} for old, new in done.moved],
            unreachable=[{"canonical": k, "why": v} for k, v in sorted(done.unreachable.items())],
        )
        return
    click.echo(f"Home: {rules.home} (~ in canonical folders; every machine maps its own)")
    if rules.rules:
        click.echo("Rules (another machine's path -> this machine's):")
        for rule in rules.rules:
            click.echo(f"  {rule.source} -> {rule.target}")
    else:
        click.echo("Rules: none ('git claude-sync map FROM TO' adds one)")
    _show_folders(done, pending=True)


def _show_folders(done: project_folders.Arranged, pending: bool = False) -> None:
    for old, new in done.moved:
        when = "at the next push or pull" if pending else "now, linked"
        click.echo(show_text(f"  {old}: made here, into canonical folder {new} ({when})"))
    if done.linked:
        click.echo("Project folders here (local name -> canonical folder):")
        for local, canonical in sorted(done.linked.items()):
            click.echo(show_text(f"  {local} -> {canonical}"))
    for canonical, why in sorted(done.unreachable.items()):
        click.echo(show_text(f"  not reachable here: {canonical} ({why})"))
