"""Programs on this machine's PATH, found without ``shutil``: importing it (bz2, lzma and
fnmatch with it) was ~2 ms of the start of every command that asked (issue 14)."""

from __future__ import annotations

import os


def which(name: str, path: str | None = None) -> str | None:
    """``shutil.which(name, path=path)`` for a bare name on POSIX: the first executable
    file of that name along ``path`` (``$PATH`` by default)."""
    folders = os.environ.get("PATH", "") if path is None else path
    for folder in folders.split(os.pathsep):
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.F_OK | os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None
