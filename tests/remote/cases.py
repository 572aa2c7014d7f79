"""The object storage scenarios, shared by test_s3.py and test_gcs.py.

Each drives the real CLI as two (or three) fake machines against a real server
on 127.0.0.1, then looks at the bucket from the outside.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import time
from pathlib import Path

import pytest

from git_claude_sync.crypto.codec import Key
from git_claude_sync.git import BIG_FILE_THRESHOLD
from git_claude_sync.remote.transfer import MANIFEST_NAME, Remote
from tests.machines import Machine
from tests.remote.backends import Backend
from tests.remote.injection import KILL_BEFORE_MANIFEST, KILL_MID_UPLOAD, injecting

CANARY = b"QUOKKA-CANARY-9137"
PROJECT = "-home-alice-acme-merger-2027"
SESSION = f"projects/{PROJECT}/5e1b7c2d-quarterly-plan.jsonl"
_TEXT = "the model reads a file and proposes a patch to the parser while tests run "
_TEXT += "assistant user tool result error retry commit branch merge review function"
_WORDS = _TEXT.split()


def session_bytes(size: int, seed: int = 1) -> bytes:
    """Whole JSONL lines (about ``size`` bytes) that compress like a real transcript."""
    rng = random.Random(seed)
    lines = []
    total = 0
    n = 0
    while total < size:
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(20, 120)))
        line = (
            f'{{"type":"assistant","uuid":"{rng.getrandbits(64):016x}","n":{n},'
            f'"message":{{"content":"{text}"}}}}\n'
        ).encode()
        lines.append(line)
        total += len(line)
        n += 1
    return b"".join(lines)


def _synced(files: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {p: d for p, d in files.items() if not p.startswith((b"local/", b".credentials"))}


def _manifest(backend: Backend, key_file: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from git_claude_sync.crypto import keyfile

    key: Key = keyfile.load(key_file)
    manifest, _version = Remote(backend.store(monkeypatch), lambda: key).read_manifest()
    return manifest


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0, proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("git-claude-sync: "), lines[0]
    return lines[0]


# -- scenarios -------------------------------------------------------------------------


def round_trip(backend: Backend, tmp_path: Path) -> None:
    a = backend.machine(tmp_path / "a")
    b = backend.machine(tmp_path / "b")
    a.write("settings.json", b'{"model": "opus"}\n')
    a.write("CLAUDE.md", b"# notes\n" + CANARY + b"\n")
    a.write(SESSION, session_bytes(300_000) + b'{"secret":"' + CANARY + b'"}\n')
    a.write("commands/deploy-to-prod.md", b"deploy " + CANARY)
    a.run("init", *backend.init_args())
    a.run("push")
    b.write("agents/reviewer.md", b"review carefully\n")
    b.run("init", *backend.init_args(), "--key", str(a.key_file))
    b.run("push")
    a.run("pull")
    assert _synced(a.files()) == _synced(b.files())
    assert (a.claude / "agents/reviewer.md").read_bytes() == b"review carefully\n"
    assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()

    # Plain git works on the same URL (clone, here), with the key from the environment.
    clone = tmp_path / "clone.git"
    env = a.env(CLAUDE_SYNC_KEY_FILE=str(a.key_file))
    subprocess.run(
        ["git", "clone", "-q", "--bare", backend.url, str(clone)],
        env=env,
        check=True,
        capture_output=True,
    )
    count = subprocess.run(
        ["git", "--git-dir", str(clone), "rev-list", "--count", "main"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    theirs = a.git("rev-list", "--count", "main").stdout.decode().strip()
    assert count == theirs

    # What the provider holds names and says nothing.
    objects = backend.objects()
    names = list(objects)
    assert all(re.fullmatch(rf"{backend.prefix}/[0-9a-f]{{32}}", n) for n in names), names
    everything = "\n".join(names).encode() + b"".join(objects.values())
    for word in (
        CANARY,
        PROJECT.encode(),
        b"quarterly-plan",
        b"settings.json",
        b"CLAUDE.md",
        b"deploy-to-prod",
        b"reviewer.md",
        b"projects/",
        b"refs/heads",
        b"opus",
    ):
        assert word not in everything, word


def incremental_push(backend: Backend, tmp_path: Path) -> int:
    """Bytes uploaded by a push after a 2 KB append to a 5 MB session."""
    a = backend.machine(tmp_path / "a")
    b = backend.machine(tmp_path / "b")
    a.write(SESSION, session_bytes(5 * 1024 * 1024))
    a.run("init", *backend.init_args())
    a.run("push")
    b.run("init", *backend.init_args(), "--key", str(a.key_file))
    before = backend.sizes()
    with open(a.claude / SESSION, "ab") as handle:
        handle.write(session_bytes(2048, seed=2))
    a.run("push")
    after = backend.sizes()
    manifest = f"{backend.prefix}/{MANIFEST_NAME}"
    uploaded = sum(size for name, size in after.items() if name not in before) + after[manifest]
    print(f"\n{backend.kind}: 2 KB append to a 5 MB session uploaded {uploaded} bytes")
    assert uploaded < 100_000, uploaded
    b.run("pull")
    assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()
    return uploaded


def concurrent_push(backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two machines swap the manifest at the same moment: one wins, the other retries."""
    a = backend.machine(tmp_path / "a")
    b = backend.machine(tmp_path / "b")
    a.write("settings.json", b"{}\n")
    a.run("init", *backend.init_args())
    a.run("push")
    b.run("init", *backend.init_args(), "--key", str(a.key_file))
    a.write("projects/p/from-a.jsonl", b'{"a":1}\n')
    b.write("projects/p/from-b.jsonl", b'{"b":1}\n')
    race_to_the_swap(a, b, tmp_path / "gate", "-v")
    for m in (a, b):
        m.run("pull")
        assert (m.claude / "projects/p/from-a.jsonl").read_bytes() == b'{"a":1}\n'
        assert (m.claude / "projects/p/from-b.jsonl").read_bytes() == b'{"b":1}\n'
    # The loser's first pack is the only object no manifest names (kept for the grace period).
    manifest = _manifest(backend, a.key_file, monkeypatch)
    stored = {n.rsplit("/", 1)[1] for n in backend.sizes()}
    assert len(stored - manifest.pack_ids() - {MANIFEST_NAME}) == 1


def race_to_the_swap(a: Machine, b: Machine, gate: Path, *push_args: str) -> None:
    """Push from ``a`` and ``b`` at once, both held at the manifest swap, then let them go:
    one wins, the other merges and swaps again (three swaps in all); both succeed."""
    gate.mkdir()
    procs = [
        subprocess.Popen(
            ["git", "claude-sync", "push", *push_args],
            env=m.env(**injecting(pause=gate)),
            cwd=m.home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for m in (a, b)
    ]
    deadline = time.monotonic() + 60
    while len(list(gate.glob("waiting.*"))) < 2 and time.monotonic() < deadline:
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.02)
    assert len(list(gate.glob("waiting.*"))) == 2, "both pushes should reach the manifest swap"
    (gate / "go").touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    # Both racers swapped, and the loser once more after its merge.
    assert len(list(gate.glob("waiting.*"))) == 3


def killed_push(backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = backend.machine(tmp_path / "a")
    b = backend.machine(tmp_path / "b")
    a.write("settings.json", b"{}\n")
    a.run("init", *backend.init_args())
    a.run("push")
    b.run("init", *backend.init_args(), "--key", str(a.key_file))
    # Over 8 MiB: Google's client sends a smaller object in one request after reading it
    # whole, so only a larger one goes up in chunks (resumable) that a kill can fall between.
    big = random.Random(3).randbytes(9 * 1024 * 1024)
    a.write("projects/p/big.bin", big)
    kills = tmp_path / "kills"
    for point in (KILL_MID_UPLOAD, KILL_BEFORE_MANIFEST):
        proc = a.run("push", check=False, **injecting(fault=point, fault_log=kills))
        assert proc.returncode != 0, (point, proc.stdout, proc.stderr)
    # Each push's helper was really killed where asked: the upload halfway through.
    (upload, read, total), (swap,) = (line.split() for line in kills.read_text().splitlines())
    assert (upload, swap) == (KILL_MID_UPLOAD, KILL_BEFORE_MANIFEST)
    assert int(total) > len(big) and int(total) // 2 <= int(read) < int(total), (read, total)
    b.run("pull")  # the remote is still readable, at its old state
    assert not (b.claude / "projects/p/big.bin").exists()
    before = {n.rsplit("/", 1)[1] for n in backend.sizes()}
    a.run("push", CLAUDE_SYNC_REMOTE_GRACE_SECONDS="0")
    b.run("pull")
    assert (b.claude / "projects/p/big.bin").read_bytes() == big
    # The pack left by the kill before the manifest swap is gone; only named objects remain.
    manifest = _manifest(backend, a.key_file, monkeypatch)
    stored = {n.rsplit("/", 1)[1] for n in backend.sizes()}
    assert stored == manifest.pack_ids() | {MANIFEST_NAME}
    assert before - manifest.pack_ids() - {MANIFEST_NAME}, "the kill should have left an orphan"


def consolidation(backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = backend.machine(
        tmp_path / "a", CLAUDE_SYNC_REMOTE_MAX_PACKS="2", CLAUDE_SYNC_REMOTE_GRACE_SECONDS="0"
    )
    b = backend.machine(tmp_path / "b")
    a.write(SESSION, session_bytes(200_000))
    a.run("init", *backend.init_args())
    a.run("push")
    b.run("init", *backend.init_args(), "--key", str(a.key_file))
    for i in range(3):
        with open(a.claude / SESSION, "ab") as handle:
            handle.write(session_bytes(3000, seed=10 + i))
        a.write(f"projects/p/note-{i}.md", f"note {i}\n".encode())
        a.run("push")
    manifest = _manifest(backend, a.key_file, monkeypatch)
    assert len(manifest.packs) <= 2
    stored = {n.rsplit("/", 1)[1] for n in backend.sizes()}
    assert stored == manifest.pack_ids() | {MANIFEST_NAME}
    b.run("pull")  # had the first pack: fetches the rest, consolidated
    c = backend.machine(tmp_path / "c")
    c.run("init", *backend.init_args(), "--key", str(a.key_file))  # fresh: everything
    assert _synced(b.files()) == _synced(a.files()) == _synced(c.files())


def refused(backend: Backend, tmp_path: Path, args: list[str], expect: str, **env: str) -> str:
    """``init`` that must fail: one line naming the problem, nothing made on this machine."""
    m = backend.machine(tmp_path / "m", **env)
    m.write("settings.json", b"{}\n")
    before = m.files()
    proc = m.run("init", *args, check=False)
    line = _one_line_error(proc)
    assert expect in line, line
    assert not m.tool_home.exists()
    assert m.files() == before
    return line


def wrong_key(backend: Backend, tmp_path: Path) -> None:
    a = backend.machine(tmp_path / "a")
    a.write("settings.json", b"{}\n")
    a.run("init", *backend.init_args())
    a.run("push")
    other = tmp_path / "other.key"
    other.write_text("CLAUDE-SYNC-KEY-V1 " + os.urandom(32).hex() + "\n")
    m = backend.machine(tmp_path / "m")
    proc = m.run("init", *backend.init_args(), "--key", str(other), check=False)
    line = _one_line_error(proc)
    assert "key" in line, line
    assert not m.tool_home.exists()  # init removes everything it made


def large_loose_objects(machine: Machine) -> list[Path]:
    """Loose objects of the sync repo above the threshold.  The remote helper packs them
    before the push's pack-objects (git.CallerRepo.pack_large_loose): git maps a loose
    object whole to pack it, beside the helper's own memory (issue 9)."""
    objects = machine.tool_home / "repo.git" / "objects"
    return [p for p in objects.glob("??/*") if p.stat().st_size > BIG_FILE_THRESHOLD]


def large_file_round_trip(a: Machine, b: Machine, init_args: list[str]) -> None:
    """A file above git's bigFileThreshold (stored whole, never a delta, streamed by git):
    pushed, pulled by a second machine, half of it changed, pushed and pulled again."""
    rel = "agents/big.bin"
    size = BIG_FILE_THRESHOLD + (1 << 20)
    a.write(rel, os.urandom(size))
    a.run("init", *init_args)
    a.run("push")
    assert large_loose_objects(a) == []
    b.run("init", *init_args, "--key", str(a.key_file))
    assert (b.claude / rel).read_bytes() == (a.claude / rel).read_bytes()
    changed = (a.claude / rel).read_bytes()[: size // 2] + os.urandom(size - size // 2)
    a.write(rel, changed)
    a.run("push")
    assert large_loose_objects(a) == []
    b.run("pull")
    assert (b.claude / rel).read_bytes() == changed
