"""The parts of issue 10 held together on the hidden git-host layout (claude-sync::git+URL,
remote/git_store.py): key rotation, the name canary after a merge, and rollback -- real
machines, the real CLI, a bare repository on disk as the host."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.crypto.codec import Key
from git_claude_sync.remote.git_store import REF_PREFIX, ref_for
from git_claude_sync.remote.transfer import MANIFEST_NAME, open_pack
from tests.commands.test_rewrite_history import (
    opened_by,
    other_machine_follows,
    push_versions,
    reachable_blobs,
    rewrite_raced_by_a_push,
)
from tests.end_to_end.test_canary import revealing_names, two_homes_merged
from tests.engine.test_sealed_state import _snapshot
from tests.machines import Machine, git_plain
from tests.remote.injection import injecting
from tests.remote.test_git_host import (
    everything_the_host_holds,
    host_refs,
    joined_pair,
    machine,
    new_host,
)
from tests.remote.test_rotation import told_then_follows


def _pair(tmp_path: Path) -> tuple[Path, Machine, Machine]:
    files = {"settings.json": b'{"model": "opus"}\n', "projects/-p/s.jsonl": b'{"uuid":"1"}\n'}
    host, a, b = joined_pair(tmp_path, files)
    assert b.git("remote", "get-url", "origin").stdout.decode().strip() == (
        f"claude-sync::git+{host}"
    )
    return host, a, b


def _stored(host: Path) -> dict[str, bytes]:
    """Every object the host serves, by name: the file ``o`` of each ``refs/cs/`` commit."""
    return {
        ref[len(REF_PREFIX) :]: git_plain("--git-dir", str(host), "cat-file", "blob", f"{oid}:o")
        for ref, oid in host_refs(host).items()
        if ref.startswith(REF_PREFIX)
    }


def _key_ids(host: Path) -> set[bytes]:
    return {codec.parse_header(data).key_id for data in _stored(host).values()}


def _old_key_opens(host: Path, old: Key, new: Key, scratch: Path) -> list[str]:
    """The canary: every stored object, every blob git holds on the host (after it collected
    its garbage), and every blob inside every pack, tried with the old key."""
    git_plain("--git-dir", str(host), "reflog", "expire", "--expire=now", "--all")
    git_plain("--git-dir", str(host), "gc", "-q", "--prune=now")
    opened = opened_by(old, reachable_blobs(host, every_object=True))
    git_plain("init", "-q", "--bare", str(scratch))
    packs = [open_pack(new, n, d) for n, d in _stored(host).items() if n != MANIFEST_NAME]
    while packs:  # ref order is not pack order: a thin pack waits for its bases
        left = []
        for pack in packs:
            try:
                git_plain(
                    "--git-dir", str(scratch), "index-pack", "--stdin", "--fix-thin", input=pack
                )
            except subprocess.CalledProcessError:
                left.append(pack)
        assert len(left) < len(packs), "a pack whose bases no other pack holds"
        packs = left
    blobs = reachable_blobs(scratch, every_object=True)
    assert blobs
    return opened + opened_by(old, blobs)


def test_rotate_on_the_hidden_layout_and_the_other_machine_follows(tmp_path: Path) -> None:
    host, a, b = _pair(tmp_path)
    old = keyfile.load(a.key_file)
    a.run("key", "rotate")
    new = keyfile.load(a.key_file)
    assert new.key_id != old.key_id
    assert _key_ids(host) == {new.key_id}

    told_then_follows(a, b, new)
    assert _key_ids(host) == {new.key_id}
    # A third machine joins with the new key alone and reads everything.
    c = machine(tmp_path / "c")
    c.run("init", "--git", str(host), "--key", str(a.key_file))
    assert (c.claude / "commands/b.md").read_bytes() == b"from b\n"
    assert (c.claude / "settings.json").read_bytes() == b'{"model": "opus"}\n'


def test_rewrite_history_on_the_hidden_layout_raced_by_a_push(tmp_path: Path) -> None:
    host, a, b = _pair(tmp_path)
    push_versions(a, 3)
    b.run("pull")
    old = keyfile.load(a.key_file)
    # B pushes under the old key while A waits to swap the manifest: not lost.
    gate = tmp_path / "gate"
    gate.mkdir()
    rewrite_raced_by_a_push(a, b, gate, injecting(pause=gate))
    new = keyfile.load(a.key_file)
    assert (a.claude / "commands/b.md").read_bytes() == b"from b, during the rewrite\n"
    assert _key_ids(host) == {new.key_id}
    assert _old_key_opens(host, old, new, tmp_path / "scratch") == []

    other_machine_follows(a, b, new)
    c = machine(tmp_path / "c")
    c.run("init", "--git", str(host), "--key", str(a.key_file))
    assert (c.claude / "commands/b2.md").read_bytes() == b"b again\n"
    assert (c.claude / "projects/-p/s.jsonl").read_bytes() == (
        a.claude / "projects/-p/s.jsonl"
    ).read_bytes()
    assert _old_key_opens(host, old, new, tmp_path / "scratch2") == []


def test_the_hidden_host_holds_no_host_user_or_home_name_after_a_merge(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    two_homes_merged(a, b, ["--git", str(host)], ["--git", str(host), "--key", str(a.key_file)])
    assert [p.name for p in (a.claude / "projects").rglob("s*.jsonl")] != ["s1.jsonl"]
    assert b.git("rev-list", "--merges", "--count", "main").stdout.strip() != b"0"

    held = everything_the_host_holds(host)
    assert ref_for(MANIFEST_NAME).encode() in held  # the search does see ref names
    names = revealing_names((a, b))
    names |= {"src-demo", "s1.jsonl", "s2.jsonl", "settings.json", "CLAUDE.md"}
    for name in sorted(names):
        assert name.encode() not in held, f"the host holds {name!r}"


def _rolled_back_then_accepted_by_b(tmp_path: Path) -> tuple[Machine, Machine]:
    """The host puts back an older manifest (plain git on the bare repo): B's pull and
    push are refused, nothing changes; B overrides with ``pull --accept-rollback`` and
    pushes a change."""
    host, a, b = _pair(tmp_path)
    manifest = ref_for(MANIFEST_NAME)
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    older = host_refs(host)[manifest]
    a.write("CLAUDE.md", b"two\n")
    a.run("push")
    b.run("pull")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"two\n"

    before = _snapshot(b)
    git_plain("--git-dir", str(host), "update-ref", manifest, older)
    proc = b.run("pull", check=False)
    assert proc.returncode != 0, proc.stdout
    message = proc.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "older manifest" in message and "--accept-rollback" in message, message
    assert _snapshot(b) == before
    # A push with something to send reads the manifest too (one with nothing to send
    # never reaches the host: the launcher's fast path).
    b.write("agents/b.md", b"from b\n")
    proc = b.run("push", check=False)
    assert proc.returncode != 0 and "older manifest" in proc.stderr, proc.stdout

    b.run("pull", "--accept-rollback")
    # B keeps what it has (a rollback never deletes a newer local commit); syncing goes on.
    assert (b.claude / "CLAUDE.md").read_bytes() == b"two\n"
    b.run("push")
    return a, b


def test_an_older_manifest_put_back_on_the_hidden_host_is_refused(tmp_path: Path) -> None:
    a, _b = _rolled_back_then_accepted_by_b(tmp_path)
    # B's override kept the serial it had seen as a floor: its next manifest goes above
    # the one A saw (not the same serial with other bytes), so A, which saw no rollback,
    # follows without an override.
    a.run("pull")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"two\n"
    assert (a.claude / "agents/b.md").read_bytes() == b"from b\n"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAUDE_SYNC_KEY_FILE", raising=False)
