"""A hostile remote edited with git plumbing: every tampering is refused, nothing changes.

Each test lets machine A sync a few files, machine B pull them, then rewrites the
bare remote the way a host could (docs/spec/state.md, docs/THREAT_MODEL.md), and
checks that B's pull exits non-zero naming what happened, with B's files, index and
branch exactly as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.machines import Machine, git_plain, sealed_commit
from tests.prepared import PreparedPairs

SESSION = "projects/-p/s.jsonl"


def _remote(machine: Machine) -> list[str]:
    return ["--git-dir", str(machine.default_remote)]


def _rgit(a: Machine, *args: str, input: bytes | None = None, index: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    env.update(GIT_AUTHOR_NAME="evil", GIT_AUTHOR_EMAIL="e@x")
    env.update(GIT_COMMITTER_NAME="evil", GIT_COMMITTER_EMAIL="e@x")
    proc = subprocess.run(
        ["git", *_remote(a), *args], input=input, capture_output=True, env=env, check=True
    )
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def _commit_on_remote(
    a: Machine, changes: dict[bytes, tuple[str, str] | None], parent: str = "main"
) -> str:
    """A commit made with plain git on the remote: ``parent``'s tree with ``changes``."""
    index = a.home.parent / "evil-index"
    index.unlink(missing_ok=True)
    _rgit(a, "read-tree", parent, index=index)
    for path, entry in changes.items():
        mode, oid = entry or ("0", "0" * 40)  # mode 0: remove the path
        record = f"{mode} {oid}\t".encode() + path + b"\0"
        _rgit(a, "update-index", "-z", "--index-info", input=record, index=index)
    tree = _rgit(a, "write-tree", index=index)
    commit = _rgit(a, "commit-tree", tree, "-p", parent, "-m", "x")
    _rgit(a, "update-ref", "refs/heads/main", commit)
    return commit


def _entry(a: Machine, rev: str, path: str) -> tuple[str, str]:
    mode, _kind, oid = _rgit(a, "ls-tree", rev, "--", path).split("\t")[0].split()
    return mode, oid


def _snapshot(m: Machine) -> tuple[str, str, str]:
    """B's files (every byte and mode), its index and its branch."""
    digest = hashlib.sha256()
    for root, dirs, names in sorted(os.walk(m.claude)):
        dirs.sort()
        for name in sorted(names):
            full = Path(root) / name
            digest.update(os.fsencode(full.relative_to(m.claude)) + b"\0")
            digest.update(oct(full.lstat().st_mode).encode() + b"\0")
            if not full.is_symlink():
                digest.update(full.read_bytes())
    index = hashlib.sha256((m.tool_home / "repo.git" / "index").read_bytes()).hexdigest()
    head = m.git("rev-parse", "refs/heads/main").stdout.decode().strip()
    return digest.hexdigest(), index, head


def _refused(b: Machine, *needles: str) -> str:
    before = _snapshot(b)
    proc = b.run("pull", check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert _snapshot(b) == before
    # Refused again, not "up to date": nothing remembers the bad state.
    again = b.run("pull", check=False)
    assert again.returncode != 0 and _snapshot(b) == before
    return proc.stderr


def _synced(a: Machine, b: Machine) -> None:
    a.write("CLAUDE.md", b"# rules\n")
    a.write(SESSION, b'{"uuid":"1"}\n')
    a.run("push")
    a.write(SESSION, b'{"uuid":"1"}\n{"uuid":"2"}\n')
    a.run("push")
    b.run("pull")


@pytest.fixture
def synced(
    machine_a: Machine, machine_b: Machine, prepared_pairs: PreparedPairs
) -> tuple[Machine, Machine]:
    a, b = prepared_pairs.copy(_synced, machine_a, machine_b)  # built once per worker
    assert (b.claude / SESSION).read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
    return a, b


def test_an_unsealed_deletion_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    _commit_on_remote(a, {b"settings.json": None})
    err = _refused(b, "deletes settings.json", "not sealed")
    assert "nothing was changed" in err


def test_an_older_ciphertext_replayed_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    _commit_on_remote(a, {SESSION.encode(): _entry(a, "main~1", SESSION)})
    _refused(b, f"changes {SESSION}", "not sealed")


def test_a_mode_change_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    mode, oid = _entry(a, "main", "CLAUDE.md")
    assert mode == "100644"
    _commit_on_remote(a, {b"CLAUDE.md": ("100755", oid)})
    _refused(b, "changes the mode of CLAUDE.md to 100755")
    assert not os.access(b.claude / "CLAUDE.md", os.X_OK)


def test_an_escape_sequence_name_is_refused_and_printed_escaped(
    synced: tuple[Machine, Machine],
) -> None:
    a, b = synced
    evil = b"projects/-p/\x1b]0;owned\x07\x1b[31mred.jsonl"
    _commit_on_remote(a, {evil: _entry(a, "main", SESSION)})
    err = _refused(b, "adds projects/-p/")
    assert "\x1b" not in err and "\x07" not in err


def test_a_seal_replayed_under_a_new_commit_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    old_message = _rgit(a, "log", "-1", "--format=%B", "main~1")
    assert "Claude-Sync-State: " in old_message
    index = a.home.parent / "evil-index"
    _rgit(a, "read-tree", "main~1", index=index)
    tree = _rgit(a, "write-tree", index=index)
    commit = _rgit(a, "commit-tree", tree, "-p", "main", "-m", old_message)
    _rgit(a, "update-ref", "refs/heads/main", commit)
    _refused(b, "seal is invalid", commit[:12])


def test_a_commit_sealed_in_version_1_is_accepted_and_followed(
    synced: tuple[Machine, Machine],
) -> None:
    """A machine still writing version 1 seals (before the compact seal) makes commits
    every upgraded machine accepts; their counter goes on from it."""
    a, b = synced
    tip = _rgit(a, "rev-parse", "main")
    tree = _rgit(a, "rev-parse", "main^{tree}")
    old = sealed_commit(a.default_remote, a.key_file, tree, tip, "0 added, 0 changed", 1)
    _rgit(a, "update-ref", "refs/heads/main", old, tip)
    assert b.run("pull").returncode == 0
    assert b.git("rev-parse", "HEAD").stdout.decode().strip() == old
    assert "another" in b.run("log").stdout  # its machine, read from the version 1 seal
    b.write("CLAUDE.md", b"# rules, v2\n")
    b.run("push")
    a.run("pull")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"# rules, v2\n"


def test_force_pushed_unrelated_history_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    blob = _entry(a, "main", "CLAUDE.md")[1]
    tree = _rgit(a, "mktree", input=f"100644 blob {blob}\tCLAUDE.md\n".encode())
    commit = _rgit(a, "commit-tree", tree, "-m", "x")
    _rgit(a, "update-ref", "refs/heads/main", commit)
    _refused(b, "history was replaced", "--accept-rollback")


def _three_more(a: Machine, b: Machine) -> list[str]:
    """A pushes three more states after B's last pull; their ids, oldest first."""
    for n in (3, 4, 5):
        a.write(f"todos/t{n}.json", b"[]\n")
        a.run("push")
    out = _rgit(a, "rev-list", "-3", "main").split()
    return list(reversed(out))


def _rebuild(a: Machine, commit: str, parent: str) -> str:
    """``commit``'s exact object (message and seal included) with another parent."""
    raw = git_plain(*_remote(a), "cat-file", "commit", commit)
    head, _, rest = raw.partition(b"\n\n")
    lines = [
        (b"parent " + parent.encode()) if line.startswith(b"parent ") else line
        for line in head.split(b"\n")
    ]
    new = b"\n".join(lines) + b"\n\n" + rest
    return _rgit(a, "hash-object", "-t", "commit", "-w", "--stdin", input=new)


def test_a_dropped_commit_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    c3, c4, c5 = _three_more(a, b)
    _rgit(a, "update-ref", "refs/heads/main", _rebuild(a, c5, c3))  # c4 dropped
    _refused(b, "seal is invalid", "differs from the state it seals")


def test_a_reordered_pair_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    c3, c4, c5 = _three_more(a, b)
    first = _rebuild(a, c5, c3)
    _rgit(a, "update-ref", "refs/heads/main", _rebuild(a, c4, first))
    _refused(b, "seal is invalid")


def test_a_rollback_is_refused_until_accepted_deliberately(
    synced: tuple[Machine, Machine],
) -> None:
    a, b = synced
    tip = _rgit(a, "rev-parse", "main")
    _rgit(a, "update-ref", "refs/heads/main", "main~1")
    err = _refused(b, "went back to an older state", "pull --accept-rollback")
    assert "seen state" in err
    proc = b.run("pull", "--accept-rollback")
    assert proc.returncode == 0
    # Accepted: B's newer files stay (B had them); its next push restores the remote.
    assert (b.claude / SESSION).read_bytes() == b'{"uuid":"1"}\n{"uuid":"2"}\n'
    b.run("push")
    assert _rgit(a, "rev-parse", "main") == tip


def test_a_deleted_branch_is_refused(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    _rgit(a, "update-ref", "-d", "refs/heads/main")
    _refused(b, "branch is gone")


def test_a_plain_git_commit_is_sealed_before_it_leaves(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    b.write("CLAUDE.md", b"# rules, edited by hand\n")
    b.run("git", "add", "-A")
    b.run("git", "commit", "-q", "-m", "secret-word in my own message")
    b.run("push")
    raw = git_plain(*_remote(a), "cat-file", "commit", "main")
    assert raw.splitlines()[-1].startswith(b"Claude-Sync-State: ")
    assert b"secret-word" not in raw and b"claude-sync <claude-sync@invalid>" in raw
    a.run("pull")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"# rules, edited by hand\n"


def test_plain_git_cannot_launder_the_remotes_unsealed_commit(
    synced: tuple[Machine, Machine],
) -> None:
    """A plain ``git fetch`` + ``git merge`` of a tampered remote is named at once, and
    the commit is never sealed here: other machines go on refusing it."""
    a, b = synced
    _commit_on_remote(a, {b"settings.json": None})
    b.run("git", "fetch", "-q", "origin")
    proc = b.run("git", "merge", "-q", "--no-edit", "origin/main", check=False)
    assert proc.returncode != 0 and "deletes settings.json" in proc.stderr, proc.stderr
    assert "git reset --hard" in proc.stderr
    b.write("CLAUDE.md", b"# more\n")
    b.run("push")
    _refused(a, "deletes settings.json", "not sealed")


def test_states_chain_across_machines_and_merges(synced: tuple[Machine, Machine]) -> None:
    a, b = synced
    a.write("todos/a.json", b"[]\n")
    b.write("todos/b.json", b"[]\n")
    a.run("push")
    b.run("push")  # merges A's state with its own
    a.run("pull")
    log = _rgit(a, "log", "--format=%H %P%x00%an <%ae>%x00%B%x01", "main")
    for record in filter(None, (r.strip() for r in log.split("\x01"))):
        _ids, identity, message = record.split("\x00")
        assert identity == "claude-sync <claude-sync@invalid>"
        assert message.splitlines()[-1].startswith("Claude-Sync-State: ")
    assert (a.claude / "todos/b.json").exists() and (b.claude / "todos/a.json").exists()


def test_history_made_before_sealing_keeps_working(machine_a: Machine, machine_b: Machine) -> None:
    """An older version's unsealed commits are accepted; the first sealed one starts the
    chain, and nothing unsealed may follow it."""
    a, b = machine_a, machine_b
    a.write("settings.json", b'{"model": "opus"}\n')
    a.run("init")
    work = ("--work-tree", str(a.claude))
    a.git(*work, "add", "-A")
    old = ("-c", "user.name=git-claude-sync (oldbox)", "-c", "user.email=git-claude-sync@oldbox")
    a.git(*work, *old, "commit", "-q", "-m", "oldbox: 1 added, 0 changed, 0 deleted")
    a.git("push", "-q", "origin", "main")
    b.run("init", "--git", str(a.default_remote), "--key", str(a.key_file))
    assert (b.claude / "settings.json").read_bytes() == b'{"model": "opus"}\n'

    a.write("CLAUDE.md", b"# rules\n")
    a.run("push")  # the first sealed commit
    b.run("pull")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"# rules\n"
    log = b.run("log").stdout
    assert "oldbox" in log and "claude-sync" not in log.split("\n")[0]

    _commit_on_remote(a, {b"CLAUDE.md": None})
    _refused(b, "deletes CLAUDE.md", "not sealed")


def test_status_names_a_refused_remote_and_log_names_machines(
    synced: tuple[Machine, Machine],
) -> None:
    a, b = synced
    machine = re.search(r"^machine = '([^']*)'", (a.tool_home / "config.toml").read_text(), re.M)
    assert machine is not None
    assert machine.group(1) in b.run("log").stdout
    shown = b.run("status", check=False).stdout
    assert "Machines' last" in shown and f"{machine.group(1)} " in shown
    doc = json.loads(b.run("status", "--json", check=False).stdout)
    assert doc["machines"][0] == {
        "machine": machine.group(1),
        "state": 3,  # A's first push, then two more
        "at": doc["machines"][0]["at"],
    }
    _commit_on_remote(a, {b"settings.json": None})
    proc = b.run("status", check=False)
    assert "pull would refuse the remote" in proc.stdout + proc.stderr
    assert "deletes settings.json" in proc.stdout + proc.stderr


def test_the_remotes_own_messages_reach_the_terminal_escaped(
    synced: tuple[Machine, Machine],
) -> None:
    a, b = synced
    hook = a.default_remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nprintf '\\033]0;owned\\007\\033[31mdenied\\302\\233by host\\n' >&2\nexit 1\n"
    )
    hook.chmod(0o755)
    b.write("CLAUDE.md", b"# edited\n")
    proc = b.run("push", check=False)
    assert proc.returncode != 0 and "denied" in proc.stderr
    assert not any(c in proc.stderr for c in "\x1b\x07\x9b"), repr(proc.stderr)
