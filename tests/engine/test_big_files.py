"""Files above git's ``core.bigFileThreshold`` (git.BIG_FILE_THRESHOLD): stored whole,
never as deltas, and streamed by git, so that pushing and pulling one stays within its
size + 100 MB (issue 9; the figures are bench/memory.py's, not a timed test's).

Both repositories that run git's side of a transfer carry the setting: the sync repo
(pack-objects for a push, index-pack or unpack-objects for a fetch) and the local bare
remote init makes (receive-pack, upload-pack); repositories made before get it on open.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
from pathlib import Path

from git_claude_sync.git import BIG_FILE_THRESHOLD, HostRepo, Limits
from tests.machines import Machine, git_plain

SETTING = "core.bigfilethreshold"


def setting(git_dir: Path) -> str | None:
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", "config", "--get", SETTING], capture_output=True
    )
    return proc.stdout.decode().strip() or None


def test_the_sync_repo_and_the_local_remote_carry_the_threshold(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    assert setting(a.tool_home / "repo.git") == str(BIG_FILE_THRESHOLD)
    assert setting(b.tool_home / "repo.git") == str(BIG_FILE_THRESHOLD)
    assert setting(a.default_remote) == str(BIG_FILE_THRESHOLD)


def test_repositories_made_before_get_the_threshold_when_opened(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    for git_dir in (a.tool_home / "repo.git", a.default_remote):
        git_plain("--git-dir", str(git_dir), "config", "--unset", SETTING)
    a.run("status")
    assert setting(a.tool_home / "repo.git") == str(BIG_FILE_THRESHOLD)
    assert setting(a.default_remote) == str(BIG_FILE_THRESHOLD)


def test_a_remote_the_user_made_is_left_as_it_is(machine_a: Machine, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.git"
    git_plain("init", "--bare", "-q", str(theirs))
    machine_a.run("init", "--git", str(theirs))
    git_plain("--git-dir", str(machine_a.tool_home / "repo.git"), "config", "--unset", SETTING)
    machine_a.run("status")
    assert setting(machine_a.tool_home / "repo.git") == str(BIG_FILE_THRESHOLD)
    assert setting(theirs) is None


def test_the_scratch_repository_of_a_git_host_carries_the_threshold(tmp_path: Path) -> None:
    # The hidden layout wraps each sealed pack in a commit there and pushes it: its
    # pack-objects held a large pack twice (320 MB for a 157 MB file; 162 MB with it).
    host = tmp_path / "host.git"
    git_plain("init", "--bare", "-q", str(host))
    HostRepo(tmp_path / "scratch.git", str(host), Limits())
    assert setting(tmp_path / "scratch.git") == str(BIG_FILE_THRESHOLD)
    # Its blobs are sealed packs: never a delta, whatever their size (no window: no search).
    window = git_plain("--git-dir", str(tmp_path / "scratch.git"), "config", "pack.window")
    assert window.decode().strip() == "0"


def stored_whole(bare: Path, rel: str) -> None:
    """The branch's blob at ``rel`` is packed whole (not a delta) or loose."""
    oid = git_plain("--git-dir", str(bare), "rev-parse", f"main:{rel}").decode().strip()
    for index in (bare / "objects" / "pack").glob("*.idx"):
        for line in git_plain("verify-pack", "-v", str(index)).decode().splitlines():
            fields = line.split()
            if fields and fields[0] == oid:
                assert len(fields) < 7, f"{rel} stored as a delta: {line}"


def test_an_incompressible_file_above_the_threshold_round_trips(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    rel = "agents/big.bin"
    size = BIG_FILE_THRESHOLD + (1 << 20)
    a.write(rel, os.urandom(size))
    a.run("push")
    changed = bytearray((a.claude / rel).read_bytes())
    changed[size // 2 :] = os.urandom(size - size // 2)  # half the same, half new
    a.write(rel, bytes(changed))
    a.run("push")
    stored_whole(a.default_remote, rel)
    b.run("pull")
    assert (b.claude / rel).read_bytes() == bytes(changed)
    assert "Nothing to push" in b.run("push").stdout


def test_history_shows_a_session_above_the_threshold_as_text(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    rel = "projects/-home-u-big/s.jsonl"
    rng = random.Random(9)
    lines, total, n = [], 0, 0
    while total < BIG_FILE_THRESHOLD * 4 // 3 + (1 << 20):  # base64 seals to ~3/4 its size
        n += 1
        text = base64.b64encode(rng.randbytes(30_000)).decode()
        lines.append(json.dumps({"uuid": f"a-{n}", "text": text}).encode() + b"\n")
        total += len(lines[-1])
    session = a.write(rel, b"".join(lines))
    a.run("push")
    blob = a.git("rev-parse", f"HEAD:{rel}").stdout.decode().strip()
    assert int(a.git("cat-file", "-s", blob).stdout) > BIG_FILE_THRESHOLD
    with session.open("ab") as f:
        f.write(b'{"uuid": "appended-line", "text": "readable"}\n')
    a.run("push")
    shown = a.run("git", "log", "-p", "-1", "--", rel).stdout
    assert "Binary files" not in shown
    assert '+{"uuid": "appended-line", "text": "readable"}' in shown
