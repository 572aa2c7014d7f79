"""Regenerate ``v1.json``, the test vectors of blob format v1 (see ``docs/FORMAT.md``).

Run from the repository root:  ``.venv/bin/python docs/vectors/make_vectors.py``

Everything is fixed (keys, paths, plaintexts), so the output is byte-identical on
every run with the same zstd; ``tests/test_codec.py`` checks the codec against it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from git_claude_sync.crypto import codec
from git_claude_sync.crypto.codec import HEADER_LEN, NONCE_LEN, TAG_LEN, Key

OUT = Path(__file__).with_name("v1.json")

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))

SETTINGS = b"settings.json"
SESSION = b"projects/-home-alice-src-demo/0b7e2f3c-5a1d-4c8e-9f60-2d4b8a1c7e95.jsonl"
OTHER_SESSION = b"projects/-home-alice-src-demo/7c1e9a40-3b2f-4d6a-8e15-c0f9d2b4a638.jsonl"
LATIN1_PATH = b"projects/-home-alice-caf\xe9/notes.md"  # not UTF-8

# 100-byte JSONL line; 1500 of them make 150,000 bytes: chunks of 65536, 65536, 18928.
LINE = b'{"type":"user","message":{"role":"user","content":"hello from the test vectors"},"n":1}'
LINE = LINE + b" " * (99 - len(LINE)) + b"\n"
assert len(LINE) == 100
# 64-byte line; 1024 of them are exactly one full chunk.
LINE64 = b'{"type":"assistant","text":"sixty-four bytes"}'
LINE64 = LINE64 + b" " * (63 - len(LINE64)) + b"\n"
assert len(LINE64) == 64


def sha256_stream(n: int) -> bytes:
    """Incompressible bytes: SHA-256(b"git-claude-sync vectors" || u32 BE counter), concatenated."""
    out = b"".join(
        hashlib.sha256(b"git-claude-sync vectors" + struct.pack(">I", i)).digest()
        for i in range((n + 31) // 32)
    )
    return out[:n]


def expand(segments: list[tuple[bytes, int]]) -> bytes:
    return b"".join(data * count for data, count in segments)


def chunks(blob: bytes) -> list[tuple[int, int]]:
    """(offset, total size incl. the 4-byte length) of every chunk of a well-formed blob."""
    out, pos = [], HEADER_LEN
    while pos < len(blob):
        (length,) = struct.unpack_from(">I", blob, pos)
        out.append((pos, 4 + length))
        pos += 4 + length
    return out


def describe_chunks(raw_key: bytes, blob: bytes) -> list[dict[str, object]]:
    aead = AESGCM(codec._hkdf(raw_key, "aes-256-gcm key"))
    out: list[dict[str, object]] = []
    prev = bytes(TAG_LEN)
    table = chunks(blob)
    for index, (offset, size) in enumerate(table):
        final = index == len(table) - 1
        nonce = blob[offset + 4 : offset + 4 + NONCE_LEN]
        sealed = blob[offset + 4 + NONCE_LEN : offset + size]
        ad = blob[:HEADER_LEN] + struct.pack(">QB", index, final) + prev
        payload = aead.decrypt(nonce, sealed, ad)
        piece = codec._decompress(zstandard.ZstdDecompressor(), payload)
        out.append(
            {
                "offset": offset,
                "length_field": size - 4,
                "final": final,
                "encoding": payload[0],
                "plaintext_len": len(piece),
                "nonce": nonce.hex(),
                "tag": sealed[-TAG_LEN:].hex(),
            }
        )
        prev = sealed[-TAG_LEN:]
    return out


def key_entry(raw: bytes) -> dict[str, str]:
    key = Key(raw)
    return {
        "key": raw.hex(),
        "aes_key": codec._hkdf(raw, "aes-256-gcm key").hex(),
        "nonce_key": codec._hkdf(raw, "synthetic nonce key").hex(),
        "path_key": codec._hkdf(raw, "path tag key").hex(),
        "key_id": key.key_id.hex(),
        "fingerprint": key.fingerprint,
    }


def valid(
    name: str,
    description: str,
    raw_key: bytes,
    path: bytes,
    plaintext: bytes | None = None,
    repeat: list[tuple[bytes, int]] | None = None,
) -> dict[str, object]:
    data = plaintext if plaintext is not None else expand(repeat or [])
    key = Key(raw_key)
    blob = key.encrypt(path, data)
    entry: dict[str, object] = {
        "name": name,
        "description": description,
        "key": raw_key.hex(),
        "key_id": key.key_id.hex(),
        "fingerprint": key.fingerprint,
        "path": path.hex(),
        "path_display": path.decode("utf-8", "backslashreplace"),
    }
    if plaintext is not None:
        entry["plaintext"] = plaintext.hex()
    else:
        entry["plaintext_repeat"] = [{"hex": d.hex(), "count": c} for d, c in repeat or []]
    entry["plaintext_len"] = len(data)
    entry["plaintext_sha256"] = hashlib.sha256(data).hexdigest()
    entry["path_tag"] = key.path_tag(path).hex()
    entry["header"] = blob[:HEADER_LEN].hex()
    entry["chunks"] = describe_chunks(raw_key, blob)
    entry["ciphertext"] = blob.hex()
    return entry


def invalid(
    name: str,
    description: str,
    raw_key: bytes,
    path: bytes,
    blob: bytes,
    error: str,
    **extra: object,
) -> dict[str, object]:
    return {
        "name": name,
        "description": description,
        "key": raw_key.hex(),
        "path": path.hex(),
        "ciphertext": blob.hex(),
        "error": error,
        **extra,
    }


def flip(blob: bytes, pos: int) -> bytes:
    return blob[:pos] + bytes([blob[pos] ^ 0x01]) + blob[pos + 1 :]


def build() -> dict[str, object]:
    a, b = Key(KEY_A), Key(KEY_B)
    short = (
        b'{\n  "model": "opus",\n  "theme": "dark",\n  "permissions": {\n    "allow": [\n'
        b'      "Bash(git status)",\n      "Bash(git diff)",\n'
        b'      "Bash(git log)"\n    ]\n  }\n}\n'
    )
    tiny = b'{"theme": "dark"}\n'
    incompressible = sha256_stream(1000)
    multi_repeat = [(LINE, 1500)]
    mixed_repeat = [(LINE64, 1024), (sha256_stream(3000), 1)]

    valid_vectors = [
        valid(
            "empty", "Empty file: one final chunk, raw encoding, empty data.", KEY_A, SETTINGS, b""
        ),
        valid(
            "short_text", "158-byte settings file: one final chunk, zstd.", KEY_A, SETTINGS, short
        ),
        valid(
            "tiny_text",
            "18 bytes: zstd's frame would be longer than the text, so raw encoding.",
            KEY_A,
            SETTINGS,
            tiny,
        ),
        valid(
            "short_text_other_path",
            "Same plaintext and key as short_text at another path: unrelated ciphertext.",
            KEY_A,
            b"settings.local.json",
            short,
        ),
        valid(
            "short_text_key_b",
            "Same plaintext and path as short_text under the second key.",
            KEY_B,
            SETTINGS,
            short,
        ),
        valid(
            "non_utf8_path",
            "A path that is not UTF-8 (Latin-1 e-acute): the path tag is over raw bytes.",
            KEY_A,
            LATIN1_PATH,
            b"# notes\n",
        ),
        valid(
            "exactly_one_chunk",
            "Exactly 65536 bytes: a single full chunk that is also the final one.",
            KEY_A,
            SESSION,
            repeat=[(LINE64, 1024)],
        ),
        valid(
            "multi_chunk",
            "150,000 bytes of JSONL: chunks of 65536, 65536 and 18928 bytes, all zstd.",
            KEY_A,
            SESSION,
            repeat=multi_repeat,
        ),
        valid(
            "incompressible",
            "1000 bytes of a SHA-256 counter stream: zstd does not shrink it, so raw encoding.",
            KEY_A,
            SESSION,
            incompressible,
        ),
        valid(
            "mixed_encodings",
            "65536 bytes of text (zstd) then 3000 incompressible bytes (raw) in chunk 1.",
            KEY_A,
            SESSION,
            repeat=mixed_repeat,
        ),
    ]

    multi = a.encrypt(SESSION, expand(multi_repeat))
    (o0, s0), (o1, s1), (o2, s2) = chunks(multi)
    header = multi[:HEADER_LEN]
    c0, c1, c2 = multi[o0 : o0 + s0], multi[o1 : o1 + s1], multi[o2 : o2 + s2]
    other_file = a.encrypt(OTHER_SESSION, expand(multi_repeat))
    (p0, t0), (p1, t1), _ = chunks(other_file)
    newer = a.encrypt(SESSION, b"X" + expand(multi_repeat)[1:])
    (n0, m0), _, _ = chunks(newer)
    short_blob = a.encrypt(SETTINGS, short)
    mid1 = o1 + 4 + NONCE_LEN + (s1 - 4 - NONCE_LEN) // 2

    T, W, N = "Tampered", "WrongKey", "NotEncrypted"
    S = SESSION
    invalid_vectors = [
        invalid("empty_input", "Zero bytes: no header.", KEY_A, S, b"", N),
        invalid("plaintext_input", "A plain file, never encrypted.", KEY_A, SETTINGS, short, N),
        invalid("truncated_in_header", "Cut inside the 33-byte header.", KEY_A, S, multi[:20], N),
        invalid("flipped_magic", "First magic byte changed.", KEY_A, S, flip(multi, 0), N),
        invalid("unknown_version", "Version byte 2.", KEY_A, S, multi[:8] + b"\x02" + multi[9:], N),
        invalid("header_only", "The header and no chunk.", KEY_A, S, header, T),
        invalid(
            "truncated_at_chunk_boundary",
            "Only the first of three chunks: it was sealed as not final.",
            KEY_A,
            S,
            header + c0,
            T,
        ),
        invalid(
            "last_chunk_dropped",
            "First two of three chunks: chunk 1 was sealed as not final.",
            KEY_A,
            S,
            header + c0 + c1,
            T,
        ),
        invalid("truncated_in_chunk", "Last byte (of the final tag) cut.", KEY_A, S, multi[:-1], T),
        invalid(
            "truncated_in_length",
            "Cut after two bytes of chunk 1's length field.",
            KEY_A,
            S,
            header + c0 + c1[:2],
            T,
        ),
        invalid("chunks_swapped", "Chunks 0 and 1 exchanged.", KEY_A, S, header + c1 + c0 + c2, T),
        invalid(
            "chunk_duplicated",
            "Chunk 0 repeated in place of chunk 1.",
            KEY_A,
            S,
            header + c0 + c0 + c2,
            T,
        ),
        invalid(
            "flipped_ciphertext_byte",
            "One bit flipped inside chunk 1's ciphertext.",
            KEY_A,
            S,
            flip(multi, mid1),
            T,
        ),
        invalid(
            "flipped_tag_byte",
            "One bit flipped in the final tag.",
            KEY_A,
            S,
            flip(multi, len(multi) - 1),
            T,
        ),
        invalid(
            "flipped_nonce_byte",
            "One bit flipped in chunk 0's nonce.",
            KEY_A,
            S,
            flip(multi, o0 + 4),
            T,
        ),
        invalid(
            "flipped_length_byte",
            "Chunk 0's length field changed.",
            KEY_A,
            S,
            flip(multi, o0 + 3),
            T,
        ),
        invalid(
            "flipped_path_tag",
            "One bit flipped in the header's path tag.",
            KEY_A,
            S,
            flip(multi, HEADER_LEN - 1),
            T,
        ),
        invalid(
            "flipped_key_id",
            "One bit flipped in the header's key id: reported as a wrong key.",
            KEY_A,
            S,
            flip(multi, 9),
            W,
        ),
        invalid("zero_length_chunk", "A chunk length of 0.", KEY_A, S, header + bytes(4), T),
        invalid(
            "moved_to_other_path",
            "short_text's blob (sealed for settings.json) presented at settings.local.json.",
            KEY_A,
            b"settings.local.json",
            short_blob,
            T,
            decrypts_without_path=True,
        ),
        invalid(
            "chunk_from_other_file",
            "Chunk 1 replaced by chunk 1 of the same plaintext sealed at another path.",
            KEY_A,
            S,
            header + c0 + other_file[p1 : p1 + t1] + c2,
            T,
        ),
        invalid(
            "header_from_other_file",
            "The header of the same plaintext sealed at another path, this file's chunks.",
            KEY_A,
            OTHER_SESSION,
            other_file[:HEADER_LEN] + c0 + c1 + c2,
            T,
        ),
        invalid(
            "chunk_from_other_version",
            "Chunk 0 from a newer version of the same path (first byte changed), the rest "
            "from this version.",
            KEY_A,
            S,
            header + newer[n0 : n0 + m0] + c1 + c2,
            T,
        ),
        invalid("trailing_garbage", "One zero byte appended.", KEY_A, S, multi + b"\x00", T),
        invalid("trailing_chunk", "The final chunk repeated at the end.", KEY_A, S, multi + c2, T),
        invalid(
            "wrong_key",
            "short_text_key_b's blob (key B) opened with key A.",
            KEY_A,
            SETTINGS,
            b.encrypt(SETTINGS, short),
            W,
        ),
    ]
    del p0, t0  # only chunk 1 of the other file is used

    return {
        "format": "git-claude-sync blob format v1",
        "spec": "docs/FORMAT.md",
        "generator": {
            "script": "docs/vectors/make_vectors.py",
            "zstandard": zstandard.__version__,
            "libzstd": ".".join(map(str, zstandard.ZSTD_VERSION)),
            "zstd_level": 3,
        },
        "keys": [key_entry(KEY_A), key_entry(KEY_B)],
        "valid": valid_vectors,
        "invalid": invalid_vectors,
    }


def main() -> None:
    text = json.dumps(build(), indent=1) + "\n"
    OUT.write_text(text, encoding="ascii")
    print(f"wrote {OUT} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
