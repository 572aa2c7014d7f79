"""Key rotation on bucket remotes, through the real CLI against SeaweedFS (and, for the
plain rotation, the GCS emulator) on 127.0.0.1 (docs/spec/rotation.md, "Buckets")."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import CodecError
from git_claude_sync.remote.transfer import MANIFEST_NAME, open_pack
from tests.commands.test_key import PASSPHRASE, export_code
from tests.commands.test_rewrite_history import (
    opened_by,
    other_machine_follows,
    push_versions,
    reachable_blobs,
    rewrite_raced_by_a_push,
    start,
    wait_for,
)
from tests.machines import Machine, git_plain
from tests.remote.backends import Backend, RemoteMachine
from tests.remote.injection import KILL_BEFORE_MANIFEST, KILL_BEFORE_SWITCH, injecting


def _pair(backend: Backend, tmp_path: Path) -> tuple[RemoteMachine, RemoteMachine]:
    a = backend.machine(tmp_path / "a")
    b = backend.machine(tmp_path / "b")
    a.write("settings.json", b'{"model": "opus"}\n')
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("init", *backend.init_args())
    a.run("push")
    b.run("init", *backend.init_args(), "--key", str(a.key_file))
    return a, b


def _key_ids(backend: Backend) -> dict[str, bytes]:
    """Every object of the bucket, by name, with the key id its header names."""
    return {
        name.rsplit("/", 1)[1]: codec.parse_header(data).key_id
        for name, data in backend.objects().items()
    }


def told_then_follows(a: Machine, b: Machine, new: Key) -> None:
    """After A rotated to ``new``: B, still on the old key, made a change; it is told what to
    run, in one line (pull, push and status alike), follows with key use, and its change
    reaches A."""
    b.write("commands/b.md", b"from b\n")
    for command in ("pull", "push"):
        proc = b.run(command, check=False)
        assert proc.returncode != 0
        message = proc.stderr.strip()
        assert len(message.splitlines()) == 1, message
        assert f"the remote moved to key {new.fingerprint}" in message, message
        assert "key use --key-code" in message and "wrong key" not in message, message
    status = b.run("status", check=False)
    assert status.returncode == 4 and "unreachable" not in status.stdout, status.stdout
    assert f"the remote moved to key {new.fingerprint}" in status.stdout
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n{"uuid":"2"}\n')
    a.run("push")

    b.run("key", "use", "--key-code", export_code(a), GIT_CLAUDE_SYNC_PASSPHRASE=PASSPHRASE)
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands/b.md").read_bytes() == b"from b\n"


@pytest.mark.parametrize("provider", ["s3_backend", "gcs_backend"])
def test_rotate_on_a_bucket_and_the_other_machine_follows(
    provider: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backend: Backend = request.getfixturevalue(provider)
    a, b = _pair(backend, tmp_path)
    old = keyfile.load(a.key_file)
    a.run("key", "rotate")
    new = keyfile.load(a.key_file)
    assert new.key_id != old.key_id
    # Manifest and every pack under the new key; the old packs are gone at once.
    stored = _key_ids(backend)
    assert MANIFEST_NAME in stored and len(stored) == 2, stored
    assert set(stored.values()) == {new.key_id}

    told_then_follows(a, b, new)
    assert set(_key_ids(backend).values()) == {new.key_id}
    # A third machine joins with the new key alone and gets everything.
    c = backend.machine(tmp_path / "c")
    c.run("init", *backend.init_args(), "--key", str(a.key_file))
    assert (c.claude / "commands/b.md").read_bytes() == b"from b\n"


def test_joining_with_the_old_key_after_a_rotation_says_wrong_key(
    s3_backend: Backend, tmp_path: Path
) -> None:
    a, _b = _pair(s3_backend, tmp_path)
    old_copy = tmp_path / "old-key"
    old_copy.write_bytes(a.key_file.read_bytes())
    a.run("key", "rotate")
    c = s3_backend.machine(tmp_path / "c")
    proc = c.run("init", *s3_backend.init_args(), "--key", str(old_copy), check=False)
    assert proc.returncode != 0 and "wrong key" in proc.stderr


def _indexed(scratch: Path, pack: bytes) -> bool:
    try:
        git_plain("--git-dir", str(scratch), "index-pack", "--stdin", "--fix-thin", input=pack)
    except subprocess.CalledProcessError:
        return False
    return True


def _old_key_opens(backend: Backend, old: Key, new: Key, scratch: Path) -> list[str]:
    """The canary: every object of the bucket, and every blob inside every pack, tried
    with the old key through the public codec API; what it opens."""
    opened = []
    scratch.mkdir()
    git_plain("init", "-q", "--bare", str(scratch))
    packs = []
    for name, data in backend.objects().items():
        short = name.rsplit("/", 1)[1]
        try:
            old.decrypt(None, data)
            opened.append(name)
        except CodecError:
            pass
        if short != MANIFEST_NAME:
            packs.append(open_pack(new, short, data))
    # A thin pack needs its bases indexed first, and names are random, not in pack order:
    # index what can be, again, until every pack is in.
    while packs:
        left = [pack for pack in packs if not _indexed(scratch, pack)]
        assert len(left) < len(packs), "a pack's bases are in no stored pack"
        packs = left
    blobs = reachable_blobs(scratch, every_object=True)
    assert blobs
    return opened + opened_by(old, blobs)


def test_rewrite_history_on_a_bucket_killed_then_raced_by_a_push(
    s3_backend: Backend, tmp_path: Path
) -> None:
    a, b = _pair(s3_backend, tmp_path)
    push_versions(a, 3)
    b.run("pull")
    old = keyfile.load(a.key_file)
    before = s3_backend.objects()

    # Killed with its new pack stored, the manifest not swapped: the remote is as it was,
    # and this machine keeps its key.
    proc = a.run(
        "key", "rotate", "--rewrite-history", check=False, **injecting(fault=KILL_BEFORE_MANIFEST)
    )
    # (the remote helper is the process killed; the CLI reports it in one line)
    assert proc.returncode == 1 and "died of signal 9" in proc.stderr, proc.stderr
    assert keyfile.load(a.key_file).key_id == old.key_id
    after = s3_backend.objects()
    assert {n: d for n, d in after.items() if n in before} == before
    b.run("pull")

    # Run again, and B pushes under the old key while A waits to swap the manifest.
    gate = tmp_path / "gate"
    gate.mkdir()
    rewrite_raced_by_a_push(a, b, gate, injecting(pause=gate))
    new = keyfile.load(a.key_file)
    assert (a.claude / "commands/b.md").read_bytes() == b"from b, during the rewrite\n"

    # One manifest and one pack, under the new key; nothing opens with the old one.
    stored = _key_ids(s3_backend)
    assert len(stored) == 2 and set(stored.values()) == {new.key_id}
    assert _old_key_opens(s3_backend, old, new, tmp_path / "scratch") == []

    other_machine_follows(a, b, new)
    assert _old_key_opens(s3_backend, old, new, tmp_path / "scratch2") == []


def test_a_push_that_loses_to_the_rotation_is_told_and_kept(
    s3_backend: Backend, tmp_path: Path
) -> None:
    a, b = _pair(s3_backend, tmp_path)
    b.run("pull")
    b.write("commands/b.md", b"pushed while A rotates\n")
    gate = tmp_path / "gate"
    gate.mkdir()
    # B's pack is stored; B waits to swap the manifest while A rotates the key.
    pushing = start(b, "push", **injecting(pause=gate))
    wait_for(gate, pushing)
    a.run("key", "rotate")
    new = keyfile.load(a.key_file)
    (gate / "go").touch()
    _out, err = pushing.communicate(timeout=300)
    assert pushing.returncode != 0
    assert len(err.strip().splitlines()) == 1, err
    assert f"the remote moved to key {new.fingerprint}" in err and "key use" in err
    # B's pack was deleted with the old ones; its commit waits locally, then goes through.
    assert set(_key_ids(s3_backend).values()) == {new.key_id}
    b.run("key", "use", str(a.key_file))
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands/b.md").read_bytes() == b"pushed while A rotates\n"


def test_a_rotation_killed_after_its_push_finishes_on_a_bucket(
    s3_backend: Backend, tmp_path: Path
) -> None:
    a, b = _pair(s3_backend, tmp_path)
    old = keyfile.load(a.key_file)
    proc = a.run(
        "key", "rotate", "--rewrite-history", check=False, **injecting(fault=KILL_BEFORE_SWITCH)
    )
    assert proc.returncode in (-9, 137), proc.stderr
    # The bucket moved to key.next; this machine's next sync names that file.
    pending = keyfile.load(a.tool_home / "key.next")
    assert set(_key_ids(s3_backend).values()) == {pending.key_id}
    proc = a.run("push", check=False)
    assert proc.returncode != 0 and "key.next" in proc.stderr, proc.stderr
    a.write("commands/a.md", b"made while half-rotated\n")
    assert "finishing it" in a.run("key", "rotate", "--rewrite-history").stdout
    assert keyfile.load(a.key_file).key_id == pending.key_id
    a.run("push")
    assert _old_key_opens(s3_backend, old, pending, tmp_path / "scratch") == []
    b.run("key", "use", str(a.key_file))
    assert (b.claude / "commands/a.md").read_bytes() == b"made while half-rotated\n"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAUDE_SYNC_KEY_FILE", raising=False)
