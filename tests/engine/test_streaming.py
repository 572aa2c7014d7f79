"""Large files go through the filter and the pull a chunk at a time (memory: bench/memory.py).

These check what streaming must not break: byte-exact round trips of files
larger than the filter's in-memory spool, torn last lines kept local, stable
ciphertext on re-clean, and a pull that refuses a tampered chunk deep inside a
file without writing anything or leaving temporary files and folders behind.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

from git_claude_sync.crypto.codec import CHUNK_SIZE
from tests.machines import Machine, git_plain, sealed_commit

BIG = 12 << 20  # beyond the filter process's 8 MiB in-memory spool


def session(size: int, who: str) -> bytes:
    lines, total, n = [], 0, 0
    while total < size:
        n += 1
        line = json.dumps({"uuid": f"{who}-{n}", "text": os.urandom(300).hex()}).encode() + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines)


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".claude-sync-tmp")]


def test_a_large_session_round_trips_and_its_torn_line_stays_home(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    rel = "projects/-home-u-big/s.jsonl"
    whole = session(BIG, "a")
    a.write(rel, whole + b'{"uuid": "torn')
    a.run("push")
    b.run("pull")
    assert (b.claude / rel).read_bytes() == whole
    assert "Nothing to push" in a.run("push").stdout  # the same ciphertext on a re-clean
    shown = a.run("git", "cat-file", "--filters", f"HEAD:{rel}")  # git's smudge, streamed
    assert shown.stdout.encode() == whole
    a.git("add", "--renormalize", ".")  # git's own clean of every file: still no change
    assert a.git("diff", "--cached", "--name-only").stdout == b""


def test_a_pull_refuses_a_tampered_chunk_deep_in_a_file_and_writes_nothing(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    rel = "projects/-home-u-new/s.jsonl"
    a.write(rel, session(BIG, "a"))
    a.write("CLAUDE.md", b"also new\n")
    a.run("push")
    remote = str(a.default_remote)
    entries = git_plain("--git-dir", remote, "ls-tree", "-r", "main").decode().splitlines()
    oid = next(line.split()[2] for line in entries if line.endswith(rel))
    blob = bytearray(git_plain("--git-dir", remote, "cat-file", "blob", oid))
    assert len(blob) > 40 * CHUNK_SIZE // 10  # several chunks, compressed
    blob[len(blob) * 3 // 4] ^= 1  # inside a chunk three quarters in
    bad = git_plain(
        "--git-dir", remote, "hash-object", "-w", "--stdin", input=bytes(blob)
    ).decode().strip()  # fmt: skip
    tip = git_plain("--git-dir", remote, "rev-parse", "main").decode().strip()

    def plain(*args: str) -> str:  # on the remote, with an index of its own
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env["GIT_INDEX_FILE"] = str(tmp_path / "index")
        return (
            subprocess.run(
                ["git", "--git-dir", remote, *args], capture_output=True, env=env, check=True
            )
            .stdout.decode()
            .strip()
        )

    plain("read-tree", tip)
    plain("update-index", "--cacheinfo", f"100644,{bad},{rel}")
    tree = plain("write-tree")
    # Sealed: the state is a key holder's, so the chunk's own tag must catch it.
    commit = sealed_commit(a.default_remote, a.key_file, tree, tip, "tampered")
    plain("update-ref", "refs/heads/main", commit)

    before = b.files()
    proc = b.run("pull", check=False)
    assert proc.returncode == 1 and "failed to decrypt" in proc.stderr, proc.stderr
    assert b.files() == before
    assert not (b.claude / "projects" / "-home-u-new").exists()
    assert temp_files(b.claude) == []


def test_a_large_file_changed_there_and_here_is_pulled_or_refused_a_chunk_at_a_time(
    pair: tuple[Machine, Machine],
) -> None:
    """Old and new versions past the in-memory limit (engine/incoming.py): the file here
    is compared with the old one piece by piece, then the new one written piece by piece."""
    a, b = pair
    rel = "agents/big.md"
    first = os.urandom(BIG // 2).hex().encode() + b"\n"
    a.write(rel, first)
    a.run("push")
    b.run("pull")
    second = first[: len(first) // 2] + b"changed there\n" + first[len(first) // 2 :]
    a.write(rel, second)
    a.run("push")
    b.run("pull")
    assert (b.claude / rel).read_bytes() == second
    assert temp_files(b.claude) == []
    # Changed here too, in its last byte: merged as text (a conflict), never overwritten.
    a.write(rel, second + b"there\n")
    a.run("push")
    b.write(rel, second[:-1] + b"!\n")
    b.run("pull", check=False)
    assert (b.claude / rel).read_bytes() == second[:-1] + b"!\n"


def test_a_large_session_appended_on_both_machines_is_merged_from_temporary_files(
    pair: tuple[Machine, Machine],
) -> None:
    """Every version of a session sealed past the in-memory limit waits in a temporary
    file while it is merged, and the merge is sealed into one (bench/memory.py: held whole,
    a 34 MB session that barely compresses took 147 MB to merge); every line arrives."""
    a, b = pair
    rel = "projects/-home-u-app/big.jsonl"
    start = b"".join(
        b'{"uuid":"s%d","image":"%s"}\n' % (n, base64.b64encode(os.urandom(6000)))
        for n in range(1500)
    )  # 12 MB: seals to ~9 MB, past incoming.SMALL
    a.write(rel, start)
    a.run("push")
    b.run("pull")
    a.write(rel, start + b'{"uuid":"from-a"}\n')
    b.write(rel, start + b'{"uuid":"from-b"}\n')
    a.run("push")
    b.run("push")  # merges the session: ours, theirs and their base all spooled
    a.run("pull")
    for machine in (a, b):
        data = (machine.claude / rel).read_bytes()
        assert data.startswith(start)
        assert sorted(data[len(start) :].splitlines()) == [
            b'{"uuid":"from-a"}',
            b'{"uuid":"from-b"}',
        ]
    assert temp_files(a.claude) == temp_files(b.claude) == []
