"""``key rotate --rewrite-history`` on a bare git remote: the whole history under the new
key, the remote's replaced safely, the other machine following with one command
(docs/spec/rotation.md, "Rewriting history")."""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import CodecError
from tests.machines import Machine, git_plain


def reachable_blobs(repo: Path, *, every_object: bool = False) -> dict[str, bytes]:
    """Blobs a clone of ``repo`` gets (or, ``every_object``, every blob it stores)."""
    if every_object:
        listing = git_plain(
            "--git-dir", str(repo), "cat-file", "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype)",
        ).decode()  # fmt: skip
        oids = [line.split()[0] for line in listing.splitlines() if line.endswith(" blob")]
    else:
        listing = git_plain("--git-dir", str(repo), "rev-list", "--objects", "--all").decode()
        oids = [line.split()[0] for line in listing.splitlines()]
        kinds = git_plain(
            "--git-dir", str(repo), "cat-file", "--batch-check=%(objectname) %(objecttype)",
            input="".join(o + "\n" for o in oids).encode(),
        ).decode()  # fmt: skip
        oids = [line.split()[0] for line in kinds.splitlines() if line.endswith(" blob")]
    return {
        oid: git_plain("--git-dir", str(repo), "cat-file", "blob", oid) for oid in sorted(oids)
    }


def opened_by(key: Key, blobs: dict[str, bytes]) -> list[str]:
    """The blobs ``key`` decrypts (whatever path they were sealed for: tried through the
    public codec with no path check)."""
    opened = []
    for oid, data in blobs.items():
        if not codec.looks_encrypted(data):
            continue
        try:
            key.decrypt(None, data)
        except CodecError:
            continue
        opened.append(oid)
    return opened


def test_rewrite_history_on_a_git_remote_and_the_other_machine_follows(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    for n in range(1, 4):
        a.write("projects/-p/s.jsonl", b"".join(b'{"uuid":"%d"}\n' % i for i in range(1, n + 1)))
        a.run("push")
    b.run("pull")
    old = keyfile.load(a.key_file)
    remote = a.default_remote
    assert opened_by(old, reachable_blobs(remote))
    # B has a change it has not pushed: it must survive the rewrite.
    b.write("commands/b.md", b"from b\n")
    b.run("git", "add", "-A")  # staged only, not committed: still local

    out = a.run("key", "rotate", "--rewrite-history").stdout
    new = keyfile.load(a.key_file)
    assert "Replaced the remote's history" in out
    # The canary: nothing a clone of the remote gets opens with the old key, every blob
    # opens with the new one; once the host collects its garbage, nothing at all.
    served = reachable_blobs(remote)
    assert served and opened_by(old, served) == []
    assert sorted(opened_by(new, served)) == sorted(
        o for o, d in served.items() if codec.looks_encrypted(d)
    )
    git_plain("--git-dir", str(remote), "gc", "--prune=now", "--quiet")
    assert opened_by(old, reachable_blobs(remote, every_object=True)) == []
    # Same number of commits, same messages (plus where each came from).
    log = git_plain("--git-dir", str(remote), "log", "--format=%s", "main").decode().splitlines()
    assert len(log) == 5 and "rotate key to" in log[0]
    # A's own history still reads (textconv with the new key now).
    text = a.run("git", "log", "-p", "--", "projects/-p/s.jsonl").stdout
    assert '+{"uuid":"1"}' in text and '+{"uuid":"3"}' in text

    # B, on the old key, is stopped with what to do, and nothing changes.
    proc = b.run("pull", check=False)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"the remote moved to key {new.fingerprint}" in proc.stderr
    assert "key use" in proc.stderr
    proc = b.run("push", check=False)
    assert proc.returncode != 0 and "key use" in proc.stderr

    a.write("projects/-p/s.jsonl", b"".join(b'{"uuid":"%d"}\n' % i for i in range(1, 5)))
    a.run("push")
    b.run("key", "use", str(a.key_file))
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == (
        a.claude / "projects/-p/s.jsonl"
    ).read_bytes()
    assert (b.claude / "commands/b.md").read_bytes() == b"from b\n"
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands/b.md").read_bytes() == b"from b\n"
    # B's history is the rewritten one now: one line of descent shared with A's.
    assert b.git("merge-base", "main", "origin/main").stdout.strip()
    served = reachable_blobs(remote)
    assert opened_by(old, served) == []
