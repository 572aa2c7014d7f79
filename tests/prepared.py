"""Machines prepared once and copied: the suite's cheapest way to a synced pair.

Building a pair (init, first push, a join) starts the CLI, git and the filter process a few
dozen times: about a second of CPU and two of wall time.  Over a hundred tests start from
that same state, so each worker builds it once and every test gets a copy of the homes.

A machine's state names its home by absolute path in a few text files (the sync repo's
config: work tree, the filter commands' key and git dir, the remote's URL; FETCH_HEAD);
those are rewritten to the copy's home.  Binary files (git's index and objects) hold no
such path and are copied as they are; git finds the index's stat data stale and re-reads
the files, and the clean step's stable ciphertext (filters/clean.py) gives the same blobs.

Only homes without project folders copy this way: Claude Code names those folders after
the absolute path, and the mapping state (map.json, link-stats.json) records them, so a
copy would be re-mapped on its first sync.  The copy keeps the template's timestamps
(state.json, sync metrics): a test sees a pair that synced a little earlier.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def copy_homes(template: Path, dest: Path) -> None:
    """Copy every home under ``template`` into ``dest``, with their paths moved along."""
    for home in template.iterdir():
        assert not (home / ".claude" / "projects").exists(), f"{home}: has project folders"
    old, new = os.fsencode(template) + b"/", os.fsencode(dest) + b"/"
    shutil.copytree(template, dest, symlinks=True, dirs_exist_ok=True)
    for root, dirs, names in os.walk(dest):
        if "objects" in dirs and os.path.basename(root).endswith(".git"):
            dirs.remove("objects")
        for name in names:
            path = Path(root) / name
            if path.is_symlink():
                target = os.fsencode(os.readlink(path))
                if target.startswith(old):
                    path.unlink()
                    os.symlink(target.replace(old, new, 1), path)
                continue
            data = path.read_bytes()
            if old in data and b"\0" not in data:  # text only: an index keeps its bytes
                path.write_bytes(data.replace(old, new))
