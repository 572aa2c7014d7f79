"""Writing into the Claude directory without ever leaving a torn file.

Claude Code may read a file at any moment; each file is replaced by writing a
temporary file beside it, syncing it to disk and renaming it over the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

from git_claude_sync.selection import TEMP_SUFFIX


def fs_path(root: Path | str, repo_path: bytes) -> Path:
    """The file for a repository path (bytes; non-UTF-8 names survive)."""
    return Path(root) / os.fsdecode(repo_path)


def replace_file(path: Path, data: bytes, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    mode = 0o755 if executable else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def remove_file(path: Path, root: Path) -> None:
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()  # only if empty
        except OSError:
            break
        parent = parent.parent


def read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
