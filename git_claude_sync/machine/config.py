"""The tool's own settings file, ``~/.claude-sync/config.toml`` (per machine, never synced)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from git_claude_sync.errors import FatalError

TEMPLATE = """\
# git-claude-sync settings for this machine (never synced).
# Paths are relative to the Claude directory.

# How commits from this machine are labelled.
machine = {machine!r}

[sync]
# Top-level entries to sync besides the defaults, e.g. ["file-history", "tasks"].
include = []
# gitignore-style patterns never to sync, e.g. ["projects/-tmp-*/"].
exclude = []
"""


@dataclass(frozen=True)
class Config:
    machine: str
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


def default_machine() -> str:
    return socket.gethostname().split(".")[0] or "machine"


def write_default(path: Path) -> None:
    if not path.exists():
        path.write_text(TEMPLATE.format(machine=default_machine()), encoding="utf-8")


def load(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(machine=default_machine())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise FatalError(f"{path} is not valid TOML: {err}") from None
    machine = data.get("machine", default_machine())
    sync = data.get("sync", {})
    if not isinstance(machine, str) or not machine.strip():
        raise FatalError(f"{path}: 'machine' must be a non-empty string")
    if not isinstance(sync, dict):
        raise FatalError(f"{path}: [sync] must be a table")
    lists = {}
    for name in ("include", "exclude"):
        value = sync.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise FatalError(f"{path}: sync.{name} must be a list of non-empty strings")
        lists[name] = value
    return Config(machine=machine.strip(), include=lists["include"], exclude=lists["exclude"])
