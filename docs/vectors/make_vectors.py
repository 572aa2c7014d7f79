"""A reference implementation of docs/spec/, and the generator of docs/vectors/*.json.

Run from the repository root:  ``.venv/bin/python docs/vectors/make_vectors.py``
(``--out DIR`` writes the files elsewhere, to compare them with the committed ones).

Written from the specifications alone -- ``blob.md``, ``keycode.md``,
``bucket.md``, ``git-host.md`` and ``state.md`` -- with nothing but the standard
library, ``cryptography`` (AES-GCM) and ``zstandard``: it does not import
git-claude-sync, so the vectors check the implementation against the text, not
against itself.  Everything is fixed (keys, paths, plaintexts, and the salts,
nonces and pack ids a writer would draw at random), so the output is
byte-identical on every run with the same zstd.
Before writing, every vector is checked with this file's own readers: valid ones
open, invalid ones fail with the error they name.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import unicodedata
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).resolve().parent

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))


class SpecError(Exception):
    """A failure named by a specification; ``kind`` is its name there."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(f"{kind}: {why}")
        self.kind = kind


def u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# === blob.md ==========================================================================

MAGIC = b"\x00GCSYNC\x00"
VERSION = 2  # what an encoder writes; version 1 blobs are still read
HEADER_LEN = 33
PIECE = 65536
FINALISER = b"\x00"  # version 2: the last chunk's payload, raw and empty
FINALISER_LEN = 4 + 12 + 1 + 16
MAX_SMALL_RUN = 128
D1_BELOW = 16384  # pieces shorter than this: encoding 2 (with D1)
ZSTD_LEVEL = 3
# D1, the dictionary of encoding 2: shipped beside the spec, pinned by its digest there.
D1_FILE = HERE.parent / "spec" / "blob-dictionary-1.bin"
D1_SHA256 = "d9ab65f31cc83bc22a55de2a65943c1dd5f2ba45526706a6744270fb5ddce227"
D1 = D1_FILE.read_bytes()
assert hashlib.sha256(D1).hexdigest() == D1_SHA256, f"{D1_FILE} is not D1"
KEY_FILE_PREFIX = "CLAUDE-SYNC-KEY-V1"


def hkdf(ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869) with an absent salt, i.e. 32 zero bytes."""
    prk = hmac_sha256(bytes(32), ikm)
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac_sha256(prk, block + info + u8(counter))
        okm += block
        counter += 1
    return okm[:length]


class Keys:
    """The key derivation of blob.md."""

    def __init__(self, key: bytes) -> None:
        assert len(key) == 32
        self.key = key
        self.aes_key = hkdf(key, b"git-claude-sync v1 aes-256-gcm key", 32)
        self.nonce_key = hkdf(key, b"git-claude-sync v1 synthetic nonce key", 32)
        self.path_key = hkdf(key, b"git-claude-sync v1 path tag key", 32)
        self.key_id = hkdf(key, b"git-claude-sync v1 key id", 8)
        self.aead = AESGCM(self.aes_key)

    @property
    def fingerprint(self) -> str:
        digits = self.key_id.hex()
        return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))

    def path_tag(self, path: bytes) -> bytes:
        return hmac_sha256(self.path_key, path)[:16]

    def header(self, path: bytes, version: int = VERSION) -> bytes:
        return MAGIC + u8(version) + self.key_id + self.path_tag(path)


def key_file_line(key: bytes) -> str:
    return f"{KEY_FILE_PREFIX} {key.hex()}\n"


def d1() -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(D1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def payload_for(piece: bytes, with_d1: bool = True) -> bytes:
    """zstd exactly when the piece is non-empty and the frame strictly shorter: a piece of
    fewer than 16384 bytes with D1 (encoding 2), a longer one without a dictionary (encoding
    1).  ``with_d1=False``: as encoders wrote every piece before encoding 2 (encoding 1)."""
    if piece:
        encoding = 2 if with_d1 and len(piece) < D1_BELOW else 1
        extra: dict[str, Any] = {"dict_data": d1(), "write_dict_id": False} if encoding == 2 else {}
        frame = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, write_checksum=False, write_content_size=True, **extra
        ).compress(piece)
        if len(frame) < len(piece):
            return u8(encoding) + frame
    return u8(0) + piece


def chunk_ad(header: bytes, index: int, final: bool, prev_tag: bytes) -> bytes:
    return header + u64(index) + u8(1 if final else 0) + prev_tag


def seal_payloads(keys: Keys, header: bytes, payloads: list[bytes]) -> bytes:
    out, prev_tag = [header], bytes(16)
    for index, payload in enumerate(payloads):
        ad = chunk_ad(header, index, index == len(payloads) - 1, prev_tag)
        nonce = hmac_sha256(keys.nonce_key, ad + payload)[:12]
        ct = keys.aead.encrypt(nonce, payload, ad)
        out += [u32(12 + len(ct)), nonce, ct]
        prev_tag = ct[-16:]
    return b"".join(out)


def pieces_of(plaintext: bytes) -> list[bytes]:
    return [plaintext[i : i + PIECE] for i in range(0, len(plaintext), PIECE)]


def seal(key: bytes, path: bytes, plaintext: bytes, with_d1: bool = True) -> bytes:
    """A fresh version 2 blob: 65536-byte pieces, the rest, then the finaliser (``with_d1``
    False: as before encoding 2, every compressed piece encoding 1)."""
    keys = Keys(key)
    payloads = [payload_for(p, with_d1) for p in pieces_of(plaintext)]
    return seal_payloads(keys, keys.header(path), [*payloads, FINALISER])


def seal_v1(key: bytes, path: bytes, plaintext: bytes) -> bytes:
    """A version 1 blob, as the previous format wrote it: the last data chunk is the final one."""
    keys = Keys(key)
    payloads = [payload_for(p, with_d1=False) for p in pieces_of(plaintext) or [b""]]
    return seal_payloads(keys, keys.header(path, 1), payloads)


def data_chunks(key: bytes, path: bytes, blob: bytes) -> list[tuple[bytes, bytes]]:
    """(plaintext, chunk bytes) of the data chunks of ``blob`` an encoder may keep: none
    unless it is version 2 with this path's header; then each in turn while it authenticates
    (as a non-final chunk at its index, after the previous one's tag)."""
    keys = Keys(key)
    header = keys.header(path)
    if not blob.startswith(header):
        return []
    kept, prev_tag = [], bytes(16)
    for index, (offset, size) in enumerate(chunk_spans_lenient(blob)):
        nonce, ct = blob[offset + 4 : offset + 12 + 4], blob[offset + 16 : offset + size]
        ad = chunk_ad(header, index, False, prev_tag)
        try:
            payload = keys.aead.decrypt(nonce, ct, ad)
            piece = decode_payload(payload)
        except (InvalidTag, SpecError):
            break
        if not piece or nonce != hmac_sha256(keys.nonce_key, ad + payload)[:12]:
            break
        if offset + size == len(blob):  # the last chunk is the final one: never kept
            break
        kept.append((piece, blob[offset : offset + size]))
        prev_tag = ct[-16:]
    return kept


def seal_onto(key: bytes, path: bytes, plaintext: bytes, previous: bytes | None) -> bytes:
    """The append rule of blob.md: keep the previous blob's chunks that are a prefix of the
    plaintext, compact a long run of short ones, seal the rest in 65536-byte pieces."""
    keys = Keys(key)
    header = keys.header(path)
    kept: list[tuple[bytes, bytes]] = []
    pos = 0
    for piece, chunk in data_chunks(key, path, previous or b""):
        if plaintext[pos : pos + len(piece)] != piece:
            break
        kept.append((piece, chunk))
        pos += len(piece)
    run = 0  # the short chunks at the end of what is kept
    while run < len(kept) and len(kept[len(kept) - 1 - run][0]) < PIECE:
        run += 1
    if run > MAX_SMALL_RUN and pos < len(plaintext):
        pos -= sum(len(piece) for piece, _chunk in kept[len(kept) - run :])
        kept = kept[: len(kept) - run]
    out = [header, *(chunk for _piece, chunk in kept)]
    prev_tag = kept[-1][1][-16:] if kept else bytes(16)
    payloads = [payload_for(p) for p in pieces_of(plaintext[pos:])] + [FINALISER]
    for i, payload in enumerate(payloads):
        ad = chunk_ad(header, len(kept) + i, i == len(payloads) - 1, prev_tag)
        nonce = hmac_sha256(keys.nonce_key, ad + payload)[:12]
        ct = keys.aead.encrypt(nonce, payload, ad)
        out += [u32(12 + len(ct)), nonce, ct]
        prev_tag = ct[-16:]
    return b"".join(out)


def decode_payload(payload: bytes) -> bytes:
    encoding, data = payload[0], payload[1:]
    if encoding == 0:
        piece = data
    elif encoding in (1, 2):
        decompressor = (
            zstandard.ZstdDecompressor(dict_data=d1())
            if encoding == 2
            else zstandard.ZstdDecompressor()
        )
        reader = decompressor.decompressobj()
        try:
            piece = reader.decompress(data)
        except zstandard.ZstdError:
            raise SpecError("Tampered", "the zstd frame does not decode") from None
        if not reader.eof or reader.unused_data:
            raise SpecError("Tampered", "not exactly one zstd frame")
    else:  # the chunk authenticated: a newer format's encoding, not tampering
        raise SpecError("NewerFormat", f"unknown encoding {encoding}")
    if len(piece) > PIECE:
        raise SpecError("Tampered", "piece longer than 65536 bytes")
    return piece


def open_blob(key: bytes, path: bytes | None, blob: bytes) -> bytes:
    """Decryption, steps 1 to 4 of blob.md."""
    keys = Keys(key)
    if len(blob) < HEADER_LEN or not blob.startswith(MAGIC):
        raise SpecError("NotEncrypted", "no magic")
    version = blob[8]
    if version not in (1, 2):
        raise SpecError("NotEncrypted", "unsupported version")
    header = blob[:HEADER_LEN]
    if header[9:17] != keys.key_id:
        raise SpecError("WrongKey", "another key id")
    if path is not None and not hmac.compare_digest(header[17:33], keys.path_tag(path)):
        raise SpecError("Tampered", "another path")
    pos, index, prev_tag, pieces = HEADER_LEN, 0, bytes(16), []
    while True:
        if len(blob) - pos < 4:
            raise SpecError("Tampered", "no room for a length")
        length = int.from_bytes(blob[pos : pos + 4], "big")
        pos += 4
        if length < 12 + 16 + 1 or len(blob) - pos < length:
            raise SpecError("Tampered", "bad length")
        nonce, ct = blob[pos : pos + 12], blob[pos + 12 : pos + length]
        pos += length
        final = pos == len(blob)
        ad = chunk_ad(header, index, final, prev_tag)
        try:
            payload = keys.aead.decrypt(nonce, ct, ad)
        except InvalidTag:
            raise SpecError("Tampered", "GCM") from None
        if not hmac.compare_digest(nonce, hmac_sha256(keys.nonce_key, ad + payload)[:12]):
            raise SpecError("Tampered", "synthetic nonce")
        piece = decode_payload(payload)
        if version == 1 and not final and len(piece) != PIECE:
            raise SpecError("Tampered", "a chunk before the last is not full")
        if version == 2 and final and payload != FINALISER:
            raise SpecError("Tampered", "the finaliser is not an empty raw payload")
        if version == 2 and not final and not piece:
            raise SpecError("Tampered", "an empty data chunk")
        pieces.append(piece)
        if final:
            return b"".join(pieces)
        prev_tag, index = ct[-16:], index + 1


def chunk_spans(blob: bytes) -> list[tuple[int, int]]:
    """(offset, size including the 4-byte length) of each chunk of a well-formed blob."""
    spans = chunk_spans_lenient(blob)
    assert sum(size for _offset, size in spans) == len(blob) - HEADER_LEN
    return spans


def chunk_spans_lenient(blob: bytes) -> list[tuple[int, int]]:
    """The chunks of any blob, up to the first length that does not fit."""
    spans, pos = [], HEADER_LEN
    while len(blob) - pos >= 4:
        size = 4 + int.from_bytes(blob[pos : pos + 4], "big")
        if size < 4 + 12 + 16 + 1 or pos + size > len(blob):
            break
        spans.append((pos, size))
        pos += size
    return spans


# === keycode.md =======================================================================

CODE_PREFIX = b"csk1-"
MIN_LOG2_N, MAX_LOG2_N = 15, 20


def kek(passphrase: str, salt: bytes, log2_n: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return hashlib.scrypt(
        secret, salt=salt, n=2**log2_n, r=8, p=1, dklen=32, maxmem=2 * 128 * 8 * 2**log2_n
    )


def code_check(body: bytes) -> bytes:
    return sha256(CODE_PREFIX + body)[:4]


def code_text(body: bytes) -> str:
    encoded = base64.urlsafe_b64encode(body + code_check(body)).decode("ascii").rstrip("=")
    return CODE_PREFIX.decode() + encoded


def keycode_parts(
    key: bytes, passphrase: str, log2_n: int, salt: bytes, nonce: bytes
) -> dict[str, bytes]:
    k = kek(passphrase, salt, log2_n)
    sealed = AESGCM(k).encrypt(nonce, key, CODE_PREFIX + u8(log2_n) + salt)
    body = u8(log2_n) + salt + nonce + sealed
    return {"kek": k, "sealed": sealed, "body": body, "check": code_check(body)}


def read_keycode(code: str, passphrase: str) -> bytes:
    """Reading, steps 1 to 5 of keycode.md."""
    text = "".join(code.split())
    if not text.startswith(CODE_PREFIX.decode()):
        raise SpecError("NotAKeyCode", "prefix")
    encoded = text[len(CODE_PREFIX) :]
    try:
        data = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SpecError("Damaged", "base64url") from None
    if len(data) != 81 or code_check(data[:77]) != data[77:]:
        raise SpecError("Damaged", "length or check")
    body = data[:77]
    log2_n, salt, nonce, sealed = body[0], body[1:17], body[17:29], body[29:]
    if not MIN_LOG2_N <= log2_n <= MAX_LOG2_N:
        raise SpecError("UnsupportedCost", f"2^{log2_n}")
    try:
        return AESGCM(kek(passphrase, salt, log2_n)).decrypt(
            nonce, sealed, CODE_PREFIX + u8(log2_n) + salt
        )
    except InvalidTag:
        raise SpecError("WrongPassphrase", "GCM") from None


# === bucket.md ========================================================================

MANIFEST_NAME_INPUT = "git-claude-sync remote manifest v1"
MANIFEST_NAME = hashlib.sha256(MANIFEST_NAME_INPUT.encode()).hexdigest()[:32]
MANIFEST_PATH = b"\x00remote/manifest"
PACK_PATH = b"\x00remote/pack/"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The reference writer's form: ASCII JSON, keys sorted, no spaces."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("ascii")


def open_manifest(key: bytes, sealed: bytes) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(open_blob(key, MANIFEST_PATH, sealed))
    if manifest.get("format") != 1:
        raise SpecError("UnknownFormat", f"format {manifest.get('format')}")
    return manifest


def pack_path(pack_id: str) -> bytes:
    return PACK_PATH + pack_id.encode("ascii")


# A git pack file (version 2) made by hand, so that the vectors need neither git nor a
# particular zlib: every object's data is one zlib stream of a single stored block.

OBJECT_TYPES = {"commit": 1, "tree": 2, "blob": 3}


def git_oid(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def zlib_stored(data: bytes) -> bytes:
    assert len(data) < 65536
    block = u8(1) + len(data).to_bytes(2, "little") + (len(data) ^ 0xFFFF).to_bytes(2, "little")
    stream = b"\x78\x01" + block + data + zlib.adler32(data).to_bytes(4, "big")
    assert zlib.decompress(stream) == data
    return stream


def pack_file(objects: list[tuple[str, bytes]]) -> bytes:
    out = [b"PACK", u32(2), u32(len(objects))]
    for kind, data in objects:
        size = len(data)
        head = [(OBJECT_TYPES[kind] << 4) | (size & 0x0F)]
        size >>= 4
        while size:
            head[-1] |= 0x80
            head.append(size & 0x7F)
            size >>= 7
        out += [bytes(head), zlib_stored(data)]
    body = b"".join(out)
    return body + hashlib.sha1(body).digest()


# === state.md =========================================================================

STATE_PATH = b"\x00state/commit"
STATE_TRAILER = b"Claude-Sync-State: "
STATE_IDENTITY = b"claude-sync <claude-sync@invalid>"
STATE_MEMBERS = {"v", "tree", "parents", "counter", "machine", "time", "subject"}


def state_payload(state: dict[str, Any]) -> bytes:
    return json.dumps(state, sort_keys=True, separators=(",", ":")).encode("ascii")


def state_head(state: dict[str, Any]) -> bytes:
    """The commit object up to its state line (what version 2 authenticates in clear)."""
    out = b"tree " + state["tree"].encode() + b"\n"
    for parent in state["parents"]:
        out += b"parent " + parent.encode() + b"\n"
    stamp = str(state["time"]).encode() + b" +0000"
    out += b"author " + STATE_IDENTITY + b" " + stamp + b"\n"
    out += b"committer " + STATE_IDENTITY + b" " + stamp + b"\n\n"
    return out + state["subject"].encode() + b"\n\n"


def state_commit(state: dict[str, Any], seal_b64: bytes) -> bytes:
    return state_head(state) + STATE_TRAILER + seal_b64 + b"\n"


def uvarint(n: int) -> bytes:
    """LEB128, unsigned: 7 bits a byte, least significant first, the high bit: more."""
    out = b""
    while True:
        out += u8((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return out


def state_plaintext(state: dict[str, Any]) -> bytes:
    """What version 2 encrypts: the counter, then the machine's name in UTF-8."""
    return uvarint(state["counter"]) + state["machine"].encode("utf-8")


def state_ad(key_id: bytes, head: bytes) -> bytes:
    return STATE_PATH + u8(2) + key_id + head


def seal_state(key: bytes, state: dict[str, Any]) -> tuple[bytes, bytes]:
    """(seal line value, commit object) for a state, in the version its ``v`` names."""
    if state["v"] == 1:
        seal_b64 = base64.b64encode(seal(key, STATE_PATH, state_payload(state)))
        return seal_b64, state_commit(state, seal_b64)
    keys = Keys(key)
    ad, plain = state_ad(keys.key_id, state_head(state)), state_plaintext(state)
    nonce = hmac_sha256(keys.nonce_key, ad + plain)[:12]
    sealed = u8(2) + keys.key_id + nonce + keys.aead.encrypt(nonce, plain, ad)
    seal_b64 = base64.b64encode(sealed)
    return seal_b64, state_commit(state, seal_b64)


def is_oid(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) in (40, 64)
        and all(c in "0123456789abcdef" for c in value)
    )


def open_state(key: bytes, raw: bytes) -> dict[str, Any]:
    """The state a commit carries; SpecError("Unsealed") if it carries none."""
    last = raw.rstrip(b"\n").split(b"\n")[-1]
    if not raw.endswith(b"\n") or not last.startswith(STATE_TRAILER):
        raise SpecError("Unsealed", "no state line")
    seal_b64 = last[len(STATE_TRAILER) :]
    try:
        blob = base64.b64decode(seal_b64, validate=True)
    except binascii.Error:
        raise SpecError("Tampered", "not base64") from None
    if blob[:1] == u8(2):
        state = open_state_v2(key, blob, raw[: len(raw) - len(last) - 1])
    else:
        state = open_state_v1(key, blob)
    subject = state["subject"]
    if not (
        is_oid(state["tree"])
        and isinstance(state["parents"], list)
        and all(is_oid(p) for p in state["parents"])
        and integer(state["counter"])
        and state["counter"] >= 1
        and integer(state["time"])
        and state["time"] >= 0
        and isinstance(state["machine"], str)
        and isinstance(subject, str)
        and subject
        and "\n" not in subject
    ):
        raise SpecError("Tampered", "member types")
    if state_commit(state, seal_b64) != raw:
        raise SpecError("Tampered", "the commit differs from its state")
    return state


def integer(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def open_state_v2(key: bytes, blob: bytes, head: bytes) -> dict[str, Any]:
    keys = Keys(key)
    key_id, nonce, ct = blob[1:9], blob[9:21], blob[21:]
    if key_id != keys.key_id:
        raise SpecError("WrongKey", "another key id")
    ad = state_ad(key_id, head)
    try:
        plain = keys.aead.decrypt(nonce, ct, ad)
    except (InvalidTag, ValueError):
        raise SpecError("Tampered", "GCM") from None
    if nonce != hmac_sha256(keys.nonce_key, ad + plain)[:12]:
        raise SpecError("Tampered", "synthetic nonce")
    counter, shift, at = 0, 0, 0
    while True:
        if at >= len(plain) or at == 10:
            raise SpecError("Tampered", "counter")
        counter |= (plain[at] & 0x7F) << shift
        shift, at = shift + 7, at + 1
        if not plain[at - 1] & 0x80:
            break
    if uvarint(counter) != plain[:at]:
        raise SpecError("Tampered", "counter not minimal")
    try:
        machine = plain[at:].decode("utf-8", "surrogateescape")
        headers, rest = head.decode("utf-8").split("\n\n", 1)
        lines = headers.split("\n")
        tree = lines[0].removeprefix("tree ")
        parents = [line.removeprefix("parent ") for line in lines[1:-2]]
        time = int(lines[-1].split(" ")[-2])
    except (UnicodeDecodeError, ValueError, IndexError):
        raise SpecError("Tampered", "head") from None
    subject = rest.removesuffix("\n\n")
    return {"v": 2, "tree": tree, "parents": parents, "counter": counter,
            "machine": machine, "time": time, "subject": subject}  # fmt: skip


def open_state_v1(key: bytes, blob: bytes) -> dict[str, Any]:
    plain = open_blob(key, STATE_PATH, blob)
    try:
        state = json.loads(plain.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise SpecError("Tampered", "not JSON") from None
    if not isinstance(state, dict) or set(state) != STATE_MEMBERS or state["v"] != 1:
        raise SpecError("Tampered", "members")
    return state


def next_counter(parent_counters: list[int]) -> int:
    return 1 + max(parent_counters, default=0)


# === the vectors: blob.json ==============================================================

SETTINGS = b"settings.json"
SESSION = b"projects/-home-alice-src-demo/0b7e2f3c-5a1d-4c8e-9f60-2d4b8a1c7e95.jsonl"
OTHER_SESSION = b"projects/-home-alice-src-demo/7c1e9a40-3b2f-4d6a-8e15-c0f9d2b4a638.jsonl"
LATIN1_PATH = b"projects/-home-alice-caf\xe9/notes.md"  # not UTF-8

# 100-byte JSONL line; 1500 of them make 150,000 bytes: chunks of 65536, 65536, 18928.
LINE = b'{"type":"user","message":{"role":"user","content":"hello from the test vectors"},"n":1}'
LINE = LINE + b" " * (99 - len(LINE)) + b"\n"
# 64-byte line; 1024 of them are exactly one full chunk.
LINE64 = b'{"type":"assistant","text":"sixty-four bytes"}'
LINE64 = LINE64 + b" " * (63 - len(LINE64)) + b"\n"

SHORT = (
    b'{\n  "model": "opus",\n  "theme": "dark",\n  "permissions": {\n    "allow": [\n'
    b'      "Bash(git status)",\n      "Bash(git diff)",\n'
    b'      "Bash(git log)"\n    ]\n  }\n}\n'
)
TINY = b'{"theme": "dark"}\n'
# A made-up assistant line in Claude Code's shape (no transcript's text, ids or paths).
TRANSCRIPT_LINE = (
    json.dumps(
        {
            "parentUuid": "00000000-0000-4000-8000-000000000001",
            "isSidechain": False,
            "userType": "external",
            "cwd": "/home/alice/src/demo",
            "sessionId": "0b7e2f3c-5a1d-4c8e-9f60-2d4b8a1c7e95",
            "version": "2.1.114",
            "gitBranch": "main",
            "message": {
                "id": "msg_01TESTVECTORS000000000001",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": "The test vectors seal this line."}],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 4,
                    "cache_creation_input_tokens": 120,
                    "cache_read_input_tokens": 9000,
                    "output_tokens": 12,
                    "service_tier": "standard",
                },
            },
            "requestId": "req_01TESTVECTORS000000000001",
            "type": "assistant",
            "uuid": "00000000-0000-4000-8000-000000000002",
            "timestamp": "2026-01-01T00:00:00.000Z",
        },
        separators=(",", ":"),
    ).encode()
    + b"\n"
)


def sha256_stream(n: int) -> bytes:
    """Incompressible bytes: SHA-256(b"git-claude-sync vectors" || u32 BE counter), concatenated."""
    return b"".join(sha256(b"git-claude-sync vectors" + u32(i)) for i in range((n + 31) // 32))[:n]


def expand(segments: list[tuple[bytes, int]]) -> bytes:
    return b"".join(data * count for data, count in segments)


def flip(data: bytes, pos: int) -> bytes:
    return data[:pos] + u8(data[pos] ^ 0x01) + data[pos + 1 :]


def describe_chunks(key: bytes, blob: bytes) -> list[dict[str, object]]:
    keys, out, prev_tag = Keys(key), [], bytes(16)
    spans = chunk_spans(blob)
    for index, (offset, size) in enumerate(spans):
        final = index == len(spans) - 1
        nonce, ct = blob[offset + 4 : offset + 16], blob[offset + 16 : offset + size]
        payload = keys.aead.decrypt(nonce, ct, chunk_ad(blob[:HEADER_LEN], index, final, prev_tag))
        out.append(
            {
                "offset": offset,
                "length_field": size - 4,
                "final": final,
                "encoding": payload[0],
                "plaintext_len": len(decode_payload(payload)),
                "nonce": nonce.hex(),
                "tag": ct[-16:].hex(),
            }
        )
        prev_tag = ct[-16:]
    return out


def key_entry(key: bytes) -> dict[str, str]:
    keys = Keys(key)
    return {
        "key": key.hex(),
        "key_file": key_file_line(key),
        "aes_key": keys.aes_key.hex(),
        "nonce_key": keys.nonce_key.hex(),
        "path_key": keys.path_key.hex(),
        "key_id": keys.key_id.hex(),
        "fingerprint": keys.fingerprint,
    }


def blob_valid(
    name: str,
    description: str,
    key: bytes,
    path: bytes,
    plaintext: bytes | None = None,
    repeat: list[tuple[bytes, int]] | None = None,
) -> dict[str, object]:
    data = plaintext if plaintext is not None else expand(repeat or [])
    keys = Keys(key)
    blob = seal(key, path, data)
    entry: dict[str, object] = {
        "name": name,
        "description": description,
        "key": key.hex(),
        "key_id": keys.key_id.hex(),
        "fingerprint": keys.fingerprint,
        "path": path.hex(),
        "path_display": path.decode("utf-8", "backslashreplace"),
    }
    if plaintext is not None:
        entry["plaintext"] = plaintext.hex()
    else:
        entry["plaintext_repeat"] = [{"hex": d.hex(), "count": c} for d, c in repeat or []]
    entry["plaintext_len"] = len(data)
    entry["plaintext_sha256"] = hashlib.sha256(data).hexdigest()
    entry["path_tag"] = keys.path_tag(path).hex()
    entry["header"] = blob[:HEADER_LEN].hex()
    entry["chunks"] = describe_chunks(key, blob)
    entry["ciphertext"] = blob.hex()
    return entry


def blob_invalid(
    name: str, description: str, key: bytes, path: bytes, blob: bytes, error: str, **extra: object
) -> dict[str, object]:
    return {
        "name": name,
        "description": description,
        "key": key.hex(),
        "path": path.hex(),
        "ciphertext": blob.hex(),
        "error": error,
        **extra,
    }


def blob_vectors() -> dict[str, object]:
    multi_repeat = [(LINE, 1500)]
    valid = [
        blob_valid("empty", "Empty file: the finaliser alone.", KEY_A, SETTINGS, b""),
        blob_valid(
            "short_text",
            "158-byte settings file: one chunk, zstd with D1 (encoding 2), then the finaliser.",
            KEY_A,
            SETTINGS,
            SHORT,
        ),
        blob_valid(
            "tiny_text",
            "18 bytes: zstd's frame would be longer than the text, so raw encoding.",
            KEY_A,
            SETTINGS,
            TINY,
        ),
        blob_valid(
            "short_text_other_path",
            "Same plaintext and key as short_text at another path: unrelated ciphertext.",
            KEY_A,
            b"settings.local.json",
            SHORT,
        ),
        blob_valid(
            "short_text_key_b",
            "Same plaintext and path as short_text under the second key.",
            KEY_B,
            SETTINGS,
            SHORT,
        ),
        blob_valid(
            "non_utf8_path",
            "A path that is not UTF-8 (Latin-1 e-acute): the path tag is over raw bytes.",
            KEY_A,
            LATIN1_PATH,
            b"# notes\n",
        ),
        blob_valid(
            "exactly_one_chunk",
            "Exactly 65536 bytes: a single full chunk, then the finaliser.",
            KEY_A,
            SESSION,
            repeat=[(LINE64, 1024)],
        ),
        blob_valid(
            "multi_chunk",
            "150,000 bytes of JSONL: chunks of 65536, 65536 and 18928 bytes, all zstd without "
            "a dictionary (encoding 1: 16384 bytes or more), and the finaliser.",
            KEY_A,
            SESSION,
            repeat=multi_repeat,
        ),
        blob_valid(
            "incompressible",
            "1000 bytes of a SHA-256 counter stream: zstd does not shrink it, so raw encoding.",
            KEY_A,
            SESSION,
            sha256_stream(1000),
        ),
        blob_valid(
            "mixed_encodings",
            "65536 bytes of text (zstd, encoding 1) then 3000 incompressible bytes (raw) in "
            "chunk 1.",
            KEY_A,
            SESSION,
            repeat=[(LINE64, 1024), (sha256_stream(3000), 1)],
        ),
        blob_valid(
            "below_d1_limit",
            "16383 bytes of JSONL: one piece under the limit, zstd with D1 (encoding 2).",
            KEY_A,
            SESSION,
            expand([(LINE, 163), (LINE[:83], 1)]),
        ),
        blob_valid(
            "at_d1_limit",
            "16384 bytes of JSONL: one piece at the limit, zstd without a dictionary (encoding 1).",
            KEY_A,
            SESSION,
            expand([(LINE, 163), (LINE[:84], 1)]),
        ),
        blob_valid(
            "transcript_line",
            f"One {len(TRANSCRIPT_LINE)}-byte line shaped as Claude Code writes them (made up, "
            f"not from any transcript): encoding 2, a {len(payload_for(TRANSCRIPT_LINE)) - 1}"
            f"-byte frame with D1 against {len(payload_for(TRANSCRIPT_LINE, False)) - 1} without.",
            KEY_A,
            SESSION,
            TRANSCRIPT_LINE,
        ),
    ]

    multi = seal(KEY_A, SESSION, expand(multi_repeat))
    (o0, s0), (o1, s1), (o2, s2), (o3, s3) = chunk_spans(multi)
    header = multi[:HEADER_LEN]
    c0, c1, c2 = multi[o0 : o0 + s0], multi[o1 : o1 + s1], multi[o2 : o2 + s2]
    fin = multi[o3 : o3 + s3]
    other_file = seal(KEY_A, OTHER_SESSION, expand(multi_repeat))
    _, (p1, t1), _, _ = chunk_spans(other_file)
    newer = seal(KEY_A, SESSION, b"X" + expand(multi_repeat)[1:])
    (n0, m0), _, _, _ = chunk_spans(newer)
    appended = seal_onto(KEY_A, SESSION, expand(multi_repeat) + LINE, multi)
    (a3, z3), (a4, z4) = chunk_spans(appended)[3:]
    new_chunk, new_fin = appended[a3 : a3 + z3], appended[a4 : a4 + z4]
    v1_multi = seal_v1(KEY_A, SESSION, expand(multi_repeat))
    (v0, w0), (v1, w1), _ = chunk_spans(v1_multi)
    hand = Keys(KEY_A)
    short_blob = seal(KEY_A, SETTINGS, SHORT)
    mid1 = o1 + 4 + 12 + (s1 - 4 - 12) // 2

    T, W, N = "Tampered", "WrongKey", "NotEncrypted"
    S = SESSION
    invalid = [
        blob_invalid("empty_input", "Zero bytes: no header.", KEY_A, S, b"", N),
        blob_invalid(
            "plaintext_input", "A plain file, never encrypted.", KEY_A, SETTINGS, SHORT, N
        ),
        blob_invalid(
            "truncated_in_header", "Cut inside the 33-byte header.", KEY_A, S, multi[:20], N
        ),
        blob_invalid("flipped_magic", "First magic byte changed.", KEY_A, S, flip(multi, 0), N),
        blob_invalid(
            "unknown_version", "Version byte 3.", KEY_A, S, multi[:8] + b"\x03" + multi[9:], N
        ),
        blob_invalid("header_only", "The header and no chunk.", KEY_A, S, header, T),
        blob_invalid(
            "truncated_at_chunk_boundary",
            "Only the first of three data chunks: it was sealed as not final.",
            KEY_A,
            S,
            header + c0,
            T,
        ),
        blob_invalid(
            "last_chunk_dropped",
            "First two of three data chunks: chunk 1 was sealed as not final.",
            KEY_A,
            S,
            header + c0 + c1,
            T,
        ),
        blob_invalid(
            "finaliser_dropped",
            "Every data chunk, no finaliser: the last data chunk was sealed as not final.",
            KEY_A,
            S,
            header + c0 + c1 + c2,
            T,
        ),
        blob_invalid(
            "appended_chunk_dropped",
            "multi_chunk after an append (append_one_line) without its new chunk: the "
            "finaliser binds index 4 and the new chunk's tag.",
            KEY_A,
            S,
            header + c0 + c1 + c2 + new_fin,
            T,
        ),
        blob_invalid(
            "old_finaliser_after_append",
            "The appended blob with the finaliser of the blob before the append.",
            KEY_A,
            S,
            header + c0 + c1 + c2 + new_chunk + fin,
            T,
        ),
        blob_invalid(
            "finaliser_with_data",
            "A key holder's blob whose final chunk holds one byte of data.",
            KEY_A,
            S,
            seal_payloads(hand, header, [payload_for(b"abc"), u8(0) + b"x"]),
            T,
        ),
        blob_invalid(
            "empty_data_chunk",
            "A key holder's blob with an empty data chunk before the finaliser.",
            KEY_A,
            S,
            seal_payloads(hand, header, [payload_for(b"abc"), u8(0), FINALISER]),
            T,
        ),
        blob_invalid(
            "version_1_chunks_under_version_2",
            "v1_multi_chunk's chunks behind a version 2 header: the header is in every ad.",
            KEY_A,
            S,
            header + v1_multi[HEADER_LEN:],
            T,
        ),
        blob_invalid(
            "version_1_last_chunk_dropped",
            "v1_multi_chunk without its last chunk: chunk 1 was sealed as not final.",
            KEY_A,
            S,
            v1_multi[: v1 + w1],
            T,
        ),
        blob_invalid(
            "version_1_short_chunk_before_the_last",
            "A key holder's version 1 blob whose chunk 0 is not full.",
            KEY_A,
            S,
            seal_payloads(hand, hand.header(S, 1), [payload_for(b"abc"), payload_for(b"def")]),
            T,
        ),
        blob_invalid(
            "truncated_in_chunk", "Last byte (of the final tag) cut.", KEY_A, S, multi[:-1], T
        ),
        blob_invalid(
            "truncated_in_length",
            "Cut after two bytes of chunk 1's length field.",
            KEY_A,
            S,
            header + c0 + c1[:2],
            T,
        ),
        blob_invalid(
            "chunks_swapped", "Chunks 0 and 1 exchanged.", KEY_A, S, header + c1 + c0 + c2 + fin, T
        ),
        blob_invalid(
            "chunk_duplicated",
            "Chunk 0 repeated in place of chunk 1.",
            KEY_A,
            S,
            header + c0 + c0 + c2 + fin,
            T,
        ),
        blob_invalid(
            "flipped_ciphertext_byte",
            "One bit flipped inside chunk 1's ciphertext.",
            KEY_A,
            S,
            flip(multi, mid1),
            T,
        ),
        blob_invalid(
            "flipped_tag_byte",
            "One bit flipped in the finaliser's tag.",
            KEY_A,
            S,
            flip(multi, len(multi) - 1),
            T,
        ),
        blob_invalid(
            "flipped_nonce_byte",
            "One bit flipped in chunk 0's nonce.",
            KEY_A,
            S,
            flip(multi, o0 + 4),
            T,
        ),
        blob_invalid(
            "flipped_length_byte",
            "Chunk 0's length field changed.",
            KEY_A,
            S,
            flip(multi, o0 + 3),
            T,
        ),
        blob_invalid(
            "flipped_path_tag",
            "One bit flipped in the header's path tag.",
            KEY_A,
            S,
            flip(multi, HEADER_LEN - 1),
            T,
        ),
        blob_invalid(
            "flipped_key_id",
            "One bit flipped in the header's key id: reported as a wrong key.",
            KEY_A,
            S,
            flip(multi, 9),
            W,
        ),
        blob_invalid("zero_length_chunk", "A chunk length of 0.", KEY_A, S, header + bytes(4), T),
        blob_invalid(
            "moved_to_other_path",
            "short_text's blob (sealed for settings.json) presented at settings.local.json.",
            KEY_A,
            b"settings.local.json",
            short_blob,
            T,
            decrypts_without_path=True,
        ),
        blob_invalid(
            "chunk_from_other_file",
            "Chunk 1 replaced by chunk 1 of the same plaintext sealed at another path.",
            KEY_A,
            S,
            header + c0 + other_file[p1 : p1 + t1] + c2 + fin,
            T,
        ),
        blob_invalid(
            "header_from_other_file",
            "The header of the same plaintext sealed at another path, this file's chunks.",
            KEY_A,
            OTHER_SESSION,
            other_file[:HEADER_LEN] + c0 + c1 + c2 + fin,
            T,
        ),
        blob_invalid(
            "chunk_from_other_version",
            "Chunk 0 from a newer version of the same path (first byte changed), the rest "
            "from this version.",
            KEY_A,
            S,
            header + newer[n0 : n0 + m0] + c1 + c2 + fin,
            T,
        ),
        blob_invalid(
            "unknown_encoding",
            "A key holder's blob whose data chunk has encoding 3: authentic, so a newer "
            "format's, not tampering.",
            KEY_A,
            S,
            seal_payloads(hand, header, [u8(3) + b"abc", FINALISER]),
            "NewerFormat",
        ),
        blob_invalid(
            "d1_frame_labelled_encoding_1",
            "A key holder's blob whose chunk holds transcript_line's D1 frame as encoding 1 "
            "(no dictionary): it does not decode.",
            KEY_A,
            S,
            seal_payloads(hand, header, [u8(1) + payload_for(TRANSCRIPT_LINE)[1:], FINALISER]),
            T,
        ),
        blob_invalid("trailing_garbage", "One zero byte appended.", KEY_A, S, multi + b"\x00", T),
        blob_invalid(
            "trailing_chunk", "The last data chunk repeated at the end.", KEY_A, S, multi + c2, T
        ),
        blob_invalid(
            "wrong_key",
            "short_text_key_b's blob (key B) opened with key A.",
            KEY_A,
            SETTINGS,
            seal(KEY_B, SETTINGS, SHORT),
            W,
        ),
    ]

    del v0, w0  # named for symmetry only
    return {
        "format": "git-claude-sync blob format v2 (v1 still read)",
        "spec": "docs/spec/blob.md",
        "generator": {
            "script": "docs/vectors/make_vectors.py",
            "zstandard": zstandard.__version__,
            "libzstd": ".".join(map(str, zstandard.ZSTD_VERSION)),
            "zstd_level": ZSTD_LEVEL,
            "d1_sha256": D1_SHA256,
        },
        "keys": [key_entry(KEY_A), key_entry(KEY_B)],
        "valid": valid,
        "version_1": version_1_vectors(),
        "before_d1": before_d1_vectors(),
        "appends": append_vectors(),
        "invalid": invalid,
    }


def version_1_vectors() -> list[dict[str, object]]:
    """Blobs the previous format wrote: a reader MUST still open them."""
    return readable_vectors(
        "Version 1: the last data chunk is the final one, no finaliser.",
        seal_v1,
        [
            ("v1_empty", SETTINGS, b""),
            ("v1_short_text", SETTINGS, SHORT),
            ("v1_multi_chunk", SESSION, expand([(LINE, 1500)])),
        ],
    )


def before_d1_vectors() -> list[dict[str, object]]:
    """Version 2 blobs written before encoding 2: every compressed piece encoding 1.  A reader
    MUST still open them."""
    return readable_vectors(
        "Version 2 before encoding 2: short pieces are encoding 1.",
        lambda key, path, data: seal(key, path, data, with_d1=False),
        [
            ("before_d1_short_text", SETTINGS, SHORT),
            ("before_d1_full_chunk_then_a_line", SESSION, expand([(LINE64, 1024), (LINE, 1)])),
        ],
    )


def readable_vectors(
    description: str,
    sealer: Callable[[bytes, bytes, bytes], bytes],
    cases: list[tuple[str, bytes, bytes]],
) -> list[dict[str, object]]:
    """Blobs an earlier encoder wrote (``sealer``), under key A: digests, not exact bytes."""
    return [
        {
            "name": name,
            "description": description,
            "key": KEY_A.hex(),
            "path": path.hex(),
            "plaintext_sha256": hashlib.sha256(data).hexdigest(),
            "plaintext_len": len(data),
            "ciphertext": sealer(KEY_A, path, data).hex(),
        }
        for name, path, data in cases
    ]


def append_vectors() -> list[dict[str, object]]:
    """The append rule: ``ciphertext`` is what an encoder writes for the plaintext given
    the blob the repository held before (``previous``)."""
    multi = expand([(LINE, 1500)])
    multi_blob = seal(KEY_A, SESSION, multi)
    run = expand([(LINE64, 1024)])  # one full chunk, then MAX_SMALL_RUN + 1 one-line appends
    run_blob = seal(KEY_A, SESSION, run)
    for _ in range(MAX_SMALL_RUN + 1):
        run += LINE
        run_blob = seal_onto(KEY_A, SESSION, run, run_blob)
    changed = multi[:70000] + b"X" + multi[70001:]
    cases = [
        ("unchanged", "Plaintext unchanged: the previous blob itself.", multi_blob, multi),
        (
            "append_one_line",
            "One 100-byte line appended: the previous blob without its "
            "finaliser, one new chunk, a new finaliser.",
            multi_blob,
            multi + LINE,
        ),
        (
            "append_to_empty",
            "Two lines written to an empty file.",
            seal(KEY_A, SESSION, b""),
            LINE + LINE,
        ),
        (
            "append_past_a_full_chunk",
            "70,000 bytes appended: a full new chunk and a short one.",
            multi_blob,
            multi + expand([(LINE, 700)]),
        ),
        (
            "changed_in_chunk_1",
            "One byte changed inside chunk 1: chunk 0 kept, the rest sealed afresh.",
            multi_blob,
            changed,
        ),
        (
            "compaction",
            f"A full chunk, then {MAX_SMALL_RUN + 1} one-line chunks (more than "
            f"{MAX_SMALL_RUN}): one more line re-seals the run with it.",
            run_blob,
            run + LINE,
        ),
        (
            "run_kept_when_unchanged",
            "The same run with nothing appended: no compaction.",
            run_blob,
            run,
        ),
        (
            "previous_before_d1",
            "A previous blob written before encoding 2: its encoding 1 chunks are kept, the "
            "new line is encoding 2.",
            seal(KEY_A, SESSION, multi, with_d1=False),
            multi + LINE,
        ),
        (
            "previous_version_1",
            "A version 1 previous blob: nothing kept.",
            seal_v1(KEY_A, SESSION, multi),
            multi + LINE,
        ),
        (
            "previous_other_path",
            "A previous blob sealed for another path: nothing kept.",
            seal(KEY_A, OTHER_SESSION, multi),
            multi + LINE,
        ),
    ]
    out = []
    for name, description, previous, plaintext in cases:
        blob = seal_onto(KEY_A, SESSION, plaintext, previous)
        kept = 0
        while kept < min(len(blob), len(previous)) and blob[kept] == previous[kept]:
            kept += 1
        out.append(
            {
                "name": name,
                "description": description,
                "key": KEY_A.hex(),
                "path": SESSION.hex(),
                "previous": previous.hex(),
                "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
                "plaintext_len": len(plaintext),
                "plaintext_tail": plaintext[-200:].hex(),
                "common_prefix_len": kept,
                "ciphertext": blob.hex(),
            }
        )
    return out


def blob_plaintext(vector: dict[str, Any]) -> bytes:
    if "plaintext" in vector:
        return bytes.fromhex(vector["plaintext"])
    return b"".join(bytes.fromhex(s["hex"]) * s["count"] for s in vector["plaintext_repeat"])


def check_blob(vectors: dict[str, Any]) -> None:
    for v in vectors["valid"]:
        blob, key = bytes.fromhex(v["ciphertext"]), bytes.fromhex(v["key"])
        assert open_blob(key, bytes.fromhex(v["path"]), blob) == blob_plaintext(v), v["name"]
        assert open_blob(key, None, blob) == blob_plaintext(v), v["name"]
    for v in vectors["version_1"] + vectors["before_d1"]:
        blob, key = bytes.fromhex(v["ciphertext"]), bytes.fromhex(v["key"])
        plain = open_blob(key, bytes.fromhex(v["path"]), blob)
        assert hashlib.sha256(plain).hexdigest() == v["plaintext_sha256"], v["name"]
    for v in vectors["appends"]:
        blob, key = bytes.fromhex(v["ciphertext"]), bytes.fromhex(v["key"])
        plain = open_blob(key, bytes.fromhex(v["path"]), blob)
        assert hashlib.sha256(plain).hexdigest() == v["plaintext_sha256"], v["name"]
        previous = bytes.fromhex(v["previous"])
        assert seal_onto(key, bytes.fromhex(v["path"]), plain, previous) == blob
        if v["name"] == "unchanged" or v["name"] == "run_kept_when_unchanged":
            assert blob == previous
    for v in vectors["invalid"]:
        blob, key = bytes.fromhex(v["ciphertext"]), bytes.fromhex(v["key"])
        expect_error(v["error"], open_blob, key, bytes.fromhex(v["path"]), blob)
        if v.get("decrypts_without_path"):
            open_blob(key, None, blob)
        else:
            expect_error(v["error"], open_blob, key, None, blob)


def expect_error(kind: str, action: Callable[..., object], *args: Any) -> None:
    try:
        action(*args)
    except SpecError as err:
        assert err.kind == kind, (kind, err)
    else:
        raise AssertionError(f"expected {kind}")


# === the vectors: keycode.json ===========================================================


def pinned(label: str, n: int) -> bytes:
    """Fixed stand-ins for a writer's random salts and nonces."""
    return sha256(b"git-claude-sync vectors " + label.encode())[:n]


PASSPHRASE = "correct horse battery staple"
NFC_PASSPHRASE = unicodedata.normalize("NFC", "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e")
NFD_PASSPHRASE = unicodedata.normalize("NFD", NFC_PASSPHRASE)


def keycode_valid(
    name: str,
    description: str,
    key: bytes,
    passphrase: str,
    log2_n: int,
    salt: bytes,
    nonce: bytes,
) -> dict[str, object]:
    parts = keycode_parts(key, passphrase, log2_n, salt, nonce)
    code = code_text(parts["body"])
    return {
        "name": name,
        "description": description,
        "key": key.hex(),
        "passphrase": passphrase,
        "log2_n": log2_n,
        "salt": salt.hex(),
        "nonce": nonce.hex(),
        "passphrase_utf8": unicodedata.normalize("NFC", passphrase).encode().hex(),
        "kek": parts["kek"].hex(),
        "sealed": parts["sealed"].hex(),
        "body": parts["body"].hex(),
        "check": parts["check"].hex(),
        "code": code,
        "also_accepted": [
            "\n".join(code[i : i + 40] for i in range(0, len(code), 40)) + "\n",
            "  " + code[:60] + "\r\n\t" + code[60:] + "  ",
        ],
    }


def keycode_invalid(
    name: str, description: str, code: str, passphrase: str, error: str
) -> dict[str, object]:
    return {
        "name": name,
        "description": description,
        "code": code,
        "passphrase": passphrase,
        "error": error,
    }


def body_of(code: str) -> bytes:
    encoded = code[len(CODE_PREFIX) :]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))[:77]


def keycode_vectors() -> dict[str, object]:
    salt1, nonce1 = pinned("keycode salt 1", 16), pinned("keycode nonce 1", 12)
    valid = [
        keycode_valid(
            "lowest_cost",
            "The lowest cost a reader accepts (2^15).",
            KEY_A,
            PASSPHRASE,
            15,
            salt1,
            nonce1,
        ),
        keycode_valid(
            "writer_cost",
            "The cost a writer uses (2^17), the second key.",
            KEY_B,
            "another long passphrase",
            17,
            pinned("keycode salt 2", 16),
            pinned("keycode nonce 2", 12),
        ),
        keycode_valid(
            "non_ascii_passphrase",
            "A passphrase with accents, in NFC: scrypt gets its UTF-8 bytes.",
            KEY_A,
            NFC_PASSPHRASE,
            15,
            pinned("keycode salt 3", 16),
            pinned("keycode nonce 3", 12),
        ),
        keycode_valid(
            "nfd_passphrase",
            "The same passphrase typed decomposed (NFD): normalized to NFC, so the same code "
            "as non_ascii_passphrase.",
            KEY_A,
            NFD_PASSPHRASE,
            15,
            pinned("keycode salt 3", 16),
            pinned("keycode nonce 3", 12),
        ),
    ]
    code = str(valid[0]["code"])
    body = body_of(code)
    middle = 5 + 50
    changed = code[:middle] + ("A" if code[middle] != "A" else "B") + code[middle + 1 :]
    low = keycode_parts(KEY_A, PASSPHRASE, 14, salt1, nonce1)["body"]
    WP, D = "WrongPassphrase", "Damaged"
    invalid = [
        keycode_invalid(
            "wrong_passphrase",
            "lowest_cost's code with one letter of the passphrase changed.",
            code,
            "correct horse battery stable",
            WP,
        ),
        keycode_invalid(
            "wrong_prefix",
            "lowest_cost's code with the prefix csk2-.",
            "csk2-" + code[5:],
            PASSPHRASE,
            "NotAKeyCode",
        ),
        keycode_invalid(
            "key_file_line",
            "A key file's line given as a key code.",
            key_file_line(KEY_A),
            PASSPHRASE,
            "NotAKeyCode",
        ),
        keycode_invalid(
            "character_changed",
            "One character of lowest_cost's code changed.",
            changed,
            PASSPHRASE,
            D,
        ),
        keycode_invalid(
            "character_dropped",
            "lowest_cost's code without its last character.",
            code[:-1],
            PASSPHRASE,
            D,
        ),
        keycode_invalid(
            "character_added",
            "lowest_cost's code with one more character.",
            code + "A",
            PASSPHRASE,
            D,
        ),
        keycode_invalid(
            "cost_too_low",
            "Sealed properly at cost 2^14, below what a reader accepts.",
            code_text(low),
            PASSPHRASE,
            "UnsupportedCost",
        ),
        keycode_invalid(
            "cost_too_high",
            "lowest_cost's body with the cost byte set to 21 and the check recomputed (the "
            "sealed key does not match: a reader refuses before running scrypt).",
            code_text(u8(21) + body[1:]),
            PASSPHRASE,
            "UnsupportedCost",
        ),
        keycode_invalid(
            "cost_changed",
            "lowest_cost's body with the cost byte 15 changed to 16 and the check recomputed: "
            "intact to the check, GCM fails (the cost is in the associated data).",
            code_text(u8(16) + body[1:]),
            PASSPHRASE,
            WP,
        ),
        keycode_invalid(
            "salt_changed",
            "lowest_cost's body with one salt bit flipped and the check recomputed.",
            code_text(flip(body, 1)),
            PASSPHRASE,
            WP,
        ),
        keycode_invalid(
            "sealed_changed",
            "lowest_cost's body with one bit of the sealed key flipped and the check recomputed.",
            code_text(flip(body, 40)),
            PASSPHRASE,
            WP,
        ),
    ]
    return {
        "format": "git-claude-sync key code csk1",
        "spec": "docs/spec/keycode.md",
        "generator": {"script": "docs/vectors/make_vectors.py"},
        "valid": valid,
        "invalid": invalid,
    }


def check_keycode(vectors: dict[str, Any]) -> None:
    for v in vectors["valid"]:
        key = bytes.fromhex(v["key"])
        assert len(v["code"]) == 113
        for text in [v["code"], *v["also_accepted"]]:
            assert read_keycode(text, v["passphrase"]) == key, v["name"]
    for v in vectors["invalid"]:
        expect_error(v["error"], read_keycode, v["code"], v["passphrase"])


# === the vectors: bucket.json ============================================================

AUTHOR = b"Vector <vector@example.invalid> 1764390000 +0000"


def commit_objects(
    file_name: bytes, content: bytes, message: bytes, parent: str | None
) -> list[tuple[str, bytes]]:
    blob_id = git_oid("blob", content)
    tree = b"100644 " + file_name + b"\0" + bytes.fromhex(blob_id)
    commit = b"tree " + git_oid("tree", tree).encode() + b"\n"
    if parent:
        commit += b"parent " + parent.encode() + b"\n"
    commit += b"author " + AUTHOR + b"\ncommitter " + AUTHOR + b"\n\n" + message
    return [("commit", commit), ("tree", tree), ("blob", content)]


def pack_entry(
    name: str, description: str, key: bytes, pack_id: str, objects: list[tuple[str, bytes]]
) -> dict[str, object]:
    data = pack_file(objects)
    return {
        "name": name,
        "description": description,
        "key": key.hex(),
        "id": pack_id,
        "path": pack_path(pack_id).hex(),
        "objects": [
            {"type": kind, "oid": git_oid(kind, body), "size": len(body)} for kind, body in objects
        ],
        "plaintext": data.hex(),
        "sealed": seal(key, pack_path(pack_id), data).hex(),
    }


def manifest_entry(
    name: str, description: str, key: bytes, manifest: dict[str, Any]
) -> dict[str, object]:
    plain = manifest_bytes(manifest)
    return {
        "name": name,
        "description": description,
        "key": key.hex(),
        "path": MANIFEST_PATH.hex(),
        "manifest": manifest,
        "plaintext": plain.hex(),
        "sealed": seal(key, MANIFEST_PATH, plain).hex(),
    }


def bucket_vectors() -> dict[str, object]:
    first = commit_objects(b"notes.md", b"# notes\n", b"first sync\n", None)
    c1 = git_oid("commit", first[0][1])
    second = commit_objects(b"notes.md", b"# notes\nsecond line\n", b"second sync\n", c1)
    c2 = git_oid("commit", second[0][1])
    id1, id2, id3 = (pinned(f"pack id {i}", 16).hex() for i in (1, 2, 3))
    packs = [
        pack_entry(
            "first_push", "The first push: one commit, its tree and blob.", KEY_A, id1, first
        ),
        pack_entry(
            "second_push",
            "The second push: the next commit (its parent is in first_push).",
            KEY_A,
            id2,
            second,
        ),
        pack_entry(
            "consolidated",
            "first_push and second_push merged into one pack by consolidation.",
            KEY_A,
            id3,
            first + second,
        ),
    ]
    size = {str(p["id"]): len(bytes.fromhex(str(p["sealed"]))) for p in packs}

    def listed(pack_id: str, tips: list[str]) -> dict[str, object]:
        return {"id": pack_id, "size": size[pack_id], "tips": tips}

    main = "refs/heads/main"
    m1 = {
        "format": 1,
        "serial": 1,
        "refs": {main: c1},
        "head": main,
        "packs": [listed(id1, [c1])],
        "dropped": [],
    }
    m2 = {
        "format": 1,
        "serial": 2,
        "refs": {main: c2, "refs/heads/caf\u00e9": c1},
        "head": main,
        "packs": [listed(id1, [c1]), listed(id2, [c2])],
        "dropped": [],
    }
    m3 = {
        "format": 1,
        "serial": 3,
        "refs": {main: c2, "refs/heads/caf\u00e9": c1},
        "head": main,
        "packs": [listed(id3, sorted([c1, c2]))],
        "dropped": [{"id": id1, "at": 1764390600.5}, {"id": id2, "at": 1764390600.5}],
    }
    m4 = {
        "format": 1,
        "serial": 4,
        "refs": {},
        "head": None,
        "packs": [listed(id3, sorted([c1, c2]))],
        "dropped": [{"id": id1, "at": 1764390600.5}, {"id": id2, "at": 1764390600.5}],
    }
    manifests = [
        manifest_entry("first_push", "After the first push: one ref, one pack.", KEY_A, m1),
        manifest_entry(
            "second_push",
            "After the second push: a second pack (its commit's parent is in the first), and a "
            "ref with a non-ASCII name (escaped in the JSON).",
            KEY_A,
            m2,
        ),
        manifest_entry(
            "consolidated",
            "After consolidation: one pack with both tips, the replaced packs in dropped.",
            KEY_A,
            m3,
        ),
        manifest_entry(
            "no_refs",
            "Every branch deleted: no refs, head null; packs stay until consolidated.",
            KEY_A,
            m4,
        ),
    ]
    sealed_m1 = bytes.fromhex(str(manifests[0]["sealed"]))
    sealed_p1 = bytes.fromhex(str(packs[0]["sealed"]))
    future = dict(m1, format=2)

    def invalid(
        name: str, description: str, kind: str, pack_id: str | None, sealed: bytes, error: str
    ) -> dict[str, object]:
        return {
            "name": name,
            "description": description,
            "key": KEY_A.hex(),
            "object": kind,
            "id": pack_id,
            "sealed": sealed.hex(),
            "error": error,
        }

    invalid_vectors = [
        invalid(
            "manifest_other_key",
            "The first_push manifest sealed under the second key.",
            "manifest",
            None,
            seal(KEY_B, MANIFEST_PATH, manifest_bytes(m1)),
            "WrongKey",
        ),
        invalid(
            "pack_as_manifest",
            "The first_push pack served at the manifest's name.",
            "manifest",
            None,
            sealed_p1,
            "Tampered",
        ),
        invalid(
            "manifest_as_pack",
            "The first_push manifest served as pack first_push.",
            "pack",
            id1,
            sealed_m1,
            "Tampered",
        ),
        invalid(
            "pack_under_other_name",
            "The first_push pack served under second_push's id.",
            "pack",
            id2,
            sealed_p1,
            "Tampered",
        ),
        invalid(
            "pack_truncated",
            "The first_push pack without its last byte.",
            "pack",
            id1,
            sealed_p1[:-1],
            "Tampered",
        ),
        invalid(
            "manifest_unknown_format",
            "A sealed manifest of format 2: it opens, and a reader of format 1 refuses it.",
            "manifest",
            None,
            seal(KEY_A, MANIFEST_PATH, manifest_bytes(future)),
            "UnknownFormat",
        ),
    ]
    return {
        "format": "git-claude-sync object storage remote v1",
        "spec": "docs/spec/bucket.md",
        "generator": {
            "script": "docs/vectors/make_vectors.py",
            "zstandard": zstandard.__version__,
            "libzstd": ".".join(map(str, zstandard.ZSTD_VERSION)),
            "zstd_level": ZSTD_LEVEL,
        },
        "manifest_name": {"input": MANIFEST_NAME_INPUT, "name": MANIFEST_NAME},
        "manifests": manifests,
        "packs": packs,
        "invalid": invalid_vectors,
    }


def check_bucket(vectors: dict[str, Any]) -> None:
    for m in vectors["manifests"]:
        opened = open_manifest(bytes.fromhex(m["key"]), bytes.fromhex(m["sealed"]))
        assert opened == m["manifest"], m["name"]
    for p in vectors["packs"]:
        key, sealed = bytes.fromhex(p["key"]), bytes.fromhex(p["sealed"])
        assert open_blob(key, pack_path(p["id"]), sealed).hex() == p["plaintext"], p["name"]
    for v in vectors["invalid"]:
        key, sealed = bytes.fromhex(v["key"]), bytes.fromhex(v["sealed"])
        if v["object"] == "manifest":
            expect_error(v["error"], open_manifest, key, sealed)
        else:
            expect_error(v["error"], open_blob, key, pack_path(v["id"]), sealed)


# === git-host.md: the hidden layout on a git host =========================================

HOST_IDENTITY = b"cs <cs@invalid> 1000000000 +0000"
HOST_REF_PREFIX = "refs/cs/"
MARKER_README = (
    b"This repository is synced by git-claude-sync in its hidden layout: only encrypted\n"
    b"objects, under refs/cs/, readable with the sync key. This branch is a marker left\n"
    b"when the repository moved to that layout; it holds nothing else.\n"
)
MARKER_MESSAGE = b"git-claude-sync: moved to the hidden layout\n"


def host_objects(file_name: bytes, content: bytes, message: bytes) -> dict[str, dict[str, str]]:
    """The blob, tree and parentless commit of git-host.md, with the fixed identity."""
    blob_id = git_oid("blob", content)
    tree = b"100644 " + file_name + b"\0" + bytes.fromhex(blob_id)
    commit = (
        b"tree " + git_oid("tree", tree).encode() + b"\n"
        b"author " + HOST_IDENTITY + b"\ncommitter " + HOST_IDENTITY + b"\n\n" + message
    )
    return {
        kind: {"content": body.hex(), "id": git_oid(kind, body)}
        for kind, body in (("blob", content), ("tree", tree), ("commit", commit))
    }


def git_host_vectors(bucket: dict[str, Any]) -> dict[str, object]:
    manifest = bucket["manifests"][0]
    pack = bucket["packs"][0]
    stored = [
        ("manifest", "The first manifest of bucket.json, as the host stores it.",
         MANIFEST_NAME, manifest["sealed"]),
        ("pack", "The pack first_push of bucket.json, as the host stores it.",
         pack["id"], pack["sealed"]),
    ]  # fmt: skip
    objects = [
        {
            "name": name,
            "description": description,
            "object": object_name,
            "ref": HOST_REF_PREFIX + object_name,
            "data": data,
            **host_objects(b"o", bytes.fromhex(data), b"cs\n"),
        }
        for name, description, object_name, data in stored
    ]
    return {
        "format": "git-claude-sync git host hidden layout v1",
        "spec": "docs/spec/git-host.md",
        "generator": {"script": "docs/vectors/make_vectors.py"},
        "objects": objects,
        "marker": host_objects(b"README", MARKER_README, MARKER_MESSAGE),
    }


def check_git_host(vectors: dict[str, Any]) -> None:
    for entry in [*vectors["objects"], vectors["marker"]]:
        for kind in ("blob", "tree", "commit"):
            assert git_oid(kind, bytes.fromhex(entry[kind]["content"])) == entry[kind]["id"]
    for entry in vectors["objects"]:
        assert entry["blob"]["content"] == entry["data"]
        assert entry["ref"] == HOST_REF_PREFIX + entry["object"]


# === the vectors: state.json ============================================================


def state_vectors() -> dict[str, object]:
    tree = git_oid("tree", b"100644 settings.json\0" + bytes(20))
    first = {
        "v": 1, "tree": tree, "parents": [], "counter": 1, "machine": "laptop",
        "time": 1764390000, "subject": "claude-sync: 1 added, 0 changed, 0 deleted",
    }  # fmt: skip
    seal1, commit1 = seal_state(KEY_A, first)
    c1 = git_oid("commit", commit1)
    second = dict(first, parents=[c1], counter=2, machine="desk", time=1764390060,
                  subject="claude-sync: 0 added, 1 changed, 0 deleted")  # fmt: skip
    seal2, commit2 = seal_state(KEY_A, second)
    c2 = git_oid("commit", commit2)
    other = "ab" * 20
    merge = dict(first, parents=[c2, other], counter=4, machine="laptop", time=1764390120,
                 subject="claude-sync: merge")  # fmt: skip
    sha256_state = dict(first, tree="cd" * 32, parents=["ef" * 32], counter=7,
                        machine="gr\u00e9 \u2603", subject="claude-sync: merge")  # fmt: skip

    def valid(name: str, description: str, state: dict[str, Any]) -> dict[str, object]:
        seal_b64, raw = seal_state(KEY_A, state)
        sealed = (
            {"payload": state_payload(state).hex()}
            if state["v"] == 1
            else {
                "plaintext": state_plaintext(state).hex(),
                "associated_data": state_ad(Keys(KEY_A).key_id, state_head(state)).hex(),
            }
        )
        return {
            "name": name, "description": description, "key": KEY_A.hex(), "state": state,
            **sealed, "seal": seal_b64.decode(),
            "commit": raw.hex(), "commit_id": git_oid("commit", raw),
        }  # fmt: skip

    def invalid(name: str, description: str, raw: bytes, error: str) -> dict[str, object]:
        return {
            "name": name, "description": description, "key": KEY_A.hex(),
            "commit": raw.hex(), "error": error,
        }  # fmt: skip

    plain_git = (
        b"tree " + tree.encode() + b"\nparent " + c1.encode() + b"\n"
        b"author evil <e@x> 1764390100 +0000\ncommitter evil <e@x> 1764390100 +0000\n\nx\n"
    )
    replayed = commit2.replace(b"tree " + tree.encode(), b"tree " + ("00" * 20).encode())
    dropped = commit2.replace(b"parent " + c1.encode(), b"parent " + other.encode())
    redated = commit2.replace(b"1764390060 +0000", b"1764390061 +0000")
    renamed = commit2.replace(b"claude-sync <claude-sync@invalid>", b"desk <me@desk>", 1)
    flipped_seal = bytearray(commit2)
    flipped_seal[-10] = ord("A") if flipped_seal[-10] != ord("A") else ord("B")
    _, wrong_key = seal_state(KEY_B, second)
    extra_header = commit2.replace(b"\n\n", b"\nencoding latin1\n\n", 1)
    bad_counter = seal_state(KEY_A, dict(second, counter=0))[1]
    # Version 2, as written since: the same history.
    first_2 = dict(first, v=2)
    commit1_2 = seal_state(KEY_A, first_2)[1]
    second_2 = dict(second, v=2, parents=[git_oid("commit", commit1_2)])
    commit2_2 = seal_state(KEY_A, second_2)[1]
    merge_2 = dict(merge, v=2, parents=[git_oid("commit", commit2_2), other])
    big_counter_2 = dict(second_2, counter=300, machine="")
    sha256_2 = dict(sha256_state, v=2)
    c1_2 = second_2["parents"][0].encode()
    flipped_2 = bytearray(commit2_2)
    flipped_2[-10] = ord("A") if flipped_2[-10] != ord("A") else ord("B")

    def sealed_2(state: dict[str, Any], plain: bytes) -> bytes:
        """A commit whose version 2 seal holds ``plain`` (a key holder's mistake)."""
        keys = Keys(KEY_A)
        ad = state_ad(keys.key_id, state_head(state))
        nonce = hmac_sha256(keys.nonce_key, ad + plain)[:12]
        sealed = u8(2) + keys.key_id + nonce + keys.aead.encrypt(nonce, plain, ad)
        return state_commit(state, base64.b64encode(sealed))

    invalid_2 = [
        invalid("v2_other_tree", "Version 2: a seal replayed over another tree.",
                commit2_2.replace(b"tree " + tree.encode(), b"tree " + ("00" * 20).encode()),
                "Tampered"),
        invalid("v2_other_parent", "Version 2: a commit re-parented.",
                commit2_2.replace(b"parent " + c1_2, b"parent " + other.encode()), "Tampered"),
        invalid("v2_other_time", "Version 2: the date changed by one second.",
                commit2_2.replace(b"1764390060 +0000", b"1764390061 +0000"), "Tampered"),
        invalid("v2_other_subject", "Version 2: the subject changed.",
                commit2_2.replace(b"0 added, 1 changed", b"1 added, 1 changed"), "Tampered"),
        invalid("v2_other_identity", "Version 2: the author changed.",
                commit2_2.replace(b"claude-sync <claude-sync@invalid>", b"desk <me@desk>", 1),
                "Tampered"),
        invalid("v2_seal_changed", "Version 2: one base64 digit of the seal changed.",
                bytes(flipped_2), "Tampered"),
        invalid("v2_wrong_key", "Version 2: sealed under key B, opened with key A.",
                seal_state(KEY_B, second_2)[1], "WrongKey"),
        invalid("v2_extra_header", "Version 2: an encoding header added.",
                commit2_2.replace(b"\n\n", b"\nencoding latin1\n\n", 1), "Tampered"),
        invalid("v2_counter_zero", "Version 2: a sealed counter of 0.",
                sealed_2(second_2, uvarint(0) + b"desk"), "Tampered"),
        invalid("v2_counter_not_minimal", "Version 2: the counter 2 in two bytes (82 00).",
                sealed_2(second_2, b"\x82\x00desk"), "Tampered"),
        invalid("v2_truncated", "Version 2: the seal cut to its key id and nonce.",
                state_commit(second_2, base64.b64encode(
                    base64.b64decode(commit2_2.rstrip(b"\n").rsplit(b" ", 1)[1])[:21])),
                "Tampered"),
    ]  # fmt: skip
    return {
        "path": STATE_PATH.hex(),
        "valid": [
            valid("v2_first", "Version 2: a first commit: no parents, counter 1.", first_2),
            valid("v2_second", "Version 2: the next commit, from another machine.", second_2),
            valid("v2_merge", "Version 2: a merge of parents at counters 2 and 3.", merge_2),
            valid(
                "v2_counter_300",
                "Version 2: a counter of two bytes (ac 02), an empty machine name.",
                big_counter_2,
            ),
            valid("v2_sha256_ids", "Version 2: SHA-256 ids; a name outside ASCII.", sha256_2),
            valid("first", "A first commit: no parents, counter 1.", first),
            valid("second", "The next commit, from another machine: counter 2.", second),
            valid("merge", "A merge of two parents whose counters were 2 and 3.", merge),
            valid(
                "sha256_ids",
                "Ids of a SHA-256 repository (64 digits); a machine name outside ASCII.",
                sha256_state,
            ),
        ],
        "invalid": [
            invalid("plain_git", "A commit made by plain git: no seal.", plain_git, "Unsealed"),
            invalid("other_tree", "A seal replayed over another tree.", replayed, "Tampered"),
            invalid(
                "other_parent",
                "A commit re-parented (a commit before it dropped, or a pair reordered).",
                dropped,
                "Tampered",
            ),
            invalid("other_time", "The commit's date changed by one second.", redated, "Tampered"),
            invalid("other_identity", "The author changed.", renamed, "Tampered"),
            invalid(
                "seal_changed",
                "One base64 digit of the seal changed.",
                bytes(flipped_seal),
                "Tampered",
            ),  # fmt: skip
            invalid("wrong_key", "Sealed under key B, opened with key A.", wrong_key, "WrongKey"),
            invalid("extra_header", "An encoding header added.", extra_header, "Tampered"),
            invalid("counter_zero", "A sealed state whose counter is 0.", bad_counter, "Tampered"),
            *invalid_2,
        ],
        "chains": [
            {"name": "root", "description": "No parents.", "counters": [], "counter": 1},
            {"name": "linear", "description": "One parent at 5.", "counters": [5], "counter": 6},
            {
                "name": "merge",
                "description": "Parents at 3 and 7.",
                "counters": [3, 7],
                "counter": 8,
            },
            {
                "name": "after_unsealed",
                "description": "The first sealed commit after history "
                "made before sealing (an unsealed parent counts 0).",
                "counters": [0],
                "counter": 1,
            },
        ],  # fmt: skip
    }


def check_state(vectors: dict[str, Any]) -> None:
    for v in vectors["valid"]:
        key = bytes.fromhex(v["key"])
        seal_b64, raw = seal_state(key, v["state"])
        assert seal_b64.decode() == v["seal"] and raw.hex() == v["commit"], v["name"]
        assert open_state(key, raw) == v["state"], v["name"]
    for v in vectors["invalid"]:
        expect_error(v["error"], open_state, bytes.fromhex(v["key"]), bytes.fromhex(v["commit"]))
    for v in vectors["chains"]:
        assert next_counter(v["counters"]) == v["counter"], v["name"]


# === output ==============================================================================


def render(vectors: dict[str, object]) -> str:
    return json.dumps(vectors, indent=1) + "\n"


def build() -> dict[str, str]:
    """File name -> content of every vector file, each checked with the readers above."""
    blob, keycode, bucket = blob_vectors(), keycode_vectors(), bucket_vectors()
    state = state_vectors()
    check_blob(blob)
    check_keycode(keycode)
    check_bucket(bucket)
    git_host = git_host_vectors(bucket)
    check_git_host(git_host)
    check_state(state)
    return {
        "blob.json": render(blob),
        "keycode.json": render(keycode),
        "bucket.json": render(bucket),
        "git-host.json": render(git_host),
        "state.json": render(state),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write into")
    args = parser.parse_args()
    for name, text in build().items():
        (args.out / name).write_text(text, encoding="ascii")
        print(f"wrote {args.out / name} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
