"""The blob format (git_claude_sync.crypto.codec, docs/spec/blob.md) and the key file
(git_claude_sync.crypto.keyfile): round trips, determinism, appends, the decryption rules only a
key holder can reach, error messages.

The spec's test vectors (docs/vectors/blob.json) are checked in tests/test_spec_vectors.py.
"""

from __future__ import annotations

import hmac
import os
import random
import re
import stat
import struct
from pathlib import Path

import pytest
import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.crypto.codec import CHUNK_SIZE, HEADER_LEN, Key
from git_claude_sync.errors import CodecError, FatalError, NotEncrypted, Tampered, WrongKey

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))


def _chunk_offsets(blob: bytes) -> list[int]:
    """Start offset of each chunk (at its length field) in a well-formed blob."""
    offsets, pos = [], HEADER_LEN
    while pos < len(blob):
        offsets.append(pos)
        pos += 4 + struct.unpack_from(">I", blob, pos)[0]
    assert pos == len(blob)
    return offsets


# --- Sealing hand-made payloads (written from docs/spec/blob.md) --------------------------


def _hkdf_sha256(ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 with an absent salt (HashLen zero bytes)."""
    prk = hmac.digest(bytes(32), ikm, "sha256")
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        okm += block
        counter += 1
    return okm[:length]


def _spec_subkeys(raw: bytes) -> dict[str, bytes]:
    def derive(label: str, length: int = 32) -> bytes:
        return _hkdf_sha256(raw, b"git-claude-sync v1 " + label.encode(), length)

    return {
        "aes_key": derive("aes-256-gcm key"),
        "nonce_key": derive("synthetic nonce key"),
        "path_key": derive("path tag key"),
        "key_id": derive("key id", 8),
    }


def _seal_payloads(raw: bytes, path: bytes, payloads: list[bytes], nonce_xor: int = 0) -> bytes:
    """Seal hand-made payloads (encoding byte + data) correctly, to reach the checks
    that only run after authentication.  ``nonce_xor`` spoils the synthetic nonce."""
    sub = _spec_subkeys(raw)
    aead = AESGCM(sub["aes_key"])
    header = Key(raw).header(path)
    out, prev = [header], bytes(16)
    for index, payload in enumerate(payloads):
        final = index == len(payloads) - 1
        ad = header + struct.pack(">QB", index, final) + prev
        nonce = bytearray(hmac.digest(sub["nonce_key"], ad + payload, "sha256")[:12])
        nonce[0] ^= nonce_xor
        sealed = aead.encrypt(bytes(nonce), payload, ad)
        out += [struct.pack(">I", 12 + len(sealed)), bytes(nonce), sealed]
        prev = sealed[-16:]
    return b"".join(out)


# --- Round trips ---------------------------------------------------------------------------


def _sizes(rng: random.Random) -> list[int]:
    edges = {k * CHUNK_SIZE + d for k in range(5) for d in (-2, -1, 0, 1, 2)}
    sizes = sorted(s for s in edges if s >= 0)
    sizes += [rng.randrange(0, 5 * CHUNK_SIZE) for _ in range(150)]
    sizes += [rng.randrange(0, 2000) for _ in range(100)]
    return sizes


def _data(rng: random.Random, size: int, kind: int) -> bytes:
    if kind == 0:  # incompressible
        return rng.randbytes(size)
    if kind == 1:  # compressible text
        words = [b"user", b"assistant", b"tool_use", b'"content":', b"\n", b"{", b"}"]
        out = bytearray()
        while len(out) < size:
            out += rng.choice(words) + b" "
        return bytes(out[:size])
    half = rng.randrange(0, size + 1)  # mixed: text then noise
    return _data(rng, half, 1) + rng.randbytes(size - half)


def test_round_trip_random_sizes() -> None:
    rng = random.Random(20240601)
    key = Key(KEY_A)
    sizes = _sizes(rng)
    assert len(sizes) > 250
    for i, size in enumerate(sizes):
        data = _data(rng, size, i % 3)
        path = f"projects/p{i % 7}/s{i}.jsonl".encode()
        blob = key.encrypt(path, data)
        assert codec.looks_encrypted(blob)
        assert len(_chunk_offsets(blob)) == max(1, -(-size // CHUNK_SIZE)), size
        assert key.decrypt(path, blob) == data, size


def test_round_trip_every_byte_value_in_path() -> None:
    key = Key(KEY_A)
    path = bytes(range(1, 256))
    assert key.decrypt(path, key.encrypt(path, b"x")) == b"x"


# --- Determinism and what changes between versions ------------------------------------------


def test_deterministic() -> None:
    rng = random.Random(7)
    data = _data(rng, 3 * CHUNK_SIZE + 123, 2)
    assert Key(KEY_A).encrypt(b"a", data) == Key(KEY_A).encrypt(b"a", data)
    assert Key(KEY_A).encrypt(b"a", data) != Key(KEY_A).encrypt(b"b", data)
    assert Key(KEY_A).encrypt(b"a", data) != Key(KEY_B).encrypt(b"a", data)


def test_same_content_at_two_paths_shares_no_chunk() -> None:
    data = b"same line\n" * 30000
    one, two = Key(KEY_A).encrypt(b"a", data), Key(KEY_A).encrypt(b"b", data)
    for off in _chunk_offsets(one)[:-1]:
        nonce = one[off + 4 : off + 16]
        assert nonce not in two


def _jsonl(rng: random.Random, size: int) -> bytes:
    out, n = [], 0
    while n < size:
        line = f'{{"type":"user","n":{len(out)},"r":{rng.random():.12f}}}\n'.encode()
        out.append(line)
        n += len(line)
    return b"".join(out)[:size]


@pytest.mark.parametrize("size", [5 * 1024 * 1024, 5_000_000], ids=["5MiB", "5MB"])
def test_append_keeps_every_chunk_but_the_last(size: int) -> None:
    rng = random.Random(size)
    key = Key(KEY_A)
    old = _jsonl(rng, size)
    new = old + _jsonl(rng, 2048)
    old_blob, new_blob = key.encrypt(b"s.jsonl", old), key.encrypt(b"s.jsonl", new)
    last = _chunk_offsets(old_blob)[-1]  # the old final chunk: re-sealed (grows or loses 'final')
    assert new_blob[:last] == old_blob[:last]
    assert new_blob[last + 4 : last + 16] != old_blob[last + 4 : last + 16]  # its nonce
    assert len(_chunk_offsets(new_blob)) - len(_chunk_offsets(old_blob)) == (
        1 if size % CHUNK_SIZE == 0 else 0
    )
    assert len(new_blob) - last < 2 * CHUNK_SIZE


def test_insert_in_the_middle_changes_every_later_chunk() -> None:
    rng = random.Random(3)
    key = Key(KEY_A)
    old = _jsonl(rng, 3 * 1024 * 1024)
    at = 1024 * 1024 + 100  # inside chunk 16
    new = old[:at] + b"x" * 100 + old[at:]
    old_blob, new_blob = key.encrypt(b"s", old), key.encrypt(b"s", new)
    old_offsets, new_offsets = _chunk_offsets(old_blob), _chunk_offsets(new_blob)
    assert new_blob[: new_offsets[16]] == old_blob[: old_offsets[16]]
    old_nonces = {old_blob[o + 4 : o + 16] for o in old_offsets}
    assert not any(new_blob[o + 4 : o + 16] in old_nonces for o in new_offsets[16:])


# --- Decryption rules that need a key to break -----------------------------------------------


def test_wrong_synthetic_nonce_is_rejected() -> None:
    blob = _seal_payloads(KEY_A, b"p", [b"\x00hello"], nonce_xor=1)
    with pytest.raises(Tampered, match="nonce"):
        Key(KEY_A).decrypt(b"p", blob)
    assert Key(KEY_A).decrypt(b"p", _seal_payloads(KEY_A, b"p", [b"\x00hello"])) == b"hello"


def test_short_chunk_before_the_last_is_rejected() -> None:
    blob = _seal_payloads(KEY_A, b"p", [b"\x00short", b"\x00tail"])
    with pytest.raises(Tampered, match="not full"):
        Key(KEY_A).decrypt(b"p", blob)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x02abc",
        b"\x01not a zstd frame",
        b"\x00" + bytes(CHUNK_SIZE + 1),
        b"\x01" + b"",
        b"\x01" + zstandard.ZstdCompressor().compress(bytes(CHUNK_SIZE + 1)),
    ],
    ids=["unknown-encoding", "bad-zstd", "raw-too-long", "empty-zstd", "zstd-too-long"],
)
def test_bad_payload_is_rejected(payload: bytes) -> None:
    blob = _seal_payloads(KEY_A, b"p", [payload])
    with pytest.raises(Tampered):
        Key(KEY_A).decrypt(b"p", blob)


# --- Errors ----------------------------------------------------------------------------------


def test_error_messages_never_contain_plaintext() -> None:
    canary = b"CANARY-7f3a-SECRET"
    data = (b"prefix " + canary + b" suffix\n") * 10000
    key = Key(KEY_A)
    blob = key.encrypt(b"s", data)
    offs = _chunk_offsets(blob)
    broken = [
        blob[:-1],
        blob + b"x",
        blob[: offs[1]],
        blob[: HEADER_LEN + 2],
        bytes(a ^ (i == 200) for i, a in enumerate(blob)),
        data,
        canary + blob,
        _seal_payloads(KEY_A, b"s", [b"\x00" + canary, b"\x00" + canary]),
        _seal_payloads(KEY_A, b"s", [b"\x07" + canary]),
        _seal_payloads(KEY_A, b"s", [b"\x01" + canary]),
    ]
    for bad in broken:
        for k, path in ((key, b"s"), (key, b"t"), (Key(KEY_B), b"s"), (key, None)):
            with pytest.raises(CodecError) as info:
                k.decrypt(path, bad)
            message = str(info.value)
            assert canary.decode() not in message
            assert canary.hex() not in message
            assert "\n" not in message


def test_wrong_key_message_names_both_fingerprints() -> None:
    blob = Key(KEY_B).encrypt(b"p", b"x")
    with pytest.raises(WrongKey) as info:
        Key(KEY_A).decrypt(b"p", blob)
    assert Key(KEY_A).fingerprint in str(info.value)
    assert Key(KEY_B).fingerprint in str(info.value)


def test_decrypt_without_path_skips_only_the_path_check() -> None:
    key = Key(KEY_A)
    blob = key.encrypt(b"a", b"content\n" * 20000)
    with pytest.raises(Tampered, match="another path"):
        key.decrypt(b"b", blob)
    assert key.decrypt(None, blob) == b"content\n" * 20000
    with pytest.raises(Tampered):
        key.decrypt(None, blob[:-1])
    with pytest.raises(Tampered):
        key.decrypt(None, blob + b"\x00")
    offs = _chunk_offsets(blob)
    with pytest.raises(Tampered):
        key.decrypt(None, blob[: offs[1]] + blob[offs[2] :])
    with pytest.raises(WrongKey):
        Key(KEY_B).decrypt(None, blob)
    with pytest.raises(NotEncrypted):
        key.decrypt(None, b"plain text")


def test_codec_errors_are_fatal_errors() -> None:
    for cls in (NotEncrypted, WrongKey, Tampered):
        assert issubclass(cls, CodecError)
        assert issubclass(cls, FatalError)


def test_key_must_be_32_bytes() -> None:
    for n in (0, 16, 31, 33):
        with pytest.raises(ValueError):
            Key(bytes(n))


def test_header_helpers() -> None:
    blob = Key(KEY_A).encrypt(b"p", b"")
    header = codec.parse_header(blob)
    assert header == codec.Header(1, Key(KEY_A).key_id, Key(KEY_A).path_tag(b"p"))
    assert codec.looks_encrypted(blob)
    assert not codec.looks_encrypted(blob[: HEADER_LEN - 1])
    assert not codec.looks_encrypted(blob[:8] + b"\x02" + blob[9:])
    assert not codec.looks_encrypted(b"")
    with pytest.raises(NotEncrypted):
        codec.parse_header(b"\x00GCSYNC")
    assert codec.format_fingerprint(bytes.fromhex("0123456789abcdef")) == "0123-4567-89ab-cdef"


# --- Key file ----------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generate_creates_private_dir_and_file(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".claude-sync" / "key"
    old_umask = os.umask(0)
    try:
        key = keyfile.generate(path)
    finally:
        os.umask(old_umask)
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
    text = path.read_text(encoding="ascii")
    assert re.fullmatch(r"CLAUDE-SYNC-KEY-V1 [0-9a-f]{64}\n", text)
    assert keyfile.load(path).key_id == key.key_id
    assert sorted(p.name for p in path.parent.iterdir()) == ["key"]


def test_generate_tightens_an_existing_dir(tmp_path: Path) -> None:
    home = tmp_path / ".claude-sync"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    keyfile.generate(home / "key")
    assert _mode(home) == 0o700


def test_generate_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "key"
    first = keyfile.generate(path)
    before = path.read_bytes()
    with pytest.raises(FatalError, match="never overwritten"):
        keyfile.generate(path)
    assert path.read_bytes() == before
    assert keyfile.load(path).key_id == first.key_id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]
    with pytest.raises(FatalError):
        keyfile.write_new(path, KEY_B)
    assert path.read_bytes() == before


def test_two_generated_keys_differ(tmp_path: Path) -> None:
    assert keyfile.generate(tmp_path / "a").key_id != keyfile.generate(tmp_path / "b").key_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o610, 0o601])
def test_load_refuses_a_key_others_can_access(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "key"
    path.write_text(keyfile.encode(KEY_A), encoding="ascii")
    os.chmod(path, mode)
    with pytest.raises(FatalError) as info:
        keyfile.load(path)
    assert "chmod 600" in str(info.value)
    assert str(path) in str(info.value)
    assert KEY_A.hex() not in str(info.value)


def test_load_accepts_0600_and_0400(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text(keyfile.encode(KEY_A), encoding="ascii")
    for mode in (0o600, 0o400):
        os.chmod(path, mode)
        assert keyfile.load(path).key_id == Key(KEY_A).key_id


def test_load_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "key"
    with pytest.raises(FatalError) as info:
        keyfile.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n",
        KEY_A.hex().encode() + b"\n",
        b"CLAUDE-SYNC-KEY-V2 " + KEY_A.hex().encode() + b"\n",
        b"CLAUDE-SYNC-KEY-V1\n",
        b"CLAUDE-SYNC-KEY-V1 " + KEY_A.hex()[:-2].encode() + b"\n",
        b"CLAUDE-SYNC-KEY-V1 " + (KEY_A + b"\x00").hex().encode() + b"\n",
        b"CLAUDE-SYNC-KEY-V1 " + KEY_A.hex()[:-1].encode() + b"g\n",
        b"CLAUDE-SYNC-KEY-V1 " + KEY_A.hex().encode() + b" extra\n",
        b"CLAUDE-SYNC-KEY-V1 \xc3\xa9" + KEY_A.hex().encode() + b"\n",
        b"\xff\xfe",
    ],
    ids=[
        "empty",
        "newline",
        "no-prefix",
        "v2-prefix",
        "no-key",
        "short",
        "long",
        "bad-hex",
        "extra-field",
        "non-ascii",
        "binary",
    ],
)
def test_malformed_key_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "key"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    for read in (keyfile.load, keyfile.read_external):
        with pytest.raises(FatalError) as info:
            read(path)
        message = str(info.value)
        assert str(path) in message
        assert KEY_A.hex()[:32] not in message  # never echo key material


def test_read_external_ignores_permissions(tmp_path: Path) -> None:
    path = tmp_path / "copied-key"
    path.write_text(keyfile.encode(KEY_B), encoding="ascii")
    os.chmod(path, 0o644)
    assert keyfile.read_external(path) == KEY_B
    with pytest.raises(FatalError, match="does not exist"):
        keyfile.read_external(tmp_path / "missing")


def test_encode_decode() -> None:
    assert keyfile.encode(KEY_A) == f"CLAUDE-SYNC-KEY-V1 {KEY_A.hex()}\n"
    assert keyfile.decode(keyfile.encode(KEY_A), Path("k")) == KEY_A
