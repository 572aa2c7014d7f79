"""What is synced: Claude Code's directory, sorted into what travels and what stays.

The selection is written as the sync repo's ``info/exclude`` on every run, so
git itself decides what ``git add -A`` picks up and never descends into the
machine-local folders (the installed CLI alone is thousands of files).
"""

from __future__ import annotations

import json
import re
import shlex
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
    "keybindings.json",
    "hooks",  # hook scripts people keep beside settings.json
    "output-styles",
)

# Inside otherwise machine-local folders: what a person chose, not what was installed.
DEFAULT_INCLUDE_FILES = (
    "plugins/installed_plugins.json",  # which plugins (their installs stay local)
    "plugins/known_marketplaces.json",  # which marketplaces (their clones stay local)
)

# Machine-local wherever they are: /add-dir's absolute local folder paths (read by --continue).
LOCAL_ANYWHERE = (".session-aliases",)

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


_SCRIPT_PREFIXES = ("~/.claude/", "$HOME/.claude/", "${HOME}/.claude/")
_SAFE_PART = r"^[A-Za-z0-9._@+-][A-Za-z0-9 ._@+-]*$"  # compiled at first use (issue 14)


def _commands(settings: object) -> list[str]:
    """The shell commands of ``statusLine`` and every hook in a parsed settings.json."""
    if not isinstance(settings, dict):
        return []
    found: list[str] = []
    status = settings.get("statusLine")
    if isinstance(status, dict) and isinstance(status.get("command"), str):
        found.append(status["command"])
    hooks = settings.get("hooks")
    for groups in hooks.values() if isinstance(hooks, dict) else []:
        for group in groups if isinstance(groups, list) else []:
            inner = group.get("hooks") if isinstance(group, dict) else None
            for hook in inner if isinstance(inner, list) else []:
                if isinstance(hook, dict) and isinstance(hook.get("command"), str):
                    found.append(hook["command"])
    return found


def referenced_scripts(claude_dir: Path) -> list[str]:
    """Files in the Claude directory that settings.json runs (status line, hooks).

    A command names one as ``~/.claude/…``, ``$HOME/.claude/…`` or by its
    absolute path here; only existing regular files count.
    """
    try:
        settings = json.loads((claude_dir / "settings.json").read_bytes())
    except (OSError, ValueError):
        return []
    prefixes = (*_SCRIPT_PREFIXES, str(claude_dir).rstrip("/") + "/")
    found: set[str] = set()
    for command in _commands(settings):
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        for word in words:
            for prefix in prefixes:
                if not word.startswith(prefix):
                    continue
                rel = word[len(prefix) :]
                parts = rel.split("/")
                if all(re.match(_SAFE_PART, p) and p not in (".", "..") for p in parts) and (
                    parts[0] not in NEVER and parts[0] not in MACHINE_LOCAL
                ):
                    target = claude_dir / rel
                    if target.is_file() and not target.is_symlink():
                        found.add(rel)
    return sorted(found)


def _reinclude(rel: str, included: set[str]) -> list[str]:
    """gitignore lines that bring back one file inside ignored folders."""
    parts = rel.split("/")
    if parts[0] in included:
        return []
    lines: list[str] = []
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        lines += [f"!/{folder}", f"/{folder}/*"]
    return [*lines, f"!/{rel}"]


def exclude_file_text(config: Config, claude_dir: Path | None = None) -> str:
    """The ``info/exclude`` that makes git see exactly the synced files."""
    lines = [
        "# Written by git-claude-sync on every run from its defaults and config.toml.",
        "# Everything at the top level is ignored except the synced entries.",
        "/*",
    ]
    names = included_names(config)
    lines += [f"!/{name}" for name in names]
    lines += ["# files inside local folders, and scripts settings.json runs"]
    extra = [*DEFAULT_INCLUDE_FILES, *(referenced_scripts(claude_dir) if claude_dir else [])]
    done: set[str] = set()
    for rel in extra:
        for line in _reinclude(rel, set(names)):
            if line not in done:
                done.add(line)
                lines.append(line)
    lines += ["# exclusions from config.toml"]
    lines += [pattern for pattern in config.exclude]
    lines += ["# never synced"]
    lines += [name for name in NEVER]
    lines += [name for name in LOCAL_ANYWHERE]
    lines += [f"*{TEMP_SUFFIX}"]
    return "\n".join(lines) + "\n"


def is_never_synced(path: bytes) -> bool:
    return path.rsplit(b"/", 1)[-1].decode("utf-8", "replace") in NEVER


def classify_top_level(claude_dir: Path, config: Config) -> tuple[list[str], list[str]]:
    """(synced, not synced) names present at the top of the Claude directory.

    Files synced from inside a local folder (plugin manifests, scripts
    settings.json runs) are listed by their path among the synced ones.
    """
    names = set(included_names(config))
    synced: list[str] = []
    local: list[str] = []
    try:
        entries = sorted(p.name for p in claude_dir.iterdir())
    except FileNotFoundError:
        return [], []
    picked = {*DEFAULT_INCLUDE_FILES, *referenced_scripts(claude_dir)}
    for rel in sorted(picked):
        if rel.split("/")[0] not in names and (claude_dir / rel).is_file():
            synced.append(rel)
    for name in entries:
        if name in synced:
            continue
        (synced if name in names and name not in NEVER else local).append(name)
    return sorted(synced), local
