"""Would Claude Code reject this ``settings.json``?  Then it must neither travel nor land.

Claude Code (2.1.197) parses a settings file, first *drops* what it can
(non-string permission rules, unknown hook events, a ``hooks`` that is not an
object, event values that are not arrays: a "Settings Warning", the rest of
the file stays in effect), then checks the rest against its schema.  Any
failure there is a "Settings Error" and the whole file is skipped, hooks
included: on every machine it reaches, the user's hooks (ours among them)
stop running.

This module rejects only what is certain to fail that schema, read from the
client's code and checked against it (``tests/claude_code/test_settings.py``):
JSON that does not parse (comments, trailing commas and ``NaN`` included), a
value that is not an object, and wrong types of the keys checked below.
Anything it does not know about passes (unknown keys, hook types it has not
seen, permission rule syntax, ``env`` values, which the client coerces).
An empty or blank file is valid (Claude Code reads it as ``{}``).
"""

from __future__ import annotations

import json
from typing import Any

_PERMISSION_LISTS = ("allow", "deny", "ask")
# Hook events 2.1.197 knows; others are dropped with a warning before the check.
HOOK_EVENTS = frozenset(
    {
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "PostToolBatch",
        "Notification",
        "UserPromptSubmit",
        "UserPromptExpansion",
        "SessionStart",
        "SessionEnd",
        "Stop",
        "StopFailure",
        "SubagentStart",
        "SubagentStop",
        "PreCompact",
        "PostCompact",
        "PermissionRequest",
        "PermissionDenied",
        "Setup",
        "TeammateIdle",
        "TaskCreated",
        "TaskCompleted",
        "Elicitation",
        "ElicitationResult",
        "ConfigChange",
        "WorktreeCreate",
        "WorktreeRemove",
        "InstructionsLoaded",
        "CwdChanged",
        "FileChanged",
        "MessageDisplay",
    }
)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_hook(where: str, hook: Any) -> str | None:
    if not isinstance(hook, dict):
        return f"{where} must be an object, not {_kind(hook)}"
    kind = hook.get("type")
    if not isinstance(kind, str):
        return f'{where}.type must be a string ("command", …)'
    if kind != "command":
        return None  # prompt, agent, http…: their fields are not checked here
    if not isinstance(hook.get("command"), str):
        return f"{where}.command must be a string"
    if "timeout" in hook and _kind(hook["timeout"]) != "number":
        return f"{where}.timeout must be a number"
    args = hook.get("args")
    if "args" in hook and not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        return f"{where}.args must be an array of strings"
    return None


def _check_hooks(hooks: Any) -> str | None:
    if not isinstance(hooks, dict):
        return None  # dropped with a warning, not an error
    for event, groups in hooks.items():
        if event not in HOOK_EVENTS or not isinstance(groups, list):
            continue  # dropped with a warning
        for i, group in enumerate(groups):
            where = f"hooks.{event}[{i}]"
            if not isinstance(group, dict):
                return f"{where} must be an object with a hooks array, not {_kind(group)}"
            if "matcher" in group and not isinstance(group["matcher"], str):
                return f"{where}.matcher must be a string"
            inner = group.get("hooks")
            if not isinstance(inner, list):
                return f"{where}.hooks must be an array"
            for j, hook in enumerate(inner):
                problem = _check_hook(f"{where}.hooks[{j}]", hook)
                if problem:
                    return problem
    return None


def _check_permissions(permissions: Any) -> str | None:
    if not isinstance(permissions, dict):
        return f"permissions must be an object, not {_kind(permissions)}"
    for name in _PERMISSION_LISTS:
        # Non-string rules inside the array are dropped with a warning.
        if name in permissions and not isinstance(permissions[name], list):
            return f"permissions.{name} must be an array, not {_kind(permissions[name])}"
    if "defaultMode" in permissions and not isinstance(permissions["defaultMode"], str):
        return "permissions.defaultMode must be a string"
    return None


def _check_env(env: Any) -> str | None:
    # Values that are not strings are coerced (tests/claude_code/test_settings.py).
    if not isinstance(env, dict):
        return f"env must be an object, not {_kind(env)}"
    return None


def problem(content: bytes) -> str | None:
    """Why Claude Code would skip this settings file, or None if it would load it."""
    text = content.decode("utf-8", "replace").removeprefix("\ufeff")
    if not text.strip():
        return None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except ValueError as err:
        return f"not valid JSON ({str(err).splitlines()[0]})"
    if not isinstance(data, dict):
        return f"not a JSON object (a {_kind(data)})"
    checks = (
        ("hooks", _check_hooks),
        ("permissions", _check_permissions),
        ("env", _check_env),
    )
    for key, check in checks:
        if key in data:
            found = check(data[key])
            if found:
                return found
    days: Any = data.get("cleanupPeriodDays")
    if "cleanupPeriodDays" in data and not (
        _kind(days) == "number" and float(days).is_integer() and float(days) >= 1
    ):
        return "cleanupPeriodDays must be a whole number of at least 1"
    return None


SETTINGS_PATH = b"settings.json"


def is_settings(path: bytes) -> bool:
    """The settings file this check applies to (the one at the top of the Claude directory)."""
    return path == SETTINGS_PATH
