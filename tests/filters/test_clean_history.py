"""history.jsonl through the clean step: its complete lines made canonical, part by part."""

from __future__ import annotations

import io

from git_claude_sync.filters import clean

from git_claude_sync.claude.history_paths import to_canonical
from git_claude_sync.claude.project_folders import Mapping
from git_claude_sync.crypto import codec

RAW = bytes(range(32))
MAC = Mapping(home="/Users/alice")


def _stored(content: list[bytes], previous: bytes | None) -> bytes:
    out = io.BytesIO()
    kept = clean.clean_into(codec.Key(RAW), b"history.jsonl", content, previous, out, MAC)
    return previous if kept is not None and previous is not None else out.getvalue()


def test_history_in_packets_stores_its_complete_lines_canonical() -> None:
    key = codec.Key(RAW)
    line = b'{"display":"x","project":"/Users/alice/code/api","timestamp":1}\n'
    lines = line * 3000
    torn = b'{"display":"y","project":"/Users/al'
    whole = lines + torn
    packets = [whole[i : i + 65516] for i in range(0, len(whole), 65516)]  # cut mid-line
    assert len(packets) > 2
    stored = _stored(packets, None)
    assert key.decrypt(b"history.jsonl", stored) == to_canonical(lines, MAC)
    assert b"/Users/alice" not in key.decrypt(b"history.jsonl", stored)
    assert stored == key.encrypt(b"history.jsonl", to_canonical(lines, MAC))  # as if whole
    assert _stored([lines], stored) == stored  # the torn line alone: nothing new to store
    more = lines + line * 2000  # past a chunk: appended onto the stored blob's chunks
    appended = _stored([more[:70000], more[70000:] + torn], stored)
    assert appended == b"".join(key.seal_onto(b"history.jsonl", [to_canonical(more, MAC)], stored))
    assert appended.startswith(stored[: -codec.FINALISER_LEN])
    assert _stored([], None) == key.encrypt(b"history.jsonl", b"")
