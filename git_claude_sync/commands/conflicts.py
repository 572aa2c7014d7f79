"""``git claude-sync conflicts``: the conflicts kept for later, and resolving them."""

from __future__ import annotations

import os
import time

import click

from git_claude_sync.claude import file_merge
from git_claude_sync.engine import conflict_store
from git_claude_sync.engine.steps import ConflictCase, both_name
from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import prompt
from git_claude_sync.ui.report import show_path


def list_stored() -> None:
    from git_claude_sync.engine.sync_repo import open_repo

    repo = open_repo()
    items = conflict_store.load(repo.git)
    if not items:
        click.echo("No stored conflicts.")
        return
    click.echo(f"{len(items)} file(s) changed on two machines; this machine's version is in place:")
    for item in items:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.at))
        click.echo(f"  {show_path(item.path)}  (since {when})")
    click.echo("Resolve with: git claude-sync conflicts resolve PATH [--local|--remote|--both]")


def resolve(path_text: str, choice: str | None) -> None:
    from git_claude_sync.engine.sync_repo import open_repo

    repo = open_repo()
    path = os.fsencode(path_text)
    with sync_lock(repo.layout):
        stored = {i.path: i for i in conflict_store.load(repo.git)}.get(path)
        if stored is None:
            raise FatalError(
                f"no stored conflict for {path_text} (see 'git claude-sync conflicts')"
            )
        blob = repo.git.read_blobs([stored.remote_blob])[stored.remote_blob]
        theirs = repo.key.decrypt(path, blob)
        target = files.fs_path(repo.claude_dir, path)
        ours = files.read_file(target) or b""
        if choice is None:
            if not prompt.has_terminal():
                raise FatalError("no terminal to ask on: pass --local, --remote or --both")
            base_blob = stored.local_blob
            base = repo.key.decrypt(path, repo.git.read_blobs([base_blob])[base_blob])
            merged = file_merge.merge_file(path, base, ours, theirs)
            choice, edited = prompt.ask(
                ConflictCase(path, base, ours, theirs, merged), repo.claude_dir
            )
            if choice == "later":
                return
        else:
            edited = None
        if choice == "theirs":
            files.replace_file(target, theirs)
        elif choice == "both":
            files.replace_file(files.fs_path(repo.claude_dir, both_name(path)), theirs)
        elif choice == "edited" and edited is not None:
            files.replace_file(target, edited)
        conflict_store.forget(repo.git, path)
    click.echo(f"Resolved {show_path(path)}; 'git claude-sync push' sends the result.")
