"""What is synced: Claude Code's directory, sorted into what travels and what stays.

The selection is written as the sync repo's ``info/exclude`` on every run, so
git itself decides what ``git add -A`` picks up and never descends into the
machine-local folders (the installed CLI alone is thousands of files).
"""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.errors import FatalError
from git_claude_sync.machine.config import Config
from git_claude_sync.machine.files import TEMP_SUFFIX

# Synced by default: sessions and everything a person builds up.
DEFAULT_INCLUDE = (
    "projects",  # sessions, subagent transcripts, tool results
    "history.jsonl",
    "settings.json",
    "CLAUDE.md",
    "commands",
    "agents",
    "skills",
    "plans",
    "todos",
    "rules",
)

# Never synced, whatever the configuration says: OAuth tokens.
NEVER = (".credentials.json",)

# Temporary files of our own atomic writes.

# Known machine-local content, shown as such by `status`.
MACHINE_LOCAL = (
    "local",
    "statsig",
    "shell-snapshots",
    "session-env",
    "sessions",
    "ide",
    "debug",
    "cache",
    "paste-cache",
    "backups",
    "plugins",
    "settings.local.json",
)


def _check_include(name: str) -> str:
    clean = name.strip().strip("/")
    if not clean or "/" in clean or clean in (".", ".."):
        raise FatalError(
            f"sync.include entry {name!r}: name one top-level entry of the Claude directory"
        )
    if clean in NEVER:
        raise FatalError(f"sync.include entry {name!r} is never synced (it holds credentials)")
    return clean


def included_names(config: Config) -> list[str]:
    names = list(DEFAULT_INCLUDE)
    for extra in config.include:
        clean = _check_include(extra)
        if clean not in names:
            names.append(clean)
    return names


def exclude_file_text(config: Config) -> str:
    """The ``info/exclude`` that makes git see exactly the synced files."""
    lines = [
        "# Written by git-claude-sync on every run from its defaults and config.toml.",
        "# Everything at the top level is ignored except the synced entries.",
        "/*",
    ]
    lines += [f"!/{name}" for name in included_names(config)]
    lines += ["# exclusions from config.toml"]
    lines += [pattern for pattern in config.exclude]
    lines += ["# never synced"]
    lines += [name for name in NEVER]
    lines += [f"*{TEMP_SUFFIX}"]
    return "\n".join(lines) + "\n"


def is_never_synced(path: bytes) -> bool:
    return path.rsplit(b"/", 1)[-1].decode("utf-8", "replace") in NEVER


def classify_top_level(claude_dir: Path, config: Config) -> tuple[list[str], list[str]]:
    """(synced, not synced) names present at the top of the Claude directory."""
    names = set(included_names(config))
    synced: list[str] = []
    local: list[str] = []
    try:
        entries = sorted(p.name for p in claude_dir.iterdir())
    except FileNotFoundError:
        return [], []
    for name in entries:
        (synced if name in names and name not in NEVER else local).append(name)
    return synced, local
