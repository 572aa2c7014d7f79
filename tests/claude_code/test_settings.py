"""The settings.json check (claude/settings_check.py) against the real Claude Code.

A file Claude Code rejects is skipped whole, hooks included: each case carries
a Stop hook that touches a marker, so whether the hook ran tells whether the
client loaded the file.  The check must reject exactly the files whose hook
does not run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_claude_sync.claude.settings_check import problem
from tests.claude_code.client import Claude

HOOK = "touch {marker}"

CASES = {
    # Loaded (some with a "Settings Warning": the bad value is dropped, the rest stays).
    "plain": "{body}",
    "env-values-coerced": '{{"env": {{"PORT": 3000, "DEBUG": true}}, {inner}}}',
    "non-string-rule-dropped": '{{"permissions": {{"allow": [3]}}, {inner}}}',
    "unknown-event-dropped": '{{"hooks": {{"Bogus": 3, {events}}}}}',
    "byte-order-mark": "\ufeff{body}",
    # Skipped whole.
    "trailing-comma": '{{"model": "opus", {inner},}}',
    "comment": "// mine\n{body}",
    "allow-not-an-array": '{{"permissions": {{"allow": "Bash(ls)"}}, {inner}}}',
    "env-not-an-object": '{{"env": ["A=1"], {inner}}}',
    "cleanup-zero": '{{"cleanupPeriodDays": 0, {inner}}}',
    "hook-without-command": (
        '{{"hooks": {{"SessionEnd": [{{"hooks": [{{"type": "command"}}]}}], {events}}}}}'
    ),
    "group-without-hooks": '{{"hooks": {{"SessionEnd": [{{"matcher": "x"}}], {events}}}}}',
    "timeout-a-string": '{{"hooks": {{"Stop": [{{"hooks": [{{"type": "command", '
    '"command": "{command}", "timeout": "5"}}]}}]}}}}',
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_check_rejects_exactly_what_claude_code_skips(
    claude_mac: Claude, tmp_path: Path, case: str
) -> None:
    marker = tmp_path / "hook-ran"
    command = HOOK.format(marker=marker)
    stop = json.dumps([{"hooks": [{"type": "command", "command": command}]}])
    events = f'"Stop": {stop}'
    inner = f'"hooks": {{{events}}}'
    body = f"{{{inner}}}"
    text = CASES[case].format(body=body, inner=inner, events=events, command=command)
    settings = text.encode()
    claude_mac.machine.write("settings.json", settings)

    claude_mac.ask(claude_mac.machine.home / "code", "hello")
    loaded = marker.exists()
    found = problem(settings)
    assert (found is None) == loaded, f"Claude Code loaded it: {loaded}; the check: {found}"
