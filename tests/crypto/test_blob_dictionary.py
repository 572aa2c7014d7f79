"""D1, the zstd dictionary of blob encoding 2: the bytes the spec pins, ship and use.

docs/spec/blob.md pins D1 by its SHA-256 and ships it as docs/spec/blob-dictionary-1.bin; the
package must load exactly those bytes, and they must hold the structure of Claude Code's
JSON lines only, never any transcript's text, id, path or count.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

from git_claude_sync.crypto import blob_dictionary
from git_claude_sync.crypto.codec import Key

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "docs" / "spec" / "blob-dictionary-1.bin"
MAKER = ROOT / "docs" / "vectors" / "make_blob_dictionary.py"
CORPUS = ROOT.parent / "shared" / "corpus"
KEY = Key(bytes(range(32)))

# What make_blob_dictionary.py keeps (read from its text: the docs never import each other).
_MAKER_TEXT = MAKER.read_text(encoding="utf-8")
STRUCTURAL = set(re.findall(r'^        "(\w+)",$', _MAKER_TEXT, re.M))
ENUM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}\Z")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")


def test_the_package_ships_the_bytes_the_spec_pins() -> None:
    spec = (ROOT / "docs" / "spec" / "blob.md").read_text(encoding="utf-8")
    data = SPEC_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == blob_dictionary.SHA256
    assert f"`{digest}`" in spec
    assert f"D1 is {len(data)} bytes" in spec
    assert f'D1_SHA256 = "{digest}"' in (ROOT / "docs" / "vectors" / "make_vectors.py").read_text()
    assert blob_dictionary.FILE.read_bytes() == data
    assert blob_dictionary.d1().as_bytes() == data


def _skeleton_only(value: object, key: str | None) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert IDENTIFIER.match(k), k
            _skeleton_only(v, k)
    elif isinstance(value, list):
        assert len(value) <= 2
        for v in value:
            _skeleton_only(v, key)
    elif isinstance(value, str):
        assert value == "" or (key in STRUCTURAL and ENUM.match(value)), (key, value)
    elif not (isinstance(value, bool) or value is None):
        assert value == 0, (key, value)


def test_d1_holds_structure_only() -> None:
    """Every line is a JSON object whose numbers are 0 and whose strings are empty, or an
    enum value (``"assistant"``, ``"tool_use"``, a model name) of one of Claude Code's own
    keys: no text, id, path, cwd, branch or time of any transcript."""
    assert {"type", "role", "userType", "stop_reason"} <= STRUCTURAL
    assert not STRUCTURAL & {"cwd", "gitBranch", "slug", "text", "content", "uuid", "sessionId"}
    lines = SPEC_FILE.read_bytes().split(b"\n")
    assert lines.pop() == b""  # one a line, each ended
    for line in lines:
        obj = json.loads(line)
        assert isinstance(obj, dict)
        _skeleton_only(obj, None)
        assert json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() == line


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus D1 was made from is not here")
def test_the_script_makes_d1_again(tmp_path: Path) -> None:
    out = tmp_path / "d1.bin"
    subprocess.run([sys.executable, str(MAKER), str(CORPUS), str(out)], check=True,
                   capture_output=True)  # fmt: skip
    assert out.read_bytes() == SPEC_FILE.read_bytes()


LINE = (
    b'{"parentUuid":"00000000-0000-4000-8000-000000000001","isSidechain":false,'
    b'"userType":"external","cwd":"/home/a/p","sessionId":"s","version":"2.1.114",'
    b'"message":{"id":"msg_x","type":"message","role":"assistant","model":"claude-opus-4-7",'
    b'"content":[{"type":"text","text":"Done."}],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":4,"cache_creation_input_tokens":10,"cache_read_input_tokens":99,'
    b'"output_tokens":7,"service_tier":"standard"}},"requestId":"req_x","type":"assistant",'
    b'"uuid":"00000000-0000-4000-8000-000000000002","timestamp":"2026-01-01T00:00:00.000Z"}\n'
)


def test_an_appended_line_costs_a_third_less() -> None:
    """A short piece is encoding 2: an appended transcript line's chunk is well under what
    its frame alone would be without D1 (which chunks of 65536 bytes keep: the vectors'
    multi_chunk pins both)."""
    blob = KEY.encrypt(b"p", LINE)
    ((piece, record), _finaliser) = list(KEY.open(b"p", io.BytesIO(blob).read))
    assert piece == LINE
    alone = zstandard.ZstdCompressor(level=3, write_checksum=False).compress(LINE)
    framing = 4 + 12 + 1 + 16  # length, nonce, encoding byte, tag
    assert len(record) - framing < len(alone) * 2 // 3
