"""Up-arrow history per project on every machine: history.jsonl's ``project`` is mapped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_claude_sync.crypto import keyfile
from tests.machines import Machine, launcher_state


def entry(project: Path | str, display: str, stamp: int) -> bytes:
    obj = {"display": display, "pastedContents": {}, "timestamp": stamp, "project": str(project)}
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def projects(machine: Machine) -> list[tuple[str, str]]:
    lines = (machine.claude / "history.jsonl").read_bytes().splitlines()
    return [(json.loads(x)["display"], json.loads(x)["project"]) for x in lines]


@pytest.fixture
def mac(tmp_path: Path) -> Machine:
    (tmp_path / "Users" / "alice").mkdir(parents=True)
    return Machine(tmp_path / "Users" / "alice")


@pytest.fixture
def linux(tmp_path: Path) -> Machine:
    (tmp_path / "home" / "alice").mkdir(parents=True)
    return Machine(tmp_path / "home" / "alice")


def test_history_lines_carry_each_machines_own_project_path(mac: Machine, linux: Machine) -> None:
    mac.write(
        "history.jsonl",
        entry(mac.home / "code/api", "mac one", 1000)
        + entry("/opt/shared", "outside home", 1001)
        + entry(mac.home / "code/api", "mac two", 1002),
    )
    mac.run("init")
    mac.run("push")
    stored = keyfile.load(mac.key_file).decrypt(
        b"history.jsonl", mac.git("cat-file", "blob", "HEAD:history.jsonl").stdout
    )
    assert b'"project":"~/code/api"' in stored and str(mac.home).encode() not in stored

    linux.run("init", "--git", str(mac.default_remote), "--key", str(mac.key_file))
    assert projects(linux) == [
        ("mac one", str(linux.home / "code/api")),
        ("outside home", "/opt/shared"),
        ("mac two", str(linux.home / "code/api")),
    ]
    assert launcher_state(linux) == ""  # smudge(clean(x)) == x: nothing looks modified

    # Both machines add lines: a fast-forward one way, a merge (union by time) the other.
    with (linux.claude / "history.jsonl").open("ab") as history:
        history.write(entry(linux.home / "code/api", "linux three", 1003))
    with (mac.claude / "history.jsonl").open("ab") as history:
        history.write(entry(mac.home / "code/web", "mac four", 1004))
    linux.run("push")
    mac.run("push")
    linux.run("pull")
    expected = [
        ("mac one", "code/api"),
        ("outside home", None),
        ("mac two", "code/api"),
        ("linux three", "code/api"),
        ("mac four", "code/web"),
    ]
    for machine in (mac, linux):
        # (a pull appends the lines a file lacks: their order may differ by machine)
        assert sorted(projects(machine)) == sorted(
            (d, str(machine.home / p) if p else "/opt/shared") for d, p in expected
        )
        assert launcher_state(machine) == ""
        status = machine.run("status", check=False).stdout.splitlines()
        assert [x.split() for x in status if x.startswith("To p")] == [
            ["To", "push", "nothing"],
            ["To", "pull", "nothing"],
        ]


def test_lines_added_later_to_a_file_being_written_get_this_machines_paths(
    mac: Machine, linux: Machine
) -> None:
    mac.write("history.jsonl", entry(mac.home / "code/api", "one", 1000))
    mac.run("init")
    mac.run("push")
    linux.run("init", "--git", str(mac.default_remote), "--key", str(mac.key_file))
    with (mac.claude / "history.jsonl").open("ab") as history:
        history.write(entry(mac.home / "code/api", "two", 1001))
    mac.run("push")
    # Claude Code is halfway through writing a line here: the pull's lines wait.
    torn = entry(linux.home / "code/web", "three", 1002)
    with (linux.claude / "history.jsonl").open("ab") as history:
        history.write(torn[:20])
    linux.run("pull")
    with (linux.claude / "history.jsonl").open("ab") as history:
        history.write(torn[20:])
    linux.run("push")
    assert sorted(projects(linux)) == sorted(
        [
            ("one", str(linux.home / "code/api")),
            ("two", str(linux.home / "code/api")),
            ("three", str(linux.home / "code/web")),
        ]
    )
    assert launcher_state(linux) == ""
