"""history.jsonl's ``project``: canonical in the repo, local on each machine."""

from __future__ import annotations

import json

from git_claude_sync.claude.history_paths import to_canonical, to_local
from git_claude_sync.claude.project_folders import Mapping, Rule

MAC = Mapping(home="/Users/alice")
LINUX = Mapping(home="/home/alice")
LINUX_RULE = Mapping(home="/home/alice", rules=[Rule("~/code", "/home/alice/src")])


def line(project: str, display: str = "fix the tests", **extra: object) -> bytes:
    obj = {"display": display, "pastedContents": {}, "timestamp": 1750000000000, **extra}
    obj["project"] = project
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def test_home_projects_are_stored_relative_to_home_and_read_back_anywhere() -> None:
    mac = line("/Users/alice/code/api") + line("/Users/alice/café app", display="é")
    stored = to_canonical(mac, MAC)
    assert stored == line("~/code/api") + line("~/café app", display="é")
    assert to_local(stored, MAC) == mac  # smudge(clean(x)) == x
    assert to_local(stored, LINUX) == line("/home/alice/code/api") + line(
        "/home/alice/café app", display="é"
    )
    assert to_canonical(to_local(stored, LINUX), LINUX) == stored


def test_rules_apply_like_for_project_folders() -> None:
    stored = line("~/code/api") + line("~/notes")
    here = to_local(stored, LINUX_RULE)
    assert here == line("/home/alice/src/api") + line("/home/alice/notes")
    assert to_canonical(here, LINUX_RULE) == stored


def test_lines_that_would_not_come_back_are_left_alone() -> None:
    # ~/code/x here is hidden by the rule (~/code means ~/src here): stays absolute.
    shadowed = line("/home/alice/code/x")
    assert to_canonical(shadowed, LINUX_RULE) == shadowed
    outside = line("/opt/work/api") + line("/Users/bob/elsewhere")
    assert to_canonical(outside, LINUX) == outside
    assert to_local(outside, LINUX) == outside
    odd = (
        b"not json\n"
        + b'{"display":"x","project":"\\/Users\\/alice\\/a","timestamp":1}\n'  # other escapes
        + b'{"display":"x","timestamp":1}\n'
        + b'{"display":"x","project":7,"timestamp":1}\n'
        + b'{"pastedContents":{"1":{"project":"/Users/alice/a"}},"project":"/Users/alice/a"}\n'
        + b'{"display":"\\"project\\":\\"/Users/alice/b\\"","timestamp":1}\n'
    )
    assert to_canonical(odd, MAC) == odd


def test_only_the_project_value_changes_and_a_torn_last_line_too() -> None:
    original = b'{"display":"a","project":"/Users/alice/x","timestamp":1}\n{"display":"b","pro'
    assert to_canonical(original, MAC) == (
        b'{"display":"a","project":"~/x","timestamp":1}\n{"display":"b","pro'
    )
    spaced = b'{"project": "/Users/alice/x", "display": "a"}\n'
    assert to_canonical(spaced, MAC) == b'{"project": "~/x", "display": "a"}\n'
    assert to_canonical(b"", MAC) == b""


def test_a_display_that_says_project_does_not_mislead() -> None:
    tricky = b'{"display":"project","other":"/Users/alice/x","project":"/Users/alice/x"}\n'
    assert to_canonical(tricky, MAC) == (
        b'{"display":"project","other":"/Users/alice/x","project":"~/x"}\n'
    )
