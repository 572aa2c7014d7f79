"""Key rotation on bucket remotes, through the real CLI against SeaweedFS on 127.0.0.1
(docs/spec/rotation.md, "Buckets")."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.remote.transfer import MANIFEST_NAME
from tests.commands.test_key import PASSPHRASE, export_code
from tests.remote.backends import Backend, RemoteMachine


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


def test_rotate_on_a_bucket_and_the_other_machine_follows(
    s3_backend: Backend, tmp_path: Path
) -> None:
    a, b = _pair(s3_backend, tmp_path)
    old = keyfile.load(a.key_file)
    a.run("key", "rotate")
    new = keyfile.load(a.key_file)
    assert new.key_id != old.key_id
    # Manifest and every pack under the new key; the old packs are gone at once.
    stored = _key_ids(s3_backend)
    assert MANIFEST_NAME in stored and len(stored) == 2, stored
    assert set(stored.values()) == {new.key_id}

    # B, still on the old key, made a change; it is told what to run, in one line.
    b.write("commands/b.md", b"from b\n")
    for command in ("pull", "push"):
        proc = b.run(command, check=False)
        assert proc.returncode != 0
        message = proc.stderr.strip()
        assert len(message.splitlines()) == 1, message
        assert f"the remote moved to key {new.fingerprint}" in message, message
        assert "key use --key-code" in message and "wrong key" not in message, message
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n{"uuid":"2"}\n')
    a.run("push")

    b.run("key", "use", "--key-code", export_code(a), GIT_CLAUDE_SYNC_PASSPHRASE=PASSPHRASE)
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands/b.md").read_bytes() == b"from b\n"
    assert set(_key_ids(s3_backend).values()) == {new.key_id}
    # A third machine joins with the new key alone and gets everything.
    c = s3_backend.machine(tmp_path / "c")
    c.run("init", *s3_backend.init_args(), "--key", str(a.key_file))
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


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAUDE_SYNC_KEY_FILE", raising=False)
