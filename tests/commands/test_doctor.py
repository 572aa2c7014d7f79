"""``doctor``: each silent breakage is found, named with its fix, and fails the exit code."""

from __future__ import annotations

import shutil

from tests.machines import Machine


def doctor(machine: Machine) -> tuple[int, list[str]]:
    proc = machine.run("doctor", check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout.splitlines()


def line(lines: list[str], name: str) -> str:
    found = [ln for ln in lines if ln.split()[1:2] == [name.split()[0]] and name in ln]
    assert found, "\n".join(lines)
    return found[0]


def fix_after(lines: list[str], name: str) -> str:
    at = lines.index(line(lines, name))
    return lines[at + 1].strip()


def test_a_healthy_machine_passes(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    code, lines = doctor(a)
    assert code == 0, lines
    for name in (
        "git version",
        "python",
        "key",
        "sync repo",
        "remote",
        "remote key",
        "clock",
        "disk",
    ):
        assert line(lines, name).startswith("ok ")
    # No hooks yet: a warning with its fix, not a failure.
    assert line(lines, "hooks").startswith("warn")
    assert fix_after(lines, "hooks") == "fix: git claude-sync install"


def test_key_mode_remote_and_key_rotation_are_caught(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.key_file.chmod(0o644)
    code, lines = doctor(a)
    assert code == 1
    assert line(lines, "key").startswith("FAIL") and "others can read it" in line(lines, "key")
    assert fix_after(lines, "key") == f"fix: chmod 600 {a.key_file}"
    a.key_file.chmod(0o600)

    b.run("key", "rotate", "--yes")
    code, lines = doctor(a)
    assert code == 1 and line(lines, "remote key").startswith("FAIL")
    assert "key use" in fix_after(lines, "remote key")

    shutil.move(a.default_remote, a.home / "gone.git")
    code, lines = doctor(a)
    assert code == 1 and line(lines, "remote").startswith("FAIL")


def test_hooks_that_cannot_find_the_tool_fail(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.run("install")
    code, lines = doctor(a)
    # The tests' PATH has git-claude-sync only in .venv/bin, which a desktop launch lacks.
    assert code == 1 and line(lines, "hook PATH").startswith("FAIL")
    assert "ln -s" in fix_after(lines, "hook PATH") and "~/.local/bin" in fix_after(
        lines, "hook PATH"
    )
    assert line(lines, "hooks").startswith("ok ")


def test_not_initialised(machine_a: Machine) -> None:
    code, lines = doctor(machine_a)
    assert code == 1
    assert line(lines, "key").startswith("FAIL") and "init" in fix_after(lines, "key")
