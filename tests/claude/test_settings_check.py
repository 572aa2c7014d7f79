"""The settings.json check rejects what Claude Code 2.1.197 skips, and nothing it loads."""

from __future__ import annotations

import json

import pytest

from git_claude_sync.claude.settings_check import problem

OUR_HOOK = {"hooks": [{"type": "command", "command": "git claude-sync hook SessionEnd"}]}

LOADED = [
    b"",
    b"  \n",
    b"{}",
    b"\xef\xbb\xbf{}",
    json.dumps({"model": "opus", "unknownKey": [1, {"x": None}]}).encode(),
    json.dumps(
        {"hooks": {"SessionEnd": [OUR_HOOK], "Stop": [{"matcher": "", **OUR_HOOK}]}}
    ).encode(),
    # Dropped with a "Settings Warning", the rest of the file in effect:
    json.dumps({"hooks": "not an object"}).encode(),
    json.dumps({"hooks": {"NoSuchEvent": [1], "Stop": "not an array"}}).encode(),
    json.dumps({"permissions": {"allow": ["Bash(ls)", 3], "deny": [], "ask": [None]}}).encode(),
    # Hook kinds this check does not know the fields of:
    json.dumps({"hooks": {"Stop": [{"hooks": [{"type": "prompt", "prompt": 1}]}]}}).encode(),
    json.dumps({"env": {"A": "1"}, "cleanupPeriodDays": 3650}).encode(),
    json.dumps({"env": {"PORT": 3000, "DEBUG": True}}).encode(),  # coerced to strings
    json.dumps({"cleanupPeriodDays": 2.0}).encode(),
]

SKIPPED = [
    (b"{", "not valid JSON"),
    (b'{"model": "opus",}', "not valid JSON"),
    (b'{"x": NaN}', "not valid JSON"),
    (b'// a comment\n{"model": "opus"}', "not valid JSON"),
    (b"[]", "not a JSON object (a array)"),
    (b"null", "not a JSON object (a null)"),
    (b'"text"', "not a JSON object"),
    (b'{"hooks": {"SessionEnd": [3]}}', "hooks.SessionEnd[0] must be an object"),
    (b'{"hooks": {"SessionEnd": [{"matcher": "x"}]}}', "hooks.SessionEnd[0].hooks must be"),
    (b'{"hooks": {"Stop": [{"matcher": 1, "hooks": []}]}}', "hooks.Stop[0].matcher"),
    (b'{"hooks": {"Stop": [{"hooks": [{"command": "x"}]}]}}', ".type must be a string"),
    (b'{"hooks": {"Stop": [{"hooks": [{"type": "command"}]}]}}', ".command must be a string"),
    (
        b'{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "x", "timeout": "5"}]}]}}',
        ".timeout must be a number",
    ),
    (b'{"permissions": []}', "permissions must be an object"),
    (b'{"permissions": {"allow": "Bash(ls)"}}', "permissions.allow must be an array"),
    (b'{"permissions": {"deny": {}}}', "permissions.deny must be an array"),
    (b'{"permissions": {"defaultMode": 1}}', "permissions.defaultMode"),
    (b'{"env": ["A=1"]}', "env must be an object"),
    (b'{"cleanupPeriodDays": 0}', "cleanupPeriodDays"),
    (b'{"cleanupPeriodDays": "30"}', "cleanupPeriodDays"),
    (b'{"cleanupPeriodDays": true}', "cleanupPeriodDays"),
]


@pytest.mark.parametrize("content", LOADED)
def test_what_claude_code_loads_passes(content: bytes) -> None:
    assert problem(content) is None


@pytest.mark.parametrize(("content", "reason"), SKIPPED)
def test_what_claude_code_skips_is_named(content: bytes, reason: str) -> None:
    found = problem(content)
    assert found is not None and reason in found
    assert "\n" not in found
