"""remote/helper.py: git's remote-helper protocol, driven by plain git over a directory."""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.remote.transfer import MANIFEST_NAME
from tests.remote.plain_git import commit, git, new_repo


def test_dry_run_and_branch_deletion(tmp_path: Path, env: dict[str, str], bucket: Path) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "--dry-run", "origin", "main")
    assert not (bucket / MANIFEST_NAME).exists()
    git(env, a, "push", "-q", "origin", "main", "main:side")
    listed = git(env, a, "ls-remote", "origin").stdout
    assert "refs/heads/side" in listed and "HEAD" in listed
    git(env, a, "push", "-q", "origin", ":side")
    assert "refs/heads/side" not in git(env, a, "ls-remote", "origin").stdout


def test_a_lease_that_the_branch_does_not_exist(
    tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    """``--force-with-lease=REF:`` (git sends the all-zero id): taken while the bucket has no
    such branch, refused once it has one."""
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    lease = "--force-with-lease=refs/heads/main:"
    git(env, a, "push", "-q", lease, "origin", "main")
    assert "refs/heads/main" in git(env, a, "ls-remote", "origin").stdout
    commit(env, a, "two.txt", "two\n")
    refused = git(env, a, "push", "--porcelain", lease, "origin", "main", check=False)
    assert refused.returncode != 0 and "stale info" in refused.stdout + refused.stderr
