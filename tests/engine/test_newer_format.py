"""A blob holding a chunk encoding from a newer git-claude-sync: the pull names the upgrade.

Such a chunk authenticates (a key holder sealed it), so it is not tampering: the one line
says to upgrade git-claude-sync, and nothing is written (docs/spec/blob.md, "Decryption").
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from git_claude_sync.crypto import keyfile
from tests.crypto.test_codec import _seal_payloads
from tests.machines import Machine, git_plain, sealed_commit


def test_a_newer_formats_chunk_asks_for_an_upgrade_and_changes_nothing(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    rel = "projects/-home-u-p/s.jsonl"
    line = b'{"type":"user","message":{"role":"user","content":"hi"}}\n'
    a.write(rel, line)
    a.run("push")
    b.run("pull")
    before = b.files()

    # What a newer version would store after an append: the line, then a chunk in encoding 3.
    raw_key = keyfile.decode(a.key_file.read_text(), a.key_file)
    blob = _seal_payloads(raw_key, rel.encode(), [b"\x00" + line, b"\x03future", b"\x00"])
    remote = str(a.default_remote)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_INDEX_FILE"] = str(tmp_path / "index")

    def plain(*args: str, data: bytes | None = None) -> str:  # on the remote, its own index
        proc = subprocess.run(
            ["git", "--git-dir", remote, *args], input=data, capture_output=True, env=env,
            check=True,
        )  # fmt: skip
        return proc.stdout.decode().strip()

    tip = plain("rev-parse", "main")
    oid = plain("hash-object", "-w", "--stdin", data=blob)
    plain("read-tree", tip)
    plain("update-index", "--cacheinfo", f"100644,{oid},{rel}")
    commit = sealed_commit(a.default_remote, a.key_file, plain("write-tree"), tip, "1 changed")
    git_plain("--git-dir", remote, "update-ref", "refs/heads/main", commit)

    proc = b.run("pull", check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "chunk encoding 3 comes from a newer git-claude-sync" in lines[0]
    assert "upgrade git-claude-sync on this machine" in lines[0]
    assert "tamper" not in lines[0].lower() and "Traceback" not in proc.stderr
    assert b.files() == before
