"""The hidden layout on a plain git host (remote/git_store.py, docs/spec/git-host.md):
real machines, the real CLI, a real bare repository on disk as the host."""

from __future__ import annotations

import getpass
import json
import re
import socket
import time
from pathlib import Path

import pytest

from git_claude_sync.engine import hidden_branch
from git_claude_sync.git import object_id
from git_claude_sync.remote.git_store import ref_for, wrapping
from git_claude_sync.remote.transfer import MANIFEST_NAME
from tests.machines import Machine, all_objects, git_plain, launch
from tests.remote import cases
from tests.remote.cases import CANARY, PROJECT, race_to_the_swap, session_bytes
from tests.remote.git_http import GitHttp
from tests.remote.injection import KILL_BEFORE_MANIFEST, injecting

SESSION_ID = "5e1b7c2d-9a41-4c1e-b7aa-quarterly"
SESSION = f"projects/{PROJECT}/{SESSION_ID}.jsonl"


def new_host(path: Path) -> Path:
    git_plain("init", "--bare", "-q", str(path))
    return path


def machine(home: Path) -> Machine:
    home.mkdir(parents=True, exist_ok=True)
    return Machine(home)


def joined_pair(tmp_path: Path, files: dict[str, bytes]) -> tuple[Path, Machine, Machine]:
    """A new hidden host; A writes ``files``, makes the repo there and pushes; B joins."""
    host = new_host(tmp_path / "host.git")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    for path, data in files.items():
        a.write(path, data)
    a.run("init", "--git", str(host))
    a.run("push")
    b.run("init", "--git", str(host), "--key", str(a.key_file))
    return host, a, b


def host_refs(host: Path) -> dict[str, str]:
    out = git_plain("--git-dir", str(host), "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split() for line in out.decode().splitlines())


def host_bytes(host: Path) -> int:
    """What the host stores: the size of every file under objects/."""
    return sum(p.stat().st_size for p in (host / "objects").rglob("*") if p.is_file())


def everything_the_host_holds(host: Path) -> bytes:
    """Every object's content (inflated), every ref name, and every other file's raw bytes
    (config, packed-refs, logs), git's own sample hooks and HEAD aside."""
    parts = [all_objects(host), "\n".join(host_refs(host)).encode()]
    for path in host.rglob("*"):
        rel = path.relative_to(host).parts
        if path.is_file() and rel[0] not in ("objects", "hooks") and rel != ("HEAD",):
            parts.append(path.read_bytes())
    return b"\n".join(parts)


VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "docs/vectors/git-host.json").read_text("ascii")
)


def test_the_git_host_vectors() -> None:
    """docs/spec/git-host.md: each object's ref and its blob, tree and commit; the marker."""
    kinds = ("blob", "tree", "commit")
    names = {entry["name"]: entry["object"] for entry in VECTORS["objects"]}
    assert names["manifest"] == MANIFEST_NAME
    for entry in VECTORS["objects"]:
        assert ref_for(entry["object"]) == entry["ref"]
        objects = wrapping(bytes.fromhex(entry["data"]))
        assert [(kind.decode(), body.hex()) for kind, body in objects] == [
            (kind, entry[kind]["content"]) for kind in kinds
        ]
        assert [object_id(kind, body) for kind, body in objects] == [
            entry[kind]["id"] for kind in kinds
        ]
    marker = VECTORS["marker"]
    assert [body.hex() for _, body in hidden_branch.marker_objects()] == [
        marker[kind]["content"] for kind in kinds
    ]
    assert marker["commit"]["id"] == hidden_branch.MARKER


def test_the_wrapping_is_what_git_itself_writes(tmp_path: Path) -> None:
    host = new_host(tmp_path / "scratch.git")
    data = b"\x00ciphertext\xff" * 100
    for kind, body in wrapping(data):
        written = git_plain(
            "--git-dir", str(host), "hash-object", "-w", "-t", kind.decode(), "--stdin", input=body
        )
        assert written.decode().strip() == object_id(kind, body)


def test_two_machines_sync_and_the_host_learns_no_name(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    a.write("settings.json", b'{"model": "opus"}\n')
    a.write("CLAUDE.md", b"# notes\n" + CANARY + b"\n")
    a.write(SESSION, session_bytes(200_000) + b'{"secret":"' + CANARY + b'"}\n')
    a.run("init", "--git", str(host))
    assert a.git("remote", "get-url", "origin").stdout.decode().strip() == (
        f"claude-sync::git+{host}"
    )
    a.run("push")
    b.write("agents/reviewer.md", b"review carefully\n")
    b.run("init", "--git", str(host), "--key", str(a.key_file))
    b.run("push")
    a.run("pull")
    assert (a.claude / "agents/reviewer.md").read_bytes() == b"review carefully\n"
    assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()
    # The local sync repo reads as before: plain git log -p shows the files by name.
    log = a.git("log", "-p", "--stat", "main").stdout
    assert SESSION.encode() in log and b"reviewer.md" in log

    # Only refs/cs/<32 hex>: the manifest and packs; every commit says the same nothing.
    refs = host_refs(host)
    assert ref_for(MANIFEST_NAME) in refs
    assert all(re.fullmatch(r"refs/cs/[0-9a-f]{32}", ref) for ref in refs), refs
    commits = git_plain("--git-dir", str(host), "log", "--all", "--format=%an|%ae|%at|%B")
    assert set(commits.decode().split("\n\n")) - {""} == {"cs|cs@invalid|1000000000|cs"}
    held = everything_the_host_holds(host)
    machine_name = a.git("log", "-1", "--format=%an", "main").stdout.strip()
    for word in (
        CANARY,
        PROJECT.encode(),
        SESSION_ID.encode(),
        b"quarterly",
        b"settings.json",
        b"CLAUDE.md",
        b"reviewer",
        b"projects/",
        b"refs/heads",
        b"opus",
        machine_name,
        socket.gethostname().encode(),
        getpass.getuser().encode(),
        str(tmp_path).encode(),
    ):
        if len(word) >= 4:  # shorter ones (a host called "vm") turn up in any ciphertext
            assert word not in held, word


def test_concurrent_pushes_lose_no_commit(tmp_path: Path) -> None:
    """Two machines reach the manifest swap at the same moment: one wins, the other's
    lease fails, it fetches, merges and pushes again."""
    host, a, b = joined_pair(tmp_path, {"settings.json": b"{}\n"})
    a.write("projects/p/from-a.jsonl", b'{"a":1}\n')
    b.write("projects/p/from-b.jsonl", b'{"b":1}\n')
    race_to_the_swap(a, b, tmp_path / "gate")
    for m in (a, b):
        m.run("pull")
        assert (m.claude / "projects/p/from-a.jsonl").read_bytes() == b'{"a":1}\n'
        assert (m.claude / "projects/p/from-b.jsonl").read_bytes() == b'{"b":1}\n'


def test_a_small_append_sends_little(tmp_path: Path) -> None:
    """A 2 KB append to a 2 MB session: what the host stores grows by under 10 KB."""
    host, a, b = joined_pair(tmp_path, {SESSION: session_bytes(2 * 1024 * 1024)})
    before = host_bytes(host)
    with open(a.claude / SESSION, "ab") as handle:
        handle.write(session_bytes(2048, seed=2))
    a.run("push")
    grown = host_bytes(host) - before
    print(f"\nhidden layout: a 2 KB append grew the git host by {grown} bytes")
    assert grown < 10_000, grown
    b.run("pull")
    assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()


def test_a_file_above_the_big_file_threshold_round_trips(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    cases.large_file_round_trip(a, b, ["--git", str(host)])


def test_a_no_change_push_costs_what_it_costs_transparent(tmp_path: Path) -> None:
    """Measured, not raced: a no-change push (the launcher's fast path) and a pull with
    nothing new, hidden against transparent."""
    timings = {}
    for layout in ("hidden", "transparent"):
        host = new_host(tmp_path / f"{layout}.git")
        m = machine(tmp_path / layout)
        m.write("settings.json", b"{}\n")
        m.run("init", "--git", str(host), *(["--transparent"] if layout == "transparent" else []))
        m.run("push")
        for command in ("launcher push", "push", "pull"):
            started = time.monotonic()
            for _ in range(2):
                if command == "launcher push":  # as the hooks run it: no Python, no host
                    out = launch(m, "push", real="/bin/false").stdout
                else:
                    out = m.run(command).stdout
            timings[layout, command] = (time.monotonic() - started) / 2
            assert "Nothing to push." in out or command == "pull", out
    print("\nno-change push / pull (s):", {k: round(v, 3) for k, v in timings.items()})
    # The push never reaches the host on either layout: the same cost, give or take noise.
    assert timings["hidden", "launcher push"] < timings["transparent", "launcher push"] * 3 + 0.1
    assert timings["hidden", "push"] < timings["transparent", "push"] * 3 + 0.2


def test_init_keeps_the_layout_a_repository_already_holds(tmp_path: Path) -> None:
    transparent = new_host(tmp_path / "transparent.git")
    a = machine(tmp_path / "a")
    a.write("settings.json", b"{}\n")
    a.run("init", "--git", str(transparent), "--transparent")
    a.run("push")
    assert "refs/heads/main" in host_refs(transparent)
    b = machine(tmp_path / "b")
    out = b.run("init", "--git", str(transparent), "--key", str(a.key_file)).stdout
    assert "remote hide" in out
    assert b.git("remote", "get-url", "origin").stdout.decode().strip() == str(transparent)

    # A first machine marks an empty repository hidden at init: one joining before its
    # first push still takes the hidden layout (not a transparent branch beside it).
    hidden = new_host(tmp_path / "hidden.git")
    c = machine(tmp_path / "c")
    c.write("settings.json", b"{}\n")
    c.run("init", "--git", str(hidden))
    assert list(host_refs(hidden)) == [ref_for(MANIFEST_NAME)]
    e = machine(tmp_path / "e")
    e.write("agents/e.md", b"from e\n")
    e.run("init", "--git", str(hidden), "--key", str(c.key_file))
    assert (
        e.git("remote", "get-url", "origin").stdout.decode().strip() == f"claude-sync::git+{hidden}"
    )
    e.run("push")
    c.run("push")
    assert (c.claude / "agents/e.md").read_bytes() == b"from e\n"
    assert "refs/heads/main" not in host_refs(hidden)
    d = machine(tmp_path / "d")
    proc = d.run(
        "init", "--git", str(hidden), "--transparent", "--key", str(c.key_file), check=False
    )
    assert proc.returncode != 0 and "holds the hidden layout" in proc.stderr, proc.stderr
    assert not d.tool_home.exists()


def test_an_existing_repository_moves_and_other_machines_follow(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    a.write("settings.json", b'{"model": "opus"}\n')
    a.write(SESSION, session_bytes(50_000) + CANARY + b"\n")
    a.run("init", "--git", str(host), "--transparent")
    a.run("push")
    b.run("init", "--git", str(host), "--key", str(a.key_file))
    b.write("agents/reviewer.md", b"review carefully\n")
    b.run("push")
    a.run("pull")
    with open(a.claude / SESSION, "ab") as handle:
        handle.write(session_bytes(3000, seed=5))
    a.run("push")
    history = a.git("rev-list", "--count", "main").stdout
    assert PROJECT.encode() in all_objects(host)  # transparent: the host reads the names

    # Interrupted while copying (the helper killed before its manifest swap): nothing moved.
    proc = a.run("remote", "hide", check=False, **injecting(fault=KILL_BEFORE_MANIFEST))
    assert proc.returncode != 0
    assert a.git("remote", "get-url", "origin").stdout.decode().strip() == str(host)
    assert ref_for(MANIFEST_NAME) not in host_refs(host)
    # The host refuses to replace its branch (a protected branch): copied, verified, kept.
    hook = host / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\ngrep -q ' refs/heads/main$' && { echo protected; exit 1; }\nexit 0\n"
    )
    hook.chmod(0o755)
    proc = a.run("remote", "hide", check=False)
    assert proc.returncode != 0 and "hidden layout holds everything" in proc.stderr, proc.stderr
    assert host_refs(host)["refs/heads/main"] == a.git("rev-parse", "main").stdout.decode().strip()
    hook.unlink()
    # Run again: it finishes.
    out = a.run("remote", "hide").stdout
    assert "only encrypted objects" in out, out
    assert (
        a.git("remote", "get-url", "origin").stdout.decode().strip() == f"claude-sync::git+{host}"
    )
    assert host_refs(host)["refs/heads/main"] == hidden_branch.MARKER
    assert "already uses the hidden layout" in a.run("remote", "hide").stdout

    # b still has the transparent URL: its next sync follows, and nothing is lost.
    b.write("agents/writer.md", b"write plainly\n")
    proc = b.run("push")
    assert "moved to the hidden layout" in proc.stderr, proc.stderr
    assert (
        b.git("remote", "get-url", "origin").stdout.decode().strip() == f"claude-sync::git+{host}"
    )
    a.run("pull")
    assert (a.claude / "agents/writer.md").read_bytes() == b"write plainly\n"
    assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()
    assert int(a.git("rev-list", "--count", "main").stdout) > int(history)
    assert SESSION.encode() in a.git("log", "-p", "main").stdout  # the local repo: unchanged

    # Once the host collects what no ref reaches, it holds no name.
    git_plain("--git-dir", str(host), "gc", "-q", "--prune=now")
    git_plain("--git-dir", str(host), "reflog", "expire", "--expire=now", "--all")
    git_plain("--git-dir", str(host), "gc", "-q", "--prune=now")
    held = everything_the_host_holds(host)
    for word in (CANARY, PROJECT.encode(), SESSION_ID.encode(), b"reviewer", b"settings.json"):
        assert word not in held, word


def test_small_packs_are_consolidated_and_the_dropped_ones_deleted(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a = machine(tmp_path / "a")
    settings = {"CLAUDE_SYNC_REMOTE_MAX_PACKS": "2", "CLAUDE_SYNC_REMOTE_GRACE_SECONDS": "0"}
    a.write(SESSION, session_bytes(100_000))
    a.run("init", "--git", str(host))
    a.run("push", **settings)
    for i in range(3):
        with open(a.claude / SESSION, "ab") as handle:
            handle.write(session_bytes(3000, seed=10 + i))
        a.write(f"projects/p/note-{i}.md", f"note {i}\n".encode())
        a.run("push", **settings)
    refs = host_refs(host)
    assert ref_for(MANIFEST_NAME) in refs and len(refs) <= 3, refs  # the manifest, <= 2 packs
    c = machine(tmp_path / "c")
    c.run("init", "--git", str(host), "--key", str(a.key_file))
    assert (c.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()
    assert (c.claude / "projects/p/note-2.md").read_bytes() == b"note 2\n"


def test_over_http(tmp_path: Path) -> None:
    """The same over a git http server (git http-backend): two machines sync, the host
    holds only refs/cs/."""
    with GitHttp(tmp_path / "served") as server:
        host = server.new_repo("sync.git")
        a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
        a.write(SESSION, session_bytes(20_000) + CANARY + b"\n")
        a.run("init", "--git", server.url("sync.git"))
        assert a.git("remote", "get-url", "origin").stdout.decode().strip() == (
            f"claude-sync::git+{server.url('sync.git')}"
        )
        a.run("push")
        b.run("init", "--git", server.url("sync.git"), "--key", str(a.key_file))
        b.write("agents/reviewer.md", b"review carefully\n")
        b.run("push")
        a.run("pull")
        assert (a.claude / "agents/reviewer.md").read_bytes() == b"review carefully\n"
        assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()
        assert all(ref.startswith("refs/cs/") for ref in host_refs(host))
        held = everything_the_host_holds(host)
        assert CANARY not in held and PROJECT.encode() not in held


def test_requests_to_the_host_hidden_against_transparent(tmp_path: Path) -> None:
    """HTTP requests the host serves: a pull with nothing new costs the same in both
    layouts; a push of a change one fetch more (its helper reads the manifest again).
    And the bytes a 2 KB append sends."""
    counts: dict[tuple[str, str], int] = {}
    sent: dict[str, int] = {}
    with GitHttp(tmp_path / "served") as server:
        for layout in ("hidden", "transparent"):
            server.new_repo(f"{layout}.git")
            m = machine(tmp_path / layout)
            m.write(SESSION, session_bytes(20_000))
            flags = ["--transparent"] if layout == "transparent" else []
            m.run("init", "--git", server.url(f"{layout}.git"), *flags)
            m.run("push")
            for step in ("pull", "push"):
                if step == "push":
                    with open(m.claude / SESSION, "ab") as handle:
                        handle.write(session_bytes(2048, seed=3))
                before, pushed = server.requests, server.pushed
                m.run(step)
                counts[layout, step] = server.requests - before
                if step == "push":
                    sent[layout] = server.pushed - pushed
    print("\nhttp requests:", counts, "bytes pushed for a 2 KB append:", sent)
    assert sent["hidden"] < 10_000, sent
    assert counts["hidden", "pull"] == counts["transparent", "pull"], counts
    assert counts["hidden", "push"] <= counts["transparent", "push"] + 2, counts


def test_a_joining_machine_fetches_every_pack_in_one_request(tmp_path: Path) -> None:
    with GitHttp(tmp_path / "served") as server:
        server.new_repo("sync.git")
        a = machine(tmp_path / "a")
        a.write("settings.json", b"{}\n")
        a.run("init", "--git", server.url("sync.git"))
        for i in range(4):
            a.write(f"projects/p/note-{i}.md", f"note {i}\n".encode())
            a.run("push")
        c = machine(tmp_path / "c")
        start = len(server.log)
        c.run("init", "--git", server.url("sync.git"), "--key", str(a.key_file))
        assert (c.claude / "projects/p/note-3.md").read_bytes() == b"note 3\n"
        fetches = [r for r in server.log[start:] if r.endswith("/git-upload-pack")]
        # The manifest (init's check, then the sync repo's own fetch), then 5 packs at once.
        assert len(fetches) == 3, server.log[start:]


def test_hidden_urls() -> None:
    from git_claude_sync.errors import FatalError
    from git_claude_sync.remote import urls

    for target in (
        "ssh://git@example.com/me/sync.git",
        "git@example.com:me/sync.git",
        "https://example.com/me/sync.git",
        "file:///srv/sync.git",
        "/srv/sync.git",
    ):
        url = urls.hidden(target)
        assert url == "claude-sync::git+" + target
        assert urls.is_object_storage(url)
        assert urls.git_target(url) == target
        assert urls.git_target(url.removeprefix("claude-sync::")) == target  # as git passes it
    assert urls.git_target("claude-sync::s3://bucket/p") is None
    assert urls.git_target("/srv/sync.git") is None
    for bad in ("claude-sync::git+", "claude-sync::git+--upload-pack=evil"):
        with pytest.raises(FatalError):
            urls.git_target(bad)


def test_hiding_a_repository_that_holds_nothing_yet_marks_it(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a = machine(tmp_path / "a")
    a.claude.mkdir()
    a.run("init", "--git", str(host), "--transparent")
    assert "held nothing yet" in a.run("remote", "hide").stdout
    assert list(host_refs(host)) == [ref_for(MANIFEST_NAME)]  # a joining machine sees it
    b = machine(tmp_path / "b")
    b.run("init", "--git", str(host), "--key", str(a.key_file))
    assert (
        b.git("remote", "get-url", "origin").stdout.decode().strip() == f"claude-sync::git+{host}"
    )


def test_garbage_collection_never_deletes_what_came_after_its_listing(tmp_path: Path) -> None:
    """Deletions hold only while the manifest is as read before the listing: a pack stored
    with a newer manifest (another machine's push, just after) is never taken for garbage."""
    from git_claude_sync.git import Limits
    from git_claude_sync.remote.git_store import GitStore

    host, a, b = joined_pair(tmp_path, {"settings.json": b"{}\n"})
    store = GitStore(str(host), Limits())
    got = store.get(MANIFEST_NAME)
    assert got is not None
    read_version = got[1]
    before = set(host_refs(host))
    b.write("agents/late.md", b"late\n")
    b.run("push")  # a new manifest and a new pack, after "our" listing
    (new_pack,) = {ref.removeprefix("refs/cs/") for ref in set(host_refs(host)) - before}
    store.delete_many([new_pack], guard=(MANIFEST_NAME, read_version))
    assert ref_for(new_pack) in host_refs(host)  # the manifest moved: nothing deleted
    a.run("pull")
    assert (a.claude / "agents/late.md").read_bytes() == b"late\n"
    current = store.get(MANIFEST_NAME)
    assert current is not None
    store.delete_many([new_pack], guard=(MANIFEST_NAME, current[1]))
    assert ref_for(new_pack) not in host_refs(host)  # at the version read: deleted


def test_joining_with_the_wrong_key_says_so_and_makes_nothing(tmp_path: Path) -> None:
    host = new_host(tmp_path / "host.git")
    a = machine(tmp_path / "a")
    a.write("settings.json", b"{}\n")
    a.run("init", "--git", str(host))
    a.run("push")
    other = tmp_path / "other.key"
    other.write_text("CLAUDE-SYNC-KEY-V1 " + bytes(range(32)).hex() + "\n")
    m = machine(tmp_path / "m")
    proc = m.run("init", "--git", str(host), "--key", str(other), check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert "wrong key: the remote is encrypted with key" in lines[0], lines[0]
    assert not m.tool_home.exists()


def test_what_is_fetched_from_the_host_stays_packed(tmp_path: Path) -> None:
    """A fetched pack is kept as it came (fetch.unpackLimit 1): unpacked, a sealed pack was
    a loose object that git cat-file maps whole to read (issue 9: 150 MB for a 157 MB file's
    pull).  Seen in the manifest's cache, the one the helper leaves behind."""
    _host, _a, b = joined_pair(tmp_path, {SESSION: session_bytes(4096)})
    b.run("pull")
    caches = list((b.tool_home / "repo.git" / "claude-sync").glob("*.git"))
    assert caches
    for cache in caches:
        assert list((cache / "objects" / "pack").glob("*.pack"))
        assert [p for p in (cache / "objects").glob("??/*")] == []
