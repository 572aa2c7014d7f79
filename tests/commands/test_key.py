"""Keys: fingerprints, key codes (export / init --key-code), rotation and adoption."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from git_claude_sync.crypto import codec, keycode
from git_claude_sync.errors import FatalError
from tests.machines import Machine, git_plain

PASSPHRASE = "correct horse battery staple"


def run_with_stdin(machine: Machine, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "claude-sync", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=machine.env(),
        cwd=machine.home,
    )


def export_code(machine: Machine) -> str:
    proc = machine.run("key", "export", GIT_CLAUDE_SYNC_PASSPHRASE=PASSPHRASE)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    return lines[0]


def key_ids(machine: Machine, treeish: str = "main") -> set[bytes]:
    """The key ids of every blob in a tree of the machine's sync repo."""
    repo = ["--git-dir", str(machine.tool_home / "repo.git")]
    listing = git_plain(*repo, "ls-tree", "-r", "-z", treeish)
    ids = set()
    for record in listing.split(b"\0"):
        if record:
            oid = record.split(b"\t", 1)[0].split()[2].decode()
            blob = git_plain(*repo, "cat-file", "blob", oid)
            ids.add(codec.parse_header(blob).key_id)
    return ids


# -- key codes, in process ---------------------------------------------------------


def test_key_code_round_trip_is_one_short_line() -> None:
    raw = bytes(range(32))
    code = keycode.wrap(raw, PASSPHRASE)
    assert code.startswith("csk1-") and len(code) < 120 and "\n" not in code
    assert keycode.unwrap(code, PASSPHRASE) == raw
    # Random salt and nonce: the same key never gives the same line twice.
    assert keycode.wrap(raw, PASSPHRASE) != code
    # Wrapped by a terminal or a mail client: whitespace is ignored.
    assert keycode.unwrap(code[:40] + "\n  " + code[40:], PASSPHRASE) == raw


def test_wrong_passphrase_and_damaged_code_are_told_apart() -> None:
    code = keycode.wrap(bytes(32), PASSPHRASE)
    with pytest.raises(keycode.WrongPassphrase, match="wrong passphrase"):
        keycode.unwrap(code, PASSPHRASE + "!")
    damaged = code[:30] + ("A" if code[30] != "A" else "B") + code[31:]
    with pytest.raises(FatalError, match="damaged"):
        keycode.unwrap(damaged, PASSPHRASE)
    with pytest.raises(FatalError, match="damaged"):
        keycode.unwrap(code[:-3], PASSPHRASE)
    with pytest.raises(FatalError, match="not a git-claude-sync key code"):
        keycode.unwrap("CLAUDE-SYNC-KEY-V1 00", PASSPHRASE)
    with pytest.raises(FatalError, match="at least"):
        keycode.wrap(bytes(32), "short")


# -- the CLI --------------------------------------------------------------------------


def test_export_and_init_with_key_code_join_a_second_machine(
    machine_a: Machine, machine_b: Machine
) -> None:
    machine_a.write("settings.json", b'{"model": "opus"}\n')
    machine_a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    machine_a.run("init")
    machine_a.run("push")
    code = export_code(machine_a)

    proc = run_with_stdin(
        machine_b,
        PASSPHRASE + "\n",
        "init",
        "--git",
        str(machine_a.default_remote),
        "--key-code",
        code,
        "--passphrase-stdin",
    )
    assert proc.returncode == 0, proc.stderr
    assert (machine_b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n'
    fingerprint_a = machine_a.run("key", "fingerprint").stdout.strip()
    fingerprint_b = machine_b.run("key", "fingerprint").stdout.strip()
    assert fingerprint_a == fingerprint_b and len(fingerprint_a) == 19
    assert machine_b.key_file.stat().st_mode & 0o077 == 0


def test_init_with_a_wrong_passphrase_creates_nothing(
    machine_a: Machine, machine_b: Machine
) -> None:
    machine_a.run("init")
    code = export_code(machine_a)
    proc = machine_b.run(
        "init",
        "--git",
        str(machine_a.default_remote),
        "--key-code",
        code,
        check=False,
        GIT_CLAUDE_SYNC_PASSPHRASE="not the passphrase",
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "git-claude-sync: wrong passphrase for this key code; nothing was changed"
    ]
    assert not machine_b.tool_home.exists()

    damaged = machine_b.run(
        "init", "--git", str(machine_a.default_remote), "--key-code", code[:-4], check=False
    )
    assert damaged.returncode != 0 and "copied whole" in damaged.stderr
    assert not machine_b.tool_home.exists()


def test_rotation_round_trip_on_two_machines(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    b.run("pull")
    old = a.run("key", "fingerprint").stdout.strip()

    out = a.run("key", "rotate").stdout
    new = a.run("key", "fingerprint").stdout.strip()
    assert new != old and new in out
    assert "readable by anyone who holds it" in out
    assert (a.tool_home / "old-keys" / old).is_file()
    assert a.git("config", "claude-sync.keyid").stdout.decode().strip() == new
    # The remote's tip is entirely under the new key; history keeps the old one.
    remote = Machine(a.home)
    ids = {codec.format_fingerprint(k) for k in key_ids(remote)}
    assert ids == {new}
    assert {codec.format_fingerprint(k) for k in key_ids(remote, "main~1")} == {old}

    # A keeps working under the new key.
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n{"uuid":"2"}\n')
    a.run("push")

    # B, still on the old key, has a change of its own; its sync stops and says what to do.
    b.write("commands/b.md", b"from b\n")
    proc = b.run("pull", check=False)
    assert proc.returncode != 0
    message = proc.stderr.strip()
    assert len(message.splitlines()) == 1
    assert f"the remote moved to key {new}" in message
    assert "key use" in message and "key export" in message
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n'

    code = export_code(a)
    b.run("key", "use", "--key-code", code, GIT_CLAUDE_SYNC_PASSPHRASE=PASSPHRASE)
    assert b.run("key", "fingerprint").stdout.strip() == new
    assert (b.tool_home / "old-keys" / old).is_file()
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands/b.md").read_bytes() == b"from b\n"
    assert {codec.format_fingerprint(k) for k in key_ids(a)} == {new}

    # History from before the rotation still reads as plaintext (textconv, old key kept).
    log = a.run("git", "log", "-p", "--", "projects/-p/s.jsonl").stdout
    assert '{"uuid":"1"}' in log and "rotate key to" in log


def test_key_use_refuses_a_key_the_remote_does_not_use(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    stray = b.home / "stray-key"
    stray.write_text("CLAUDE-SYNC-KEY-V1 " + "ab" * 32 + "\n")
    proc = b.run("key", "use", str(stray), check=False)
    assert proc.returncode != 0 and "nothing was changed" in proc.stderr
    assert b.run("key", "fingerprint").stdout == a.run("key", "fingerprint").stdout


def test_export_without_a_terminal_or_passphrase_is_a_clear_error(machine_a: Machine) -> None:
    machine_a.run("init")
    proc = machine_a.run("key", "export", check=False)
    assert proc.returncode != 0
    assert "--passphrase-stdin" in proc.stderr and "csk1-" not in proc.stdout
    proc = run_with_stdin(machine_a, PASSPHRASE + "\n", "key", "export", "--passphrase-stdin")
    assert proc.returncode == 0 and proc.stdout.startswith("csk1-")
    code = proc.stdout.strip()
    raw = keycode.unwrap(code, PASSPHRASE)
    key_text = Path(machine_a.key_file).read_text().split()[1]
    assert raw.hex() == key_text


def each_deletes_one_session(a: Machine, b: Machine) -> tuple[str, str]:
    """A pushes two sessions, B pulls them; then Claude Code's clean-up deletes one on
    each machine (kept on the remote: engine/kept.py), each pushes, A pulls. Their ids."""
    sid_a, sid_b = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    a.write(f"projects/-p/{sid_a}.jsonl", b'{"uuid":"a1","cwd":"/p"}\n')
    a.write(f"projects/-p/{sid_b}.jsonl", b'{"uuid":"b1","cwd":"/p"}\n')
    a.run("push")
    b.run("pull")
    (a.claude / f"projects/-p/{sid_a}.jsonl").unlink()
    a.run("push")
    (b.claude / f"projects/-p/{sid_b}.jsonl").unlink()
    b.run("push")
    a.run("pull")
    return sid_a, sid_b


def test_rotation_keeps_sessions_deleted_here_deleted_and_old_states_restorable(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    sid_a, sid_b = each_deletes_one_session(a, b)

    a.run("key", "rotate")
    b.run("key", "use", str(a.key_file))
    b.run("push")
    a.run("pull")
    for machine, gone, there in ((a, sid_a, sid_b), (b, sid_b, sid_a)):
        assert not (machine.claude / f"projects/-p/{gone}.jsonl").exists()
        assert (machine.claude / f"projects/-p/{there}.jsonl").exists()
        assert "Nothing to push" in machine.run("push").stdout
    # The deleted session is still restorable; its blob is under the new key now,
    # and history from before the rotation opens with the retired key.
    a.run("restore", sid_a[:8])
    assert (a.claude / f"projects/-p/{sid_a}.jsonl").read_bytes() == b'{"uuid":"a1","cwd":"/p"}\n'
    log = a.run("log").stdout
    assert "key rotated to" in log and "switched to key" in log
