"""Unchanged plaintext keeps its stored ciphertext, even if this machine would encrypt it
to other bytes (another zstd build, a later format): no endless re-uploads."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable

import pytest
from git_claude_sync.filters import clean

from git_claude_sync.crypto import codec, keyfile
from tests.crypto.test_codec import _seal_payloads
from tests.machines import Machine


def test_touched_file_with_foreign_ciphertext_is_not_re_encrypted(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _b = pair
    content = b'{"uuid":"1","text":"' + b"compressible " * 2000 + b'"}\n'
    a.write("projects/-p/s.jsonl", content)
    a.run("push")

    # Store the same plaintext as another machine's compressor would have made it.
    key = codec.Key(keyfile.decode(a.key_file.read_text(), a.key_file))
    monkeypatch.setattr(
        codec, "_compress", lambda _c, _encoding, piece: b"\x00" + piece
    )  # stored raw
    foreign = key.encrypt(b"projects/-p/s.jsonl", content)
    monkeypatch.undo()
    assert foreign != key.encrypt(b"projects/-p/s.jsonl", content)
    git = ["git", "--git-dir", str(a.tool_home / "repo.git"), "--work-tree", str(a.claude)]
    env = a.env()
    oid = (
        subprocess.run(
            [*git, "hash-object", "-w", "--stdin"],
            input=foreign,
            env=env,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    subprocess.run(
        [*git, "update-index", "--cacheinfo", f"100644,{oid},projects/-p/s.jsonl"],
        env=env,
        check=True,
    )
    a.run("git", "commit", "-q", "-m", "foreign")  # sealed by the passthrough
    a.run("push")

    # The file is touched (stat changes): git re-cleans it, and must get the stored bytes back.
    path = a.claude / "projects/-p/s.jsonl"
    os.utime(path, (1, 1))
    assert "Nothing to push" in a.run("push").stdout
    status = subprocess.run(
        [*git, "status", "--porcelain"], env=env, capture_output=True, check=True
    )
    assert status.stdout == b""

    # A real change is still encrypted afresh.
    path.write_bytes(content + b'{"uuid":"2"}\n')
    assert "Pushed" in a.run("push").stdout


RAW = bytes(range(32))


def _format_1(path: bytes, data: bytes) -> bytes:
    """``data`` as format 1 stored it: its last data chunk sealed as the final one."""
    pieces = [data[i : i + codec.CHUNK_SIZE] for i in range(0, len(data), codec.CHUNK_SIZE)]
    return _seal_payloads(RAW, path, [b"\x00" + p for p in pieces or [b""]], version=1)


def test_clean_keeps_a_format_1_blob_until_its_file_changes() -> None:
    key, path = codec.Key(RAW), b"projects/-p/s.jsonl"
    data = b'{"n":1}\n' * 20000
    old = _format_1(path, data)
    assert clean.clean(key, path, data, old) == old  # unchanged: no re-upload after an upgrade
    changed = b'{"n":2}\n' + data
    new = clean.clean(key, path, changed, old)
    assert new == key.encrypt(path, changed)  # changed: sealed afresh in format 2
    assert codec.parse_header(new).version == 2


def test_clean_appends_onto_the_stored_blob() -> None:
    key, path = codec.Key(RAW), b"projects/-p/s.jsonl"
    data = b'{"n":1}\n' * 20000
    first = clean.clean(key, path, data, None)
    assert clean.clean(key, path, data, first) == first
    second = clean.clean(key, path, data + b'{"n":2}\n' + b"torn", first)
    assert second.startswith(first[: -codec.FINALISER_LEN])
    assert key.decrypt(path, second) == data + b'{"n":2}\n'  # complete lines only
    # The same lines in another order (a pull appended them in place): the stored blob.
    assert clean.clean(key, path, b'{"n":2}\n' + data, second) == second


class _Streamed:
    """A stored blob handed over as a stream (as git.StoredBlob is), never as bytes."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.largest_read = 0

    @property
    def size(self) -> int:
        return len(self.blob)

    def reader(self) -> Callable[[int], bytes]:
        stream = io.BytesIO(self.blob)

        def read(size: int) -> bytes:
            self.largest_read = max(self.largest_read, size)
            return stream.read(size)

        return read


def _clean_onto_stream(key: codec.Key, path: bytes, data: bytes, stored: _Streamed) -> bytes:
    out = io.BytesIO()
    kept = clean.clean_into(key, path, [data], stored, out)
    return stored.blob if kept is stored else out.getvalue()


def test_clean_reads_a_large_stored_blob_a_block_at_a_time() -> None:
    # A blob over git.STREAM_ABOVE comes as a stream: holding it whole tripled the filter's
    # memory on a pull of a 157 MB file (issue 9).  Same answers as with bytes.
    key, path = codec.Key(RAW), b"projects/-p/s.jsonl"
    data = b'{"n":1}\n' * 200000  # 1.6 MB: 25 chunks
    first = _Streamed(clean.clean(key, path, data, None))
    assert _clean_onto_stream(key, path, data, first) == first.blob  # unchanged: itself
    second = _clean_onto_stream(key, path, data + b'{"n":2}\n', first)
    assert second.startswith(first.blob[: -codec.FINALISER_LEN])  # an append keeps the chunks
    stored = _Streamed(second)
    assert _clean_onto_stream(key, path, b'{"n":2}\n' + data, stored) == second  # reordered
    assert 0 < max(first.largest_read, stored.largest_read) <= 1 << 20
    format_1 = _Streamed(key.encrypt(path, b"x\n" * 10))
    format_1.blob = format_1.blob[:8] + b"\x01" + format_1.blob[9:]  # not ours to keep
    assert _clean_onto_stream(key, path, b"x\n" * 10, format_1) == key.encrypt(path, b"x\n" * 10)


def test_an_append_is_proven_without_reading_the_blobs_again() -> None:
    # seal_onto's own answer (every stored chunk authenticated and matched) replaced reading
    # both blobs back: the blob must be the one seal_onto streams, and previous never kept.
    key, path = codec.Key(RAW), b"projects/-p/s.jsonl"
    data = b'{"n":1}\n' * 20000
    first = clean.clean(key, path, data, None)
    appended = data + b'{"n":2}\n'
    out = io.BytesIO()
    assert clean.clean_into(key, path, [appended], first, out) is None
    assert out.getvalue() == b"".join(key.seal_onto(path, [appended], first))
    assert out.getvalue().startswith(first[: -codec.FINALISER_LEN])
    assert clean.clean(key, path, data, first) == first


def test_clean_never_gives_back_a_tampered_stored_blob() -> None:
    # The index's blob came from the remote: one not whole and authentic is never returned
    # as what is stored, whether the file is unchanged, appended to or reordered.
    key, path = codec.Key(RAW), b"projects/-p/s.jsonl"
    data = b'{"n":1}\n' * 20000  # 3 chunks
    honest = clean.clean(key, path, data, None)
    end = len(honest) - codec.FINALISER_LEN
    tampered = {
        "finaliser": honest[:-1] + bytes([honest[-1] ^ 1]),
        "chunk": honest[:100] + bytes([honest[100] ^ 1]) + honest[101:],
        "cut": honest[:end],
        "trailing": honest + b"\n",
    }
    for name, stored in tampered.items():
        for content in (data, data + b'{"n":2}\n', b'{"n":2}\n' + data):
            cleaned = clean.clean(key, path, content, stored)
            assert cleaned != stored, name
            assert key.decrypt(path, cleaned) == content, name
