"""``status``: exit codes a script can act on, and ``--json`` (docs/spec/json-output.md)."""

from __future__ import annotations

import json
import shutil
from typing import Any

from tests.machines import Machine

IN_SYNC, CHANGES, CONFLICTS, ATTENTION = 0, 1, 3, 4


def status(machine: Machine, *args: str) -> tuple[int, dict[str, Any]]:
    proc = machine.run("status", "--json", *args, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    document = json.loads(proc.stdout)
    assert document["schema"] == 1 and document["command"] == "status"
    assert document["exit_code"] == proc.returncode
    return proc.returncode, document


def diverge(a: Machine, b: Machine, path: str, base: bytes, on_a: bytes, on_b: bytes) -> None:
    a.write(path, base)
    a.run("push")
    b.run("pull")
    a.write(path, on_a)
    a.run("push")
    b.write(path, on_b)


def test_in_sync_then_changes_to_push_and_to_pull(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    code, doc = status(a)
    assert (code, doc["state"]) == (IN_SYNC, "in-sync")
    assert doc["remote"]["reachable"] is True
    assert doc["key"]["fingerprint"] == doc["remote"]["key_fingerprint"]
    assert a.run("status", check=False).returncode == IN_SYNC  # text too

    a.write("CLAUDE.md", b"new\n")
    code, doc = status(a)
    assert (code, doc["state"], doc["to_push"]) == (CHANGES, "changes", ["CLAUDE.md"])
    a.run("push")
    code, doc = status(b)
    assert (code, doc["to_pull"], doc["to_push"]) == (CHANGES, ["CLAUDE.md"], [])
    text = b.run("status", check=False)
    assert text.returncode == CHANGES and "State             changes" in text.stdout
    b.run("pull")
    assert status(b)[0] == IN_SYNC


def test_changed_on_both_is_a_conflict_only_when_the_merge_cannot_settle_it(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    base = b'{"uuid":"1"}\n'
    diverge(a, b, "projects/-p/s.jsonl", base, base + b'{"uuid":"a"}\n', base + b'{"uuid":"b"}\n')
    code, doc = status(b)
    assert doc["changed_on_both"] == ["projects/-p/s.jsonl"] and doc["conflicts"] == []
    assert code == CHANGES  # sessions merge line by line: a pull settles it

    diverge(a, b, "CLAUDE.md", b"line\n", b"from a\n", b"from b\n")
    code, doc = status(b)
    assert (code, doc["state"], doc["conflicts"]) == (CONFLICTS, "conflicts", ["CLAUDE.md"])
    assert "need a decision" in b.run("status", check=False).stdout

    # A pull without a terminal keeps ours and stores theirs: still a conflict for status.
    b.run("pull", check=False)
    code, doc = status(b)
    assert (code, doc["stored_conflicts"]) == (CONFLICTS, ["CLAUDE.md"])
    b.run("conflicts", "resolve", "CLAUDE.md", "--theirs")
    b.run("push")
    assert status(b)[0] == IN_SYNC


def test_needs_attention_when_the_remote_is_gone_or_the_tool_is_not_set_up(
    pair: tuple[Machine, Machine], machine_b: Machine
) -> None:
    a, _b = pair
    shutil.move(a.default_remote, a.home / "elsewhere.git")
    code, doc = status(a)
    assert (code, doc["state"], doc["remote"]["reachable"]) == (ATTENTION, "attention", False)
    assert any("unreachable" in item for item in doc["attention"])
    # --no-fetch does not try: what was last fetched stands.
    code, doc = status(a, "--no-fetch")
    assert (code, doc["remote"]["reachable"]) == (IN_SYNC, None)

    fresh = Machine(machine_b.home.parent / "fresh")
    fresh.home.mkdir()
    proc = fresh.run("status", "--json", check=False)
    assert proc.returncode == ATTENTION
    assert json.loads(proc.stdout)["state"] == "attention"
    assert proc.stderr.count("\n") == 1 and "not initialised" in proc.stderr


def test_needs_attention_after_another_machine_rotated_the_key(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.run("key", "rotate", "--yes")
    code, doc = status(b)
    assert code == ATTENTION
    assert doc["remote"]["key_fingerprint"] != doc["key"]["fingerprint"]
    assert any("key use" in item for item in doc["attention"])


def test_status_help_documents_the_exit_codes(machine_a: Machine) -> None:
    out = machine_a.run("status", "-h").stdout
    for line in ("0  in sync", "1  changes to push or pull", "3  conflicts", "4  needs attention"):
        assert line in out
