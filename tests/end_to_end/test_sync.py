"""End to end: two fake homes, the real CLI, the real git, one bare remote."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from tests.machines import Machine, all_objects, copy_corpus, git_plain

CANARY = b"ZEBRA-CANARY-4471"


def synced(files: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {p: d for p, d in files.items() if not p.startswith((b"local/", b".credentials"))}


def odd_names(machine: Machine) -> dict[bytes, bytes]:
    rng = random.Random(7)
    written = {
        b"projects/-home-a-empty/empty.jsonl": b"",
        b"projects/-home-a-big/one-line.jsonl": b'{"x":"' + b"y" * (1024 * 1024) + b'"}\n',
        b"projects/-home-a-bin/blob.bin": bytes(rng.randrange(256) for _ in range(70_000)),
        b"commands/with space & 'quote'.md": b"# odd\n" + CANARY + b"\n",
        "agents/caf\u00e9-\u6f22\u5b57.md".encode(): b"unicode name " + CANARY,
        b"skills/-leading-dash.md": b"dash\n",
        b"skills/latin1-\xe9.md": b"not utf-8 name " + CANARY,
        b"history.jsonl": b'{"display":"' + CANARY + b'","timestamp":1}\n',
        b"CLAUDE.md": b"# notes\n" + CANARY + b"\n",
    }
    for rel, data in written.items():
        machine.write(rel, data)
    return written


def test_round_trip_is_byte_exact_and_the_remote_sees_only_ciphertext(
    machine_a: Machine, machine_b: Machine, corpus: Path
) -> None:
    count = copy_corpus(machine_a.claude, corpus)
    assert count > 50
    odd_names(machine_a)
    machine_a.write(".credentials.json", b'{"token": "' + CANARY + b'"}')
    machine_a.write("local/claude", b"installed cli " + CANARY)
    machine_a.write("statsig/cache", CANARY)

    machine_a.run("init")
    machine_a.run("push")
    machine_b.run("init", "--git", str(machine_a.default_remote), "--key", str(machine_a.key_file))

    expected = synced(machine_a.files())
    expected.pop(b"statsig/cache")
    assert machine_b.files() == expected
    assert not (machine_b.claude / ".credentials.json").exists()

    objects = all_objects(machine_a.default_remote)
    assert CANARY not in objects
    assert b"credentials" not in objects
    # A distinctive slice of every transcript is absent from the remote's objects.
    for path, data in expected.items():
        if path.startswith(b"projects/") and len(data) > 200:
            assert data[100:160] not in objects, path


def test_git_subcommand_help_and_version(machine_a: Machine) -> None:
    version = machine_a.run("--version").stdout
    assert "git-claude-sync" in version and "0.1.0" in version
    for command in ("init", "push", "pull", "status", "install", "uninstall", "git"):
        out = machine_a.run(command, "--help").stdout
        assert "Usage:" in out and len(out) > 200, command


def test_no_change_push_makes_no_commit_and_encrypts_nothing(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    before = git_plain("--git-dir", str(a.default_remote), "rev-list", "--count", "main")
    out = a.run("push", "-v").stdout
    assert "Nothing to push" in out
    after = git_plain("--git-dir", str(a.default_remote), "rev-list", "--count", "main")
    assert before == after
    assert "fetch" not in out  # no network round trip either


def test_append_sends_a_small_pack_and_the_remote_grows_little(
    machine_a: Machine, machine_b: Machine, tmp_path: Path
) -> None:
    rng = random.Random(1)
    # Random bytes mapped onto 27 letters: 5 MB of them a character at a time took ~2 s of
    # the suite's CPU (5 million random.choice calls).
    alphabet = b"abcdefghij klmnopqrstuvwxyz"
    letters = bytes(alphabet[i % len(alphabet)] for i in range(256))
    lines = []
    size = 0
    while size < 5 * 1024 * 1024:
        text = rng.randbytes(rng.randrange(200, 3000)).translate(letters).decode()
        line = f'{{"uuid":"{rng.getrandbits(64):x}","message":{{"content":"{text}"}}}}\n'.encode()
        lines.append(line)
        size += len(line)
    session = b"".join(lines)
    machine_a.write("projects/-p/s.jsonl", session)
    machine_a.run("init")
    machine_a.run("push")
    remote = machine_a.default_remote
    git_plain("--git-dir", str(remote), "gc", "-q")
    before = _repo_bytes(remote)

    append = b'{"uuid":"tail","message":{"content":"' + b"z" * 2000 + b'"}}\n'
    machine_a.write("projects/-p/s.jsonl", session + append)
    # Count every byte the push sends: a receive-pack that tees its input.
    capture = tmp_path / "sent"
    wrapper = tmp_path / "counting-receive-pack"
    wrapper.write_text(f'#!/bin/sh\ntee -a "{capture}" | git receive-pack "$@"\n')
    wrapper.chmod(0o755)
    machine_a.run("git", "config", "remote.origin.receivepack", str(wrapper))
    machine_a.run("push")
    sent = capture.stat().st_size
    print(f"sent {sent} bytes")
    assert 0 < sent < 100 * 1024, sent

    git_plain("--git-dir", str(remote), "gc", "-q")
    grown = _repo_bytes(remote) - before
    print(f"remote grew {grown} bytes")
    assert grown < 100 * 1024, grown

    machine_b.run("init", "--git", str(remote), "--key", str(machine_a.key_file))
    assert (machine_b.claude / "projects/-p/s.jsonl").read_bytes() == session + append


def _repo_bytes(bare: Path) -> int:
    return sum(p.stat().st_size for p in (bare / "objects").rglob("*") if p.is_file())


def test_tampered_remote_blob_fails_pull_naming_the_file(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    b.run("pull")
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n{"uuid":"2"}\n')
    a.run("push")

    remote = a.default_remote
    _flip_byte_in_remote(remote, "projects/-p/s.jsonl")
    local_before = (b.claude / "projects/-p/s.jsonl").read_bytes()
    proc = b.run("pull", check=False)
    assert proc.returncode != 0
    assert "projects/-p/s.jsonl" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == local_before
    assert b.git("rev-parse", "main").stdout != a.git("rev-parse", "main").stdout


def _flip_byte_in_remote(remote: Path, path: str) -> None:
    """Rewrite the remote's tip so that ``path`` holds its blob with one byte flipped."""
    git = ["--git-dir", str(remote)]
    blob = git_plain(*git, "cat-file", "blob", f"main:{path}")
    tampered = bytearray(blob)
    tampered[len(tampered) // 2] ^= 0x01
    work = remote.parent / "tamper-index"
    env_index = {"GIT_INDEX_FILE": str(work)}
    oid = (
        subprocess.run(
            ["git", *git, "hash-object", "-w", "--stdin"],
            input=bytes(tampered),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **env_index}
    subprocess.run(["git", *git, "read-tree", "main"], env=env, check=True)
    subprocess.run(
        ["git", *git, "update-index", "--cacheinfo", f"100644,{oid},{path}"], env=env, check=True
    )
    tree = (
        subprocess.run(["git", *git, "write-tree"], env=env, capture_output=True, check=True)
        .stdout.decode()
        .strip()
    )
    commit = (
        subprocess.run(
            [
                "git",
                *git,
                "-c",
                "user.name=evil",
                "-c",
                "user.email=e@x",
                "commit-tree",
                tree,
                "-p",
                "main",
                "-m",
                "x",
            ],
            env=env,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git_plain(*git, "update-ref", "refs/heads/main", commit)
    work.unlink()


def test_changes_flow_both_ways_and_deletions_follow(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/one.jsonl", b'{"uuid":"1"}\n')
    a.write("todos/t.json", b"[]\n")
    a.run("push")
    b.run("pull")
    assert (b.claude / "todos/t.json").read_bytes() == b"[]\n"

    b.write("projects/-p/one.jsonl", b'{"uuid":"1"}\n{"uuid":"2"}\n')
    (b.claude / "todos/t.json").unlink()
    b.write("projects/-q/two.jsonl", b'{"uuid":"x"}\n')
    b.run("push")
    out = a.run("pull").stdout
    assert "Pulled 3 files" in out
    assert (a.claude / "projects/-p/one.jsonl").read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
    assert not (a.claude / "todos/t.json").exists()
    assert not (a.claude / "todos").exists()
    assert synced(a.files()) == synced(b.files())
    # After a pull nothing is left to push, and nothing is re-encrypted.
    assert "Nothing to push" in a.run("push").stdout


def test_disjoint_changes_on_both_machines_merge(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/a.jsonl", b'{"uuid":"a"}\n')
    b.write("projects/-p/b.jsonl", b'{"uuid":"b"}\n')
    a.run("push")
    b.run("push")  # the remote moved: B fetches, merges, then pushes
    a.run("pull")
    assert synced(a.files()) == synced(b.files())
    assert (a.claude / "projects/-p/b.jsonl").exists()


def test_deleted_here_but_changed_there_keeps_the_change(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"v1\n")
    a.run("push")
    b.run("pull")
    (a.claude / "CLAUDE.md").unlink()
    a.run("push")
    b.write("CLAUDE.md", b"v2\n")
    b.run("pull")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"v2\n"
    b.run("push")
    a.run("pull")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"v2\n"


def test_wrong_key_is_refused_and_nothing_is_left_behind(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    c = Machine(tmp_path / "c")
    c.home.mkdir()
    other_key = tmp_path / "other.key"
    other_key.write_text("CLAUDE-SYNC-KEY-V1 " + "11" * 32 + "\n")
    proc = c.run("init", "--git", str(a.default_remote), "--key", str(other_key), check=False)
    assert proc.returncode != 0
    fingerprint = a.run("status", "--no-fetch", check=False).stdout.split("Key")[1].split()[0]
    assert fingerprint in proc.stderr and "wrong key" in proc.stderr
    assert not c.tool_home.exists()


def test_swapped_key_file_is_refused_naming_the_expected_fingerprint(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    fingerprint = a.run("status", "--no-fetch", check=False).stdout.split("Key")[1].split()[0]
    a.key_file.write_text("CLAUDE-SYNC-KEY-V1 " + "22" * 32 + "\n")
    proc = a.run("push", check=False)
    assert proc.returncode == 1 and fingerprint in proc.stderr


def test_key_readable_by_others_is_refused(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.key_file.chmod(0o644)
    proc = a.run("pull", check=False)
    assert proc.returncode == 1 and "chmod 600" in proc.stderr


def test_missing_key_and_uninitialised(machine_a: Machine, pair: tuple[Machine, Machine]) -> None:
    proc = machine_a.run("push", check=False) if not machine_a.key_file.exists() else None
    a, b = pair
    b.key_file.unlink()
    proc = b.run("push", check=False)
    assert proc.returncode == 1 and "no key" in proc.stderr
    fresh = Machine(a.home.parent / "fresh")
    fresh.home.mkdir()
    proc = fresh.run("pull", check=False)
    assert proc.returncode == 1 and "not initialised" in proc.stderr


def test_unreachable_remote(machine_a: Machine, tmp_path: Path) -> None:
    proc = machine_a.run("init", "--git", str(tmp_path / "nowhere.git"), check=False)
    assert proc.returncode != 0 and "cannot reach the remote" in proc.stderr
    assert not machine_a.tool_home.exists()

    remote = tmp_path / "r.git"
    git_plain("init", "--bare", "-q", str(remote))
    machine_a.run("init", "--git", str(remote))
    machine_a.write("CLAUDE.md", b"x\n")
    remote.rename(tmp_path / "gone.git")
    proc = machine_a.run("push", check=False)
    assert proc.returncode != 0 and "cannot reach the remote" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_push_refuses_a_plaintext_blob(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.write("CLAUDE.md", CANARY)
    oid = (
        a.git("hash-object", "-w", "--no-filters", str(a.claude / "CLAUDE.md"))
        .stdout.decode()
        .strip()
    )
    a.git(
        "--work-tree",
        str(a.claude),
        "update-index",
        "--add",
        "--cacheinfo",
        f"100644,{oid},CLAUDE.md",
    )
    a.git("--work-tree", str(a.claude), "commit", "-q", "-m", "sneaky")
    proc = a.run("push", check=False)
    assert proc.returncode == 1
    assert "CLAUDE.md" in proc.stderr and "not encrypted" in proc.stderr
    assert CANARY not in all_objects(a.default_remote)


def test_dry_runs_change_nothing(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/new.jsonl", b'{"uuid":"n"}\n')
    remote_before = git_plain("--git-dir", str(a.default_remote), "rev-parse", "main")
    out = a.run("push", "--dry-run").stdout
    assert "projects/-p/new.jsonl" in out
    assert git_plain("--git-dir", str(a.default_remote), "rev-parse", "main") == remote_before
    a.run("push")
    out = b.run("pull", "--dry-run").stdout
    assert "projects/-p/new.jsonl" in out
    assert not (b.claude / "projects/-p/new.jsonl").exists()


def test_status_reports_key_remote_and_pending_work(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    b.write("CLAUDE.md", b"local\n")
    proc = b.run("status", check=False)
    assert proc.returncode == 1  # changes to push and to pull
    out = proc.stdout
    fingerprint = a.run("status", "--no-fetch", check=False).stdout.split("Key")[1].split()[0]
    assert fingerprint in out
    assert str(a.default_remote) in out and "fetched just now" in out
    assert "To push" in out and "CLAUDE.md" in out
    assert "To pull" in out and "projects/-p/s.jsonl" in out
    assert ".credentials.json" not in out.split("Synced")[1].split("\n")[0]
    assert not (b.claude / "projects/-p/s.jsonl").exists()


def test_git_passthrough_shows_plaintext_history(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.write("CLAUDE.md", b"readable " + CANARY + b"\n")
    a.run("push")
    log = a.run("git", "log", "-p").stdout
    assert CANARY.decode() in log
    show = a.run("git", "show", "HEAD").stdout
    assert CANARY.decode() in show
    # Commit messages carry the machine and counts, never file names.
    messages = a.run("git", "log", "--format=%s").stdout
    assert "CLAUDE" not in messages and "added" in messages


def test_pygit2_paths_encrypt_through_the_registered_filter(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.write("CLAUDE.md", CANARY)
    script = (
        "import pygit2\n"
        "from git_claude_sync.engine.sync_repo import open_repo\n"
        "from git_claude_sync.filters.libgit2 import open_repository\n"
        "repo = open_repo()\n"
        "r = open_repository(repo.layout.git_dir, repo.key)\n"
        "r.index.add('CLAUDE.md')\n"
        "r.index.write()\n"
        "print(r.index['CLAUDE.md'].id)\n"
    )
    oid = subprocess.run(
        ["python", "-c", script], env=a.env(), capture_output=True, text=True, check=True
    ).stdout.strip()
    stored = a.git("cat-file", "blob", oid).stdout
    assert CANARY not in stored and stored.startswith(b"\x00GCSYNC\x00")
    # The git CLI's filter produces the same bytes: one codec, two entry points.
    assert (
        a.git(
            "--work-tree",
            str(a.claude),
            "hash-object",
            "--path",
            "CLAUDE.md",
            str(a.claude / "CLAUDE.md"),
        )
        .stdout.decode()
        .strip()
        == oid
    )


@pytest.mark.parametrize("flag", ["--verbose", "--quiet"])
def test_verbosity_flags(pair: tuple[Machine, Machine], flag: str) -> None:
    a, _b = pair
    a.write("CLAUDE.md", b"v\n")
    out = a.run("push", flag).stdout
    if flag == "--quiet":
        assert out == ""
    else:
        assert "ms]" in out and "upload" in out


def test_a_torn_last_line_is_never_pushed_and_never_lost(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    b.run("pull")
    # A is mid-write: the second line has no newline yet.
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n{"uuid":"2","te')
    assert "Nothing to push" in a.run("push").stdout
    b.run("pull")
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n'
    # B appends a line; A pulls it while its own line is still being written.
    b.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n{"uuid":"b"}\n')
    b.run("push")
    a.run("pull")
    # Nothing may be appended after half a line (it would be glued to it): B's
    # line waits (engine/deferred_lines.py).
    assert (a.claude / "projects/-p/s.jsonl").read_bytes() == b'{"uuid":"1"}\n{"uuid":"2","te'
    # Once the line is complete it travels, and B's line is added after it.
    with open(a.claude / "projects/-p/s.jsonl", "ab") as handle:
        handle.write(b'xt":"done"}\n')
    a.run("push")
    assert (a.claude / "projects/-p/s.jsonl").read_bytes() == (
        b'{"uuid":"1"}\n{"uuid":"2","text":"done"}\n{"uuid":"b"}\n'
    )
    b.run("pull")
    assert (b.claude / "projects/-p/s.jsonl").read_bytes() == (
        b'{"uuid":"1"}\n{"uuid":"b"}\n{"uuid":"2","text":"done"}\n'
    )


def test_joining_machine_with_its_own_files_merges_them(
    machine_a: Machine, machine_b: Machine
) -> None:
    machine_a.write("projects/-a/s.jsonl", b'{"uuid":"a"}\n')
    machine_a.write("CLAUDE.md", b"same on both\n")
    machine_a.run("init")
    machine_a.run("push")
    machine_b.write("projects/-b/s.jsonl", b'{"uuid":"b"}\n')
    machine_b.write("CLAUDE.md", b"same on both\n")
    machine_b.run("init", "--git", str(machine_a.default_remote), "--key", str(machine_a.key_file))
    machine_b.run("push")
    machine_a.run("pull")
    assert synced(machine_a.files()) == synced(machine_b.files())
    assert (machine_a.claude / "projects/-b/s.jsonl").exists()


def test_concurrent_pushes_both_land(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    for round_ in range(3):
        a.write(f"projects/-a/{round_}.jsonl", b'{"uuid":"a"}\n')
        b.write(f"projects/-b/{round_}.jsonl", b'{"uuid":"b"}\n')
        procs = [
            subprocess.Popen(
                ["git", "claude-sync", "push"],
                env=m.env(),
                cwd=m.home,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for m in (a, b)
        ]
        results = [p.communicate() + (p.returncode,) for p in procs]
        assert all(code == 0 for _out, _err, code in results), results
    a.run("pull")
    b.run("pull")
    assert synced(a.files()) == synced(b.files())
    assert len([p for p in a.files() if p.startswith(b"projects/")]) == 6
    a.git("fsck", "--strict")


def test_corrupt_config_is_one_clear_line(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    (a.tool_home / "config.toml").write_text("machine = [unclosed\n")
    a.write("CLAUDE.md", b"x\n")
    proc = a.run("push", check=False)
    assert proc.returncode == 1
    assert "config.toml is not valid TOML" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    (a.tool_home / "config.toml").write_text('machine = "a"\n[sync]\ninclude = ["a/b"]\n')
    proc = a.run("push", check=False)
    assert proc.returncode == 1 and "one top-level entry" in proc.stderr


def test_user_includes_and_excludes(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    (a.tool_home / "config.toml").write_text(
        'machine = "a"\n[sync]\ninclude = ["file-history"]\nexclude = ["projects/-tmp-*/"]\n'
    )
    a.write("file-history/s/1.txt", b"kept\n")
    a.write("projects/-tmp-scratch/s.jsonl", b'{"uuid":"t"}\n')
    a.write("projects/-home-x/s.jsonl", b'{"uuid":"x"}\n')
    a.run("push")
    b.run("pull")
    assert (b.claude / "file-history/s/1.txt").read_bytes() == b"kept\n"
    assert (b.claude / "projects/-home-x/s.jsonl").exists()
    assert not (b.claude / "projects/-tmp-scratch").exists()
