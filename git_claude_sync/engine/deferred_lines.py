"""Lines a pull could not append yet, because Claude Code was half-way through a line.

A pull adds incoming lines to a session (or ``history.jsonl``) by appending
them in place (machine/files.append_lines).  When the file ends in a torn line
— Claude Code has written half a line and will write the rest through the
same descriptor — nothing may be appended: our lines would be glued to the
half and the rest would stand alone.  The pull then leaves the file alone,
moves the sync repo on as usual (its index and HEAD hold the merged lines) and
records the path here.  Every later run, before staging, appends what the
file still lacks of HEAD's version once it ends on a line boundary; until then the path's index
entry is held at HEAD, so a commit never drops the incoming lines the file
does not hold yet.

The record is a JSON list of hex-encoded paths in the tool's home; the lines
themselves are in the index, nothing else is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from git_claude_sync.claude import history_paths
from git_claude_sync.crypto import keyring
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.git import Git
from git_claude_sync.machine import files
from git_claude_sync.machine.files import atomic_write, read_records
from git_claude_sync.machine.paths import Layout


def _record_file(git: Git) -> Path:
    return Layout.of_git_dir(git.git_dir).deferred_lines_file


def pending(git: Git) -> list[bytes]:
    return read_records(_record_file(git), bytes.fromhex)


def _save(git: Git, paths: list[bytes]) -> None:
    path = _record_file(git)
    if not paths:
        path.unlink(missing_ok=True)
        return
    atomic_write(path, (json.dumps(sorted(p.hex() for p in set(paths))) + "\n").encode())


def defer(git: Git, paths: list[bytes]) -> None:
    if paths:
        _save(git, [*pending(git), *paths])


def complete(repo: SyncRepo) -> list[bytes]:
    """Append what each deferred file still lacks, if it ends on a line boundary now.

    Returns the paths still waiting (their files still end in a torn line).
    """
    git = repo.git
    paths = pending(git)
    if not paths:
        return []
    tree = git.ls_tree("HEAD") if git.rev("HEAD") else {}
    blobs = git.read_blobs(tree[p][1] for p in paths if p in tree)
    history = keyring.keyring_for(repo.layout.key_file, repo.key)
    waiting = []
    for path in paths:
        if path not in tree:
            continue  # no longer synced: nothing to add
        data = history.decrypt(path, blobs[tree[path][1]])
        data = history_paths.stored_as_local(path, data, repo.layout)
        if files.append_lines(files.fs_path(repo.claude_dir, path), data) is False:
            waiting.append(path)
    _save(git, waiting)
    return waiting


def hold(git: Git, paths: list[bytes]) -> None:
    """Put the index entries of files still waiting back to HEAD's (after ``git add``)."""
    if paths and git.rev("HEAD"):
        git.reset_paths(paths)
