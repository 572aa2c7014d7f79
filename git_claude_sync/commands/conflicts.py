"""``git claude-sync conflicts``: conflicts waiting for a person, and resolving them.

Two kinds: conflict copies (``conflict_copies.py``: the other version beside
the file, synced to every machine) and, from older versions of the tool,
conflicts stored in this machine's sync repo only (``conflict_store.py``).
"""

from __future__ import annotations

import os
import time

import click

from git_claude_sync.claude import file_kinds, file_merge
from git_claude_sync.engine import conflict_copies, conflict_store
from git_claude_sync.engine.steps import ConflictCase, both_name
from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import jsonout, prompt
from git_claude_sync.ui.report import show_path


def list_stored(as_json: bool = False) -> None:
    from git_claude_sync.engine.sync_repo import open_repo

    repo = open_repo()
    copies = conflict_copies.listed(repo.git)
    items = conflict_store.load(repo.git)
    if as_json:
        listed: list[dict[str, object]] = [
            {"path": jsonout.path(original), "copy": jsonout.path(copy), "since": None}
            for copy, original in copies
        ]
        listed += [
            {"path": jsonout.path(i.path), "copy": None, "since": jsonout.when(i.at)} for i in items
        ]
        jsonout.emit("conflicts", conflicts=listed)
        return
    if not items and not copies:
        click.echo("No conflicts.")
        return
    if copies:
        click.echo(
            f"{len(copies)} file(s) changed on two machines; one version is in place, the "
            "other beside it (on every machine):"
        )
        for copy, original in copies:
            click.echo(f"  {show_path(original)}  (other version: {show_path(copy)})")
    if items:
        click.echo(
            f"{len(items)} file(s) changed on two machines; this machine's version is in place:"
        )
        for item in items:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.at))
            click.echo(f"  {show_path(item.path)}  (since {when})")
    click.echo(
        "Resolve with: git claude-sync conflicts resolve PATH [--ours|--theirs|--both] "
        "(--ours keeps the file in place, --theirs takes the other version)"
    )


def _copy_for(path: bytes, copies: list[tuple[bytes, bytes]]) -> bytes | None:
    """The conflict copy PATH names: the copy itself, or the one copy of that file."""
    named = [copy for copy, original in copies if copy == path]
    if named:
        return named[0]
    of_file = [copy for copy, original in copies if original == path]
    if len(of_file) > 1:
        names = ", ".join(show_path(c) for c in of_file)
        raise FatalError(
            f"{show_path(path)} has {len(of_file)} conflict copies ({names}); name one"
        )
    return of_file[0] if of_file else None


def resolve(path_text: str, choice: str | None) -> None:
    from git_claude_sync.engine.sync_repo import open_repo

    repo = open_repo()
    path = os.fsencode(path_text)
    with sync_lock(repo.layout):
        copy = _copy_for(path, conflict_copies.listed(repo.git))
        if copy is not None:
            path = conflict_copies.original_of(copy) or path
            copy_file = files.fs_path(repo.claude_dir, copy)
            theirs = files.read_file(copy_file)
            if theirs is None:
                raise FatalError(f"{show_path(copy)} is missing; run 'git claude-sync pull'")
            base: bytes | None = None
        else:
            stored = {i.path: i for i in conflict_store.load(repo.git)}.get(path)
            if stored is None:
                raise FatalError(f"no conflict for {path_text} (see 'git claude-sync conflicts')")
            blob = repo.git.read_blobs([stored.remote_blob])[stored.remote_blob]
            theirs = repo.key.decrypt(path, blob)
            base_blob = stored.local_blob
            base = repo.key.decrypt(path, repo.git.read_blobs([base_blob])[base_blob])
        target = files.fs_path(repo.claude_dir, path)
        ours = files.read_file(target) or b""
        if choice is None:
            if not prompt.has_terminal():
                raise FatalError("no terminal to ask on: pass --ours, --theirs or --both")
            merged = file_merge.merge_file(path, base, ours, theirs)
            choice, edited = prompt.ask(
                ConflictCase(path, base, ours, theirs, merged), repo.claude_dir
            )
            if choice == "later":
                return
        else:
            edited = None
        # As a pull writes (machine/files.write_synced): a session or history.jsonl
        # Claude Code may hold open only gets lines appended, never a new inode.
        append_only = file_kinds.is_append_only(path)
        written = True
        if choice == "theirs":
            written = files.write_synced(target, theirs, append_only)
        elif choice == "both":
            sibling = both_name(path)
            written = files.write_synced(
                files.fs_path(repo.claude_dir, sibling), theirs, file_kinds.is_append_only(sibling)
            )
        elif choice == "edited" and edited is not None:
            written = files.write_synced(target, edited, append_only)
        if not written:
            raise FatalError(
                f"{show_path(path)} ends in a line being written: nothing was changed; "
                "run the command again in a moment"
            )
        if copy is not None:
            files.remove_file(copy_file, repo.claude_dir)
        else:
            conflict_store.forget(repo.git, path)
    click.echo(f"Resolved {show_path(path)}; 'git claude-sync push' sends the result.")
