"""The remote helper's logic with plain git, over a local directory (``claude-sync::file://``).

The real providers are exercised in test_remote_s3.py and test_remote_gcs.py;
here are the cases that need no server: URL building, the conditional-write
probe, the consolidation plan, incremental fetch, rejections and tampering.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from git_claude_sync.commands.init import _remote_url
from git_claude_sync.crypto import keyfile
from git_claude_sync.errors import FatalError
from git_claude_sync.machine.paths import current
from git_claude_sync.remote import urls
from git_claude_sync.remote.store import (
    ConditionalWritesUnsupported,
    LocalStore,
    check_conditional_writes,
)
from git_claude_sync.remote.transfer import MANIFEST_NAME, Remote, consolidation_start
from tests.machines import BIN_DIR

# -- URLs ---------------------------------------------------------------------------


def test_init_options_map_to_helper_urls() -> None:
    assert urls.build(s3="s3://bkt/some/prefix/") == "claude-sync::s3://bkt/some/prefix"
    assert (
        urls.build(s3="s3://bkt", endpoint="http://127.0.0.1:9000", region="eu-west-3")
        == "claude-sync::s3://bkt?endpoint=http://127.0.0.1:9000&region=eu-west-3"
    )
    assert (
        urls.build(r2="bkt/claude", account_id="abc123")
        == "claude-sync::s3://bkt/claude?endpoint=https://abc123.r2.cloudflarestorage.com"
        "&region=auto"
    )
    assert urls.build(gcs="gs://bkt/x") == "claude-sync::gs://bkt/x"
    where = urls.parse("claude-sync::s3://bkt/a/b?endpoint=http://h:1/&region=r")
    assert (where.bucket, where.prefix) == ("bkt", "a/b")
    assert (where.endpoint, where.region) == ("http://h:1", "r")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"s3": "s3://a", "gcs": "gs://b"}, "one of"),
        ({"r2": "bkt"}, "--account-id"),
        ({"gcs": "gs://bkt", "endpoint": "http://x"}, "go with --s3"),
        ({"s3": "gs://bkt"}, "s3://BUCKET"),
        ({"s3": "s3://a b"}, "not a valid bucket"),
        ({"s3": "s3://bkt", "endpoint": "ftp://x"}, "http"),
    ],
)
def test_bad_init_options_are_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(FatalError, match=message):
        urls.build(**options)


def test_init_keeps_helper_urls_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for url in ("claude-sync::s3://bkt/p?endpoint=http://127.0.0.1:1", "claude-sync::gs://bkt"):
        assert _remote_url(current(), url) == url


# -- the probe and the plan ------------------------------------------------------------


class _Careless(LocalStore):
    """A provider that accepts every conditional write."""

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        self._write(name, data)
        return "v"


def test_a_provider_ignoring_preconditions_is_detected(tmp_path: Path) -> None:
    with pytest.raises(ConditionalWritesUnsupported, match="does not enforce conditional writes"):
        check_conditional_writes(_Careless(tmp_path))
    assert list(tmp_path.iterdir()) == []  # the probe is removed
    check_conditional_writes(LocalStore(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]


def test_consolidation_merges_recent_small_packs_first() -> None:
    assert consolidation_start([100, 1, 1], 8) is None
    assert consolidation_start([5_000_000] + [2_000] * 9, 8) == 1  # the history pack stays
    assert consolidation_start([10, 9, 8], 2) == 0  # comparable sizes: one full pack
    steep = [4**k for k in range(20, 0, -1)]  # each pack outweighs twice all later ones
    assert consolidation_start(steep, 8) == 7  # still at most 8 packs afterwards


# -- plain git over a directory ------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "key"
    keyfile.generate(key)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
    base.update(
        HOME=str(tmp_path),
        PATH=BIN_DIR + os.pathsep + base.get("PATH", ""),
        CLAUDE_SYNC_KEY_FILE=str(key),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t",
    )
    return base


def git(
    env: dict[str, str], cwd: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
    return proc


def commit(env: dict[str, str], repo: Path, name: str, data: str) -> None:
    (repo / name).write_text(data)
    git(env, repo, "add", name)
    git(env, repo, "commit", "-q", "-m", f"add {name}")


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    path = tmp_path / "bucket"
    path.mkdir()
    return path


def _repo(env: dict[str, str], path: Path, bucket: Path) -> Path:
    git(env, path.parent, "init", "-q", "-b", "main", str(path))
    git(env, path, "remote", "add", "origin", f"claude-sync::file://{bucket}")
    return path


def test_fetch_downloads_only_what_is_missing(
    tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    a = _repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    b = tmp_path / "b"
    git(env, tmp_path, "clone", "-q", f"claude-sync::file://{bucket}", str(b))
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
    a = _repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    b = tmp_path / "b"
    git(env, tmp_path, "clone", "-q", f"claude-sync::file://{bucket}", str(b))
    commit(env, a, "from-a.txt", "a\n")
    git(env, a, "push", "-q", "origin", "main")
    commit(env, b, "from-b.txt", "b\n")
    proc = git(env, b, "push", "--porcelain", "origin", "main", check=False)
    assert proc.returncode != 0 and "[rejected]" in proc.stdout, proc.stdout + proc.stderr
    git(env, b, "pull", "-q", "--no-rebase", "origin", "main")
    git(env, b, "push", "-q", "origin", "main")
    git(env, a, "pull", "-q", "origin", "main")
    assert (a / "from-b.txt").exists() and (a / "from-a.txt").exists()


def test_dry_run_and_branch_deletion(tmp_path: Path, env: dict[str, str], bucket: Path) -> None:
    a = _repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "--dry-run", "origin", "main")
    assert not (bucket / MANIFEST_NAME).exists()
    git(env, a, "push", "-q", "origin", "main", "main:side")
    listed = git(env, a, "ls-remote", "origin").stdout
    assert "refs/heads/side" in listed and "HEAD" in listed
    git(env, a, "push", "-q", "origin", ":side")
    assert "refs/heads/side" not in git(env, a, "ls-remote", "origin").stdout


def test_a_tampered_pack_is_refused(tmp_path: Path, env: dict[str, str], bucket: Path) -> None:
    a = _repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    (pack,) = {p for p in bucket.iterdir() if p.name not in (MANIFEST_NAME, ".lock")}
    data = bytearray(pack.read_bytes())
    data[-5] ^= 1
    pack.write_bytes(bytes(data))
    url = f"claude-sync::file://{bucket}"
    proc = git(env, tmp_path, "clone", "-q", url, str(tmp_path / "b"), check=False)
    assert proc.returncode != 0
    assert "git-claude-sync: " in proc.stderr and "authentication failed" in proc.stderr


def test_the_manifest_names_no_ref(tmp_path: Path, env: dict[str, str], bucket: Path) -> None:
    a = _repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main:refs/heads/very-secret-branch")
    raw = b"".join(p.read_bytes() for p in bucket.iterdir())
    assert b"very-secret-branch" not in raw and b"one.txt" not in raw
    key = keyfile.load(Path(env["CLAUDE_SYNC_KEY_FILE"]))
    manifest, _ = Remote(LocalStore(bucket), lambda: key).read_manifest()
    assert list(manifest.refs) == ["refs/heads/very-secret-branch"]
