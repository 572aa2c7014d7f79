"""The base of a conflict kept as a copy: what the file held before the two edits.

A conflict copy records no base (conflict_copies.py): it is made by a merge
commit whose parents are the two sides.  The file as it was at those parents'
merge base is the version both edits started from, shown beside them so a
person can see what each side changed.  Not found (the copy came another way,
history too short): None, and the page says the base is unknown.
"""

from __future__ import annotations

import os

from git_claude_sync.crypto import keyring
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import FatalError


def base_of_copy(repo: SyncRepo, path: bytes, copy: bytes) -> bytes | None:
    git = repo.git
    try:
        # The oldest commit touching the copy made it (git log shows a merge's
        # files only with -m, so its changes are not looked at).
        entries = git.log("HEAD", [os.fsdecode(copy)])
        if not entries or len(entries[-1].parents) != 2:
            return None
        base_commit = git.merge_base(*entries[-1].parents)
        if base_commit is None:
            return None
        entry = git.ls_tree(base_commit).get(path)
        if entry is None:
            return None
        blob = git.read_blobs([entry[1]])[entry[1]]
        return keyring.keyring_for(repo.layout.key_file, repo.key).decrypt(path, blob)
    except FatalError:
        return None
