"""A bucket serving an older manifest, or none, is refused (remote/freshness.py).

Plain git drives the real remote helper over a directory as the bucket; the
machines' test drives the real CLI, with B's files, index and branch compared
before and after.
"""

from __future__ import annotations

import json
from pathlib import Path

from git_claude_sync.remote.transfer import MANIFEST_NAME
from tests.engine.test_sealed_state import _snapshot
from tests.machines import Machine
from tests.remote.injection import injecting
from tests.remote.plain_git import commit, git, new_repo, url


def test_an_older_or_deleted_manifest_is_refused(
    tmp_path: Path, env: dict[str, str], bucket: Path
) -> None:
    a = new_repo(env, tmp_path / "a", bucket)
    commit(env, a, "one.txt", "one\n")
    git(env, a, "push", "-q", "origin", "main")
    old = (bucket / MANIFEST_NAME).read_bytes()
    commit(env, a, "two.txt", "two\n")
    git(env, a, "push", "-q", "origin", "main")
    git(env, a, "fetch", "-q", "origin")
    record = tmp_path / ".claude-sync" / "seen-manifests.json"
    assert json.loads(record.read_text())[0]["serial"] == 2

    newest = (bucket / MANIFEST_NAME).read_bytes()
    (bucket / MANIFEST_NAME).write_bytes(old)
    proc = git(env, a, "fetch", "origin", check=False)
    assert proc.returncode != 0
    assert "older manifest (serial 1)" in proc.stderr and "--accept-rollback" in proc.stderr
    proc = git(env, a, "push", "origin", "main", check=False)
    assert proc.returncode != 0 and "older manifest" in proc.stderr

    (bucket / MANIFEST_NAME).unlink()
    proc = git(env, a, "fetch", "origin", check=False)
    assert proc.returncode != 0 and "the manifest is gone" in proc.stderr

    (bucket / MANIFEST_NAME).write_bytes(newest)
    git(env, a, "fetch", "-q", "origin")
    record.unlink()  # what --accept-rollback does
    (bucket / MANIFEST_NAME).write_bytes(old)
    git(env, a, "fetch", "-q", "origin")


def test_a_machine_refuses_an_older_bucket_state(tmp_path: Path, bucket: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = Machine(tmp_path / "a"), Machine(tmp_path / "b")
    files = injecting(file_urls=True)
    a.write("settings.json", b'{"model": "opus"}\n')
    a.run("init", "--git", url(bucket), **files)
    a.run("push", **files)
    b.run("init", "--git", url(bucket), "--key", str(a.key_file), **files)
    a.write("CLAUDE.md", b"one\n")
    a.run("push", **files)
    old = (bucket / MANIFEST_NAME).read_bytes()
    a.write("CLAUDE.md", b"two\n")
    a.run("push", **files)
    b.run("pull", **files)
    assert (b.claude / "CLAUDE.md").read_bytes() == b"two\n"

    before = _snapshot(b)
    (bucket / MANIFEST_NAME).write_bytes(old)
    proc = b.run("pull", check=False, **files)
    assert proc.returncode != 0 and "older manifest" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert _snapshot(b) == before
    (bucket / MANIFEST_NAME).unlink()
    proc = b.run("pull", check=False, **files)
    assert proc.returncode != 0 and "manifest is gone" in proc.stderr
    assert _snapshot(b) == before

    (bucket / MANIFEST_NAME).write_bytes(old)
    b.run("pull", "--accept-rollback", **files)
    assert (b.claude / "CLAUDE.md").read_bytes() == b"two\n"
