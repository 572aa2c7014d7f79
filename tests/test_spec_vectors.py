"""The implementation against the specifications' test vectors (docs/spec/, docs/vectors/).

The vectors are written by ``docs/vectors/make_vectors.py``, a reference implementation
made from the specification text that does not import git-claude-sync; these tests use
only the implementation's public API.  The last tests re-run the generator and require
the committed files byte for byte, so the spec's code and the vectors cannot drift apart.

The blob and bucket vectors pin exact ciphertext bytes.  If a zstandard upgrade changes
zstd's output, the exact-encryption tests fail: machines on different versions would then
produce different blobs for the same file (see "Determinism" in docs/spec/blob.md).
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from git_claude_sync import errors
from git_claude_sync.crypto import keycode, keyfile, state_seal
from git_claude_sync.crypto.codec import HEADER_LEN, Key
from git_claude_sync.errors import CodecError, FatalError
from git_claude_sync.remote import store, transfer

ROOT = Path(__file__).resolve().parent.parent
VECTOR_DIR = ROOT / "docs" / "vectors"
GENERATOR = VECTOR_DIR / "make_vectors.py"

FILES = ("blob.json", "keycode.json", "bucket.json", "git-host.json", "state.json")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTOR_DIR / name).read_text(encoding="ascii"))
    return data


BLOB = _load("blob.json")
KEYCODE = _load("keycode.json")
BUCKET = _load("bucket.json")
STATE = _load("state.json")


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in vectors]


def _chunk_offsets(blob: bytes) -> list[int]:
    offsets, pos = [], HEADER_LEN
    while pos < len(blob):
        offsets.append(pos)
        pos += 4 + int.from_bytes(blob[pos : pos + 4], "big")
    assert pos == len(blob)
    return offsets


# --- blob.md -----------------------------------------------------------------------------


def _plaintext(vector: dict[str, Any]) -> bytes:
    if "plaintext" in vector:
        return bytes.fromhex(vector["plaintext"])
    return b"".join(bytes.fromhex(s["hex"]) * s["count"] for s in vector["plaintext_repeat"])


@pytest.mark.parametrize("entry", BLOB["keys"], ids=lambda e: e["fingerprint"])
def test_key_file_and_derivation(entry: dict[str, Any]) -> None:
    raw = bytes.fromhex(entry["key"])
    assert keyfile.encode(raw) == entry["key_file"]
    assert keyfile.decode(entry["key_file"], Path("key")) == raw
    key = Key(raw)
    assert key.key_id.hex() == entry["key_id"]
    assert key.fingerprint == entry["fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", key.fingerprint)
    # aes_key and nonce_key are checked through the exact ciphertexts below; path_key here.
    path = b"settings.json"
    path_key = bytes.fromhex(entry["path_key"])
    assert key.path_tag(path) == hmac.digest(path_key, path, "sha256")[:16]


@pytest.mark.parametrize("vector", BLOB["valid"], ids=_ids(BLOB["valid"]))
def test_blob_encrypts_exactly(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    path = bytes.fromhex(vector["path"])
    plaintext = _plaintext(vector)
    assert len(plaintext) == vector["plaintext_len"]
    assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]
    assert key.key_id.hex() == vector["key_id"]
    assert key.fingerprint == vector["fingerprint"]
    assert key.path_tag(path).hex() == vector["path_tag"]
    assert key.header(path).hex() == vector["header"]
    blob = key.encrypt(path, plaintext)
    assert blob.hex() == vector["ciphertext"]
    assert [c["offset"] for c in vector["chunks"]] == _chunk_offsets(blob)


@pytest.mark.parametrize("vector", BLOB["valid"], ids=_ids(BLOB["valid"]))
def test_blob_decrypts(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    blob = bytes.fromhex(vector["ciphertext"])
    assert key.decrypt(bytes.fromhex(vector["path"]), blob) == _plaintext(vector)
    assert key.decrypt(None, blob) == _plaintext(vector)


@pytest.mark.parametrize("vector", BLOB["invalid"], ids=_ids(BLOB["invalid"]))
def test_blob_invalid_fails(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    blob = bytes.fromhex(vector["ciphertext"])
    expected = getattr(errors, vector["error"])
    with pytest.raises(CodecError) as info:
        key.decrypt(bytes.fromhex(vector["path"]), blob)
    assert type(info.value) is expected
    if vector.get("decrypts_without_path"):
        key.decrypt(None, blob)  # authentic content, only the path binding differs
    else:
        with pytest.raises(CodecError) as info:
            key.decrypt(None, blob)
        assert type(info.value) is expected


@pytest.mark.parametrize("vector", BLOB["version_1"], ids=_ids(BLOB["version_1"]))
def test_blob_version_1_still_decrypts(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    blob = bytes.fromhex(vector["ciphertext"])
    assert blob[8] == 1
    plaintext = key.decrypt(bytes.fromhex(vector["path"]), blob)
    assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]
    assert len(plaintext) == vector["plaintext_len"]


@pytest.mark.parametrize("vector", BLOB["before_d1"], ids=_ids(BLOB["before_d1"]))
def test_blob_before_d1_still_decrypts(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    blob = bytes.fromhex(vector["ciphertext"])
    plaintext = key.decrypt(bytes.fromhex(vector["path"]), blob)
    assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]
    assert len(plaintext) == vector["plaintext_len"]
    assert key.encrypt(bytes.fromhex(vector["path"]), plaintext) != blob  # written otherwise now


@pytest.mark.parametrize("vector", BLOB["appends"], ids=_ids(BLOB["appends"]))
def test_blob_seals_onto_the_previous_blob_exactly(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    path = bytes.fromhex(vector["path"])
    blob = bytes.fromhex(vector["ciphertext"])
    previous = bytes.fromhex(vector["previous"])
    plaintext = key.decrypt(path, blob)
    assert hashlib.sha256(plaintext).hexdigest() == vector["plaintext_sha256"]
    assert plaintext[-200:].hex() == vector["plaintext_tail"]
    assert b"".join(key.seal_onto(path, [plaintext], previous)) == blob
    # streamed in odd-sized parts, the same bytes
    parts = [plaintext[i : i + 7777] for i in range(0, len(plaintext), 7777)]
    assert b"".join(key.seal_onto(path, parts, previous)) == blob


def test_blob_vectors_cover_the_required_cases() -> None:
    chunks = {v["name"]: v["chunks"] for v in BLOB["valid"]}
    assert chunks["empty"] == [dict(chunks["empty"][0], plaintext_len=0, encoding=0)]
    assert [c["plaintext_len"] for c in chunks["exactly_one_chunk"]] == [65536, 0]
    assert len(chunks["multi_chunk"]) == 4  # three data chunks and the finaliser
    assert all(c["plaintext_len"] == 0 and c["encoding"] == 0 for c in chunks["multi_chunk"][3:])
    assert {c["encoding"] for c in chunks["incompressible"]} == {0}
    assert [c["encoding"] for c in chunks["mixed_encodings"]] == [1, 0, 0]
    appends = {v["name"]: v for v in BLOB["appends"]}
    assert appends["unchanged"]["ciphertext"] == appends["unchanged"]["previous"]
    one = appends["append_one_line"]
    kept = len(one["previous"]) // 2 - 33  # all but the finaliser (length fields may share bytes)
    assert kept <= one["common_prefix_len"] < kept + 4
    assert appends["compaction"]["common_prefix_len"] < len(appends["compaction"]["previous"]) // 4
    assert {"previous_version_1", "previous_other_path", "changed_in_chunk_1"} <= set(appends)
    non_utf8 = next(v for v in BLOB["valid"] if v["name"] == "non_utf8_path")
    with pytest.raises(UnicodeDecodeError):
        bytes.fromhex(non_utf8["path"]).decode("utf-8")
    assert {v["error"] for v in BLOB["invalid"]} == {
        "NotEncrypted",
        "WrongKey",
        "Tampered",
        "NewerFormat",
    }
    # encoding 2 (D1) for pieces under 16384 bytes, 1 for longer ones
    assert [c["encoding"] for c in chunks["multi_chunk"]] == [1, 1, 1, 0]
    assert [c["plaintext_len"] for c in chunks["below_d1_limit"]] == [16383, 0]
    assert [c["encoding"] for c in chunks["below_d1_limit"]] == [2, 0]
    assert [c["plaintext_len"] for c in chunks["at_d1_limit"]] == [16384, 0]
    assert [c["encoding"] for c in chunks["at_d1_limit"]] == [1, 0]
    assert [c["encoding"] for c in chunks["transcript_line"]] == [2, 0]
    assert {"previous_before_d1"} <= set(appends)


# --- keycode.md --------------------------------------------------------------------------


@pytest.mark.parametrize("vector", KEYCODE["valid"], ids=_ids(KEYCODE["valid"]))
def test_keycode_writes_exactly(vector: dict[str, Any]) -> None:
    code = keycode.wrap_with(
        bytes.fromhex(vector["key"]),
        vector["passphrase"],
        log2_n=vector["log2_n"],
        salt=bytes.fromhex(vector["salt"]),
        nonce=bytes.fromhex(vector["nonce"]),
    )
    assert code == vector["code"]
    assert len(code) == 113
    assert keycode.parse(code).hex() == vector["body"]


@pytest.mark.parametrize("vector", KEYCODE["valid"], ids=_ids(KEYCODE["valid"]))
def test_keycode_reads(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["key"])
    assert keycode.unwrap(vector["code"], vector["passphrase"]) == key
    assert vector["also_accepted"]
    for text in vector["also_accepted"]:
        assert text != vector["code"]
        assert keycode.unwrap(text, vector["passphrase"]) == key


KEYCODE_MESSAGES = {
    "NotAKeyCode": "not a git-claude-sync key code",
    "Damaged": "damaged",
    "UnsupportedCost": "unsupported scrypt cost",
}


@pytest.mark.parametrize("vector", KEYCODE["invalid"], ids=_ids(KEYCODE["invalid"]))
def test_keycode_invalid_fails(vector: dict[str, Any]) -> None:
    error = vector["error"]
    with pytest.raises(FatalError) as info:
        keycode.unwrap(vector["code"], vector["passphrase"])
    if error == "WrongPassphrase":
        assert type(info.value) is keycode.WrongPassphrase
        keycode.parse(vector["code"])  # intact: only the passphrase (or GCM) fails
    else:
        assert type(info.value) is FatalError
        assert KEYCODE_MESSAGES[error] in str(info.value)
        with pytest.raises(FatalError, match=KEYCODE_MESSAGES[error]):
            keycode.parse(vector["code"])  # refused before any scrypt


def test_keycode_vectors_cover_the_required_cases() -> None:
    by_name = {v["name"]: v for v in KEYCODE["valid"]}
    assert {v["log2_n"] for v in KEYCODE["valid"]} >= {keycode.MIN_LOG2_N, keycode.LOG2_N}
    nfc, nfd = by_name["non_ascii_passphrase"], by_name["nfd_passphrase"]
    assert nfc["passphrase"] != nfd["passphrase"]
    assert unicodedata.normalize("NFC", nfd["passphrase"]) == nfc["passphrase"]
    assert nfc["code"] == nfd["code"]
    assert {v["error"] for v in KEYCODE["invalid"]} == {*KEYCODE_MESSAGES, "WrongPassphrase"}


# --- bucket.md ---------------------------------------------------------------------------

KEY_OF = {e["key"]: Key(bytes.fromhex(e["key"])) for e in BLOB["keys"]}


def test_manifest_name() -> None:
    entry = BUCKET["manifest_name"]
    assert hashlib.sha256(entry["input"].encode()).hexdigest()[:32] == entry["name"]
    assert entry["name"] == transfer.MANIFEST_NAME
    assert store.NAME.match(entry["name"])


@pytest.mark.parametrize("vector", BUCKET["manifests"], ids=_ids(BUCKET["manifests"]))
def test_manifest_opens_and_seals_exactly(vector: dict[str, Any]) -> None:
    key = KEY_OF[vector["key"]]
    assert bytes.fromhex(vector["path"]) == transfer.MANIFEST_PATH
    manifest = transfer.open_manifest(key, bytes.fromhex(vector["sealed"]))
    want = vector["manifest"]
    assert manifest.serial == want["serial"]
    assert manifest.refs == want["refs"]
    assert manifest.head == want["head"]
    assert [p.to_json() for p in manifest.packs] == want["packs"]
    assert manifest.dropped == [(d["id"], d["at"]) for d in want["dropped"]]
    plaintext = bytes.fromhex(vector["plaintext"])
    assert json.loads(plaintext) == want
    assert manifest.encode() == plaintext  # the implementation writes the reference form
    assert transfer.seal_manifest(key, manifest).hex() == vector["sealed"]


@pytest.mark.parametrize("vector", BUCKET["packs"], ids=_ids(BUCKET["packs"]))
def test_pack_opens_and_seals_exactly(vector: dict[str, Any], tmp_path: Path) -> None:
    key = KEY_OF[vector["key"]]
    assert store.NAME.match(vector["id"])
    assert bytes.fromhex(vector["path"]) == transfer.PACK_PATH + vector["id"].encode()
    plaintext = bytes.fromhex(vector["plaintext"])
    assert transfer.open_pack(key, vector["id"], bytes.fromhex(vector["sealed"])) == plaintext
    assert transfer.seal_pack(key, vector["id"], plaintext).hex() == vector["sealed"]
    # The file-to-file forms the remote helper runs (packs never held whole) give the same.
    (tmp_path / "pack").write_bytes(plaintext)
    size = transfer.seal_pack_file(key, vector["id"], tmp_path / "pack", tmp_path / "sealed")
    assert (tmp_path / "sealed").read_bytes().hex() == vector["sealed"]
    assert size == len(vector["sealed"]) // 2
    transfer.open_pack_file(key, vector["id"], tmp_path / "sealed", tmp_path / "opened")
    assert (tmp_path / "opened").read_bytes() == plaintext


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=data, capture_output=True, check=True
    )
    return proc.stdout.decode()


@pytest.mark.parametrize("vector", BUCKET["manifests"], ids=_ids(BUCKET["manifests"]))
def test_manifest_packs_hold_what_it_promises(vector: dict[str, Any], tmp_path: Path) -> None:
    """The vectors' packs are real git packs, and each manifest keeps the invariant:
    packs 0..k hold the closure of pack k's tips; every ref is some pack's tip."""
    packs = {p["id"]: p for p in BUCKET["packs"]}
    manifest = vector["manifest"]
    _git(tmp_path, "init", "-q", "--bare")
    tips: set[str] = set()
    for listed in manifest["packs"]:
        pack = packs[listed["id"]]
        assert listed["size"] == len(bytes.fromhex(pack["sealed"]))
        _git(tmp_path, "index-pack", "--stdin", "--strict", data=bytes.fromhex(pack["plaintext"]))
        listed_objects = _git(tmp_path, "rev-list", "--objects", *listed["tips"]).split()
        assert {o["oid"] for o in pack["objects"]} <= set(listed_objects)
        tips |= set(listed["tips"])
    assert set(manifest["refs"].values()) <= tips


@pytest.mark.parametrize("vector", BUCKET["invalid"], ids=_ids(BUCKET["invalid"]))
def test_bucket_invalid_fails(vector: dict[str, Any]) -> None:
    key = KEY_OF[vector["key"]]
    sealed = bytes.fromhex(vector["sealed"])
    with pytest.raises(FatalError) as info:
        if vector["object"] == "manifest":
            transfer.open_manifest(key, sealed)
        else:
            transfer.open_pack(key, vector["id"], sealed)
    if vector["error"] == "UnknownFormat":
        assert not isinstance(info.value, CodecError)  # it opened; the reader refuses it
        assert "format 2" in str(info.value)
    else:
        assert type(info.value) is getattr(errors, vector["error"])


def test_bucket_vectors_cover_the_required_cases() -> None:
    assert {v["error"] for v in BUCKET["invalid"]} == {"WrongKey", "Tampered", "UnknownFormat"}
    manifests = [v["manifest"] for v in BUCKET["manifests"]]
    assert any(m["dropped"] for m in manifests)
    assert any(m["head"] is None for m in manifests)
    non_ascii = [r for m in manifests for r in m["refs"] if not r.isascii()]
    assert non_ascii
    assert all(bytes.fromhex(v["plaintext"]).isascii() for v in BUCKET["manifests"])
    assert all(len(bytes.fromhex(p["plaintext"])) > 0 for p in BUCKET["packs"])


# --- the generator -----------------------------------------------------------------------


# -- state.json -------------------------------------------------------------------------


def _state(data: dict[str, Any]) -> state_seal.State:
    return state_seal.State(
        tree=data["tree"],
        parents=tuple(data["parents"]),
        counter=data["counter"],
        machine=data["machine"],
        time=data["time"],
        subject=data["subject"],
    )


@pytest.mark.parametrize("vector", STATE["valid"], ids=_ids(STATE["valid"]))
def test_state_seals_and_opens_exactly(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    state = _state(vector["state"])
    version = vector["state"]["v"]
    if version == 1:  # still read, never written
        assert state.payload().hex() == vector["payload"]
    assert state_seal.seal(key, state, version).decode() == vector["seal"]
    raw = bytes.fromhex(vector["commit"])
    assert state_seal.commit_object(state, vector["seal"].encode()) == raw
    if version == state_seal.FORMAT:
        assert state_seal.make_commit(key, state) == raw
    assert hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest() == vector["commit_id"]
    opened = state_seal.open_commit(key, raw)
    assert opened is not None and opened.state == state and opened.key_id == key.key_id


@pytest.mark.parametrize("vector", STATE["invalid"], ids=_ids(STATE["invalid"]))
def test_state_invalid_fails(vector: dict[str, Any]) -> None:
    key = Key(bytes.fromhex(vector["key"]))
    raw = bytes.fromhex(vector["commit"])
    if vector["error"] == "Unsealed":
        assert state_seal.open_commit(key, raw) is None
        return
    with pytest.raises(getattr(errors, vector["error"])):
        state_seal.open_commit(key, raw)


@pytest.mark.parametrize("vector", STATE["chains"], ids=_ids(STATE["chains"]))
def test_state_counter_rule(vector: dict[str, Any]) -> None:
    assert state_seal.next_counter(vector["counters"]) == vector["counter"]


def test_state_vectors_cover_the_required_cases() -> None:
    names = {v["name"] for v in STATE["invalid"]}
    required = {"plain_git", "other_tree", "other_parent", "wrong_key", "seal_changed"}
    assert required | {f"v2_{name}" for name in required - {"plain_git"}} <= names
    assert {v["state"]["v"] for v in STATE["valid"]} == set(state_seal.READS)
    assert STATE["path"] == state_seal.STATE_PATH.hex()
    assert {c["name"] for c in STATE["chains"]} >= {"root", "merge", "after_unsealed"}


def test_generator_does_not_import_the_implementation() -> None:
    tree = ast.parse(GENERATOR.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported
    assert "git_claude_sync" not in imported
    assert "filters" not in imported
    allowed = {"__future__", "cryptography", "zstandard", *sys.stdlib_module_names}
    assert imported <= allowed, imported - allowed


def test_generator_reproduces_the_committed_vectors(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (VECTOR_DIR / name).read_bytes(), name
    assert sorted(p.name for p in VECTOR_DIR.glob("*.json")) == sorted(FILES)
