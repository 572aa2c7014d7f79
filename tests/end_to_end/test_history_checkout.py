"""A history.jsonl git checks out (the smudge filter) has this machine's project paths."""

from __future__ import annotations

import json
from pathlib import Path

from tests.machines import Machine


def test_a_checked_out_history_of_many_chunks_is_the_file_that_was_pushed(
    tmp_path: Path,
) -> None:
    (tmp_path / "Users" / "alice").mkdir(parents=True)
    mac = Machine(tmp_path / "Users" / "alice")
    lines = b"".join(
        json.dumps(
            {"display": "x" * 60, "timestamp": 1000 + i, "project": f"{mac.home}/code/p{i % 7}"},
            separators=(",", ":"),
        ).encode()
        + b"\n"
        for i in range(3000)
    )  # ~0.4 MB: chunks, and lines across their ends
    mac.write("history.jsonl", lines)
    mac.run("init")
    mac.run("push")
    stored = mac.git("cat-file", "-p", "HEAD:history.jsonl").stdout
    assert str(mac.home).encode() not in stored  # stored canonical (and sealed)
    (mac.claude / "history.jsonl").unlink()
    mac.run("git", "checkout", "--", "history.jsonl")
    assert (mac.claude / "history.jsonl").read_bytes() == lines
