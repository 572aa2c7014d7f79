"""``key rotate --rewrite-history`` on a bare git remote: the whole history under the new
key, the remote's replaced safely, the other machine following with one command
(docs/spec/rotation.md, "Rewriting history")."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import CodecError
from tests.machines import Machine, git_plain
from tests.remote.injection import KILL_BEFORE_SWITCH, KILL_MID_REWRITE, injecting


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
    return {oid: git_plain("--git-dir", str(repo), "cat-file", "blob", oid) for oid in sorted(oids)}


def push_versions(machine: Machine, count: int) -> None:
    """``count`` pushes, each adding a line to one session: a history of several commits."""
    for n in range(1, count + 1):
        lines = b"".join(b'{"uuid":"%d"}\n' % i for i in range(1, n + 1))
        machine.write("projects/-p/s.jsonl", lines)
        machine.run("push")


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
    push_versions(a, 3)
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


def start(machine: Machine, *args: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["git", "claude-sync", *args],
        env=machine.env(**extra),
        cwd=machine.home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(gate: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not list(gate.glob("waiting.*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the rewrite never reached its pause"
        time.sleep(0.05)


def other_machine_follows(a: Machine, b: Machine, new: Key) -> None:
    """After A rewrote history under ``new``: B is told in one line, follows with key use,
    and its next change reaches A; both hold the same session."""
    proc = b.run("pull", check=False)
    assert proc.returncode != 0 and f"the remote moved to key {new.fingerprint}" in proc.stderr
    b.write("commands/b2.md", b"b again\n")
    b.run("key", "use", str(a.key_file))
    b.run("push")
    a.run("pull")
    assert (a.claude / "commands/b2.md").read_bytes() == b"b again\n"
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == (
        a.claude / "projects/-p/s.jsonl"
    ).read_bytes()


def rewrite_raced_by_a_push(a: Machine, b: Machine, gate: Path, pause: dict[str, str]) -> None:
    """A runs ``key rotate --rewrite-history``, pausing at ``gate`` (``pause``: the
    ``injecting`` environment naming it) while B pushes ``commands/b.md`` under the old
    key; A's rotation succeeds."""
    rotating = start(a, "key", "rotate", "--rewrite-history", **pause)
    wait_for(gate, rotating)
    b.write("commands/b.md", b"from b, during the rewrite\n")
    b.run("push")
    (gate / "go").touch()
    out, err = rotating.communicate(timeout=300)
    assert rotating.returncode == 0, out + err


def test_a_push_during_the_rewrite_is_not_lost(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    b.run("pull")
    old = keyfile.load(a.key_file)
    # History copied, not sent yet: B pushes under the old key meanwhile.
    gate = tmp_path / "gate"
    gate.mkdir()
    rewrite_raced_by_a_push(a, b, gate, injecting(pause_rewrite=gate))
    # The lease failed, A merged B's commit and copied it too.
    assert (a.claude / "commands/b.md").read_bytes() == b"from b, during the rewrite\n"
    assert opened_by(old, reachable_blobs(a.default_remote)) == []
    b.run("key", "use", str(a.key_file))
    assert (b.claude / "commands/b.md").read_bytes() == b"from b, during the rewrite\n"
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n'
    assert "Nothing to push" in b.run("push").stdout


def test_a_rewrite_killed_while_copying_leaves_everything_as_it_was(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    push_versions(a, 3)
    before = git_plain("--git-dir", str(a.default_remote), "rev-parse", "main")
    old = keyfile.load(a.key_file)
    proc = a.run(
        "key", "rotate", "--rewrite-history", check=False, **injecting(fault=KILL_MID_REWRITE)
    )
    assert proc.returncode in (-9, 137)  # killed (git reports 128 + 9)
    # Remote and local untouched: same tip, same key, syncing goes on.
    assert git_plain("--git-dir", str(a.default_remote), "rev-parse", "main") == before
    assert keyfile.load(a.key_file).key_id == old.key_id
    b.run("pull")
    a.run("pull")
    # Run again: it completes.
    a.run("key", "rotate", "--rewrite-history")
    assert opened_by(old, reachable_blobs(a.default_remote)) == []
    b.run("key", "use", str(a.key_file))
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == (
        a.claude / "projects/-p/s.jsonl"
    ).read_bytes()


def test_a_rewrite_killed_after_its_push_finishes_when_run_again(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    old = keyfile.load(a.key_file)
    proc = a.run(
        "key", "rotate", "--rewrite-history", check=False, **injecting(fault=KILL_BEFORE_SWITCH)
    )
    assert proc.returncode in (-9, 137)  # killed (git reports 128 + 9)
    # The remote holds the new history; this machine still has the old key and the new
    # one in key.next.  Its next sync says what to do; a re-run finishes the rotation.
    assert opened_by(old, reachable_blobs(a.default_remote)) == []
    proc = a.run("pull", check=False)
    assert proc.returncode != 0 and "key use" in proc.stderr and "key.next" in proc.stderr
    a.write("commands/a.md", b"made while half-rotated\n")
    out = a.run("key", "rotate", "--rewrite-history").stdout
    assert "finishing it" in out
    new = keyfile.load(a.key_file)
    assert new.key_id != old.key_id
    assert opened_by(old, reachable_blobs(a.default_remote)) == []
    a.run("push")
    b.run("key", "use", str(a.key_file))
    assert (b.claude / "commands/a.md").read_bytes() == b"made while half-rotated\n"
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n'


def test_two_rewrites_in_a_row_keep_authors_dates_and_one_origin_line(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    fields = "%an%x00%ad%x00%s"
    before = a.git("log", f"--format={fields}", "main").stdout.splitlines()
    keys = [keyfile.load(a.key_file)]
    a.run("key", "rotate", "--rewrite-history")
    keys.append(keyfile.load(a.key_file))
    b.run("key", "use", str(a.key_file))
    a.run("key", "rotate", "--rewrite-history")
    b.run("key", "use", str(a.key_file))
    after = a.git("log", f"--format={fields}", "main").stdout.splitlines()
    # Two rotation commits on top; every older commit keeps author, date and subject (a
    # sealed commit's subject, the one free line its seal carries, ends with its origin).
    assert [re.sub(rb" Rewritten-from: [0-9a-f]+$", b"", line) for line in after[2:]] == before
    for body in a.git("log", "--format=%B%x00", "main~2").stdout.split(b"\0"):
        if body.strip():
            assert body.count(b"Rewritten-from: ") == 1, body
    # B followed both: it shares A's history; neither earlier key opens anything served.
    assert b.git("rev-parse", "main").stdout == a.git("rev-parse", "main").stdout
    served = reachable_blobs(a.default_remote)
    assert [opened_by(key, served) for key in keys] == [[], []]
    assert opened_by(keyfile.load(a.key_file), served)
