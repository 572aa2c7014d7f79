"""The local remote init made keeps what is pushed to it as packs (issue 9: memory).

Unpacked into loose objects (git's default for a push of fewer than 100 objects), an
appended session's delta was resolved into a whole new version, so every pull of it made
the remote's upload-pack search for that delta again (~5x the blob, beside this machine's
own processes).  Kept as a pack, the delta is sent as it came.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from git_claude_sync.engine.sync_repo import LOCAL_REMOTE_SETTINGS
from tests.machines import Machine, git_plain


def loose_objects(git_dir: Path) -> list[Path]:
    return [p for p in (git_dir / "objects").glob("??/*") if p.is_file()]


def test_a_push_lands_in_the_local_remote_as_a_pack(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    remote = a.default_remote
    before = set((remote / "objects" / "pack").glob("*.pack"))
    a.write("projects/-home-u-app/s.jsonl", b'{"uuid":"1","type":"user"}\n')
    a.run("push")
    assert len(set((remote / "objects" / "pack").glob("*.pack")) - before) == 1
    assert loose_objects(remote) == []
    b.run("pull")  # read back from the kept pack
    assert (b.claude / "projects/-home-u-app/s.jsonl").read_bytes() == (
        b'{"uuid":"1","type":"user"}\n'
    )


def config(git_dir: Path, name: str) -> str:
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", "config", name], capture_output=True, text=True
    )
    return proc.stdout.strip()


# What the local remote holds beside git.BARE_SETTINGS: small pack windows, so its
# upload-pack maps a few MiB of a large file's pack, not all of it (a 157 MB file's pull:
# 60 MB together instead of 206).
SETTINGS = {"receive.unpackLimit": "1", **LOCAL_REMOTE_SETTINGS}


def test_the_local_remote_has_its_settings_and_the_sync_repo_only_ours(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    assert {name: config(a.default_remote, name) for name in SETTINGS} == SETTINGS
    repo = a.tool_home / "repo.git"
    assert config(repo, "receive.unpackLimit") == "1"
    assert config(repo, "core.packedGitWindowSize") == ""  # git's default: many small reads


def test_a_local_remote_made_before_gets_them_once_opened(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    for name in SETTINGS:
        git_plain("--git-dir", str(a.default_remote), "config", "--unset", name)
    git_plain(
        "--git-dir", str(a.tool_home / "repo.git"), "config", "--unset", "receive.unpackLimit"
    )
    a.run("status")
    assert {name: config(a.default_remote, name) for name in SETTINGS} == SETTINGS
