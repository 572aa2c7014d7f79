"""Claude Code hooks in ``settings.json``: install, uninstall, detect; and the hook log.

Pure logic on files: no click, no printing.  ``commands/install.py`` and
``commands/claude_hook.py`` are the CLI.

Our entries are recognised by the text ``git-claude-sync hook`` in a hook's
``command``; nothing about an install is remembered elsewhere.  ``install``
appends one matcher group per event (at the end of the event's list, the event
at the end of ``"hooks"``, ``"hooks"`` at the end of the file); ``uninstall``
removes exactly our entries, and a group, an event list or ``"hooks"`` only
when our removal is what emptied it.  So install-then-uninstall gives back the
same JSON value, and the same bytes when the file was written the way JSON
tools write it: the indent (taken from the file's first indented line), a
trailing newline or not, CRLF or LF, a UTF-8 BOM, and escaped or raw
non-ASCII are all kept.

Limitations: an event list of ours that was already there and empty (``"Stop": []``)
is gone after install-then-uninstall (nothing records that it was there).  Also (only
when the file is actually changed; an unchanged file is never
rewritten): a hand-formatted file (compact, aligned, several values on a line)
comes back in the standard ``indent``-style layout; numbers written as ``1e3``
or ``1.50`` come back as ``1000.0`` / ``1.5``; of duplicate keys only the last
survives.  A concurrent writer of the same file (Claude Code itself) can race
with us: the write is atomic, but the later writer wins.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from git_claude_sync.errors import FatalError
from git_claude_sync.machine import programs
from git_claude_sync.machine.files import atomic_write
from git_claude_sync.records import dataclass

#: How a hook command is recognised as ours.
MARKER = "git-claude-sync hook"

#: Claude Code event -> argument of ``git-claude-sync hook``, in install order.
#: ``Stop`` fires after every turn: the per-turn push (debounced; ``install --no-per-turn``).
EVENTS: dict[str, str] = {
    "SessionEnd": "session-end",
    "SessionStart": "session-start",
    "Stop": "turn-end",
}
PER_TURN = "Stop"

#: Seconds without a new turn before the per-turn push starts: a burst of turns makes one
#: push (commands/claude_hook.py waits them; install's help quotes them).
TURN_QUIET = 10.0

#: Seconds Claude Code allows the hook; it returns at once, so this only bounds a hang.
TIMEOUT = 30

#: Where the hook also looks for git-claude-sync, after PATH.  Claude Code started from
#: a desktop (a launcher, the Dock) gets the session's minimal PATH, without the user's
#: ~/.local/bin (install.sh, pipx and uv tool all link there) or Homebrew's folders.
#: Written with $HOME, not a path, because settings.json is synced to other machines.
FALLBACK_PATH = "$HOME/.local/bin:/opt/homebrew/bin:/usr/local/bin"

#: Prefix of every error line our commands write to stderr (and so to the hook log).
ERROR_PREFIX = "git-claude-sync: "
_WARNING_PREFIX = ERROR_PREFIX + "warning:"

_LOG_TAIL = 256 * 1024


def command_for(event: str) -> str:
    """The shell text of our hook for a Claude Code event.

    ``settings.json`` is synced, so the text must work on every machine: found
    on ``PATH``, else in the usual install folders (``FALLBACK_PATH``), and a
    no-op (exit 0) where git-claude-sync is not installed.
    """
    name = EVENTS[event]
    return (
        f'PATH="$PATH:{FALLBACK_PATH}"; '
        f"command -v git-claude-sync >/dev/null 2>&1 && git-claude-sync hook {name} || true"
    )


#: The PATH a Claude Code started from a desktop session may have (no shell profile read).
MINIMAL_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


#: Commands earlier versions wrote ({name}: the event's argument).  An entry with one of
#: them is brought up to date by install; a hand-edited entry is never touched.
_LEGACY = ("command -v git-claude-sync >/dev/null 2>&1 && git-claude-sync hook {name} || true",)


def _is_legacy(command: str, event: str) -> bool:
    return command in {old.format(name=EVENTS[event]) for old in _LEGACY}


def tool_for_hooks(home: Path) -> str | None:
    """Where the hook command finds git-claude-sync even with a desktop's minimal PATH."""
    fallback = FALLBACK_PATH.replace("$HOME", str(home))
    return programs.which("git-claude-sync", f"{MINIMAL_PATH}:{fallback}")


def _is_ours(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    command = entry.get("command")
    return isinstance(command, str) and MARKER in command


def _has_ours(groups: object, event: str) -> bool:
    """Does this event's list hold a hook of ours for the event?"""
    wanted = f"{MARKER} {EVENTS[event]}"
    if not isinstance(groups, list):
        return False
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            for entry in group["hooks"]:
                if _is_ours(entry) and wanted in entry["command"]:
                    return True
    return False


# -- reading and writing settings.json, keeping its formatting ---------------------------------


@dataclass(frozen=True)
class _Style:
    indent: str = "  "
    final_newline: bool = True
    ensure_ascii: bool = True
    crlf: bool = False
    bom: bool = False


_INDENT = re.compile(r"\A\s*[{\[][ \t]*\r?\n([ \t]+)\S")


def _style_of(text: str, bom: bool) -> _Style:
    if not text.strip():
        return _Style(bom=bom)
    found = _INDENT.match(text)
    return _Style(
        indent=found.group(1) if found else "  ",
        final_newline=text.endswith("\n"),
        # A file with raw non-ASCII keeps it raw; an ASCII file keeps its \\u escapes.
        ensure_ascii=text.isascii(),
        crlf="\r\n" in text,
        bom=bom,
    )


def _dumps(data: dict[str, Any], style: _Style) -> bytes:
    text = json.dumps(data, indent=style.indent, ensure_ascii=style.ensure_ascii)
    if style.final_newline:
        text += "\n"
    if style.crlf:  # json.dumps escapes newlines in strings: every "\n" left is layout
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if style.bom else b"") + text.encode("utf-8", "surrogatepass")


@dataclass
class _Settings:
    path: Path
    data: dict[str, Any]
    style: _Style
    raw: bytes | None  # None: the file does not exist


def _load(path: Path) -> _Settings:
    """Read and check ``path``; a missing file reads as ``{}``.  Raises ``FatalError``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _Settings(path, {}, _Style(), None)
    except OSError as err:
        raise FatalError(f"cannot read {path}: {err.strerror or err}") from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3 if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        raise FatalError(f"{path} is not UTF-8 text; fix or move it, then retry") from None
    if not text.strip():
        data: object = {}
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise FatalError(
                f"{path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                "fix it, then retry"
            ) from None
        except RecursionError:
            raise FatalError(f"{path} is nested too deeply to edit safely") from None
    if not isinstance(data, dict):
        raise FatalError(f"{path} does not hold a JSON object; fix it, then retry")
    hooks = data.get("hooks")
    if "hooks" in data and not isinstance(hooks, dict):
        raise FatalError(f'{path}: "hooks" is not a JSON object; fix it, then retry')
    return _Settings(path, data, _style_of(text, bom), raw)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically (through a symlink, to its target), keeping its mode."""
    target = path.resolve() if path.is_symlink() else path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        atomic_write(target, data, mode)
    except OSError as err:
        raise FatalError(f"cannot write {path}: {err.strerror or err}") from None


def _save_if_changed(settings: _Settings) -> bool:
    data = _dumps(settings.data, settings.style)
    if data == settings.raw:
        return False
    _write(settings.path, data)
    return True


# -- the public operations ---------------------------------------------------------------------


def install(settings_path: Path, per_turn: bool = True) -> bool:
    """Add our hooks (``Stop`` only with ``per_turn``); True if the file changed.

    An event that already has a hook of ours (even a hand-edited one) keeps it;
    only a command an older version wrote is brought up to date (``stale``).
    """
    dropped = False if per_turn else uninstall(settings_path, only=PER_TURN)
    settings = _load(settings_path)
    wanted = [event for event in EVENTS if per_turn or event != PER_TURN]
    existing = settings.data.get("hooks") or {}
    missing = [event for event in wanted if not _has_ours(existing.get(event), event)]
    hooks = settings.data.setdefault("hooks", {}) if missing else existing
    for event in wanted:
        for entry in _our_entries(hooks.get(event), event):
            if _is_legacy(entry["command"], event):
                entry["command"] = command_for(event)
    for event in missing:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise FatalError(f'{settings_path}: "hooks.{event}" is not a list; fix it, then retry')
        entry = {"type": "command", "command": command_for(event), "timeout": TIMEOUT}
        groups.append({"hooks": [entry]})
    return _save_if_changed(settings) or dropped


def _our_entries(groups: object, event: str) -> list[dict[str, Any]]:
    wanted = f"{MARKER} {EVENTS[event]}"
    found = []
    if isinstance(groups, list):
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                found += [e for e in group["hooks"] if _is_ours(e) and wanted in e["command"]]
    return found


def stale(settings_path: Path) -> list[str]:
    """Events whose hook of ours an older version wrote: install updates them (never raises)."""
    try:
        settings = _load(settings_path)
    except FatalError:
        return []
    hooks = settings.data.get("hooks") or {}
    return [
        event
        for event in EVENTS
        if any(_is_legacy(e["command"], event) for e in _our_entries(hooks.get(event), event))
    ]


def uninstall(settings_path: Path, only: str | None = None) -> bool:
    """Remove every hook of ours (of event ``only``, if given), and whatever our removal
    left empty; True if the file changed."""
    if not settings_path.exists():
        return False
    settings = _load(settings_path)
    hooks = settings.data.get("hooks")
    if not hooks:
        return False
    removed = False
    for event in list(hooks):
        if only is not None and event != only:
            continue
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for group in groups:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(entries, list) or not any(_is_ours(e) for e in entries):
                kept_groups.append(group)
                continue
            removed = True
            kept = [e for e in entries if not _is_ours(e)]
            if kept:
                group["hooks"] = kept
                kept_groups.append(group)
        if len(kept_groups) != len(groups):
            if kept_groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]
    if not removed:
        return False
    if not hooks:
        del settings.data["hooks"]
    return _save_if_changed(settings)


def installed(settings_path: Path) -> list[str]:
    """The events (``SessionEnd``, ``SessionStart``, ``Stop``) that have a hook of ours.

    Never raises: a missing, unreadable or invalid file has none.
    """
    try:
        settings = _load(settings_path)
    except FatalError:
        return []
    hooks = settings.data.get("hooks") or {}
    return [event for event in EVENTS if _has_ours(hooks.get(event), event)]


# -- the hook log ------------------------------------------------------------------------------
#
# Conventions of ``sync.log`` (written only by ``git-claude-sync hook`` and the work it starts):
#   * each hook run first writes one line  "<ISO timestamp> hook <event> session=<id> ...: <what>";
#   * then the work's own stdout and stderr follow; its errors are lines starting with
#     "git-claude-sync: " (warnings: "git-claude-sync: warning: ..."), or a Python traceback.

_HOOK_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+ hook ")


def hook_log_line(timestamp: str, event: str, session_id: str, what: str) -> str:
    """The line a hook run writes first (``timestamp`` in ISO 8601, no newline)."""
    return f"{timestamp} hook {event} session={session_id}: {what}"


def last_hook_failure(log_file: Path) -> str | None:
    """The error of the most recent hook run, or None if it has none (or there is no log).

    Only the lines after the last hook line count: the last ``git-claude-sync:``
    error line (prefix removed; warnings skipped), or the exception line of a
    traceback.  A run still going, or killed without a word, shows no failure.
    """
    try:
        with log_file.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - _LOG_TAIL))
            tail = log.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = tail.splitlines()
    start = None
    for index in range(len(lines) - 1, -1, -1):
        if _HOOK_LINE.match(lines[index]):
            start = index
            break
    if start is None:
        return None
    failure = None
    in_traceback = False
    for line in lines[start + 1 :]:
        if line.startswith("Traceback (most recent call last):"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            failure, in_traceback = line.strip(), False
        elif line.startswith(ERROR_PREFIX) and not line.startswith(_WARNING_PREFIX):
            failure = line[len(ERROR_PREFIX) :].strip()
    return failure or None
