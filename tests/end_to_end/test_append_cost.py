"""What an append costs on the wire: the new lines' ciphertext, not a re-sealed 64 KiB tail.

Blob format 2 (docs/spec/blob.md, "Appending") keeps every stored chunk of a session and
replaces only its 33-byte finaliser, and the sync repo's ``pack.window`` keeps git's delta
against the previous version.  Measured by a ``receive-pack`` that counts what it receives.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.machines import Machine, count_received

SESSION = "projects/-home-u-src-app/3f0c2a8e-1b7d-4e55-9a61-0c8f2d4b7e19.jsonl"


def _lines(rng: random.Random, count: int) -> bytes:
    words = ["read", "the", "file", "parser", "sync", "chunk", "index", "test", "blob", "git"]
    out = []
    for n in range(count):
        text = " ".join(rng.choice(words) for _ in range(300))
        out.append(json.dumps({"type": "assistant", "n": n, "text": text}).encode() + b"\n")
    return b"".join(out)


def test_a_pushed_append_sends_about_the_new_line(machine_a: Machine, tmp_path: Path) -> None:
    rng = random.Random(14)
    session = machine_a.write(SESSION, _lines(rng, 400))  # ~1 MB: 15 chunks
    machine_a.run("init")
    machine_a.run("push")
    capture = count_received(machine_a, tmp_path)
    sent = []
    for _ in range(3):
        line = _lines(rng, 1)  # ~2 KB, compresses to ~0.6 KB
        with session.open("ab") as f:
            f.write(line)
        capture.write_bytes(b"")
        assert "Pushed" in machine_a.run("push").stdout
        sent.append(capture.stat().st_size)
    # Format 1 re-sealed the 64 KiB tail: ~20 KiB of fresh ciphertext per append here.
    assert max(sent) < 4096, sent


def test_an_append_to_a_session_over_the_streaming_size_sends_about_the_new_line(
    machine_a: Machine, tmp_path: Path
) -> None:
    # Its stored blob (over git.STREAM_ABOVE, 8 MiB) reaches the clean filter as a stream
    # from git cat-file, not whole (issue 9): its chunks must still be kept, and unchanged
    # it must still be stored as it is.
    rng = random.Random(9)
    lines = [
        json.dumps({"type": "assistant", "n": n, "text": rng.randbytes(6000).hex()}).encode()
        for n in range(900)
    ]
    session = machine_a.write(SESSION, b"\n".join(lines) + b"\n")  # ~11 MB, ~9.5 MB sealed
    machine_a.run("init")
    machine_a.run("push")
    capture = count_received(machine_a, tmp_path)
    with session.open("ab") as f:
        f.write(_lines(rng, 1))
    assert "Pushed" in machine_a.run("push").stdout
    assert capture.stat().st_size < 4096
    status = machine_a.run("status").stdout
    assert "modified" not in status.lower(), status


def test_an_append_in_a_folder_of_many_sessions_sends_about_the_new_line(
    machine_a: Machine, tmp_path: Path
) -> None:
    """The folder's tree (~70 bytes a session: 21 KB here) goes as a delta of the one the
    remote holds, as plain git sends it; whole, it was most of what an append sent."""
    rng = random.Random(7)
    for n in range(300):
        machine_a.write(f"projects/-home-u-src-app/{n:08d}-aaaa.jsonl", _lines(rng, 1))
    session = machine_a.write(SESSION, _lines(rng, 50))
    machine_a.run("init")
    machine_a.run("push")
    capture = count_received(machine_a, tmp_path)
    sent = []
    for _ in range(2):
        with session.open("ab") as f:
            f.write(_lines(rng, 1))  # ~2 KB, compresses to ~0.6 KB
        capture.write_bytes(b"")
        machine_a.run("push")
        sent.append(capture.stat().st_size)
    assert max(sent) < 2048, sent
