"""remote/transfer.py: the consolidation plan, and with plain git over a directory,
incremental fetch, rejections, tampering and what the manifest shows.

The real providers are exercised in test_s3.py and test_gcs.py.
"""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.crypto import keyfile
from git_claude_sync.remote.transfer import MANIFEST_NAME, Remote, consolidation_start
from tests.remote.local_store import LocalStore
from tests.remote.plain_git import commit, git, new_repo, url


def test_consolidation_merges_recent_small_packs_first() -> None:
    assert consolidation_start([100, 1, 1], 8) is None
    assert consolidation_start([5_000_000] + [2_000] * 9, 8) == 1  # the history pack stays
    assert consolidation_start([10, 9, 8], 2) == 0  # comparable sizes: one full pack
    steep = [4**k for k in range(20, 0, -1)]  # each pack outweighs twice all later ones
    assert consolidation_start(steep, 8) == 7  # still at most 8 packs afterwards


def test_fetch_downloads_only_what_is_missing(
    tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    b = tmp_path / "b"
    git(env, tmp_path, "clone", "-q", url(bucket), str(b))
    first_packs = {p.name for p in bucket.iterdir()} - {MANIFEST_NAME, ".lock"}
    commit(env, a, "two.txt", "two\n")
    git(env, a, "push", "-q", "origin", "main")
    for name in first_packs:  # b has these objects: it must not need them again
        (bucket / name).unlink()
    git(env, b, "pull", "-q", "origin", "main")
    assert (b / "two.txt").read_text() == "two\n"


def test_a_stale_push_is_rejected_and_nothing_is_lost(
    tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    b = tmp_path / "b"
    git(env, tmp_path, "clone", "-q", url(bucket), str(b))
    commit(env, a, "from-a.txt", "a\n")
    git(env, a, "push", "-q", "origin", "main")
    commit(env, b, "from-b.txt", "b\n")
    proc = git(env, b, "push", "--porcelain", "origin", "main", check=False)
    assert proc.returncode != 0 and "[rejected]" in proc.stdout, proc.stdout + proc.stderr
    git(env, b, "pull", "-q", "--no-rebase", "origin", "main")
    git(env, b, "push", "-q", "origin", "main")
    git(env, a, "pull", "-q", "origin", "main")
    assert (a / "from-b.txt").exists() and (a / "from-a.txt").exists()


def test_a_tampered_pack_is_refused(tmp_path: Path, env: dict[str, str], bucket: Path) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    (pack,) = {p for p in bucket.iterdir() if p.name not in (MANIFEST_NAME, ".lock")}
    data = bytearray(pack.read_bytes())
    data[-5] ^= 1
    pack.write_bytes(bytes(data))
    proc = git(env, tmp_path, "clone", "-q", url(bucket), str(tmp_path / "b"), check=False)
    assert proc.returncode != 0
    assert "git-claude-sync: " in proc.stderr and "authentication failed" in proc.stderr


def test_the_manifest_names_no_ref(tmp_path: Path, env: dict[str, str], bucket: Path) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main:refs/heads/very-secret-branch")
    raw = b"".join(p.read_bytes() for p in bucket.iterdir())
    assert b"very-secret-branch" not in raw and b"one.txt" not in raw
    key = keyfile.load(Path(env["CLAUDE_SYNC_KEY_FILE"]))
    manifest, _ = Remote(LocalStore(bucket), lambda: key).read_manifest()
    assert list(manifest.refs) == ["refs/heads/very-secret-branch"]
