"""The local remote init made keeps what is pushed to it as packs (issue 9: memory).

Unpacked into loose objects (git's default for a push of fewer than 100 objects), an
appended session's delta was resolved into a whole new version, so every pull of it made
the remote's upload-pack search for that delta again (~5x the blob, beside this machine's
own processes).  Kept as a pack, the delta is sent as it came.
"""

from __future__ import annotations

from pathlib import Path

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


def test_a_local_remote_made_before_keeps_packs_once_opened(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    for git_dir in (a.default_remote, a.tool_home / "repo.git"):
        git_plain("--git-dir", str(git_dir), "config", "--unset", "receive.unpackLimit")
    a.run("status")
    value = git_plain("--git-dir", str(a.default_remote), "config", "receive.unpackLimit")
    assert value.strip() == b"1"
