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
from git_claude_sync.errors import (
    CodecError,
    FatalError,
    NewerFormat,
    NotEncrypted,
    Tampered,
    WrongKey,
)

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


FINALISER = b"\x00"  # format 2's last payload: raw, empty


D1 = (Path(__file__).resolve().parents[2] / "docs" / "spec" / "blob-dictionary-1.bin").read_bytes()


def _d1_frame(piece: bytes) -> bytes:
    """A zstd frame of ``piece`` made with D1, the dictionary of encoding 2."""
    d1 = zstandard.ZstdCompressionDict(D1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(dict_data=d1, write_dict_id=False).compress(piece)


def _seal_payloads(
    raw: bytes, path: bytes, payloads: list[bytes], nonce_xor: int = 0, version: int = 2
) -> bytes:
    """Seal hand-made payloads (encoding byte + data) correctly, the last one as final, to
    reach the checks that only run after authentication.  ``nonce_xor`` spoils the synthetic
    nonce; ``version`` 1 makes the blobs the previous format wrote."""
    sub = _spec_subkeys(raw)
    aead = AESGCM(sub["aes_key"])
    header = codec.MAGIC + bytes([version]) + Key(raw).header(path)[9:]
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
        assert len(_chunk_offsets(blob)) == -(-size // CHUNK_SIZE) + 1, size  # + finaliser
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


def _seal_onto(key: Key, path: bytes, data: bytes, previous: bytes | None) -> bytes:
    return b"".join(key.seal_onto(path, [data], previous))


@pytest.mark.parametrize("size", [5 * 1024 * 1024, 5_000_000], ids=["5MiB", "5MB"])
def test_append_keeps_every_chunk_and_adds_one(size: int) -> None:
    rng = random.Random(size)
    key = Key(KEY_A)
    old = _jsonl(rng, size)
    new = old + _jsonl(rng, 2048)
    old_blob = key.encrypt(b"s.jsonl", old)
    assert _seal_onto(key, b"s.jsonl", old, old_blob) == old_blob  # unchanged: itself
    new_blob = _seal_onto(key, b"s.jsonl", new, old_blob)
    kept = len(old_blob) - codec.FINALISER_LEN  # only the finaliser is replaced
    assert new_blob[:kept] == old_blob[:kept]
    assert len(_chunk_offsets(new_blob)) == len(_chunk_offsets(old_blob)) + 1
    assert len(new_blob) - len(old_blob) < 2048 + 2 * 33
    assert key.decrypt(b"s.jsonl", new_blob) == new
    # A fresh seal of the same content re-seals the old last chunk instead: more bytes differ.
    fresh = key.encrypt(b"s.jsonl", new)
    assert key.decrypt(b"s.jsonl", fresh) == new
    assert fresh != new_blob or size % CHUNK_SIZE == 0


def test_appends_build_a_run_of_small_chunks_then_compact() -> None:
    rng = random.Random(11)
    key = Key(KEY_A)
    content = _jsonl(rng, 3 * CHUNK_SIZE + 500)
    blob = key.encrypt(b"s", content)
    compacted_at = []
    for i in range(codec.MAX_SMALL_RUN + 3):
        content += _jsonl(rng, 700)
        new = _seal_onto(key, b"s", content, blob)
        if not new.startswith(blob[: -codec.FINALISER_LEN]):
            compacted_at.append(i)
        assert key.decrypt(b"s", new) == content
        blob = new
    # The fresh blob ends in one short chunk; each append adds one: the run passes the limit
    # once it holds MAX_SMALL_RUN + 1 chunks, and the next append re-seals it in full pieces.
    assert compacted_at == [codec.MAX_SMALL_RUN]
    assert len(_chunk_offsets(blob)) < 10
    assert blob == _seal_onto(key, b"s", content, blob)  # and it is stable again


def test_seal_onto_reseals_from_the_first_change() -> None:
    rng = random.Random(5)
    key = Key(KEY_A)
    old = _jsonl(rng, 4 * CHUNK_SIZE + 10)
    old_blob = key.encrypt(b"s", old)
    new = old[: 2 * CHUNK_SIZE + 7] + b"X" + old[2 * CHUNK_SIZE + 8 :]
    new_blob = _seal_onto(key, b"s", new, old_blob)
    offsets = _chunk_offsets(old_blob)
    assert new_blob[: offsets[2]] == old_blob[: offsets[2]]
    assert new_blob == key.encrypt(b"s", new)  # chunks 2.. sealed afresh, as a fresh seal cuts
    shorter = old[: 3 * CHUNK_SIZE]
    assert _seal_onto(key, b"s", shorter, old_blob) == key.encrypt(b"s", shorter)


@pytest.mark.parametrize("other", ["key", "path", "damaged", "format-1", "not-ours"])
def test_seal_onto_ignores_a_previous_blob_it_cannot_keep(other: str) -> None:
    key = Key(KEY_A)
    old = b"line\n" * 30000
    new = old + b"more\n"
    previous = {
        "key": Key(KEY_B).encrypt(b"s", old),
        "path": key.encrypt(b"t", old),
        "damaged": (lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:])(key.encrypt(b"s", old)),
        "format-1": _seal_payloads(
            KEY_A, b"s", [b"\x00" + old[:CHUNK_SIZE], b"\x00" + old[CHUNK_SIZE:]], version=1
        ),
        "not-ours": old,
    }[other]
    assert _seal_onto(key, b"s", new, previous) == key.encrypt(b"s", new)


def _seal_onto_kept(
    key: Key, path: bytes, data: bytes, previous: bytes | None
) -> tuple[bytes, bool]:
    """The blob ``seal_onto`` streams, and what it returns: whether it kept every chunk."""
    parts, sealing = [], key.seal_onto(path, [data], previous)
    while True:
        try:
            parts.append(next(sealing))
        except StopIteration as end:
            return b"".join(parts), end.value


def _flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1 :]


def test_seal_onto_says_it_kept_every_chunk_only_when_the_finaliser_proved_them() -> None:
    # filters/clean.py trusts this answer instead of comparing the blobs again: it must be
    # True only for an append onto (or a copy of) a whole, authentic previous blob.
    rng = random.Random(13)
    key = Key(KEY_A)
    old = _jsonl(rng, 3 * CHUNK_SIZE + 100)
    new = old + _jsonl(rng, 2048)
    blob = key.encrypt(b"s", old)
    last = _chunk_offsets(blob)[-2]  # the last data chunk
    assert _seal_onto_kept(key, b"s", old, blob) == (blob, True)
    appended, kept = _seal_onto_kept(key, b"s", new, blob)
    assert kept and appended.startswith(blob[: -codec.FINALISER_LEN])
    assert appended == _seal_onto(key, b"s", new, blob)
    assert _seal_onto_kept(key, b"s", b"x\n", key.encrypt(b"s", b""))[1]  # an empty file's
    not_kept = {
        "nothing": None,
        "another key": Key(KEY_B).encrypt(b"s", old),
        "another path": key.encrypt(b"t", old),
        "a chunk flipped": _flip(blob, last + 20),
        "the finaliser flipped": _flip(blob, len(blob) - 1),
        "the finaliser cut": blob[: -codec.FINALISER_LEN],
        "bytes after the finaliser": blob + b"\0",
        "a chunk repeated": blob[:last] + blob[last : -codec.FINALISER_LEN] * 2 + blob[-33:],
    }
    for name, previous in not_kept.items():
        sealed, kept = _seal_onto_kept(key, b"s", new, previous)
        assert not kept, name
        assert key.decrypt(b"s", sealed) == new, name
    # Chunks that authenticate are kept even so (the blob's bytes do not change); a flipped one
    # never is.
    flipped = not_kept["a chunk flipped"]
    assert flipped is not None
    resealed = _seal_onto_kept(key, b"s", new, flipped)[0]
    assert flipped[last : -codec.FINALISER_LEN] not in resealed
    assert resealed == key.encrypt(b"s", new)  # the chunks before it kept, the rest sealed anew
    diverged = old[:-1] + b"X" + _jsonl(rng, 2048)
    assert _seal_onto_kept(key, b"s", diverged, blob) == (key.encrypt(b"s", diverged), False)
    assert not _seal_onto_kept(key, b"s", old[:-10], blob)[1]  # shorter


def test_seal_onto_does_not_say_kept_when_it_compacts() -> None:
    rng = random.Random(17)
    key = Key(KEY_A)
    content = _jsonl(rng, CHUNK_SIZE + 500)
    blob = key.encrypt(b"s", content)
    for _ in range(codec.MAX_SMALL_RUN):
        content += _jsonl(rng, 300)
        blob, kept = _seal_onto_kept(key, b"s", content, blob)
        assert kept
    content += _jsonl(rng, 300)
    compacted, kept = _seal_onto_kept(key, b"s", content, blob)
    assert not kept and not compacted.startswith(blob[: -codec.FINALISER_LEN])
    assert key.decrypt(b"s", compacted) == content


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
    blob = _seal_payloads(KEY_A, b"p", [b"\x00hello", FINALISER], nonce_xor=1)
    with pytest.raises(Tampered, match="nonce"):
        Key(KEY_A).decrypt(b"p", blob)
    good = _seal_payloads(KEY_A, b"p", [b"\x00hello", FINALISER])
    assert good == Key(KEY_A).encrypt(b"p", b"hello")
    assert Key(KEY_A).decrypt(b"p", good) == b"hello"


def test_format_1_blobs_still_open() -> None:
    data = bytes(CHUNK_SIZE) + b"tail"
    old = _seal_payloads(KEY_A, b"p", [b"\x00" + data[:CHUNK_SIZE], b"\x00tail"], version=1)
    assert codec.looks_encrypted(old)
    assert Key(KEY_A).decrypt(b"p", old) == data
    assert Key(KEY_A).decrypt(None, old) == data
    with pytest.raises(Tampered):  # format 1 has no finaliser: its last data chunk is final
        Key(KEY_A).decrypt(b"p", old[: _chunk_offsets(old)[1]])


def test_format_1_short_chunk_before_the_last_is_rejected() -> None:
    blob = _seal_payloads(KEY_A, b"p", [b"\x00short", b"\x00tail"], version=1)
    with pytest.raises(Tampered, match="not full"):
        Key(KEY_A).decrypt(b"p", blob)


def test_short_chunks_before_the_finaliser_are_format_2() -> None:
    blob = _seal_payloads(KEY_A, b"p", [b"\x00short", b"\x00tail", FINALISER])
    assert Key(KEY_A).decrypt(b"p", blob) == b"shorttail"


@pytest.mark.parametrize(
    "payloads, why",
    [
        ([b"\x00data"], "finaliser holds data"),
        ([b"\x00a", b"\x00", FINALISER], "empty chunk"),
        ([b"\x00a", b"\x01" + zstandard.ZstdCompressor().compress(b"")], "finaliser"),
    ],
    ids=["data-in-finaliser", "empty-data-chunk", "zstd-finaliser"],
)
def test_format_2_finaliser_and_empty_chunks(payloads: list[bytes], why: str) -> None:
    with pytest.raises(Tampered, match=why):
        Key(KEY_A).decrypt(b"p", _seal_payloads(KEY_A, b"p", payloads))


# --- Tampering with an appended blob: only the finaliser may be replaced, by its key holder ---


def _appended() -> tuple[Key, bytes, bytes, list[bytes]]:
    """A three-chunk blob, the blob after one append (four chunks), and the latter's records."""
    key = Key(KEY_A)
    old = b"first line\n" * 12000  # 132,000 bytes: chunks of 65536, 65536, 928
    old_blob = key.encrypt(b"s", old)
    new_blob = _seal_onto(key, b"s", old + b"appended line\n" * 10, old_blob)
    offsets = [*_chunk_offsets(new_blob), len(new_blob)]
    records = [new_blob[a:b] for a, b in zip(offsets, offsets[1:], strict=False)]
    assert len(records) == 5  # 3 kept, 1 appended, the finaliser
    return key, old_blob, new_blob, records


def test_appended_blob_truncation_fails() -> None:
    key, old_blob, new_blob, records = _appended()
    header = new_blob[:HEADER_LEN]
    for cut in range(1, len(records)):  # drop the finaliser and more, at chunk boundaries
        with pytest.raises(Tampered):
            key.decrypt(b"s", header + b"".join(records[:cut]))
    with pytest.raises(Tampered):
        key.decrypt(b"s", new_blob[:-1])
    # The old finaliser onto the new chunks, or the new one after the old chunks only:
    old_finaliser = old_blob[-codec.FINALISER_LEN :]
    for forged in (
        header + b"".join(records[:4]) + old_finaliser,
        header + b"".join(records[:3]) + records[4],
    ):
        with pytest.raises(Tampered):
            key.decrypt(b"s", forged)
    # The old blob itself is authentic (an older version, as git history holds it).
    assert key.decrypt(b"s", old_blob) == b"first line\n" * 12000


def test_appended_blob_reordering_and_dropping_fail() -> None:
    key, _old, new_blob, r = _appended()
    header = new_blob[:HEADER_LEN]
    for order in ([1, 0, 2, 3, 4], [0, 1, 3, 2, 4], [0, 2, 3, 4], [0, 1, 2, 4], [0, 0, 1, 2, 3, 4]):
        with pytest.raises(Tampered):
            key.decrypt(b"s", header + b"".join(r[i] for i in order))
    with pytest.raises(Tampered):  # a chunk after the finaliser
        key.decrypt(b"s", new_blob + r[3])


def test_chunks_swapped_between_files_or_versions_fail() -> None:
    key, old_blob, new_blob, r = _appended()
    header = new_blob[:HEADER_LEN]
    # The same content appended to the same prefix at another path: same sizes, other chunks.
    other_old = key.encrypt(b"t", b"first line\n" * 12000)
    other = _seal_onto(key, b"t", b"first line\n" * 12000 + b"appended line\n" * 10, other_old)
    offsets = [*_chunk_offsets(other), len(other)]
    o = [other[a:b] for a, b in zip(offsets, offsets[1:], strict=False)]
    for i in range(5):
        with pytest.raises(Tampered):
            key.decrypt(b"s", header + b"".join(o[j] if j == i else r[j] for j in range(5)))
    # Another version of the same file, appended differently: its chunk 3 at our index 3.
    diverged = _seal_onto(key, b"s", b"first line\n" * 12000 + b"other line\n" * 10, old_blob)
    theirs = diverged[_chunk_offsets(diverged)[3] :]
    with pytest.raises(Tampered):
        key.decrypt(b"s", header + b"".join(r[:3]) + theirs[: -codec.FINALISER_LEN] + r[4])
    with pytest.raises(Tampered):
        key.decrypt(b"s", header + b"".join(r[:4]) + theirs[-codec.FINALISER_LEN :])


@pytest.mark.parametrize(
    "payload",
    [
        b"\x02abc",
        b"\x01not a zstd frame",
        b"\x01" + _d1_frame(b'{"type":"assistant","message":{"role":"assistant"}}\n'),
        b"\x00" + bytes(CHUNK_SIZE + 1),
        b"\x01" + b"",
        b"\x01" + zstandard.ZstdCompressor().compress(bytes(CHUNK_SIZE + 1)),
    ],
    ids=["bad-d1-zstd", "bad-zstd", "d1-frame-as-1", "raw-too-long", "empty-zstd", "zstd-too-long"],
)
def test_bad_payload_is_rejected(payload: bytes) -> None:
    for blob in (
        _seal_payloads(KEY_A, b"p", [payload, FINALISER]),
        _seal_payloads(KEY_A, b"p", [payload], version=1),
    ):
        with pytest.raises(Tampered):
            Key(KEY_A).decrypt(b"p", blob)


@pytest.mark.parametrize(
    "payload",
    [b"\x03abc", zstandard.ZstdCompressor().compress(b"")],  # the latter: encoding 40
    ids=["encoding-3", "no-encoding-byte"],
)
def test_unknown_encoding_of_an_authentic_chunk_asks_for_an_upgrade(payload: bytes) -> None:
    """Only a key holder seals a chunk that authenticates: an encoding this codec does not
    know is a newer version's, and the one line says to upgrade, not that it was tampered."""
    for blob in (
        _seal_payloads(KEY_A, b"p", [payload, FINALISER]),
        _seal_payloads(KEY_A, b"p", [payload], version=1),
    ):
        with pytest.raises(NewerFormat, match="newer git-claude-sync: upgrade"):
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
    assert header == codec.Header(2, Key(KEY_A).key_id, Key(KEY_A).path_tag(b"p"))
    assert codec.looks_encrypted(blob)
    assert codec.looks_encrypted(blob[:8] + b"\x01" + blob[9:])  # format 1 still reads
    assert not codec.looks_encrypted(blob[: HEADER_LEN - 1])
    assert not codec.looks_encrypted(blob[:8] + b"\x03" + blob[9:])
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
