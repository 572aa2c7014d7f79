"""Plain git against a directory as a bucket (``claude-sync::file:///DIR``): the real
remote helper, run by git, with inject/sitecustomize.py opening the directory as a
``LocalStore``.  The fixtures ``env`` and ``bucket`` are in conftest.py."""

from __future__ import annotations

import subprocess
from pathlib import Path


def url(bucket: Path) -> str:
    return f"claude-sync::file://{bucket}"


def git(
    env: dict[str, str], cwd: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
    return proc


def commit(env: dict[str, str], repo: Path, name: str, data: str) -> None:
    (repo / name).write_text(data)
    git(env, repo, "add", name)
    git(env, repo, "commit", "-q", "-m", f"add {name}")


def new_repo(env: dict[str, str], path: Path, bucket: Path) -> Path:
    """An empty repository at ``path`` whose ``origin`` is the bucket."""
    git(env, path.parent, "init", "-q", "-b", "main", str(path))
    git(env, path, "remote", "add", "origin", url(bucket))
    return path
