"""Packs in transit go through private temporary files (remote/spool.py; issue 9, memory):
each real backend stores and reads back a large object from and to a file, and a
fetched pack that fails authentication reaches no git and leaves no file behind."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from git_claude_sync.crypto.codec import FINALISER_LEN
from git_claude_sync.git import BIG_FILE_THRESHOLD, Limits
from git_claude_sync.remote.git_store import GitStore
from git_claude_sync.remote.spool import STALE_SECONDS
from git_claude_sync.remote.store import Store, new_name
from git_claude_sync.remote.transfer import MANIFEST_NAME
from tests.machines import git_plain
from tests.remote.plain_git import commit, git, new_repo

# Above the size over which git streams a blob (the git host's scratch repository).
LARGE = BIG_FILE_THRESHOLD + 4321


def _store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if kind == "git":
        host = tmp_path / "host.git"
        git_plain("init", "--bare", "-q", str(host))
        return GitStore(str(host), Limits())
    backend = request.getfixturevalue(f"{kind}_backend")
    return backend.store(request.getfixturevalue("monkeypatch"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["s3", "gcs", "git"])
def test_a_large_object_round_trips_through_files(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = _store(kind, request, tmp_path)
    data = os.urandom(LARGE)
    sent = tmp_path / "sent"
    sent.write_bytes(data)
    name = new_name()
    store.put_file(name, sent)
    store.put_if_match(new_name(), b"a manifest", None)  # a git host sends packs with it
    got = tmp_path / "got"
    version = store.get_file(name, got)
    assert version is not None and got.read_bytes() == data
    assert stat.S_IMODE(got.stat().st_mode) == 0o600
    whole = store.get(name)
    assert whole is not None and whole[1] == version
    assert store.get_file(new_name(), tmp_path / "none") is None


def _leftovers(repo: Path) -> list[Path]:
    """What the transfers left in the repository's spool (which they used)."""
    return list((repo / ".git" / "claude-sync" / "spool").iterdir())


@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_damaged_pack_reaches_no_git_and_leaves_no_file(
    damage: str, tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n" * 100_000)
    git(env, a, "push", "-q", "origin", "main")
    assert _leftovers(a) == []
    (pack,) = {p for p in bucket.iterdir() if p.name not in (MANIFEST_NAME, ".lock")}
    data = bytearray(pack.read_bytes())
    if damage == "flipped":
        data[len(data) // 2] ^= 1
    else:  # every data chunk intact, the finaliser gone: only the end proves it short
        del data[-FINALISER_LEN:]
    pack.write_bytes(bytes(data))
    b = new_repo(env, tmp_path / "b", bucket)
    killed = b / ".git" / "claude-sync" / "spool" / "run-killed"  # by an earlier run, long ago
    killed.mkdir(parents=True)
    (killed / "pack").write_bytes(b"PACK")
    os.utime(killed, (time.time() - 2 * STALE_SECONDS,) * 2)
    proc = git(env, b, "fetch", "origin", check=False)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "git-claude-sync: " in line]
    assert len(lines) == 1 and "a pack is" in lines[0], proc.stderr
    assert ("authentication failed" if damage == "flipped" else "truncated") in lines[0]
    assert _leftovers(b) == []  # its own files, and the killed run's
    assert not list((b / ".git" / "objects" / "pack").iterdir())  # index-pack never ran


def test_a_spool_that_cannot_be_written_is_one_line(
    tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    spool = a / ".git" / "claude-sync" / "spool"
    spool.parent.mkdir(parents=True)
    spool.write_bytes(b"")  # a file where the folder goes: refused as a full disk would be
    proc = git(env, a, "push", "origin", "main", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "git-claude-sync: cannot write a pack's temporary file in the sync repo" in proc.stderr
