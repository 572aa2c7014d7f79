"""search: every session of every machine, through the real CLI and a real index."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from git_claude_sync.machine.paths import Layout
from git_claude_sync.search import index
from tests.machines import Machine
from tests.prepared import PreparedPairs

SID_A = "aaaa1111-0000-4000-8000-000000000001"
SID_B = "bbbb2222-0000-4000-8000-000000000002"
SID_OLD = "cccc3333-0000-4000-8000-000000000003"


def line(sid: str, cwd: str, kind: str, content: object, stamp: str) -> bytes:
    entry = {
        "type": kind,
        "uuid": f"{sid[:4]}-{stamp}",
        "sessionId": sid,
        "cwd": cwd,
        "timestamp": stamp,
        "message": {"role": kind, "content": content},
    }
    return json.dumps(entry).encode() + b"\n"


def session_a() -> bytes:
    cwd = "/home/a/src/api"
    return b"".join(
        [
            line(SID_A, cwd, "user", "Why does the walrus importer crash?", "2025-06-01T10:00:00Z"),
            line(
                SID_A,
                cwd,
                "assistant",
                [
                    {"type": "thinking", "thinking": "Look at the parser first."},
                    {"type": "text", "text": "The importer trips over a quokka header."},
                    {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}},
                ],
                "2025-06-01T10:00:05Z",
            ),
            line(
                SID_A,
                cwd,
                "user",
                [{"type": "tool_result", "tool_use_id": "t1", "content": "zebrafile.csv"}],
                "2025-06-01T10:00:06Z",
            ),
        ]
    )


def session_b() -> bytes:
    cwd = "/home/b/work/site"
    return line(SID_B, cwd, "user", "Make the walrus logo bigger", "2025-07-01T09:00:00Z")


def session_path(folder: str, sid: str) -> str:
    return f"projects/{folder}/{sid}.jsonl"


def search(machine: Machine, *args: str, check: bool = True) -> dict[str, object]:
    proc = machine.run("search", "--json", *args, check=check)
    return dict(json.loads(proc.stdout))


def _two_machines(a: Machine, b: Machine) -> None:
    (a.tool_home / "config.toml").write_text('machine = "laptop"\n')
    (b.tool_home / "config.toml").write_text('machine = "desktop"\n')
    a.write(session_path("-home-a-src-api", SID_A), session_a())
    a.run("push")
    b.write(session_path("-home-b-work-site", SID_B), session_b())
    b.run("push")
    a.run("pull")


@pytest.fixture
def two_machines(
    machine_a: Machine, machine_b: Machine, prepared_pairs: PreparedPairs
) -> tuple[Machine, Machine]:
    """A wrote session A, B wrote session B; both synced both ways (built once per worker)."""
    return prepared_pairs.copy(_two_machines, machine_a, machine_b)


def test_search_finds_every_machines_sessions_after_sync(
    two_machines: tuple[Machine, Machine],
) -> None:
    a, b = two_machines
    doc = search(a, "walrus")
    assert doc["schema"] == 1 and doc["command"] == "search"
    hits = doc["hits"]
    assert isinstance(hits, list)
    found = {(h["session"], h["machine"], h["role"]) for h in hits}
    assert found == {(SID_A, "laptop", "prompt"), (SID_B, "desktop", "prompt")}
    hit = next(h for h in hits if h["session"] == SID_B)
    assert hit["project"] == "-home-b-work-site" and hit["cwd"] == "/home/b/work/site"
    assert hit["time"] == "2025-07-01T09:00:00Z"
    assert hit["path"] == session_path("-home-b-work-site", SID_B)
    start, end = hit["matches"][0]
    assert hit["snippet"][start:end].lower() == "walrus"
    assert hit["resume"] == f"cd /home/b/work/site && claude --resume {SID_B}"
    assert hit["where"] == "here" and hit["restore"] is None

    text = a.run("search", "walrus").stdout
    assert SID_A[:8] in text and SID_B[:8] in text
    assert "[walrus]" in text or "[Walrus]" in text  # no terminal: the match in brackets
    assert f"resume: cd /home/a/src/api && claude --resume {SID_A}" in text


def test_filters_project_machine_role_since(two_machines: tuple[Machine, Machine]) -> None:
    a, _b = two_machines

    def sessions(*args: str) -> set[str]:
        return {str(h["session"]) for h in search(a, *args)["hits"]}  # type: ignore[union-attr]

    assert sessions("walrus", "--project", "site") == {SID_B}
    assert sessions("walrus", "--project", "src/api") == {SID_A}  # the cwd counts too
    assert sessions("walrus", "--machine", "LAPTOP") == {SID_A}
    assert sessions("walrus", "--since", "2025-06-15") == {SID_B}
    assert sessions("quokka") == {SID_A}
    assert sessions("quokka", "--role", "prompt") == set()
    assert sessions("quokka", "--role", "reply") == {SID_A}
    assert sessions("parser", "--role", "reply") == {SID_A}  # thinking is the reply's
    assert sessions("zebrafile", "--role", "tool") == {SID_A}
    assert sessions("Bash", "--role", "tool") == {SID_A}
    assert sessions('"walrus logo"') == {SID_B}
    assert sessions("walr*") == {SID_A, SID_B}
    assert sessions("walrus", "nowhere") == set()


def test_a_session_deleted_here_is_still_found_and_says_restore(
    two_machines: tuple[Machine, Machine],
) -> None:
    a, _b = two_machines
    (a.claude / session_path("-home-b-work-site", SID_B)).unlink()
    a.run("push")  # the deletion is kept on the remote (engine/kept.py)
    hit = search(a, "logo")["hits"][0]  # type: ignore[index]
    assert hit["session"] == SID_B and hit["where"] == "remote"
    assert hit["restore"] == f"git claude-sync restore {SID_B}"
    assert f"restore: git claude-sync restore {SID_B}" in a.run("search", "logo").stdout


def test_the_index_is_private_and_updated_by_push_and_pull(
    two_machines: tuple[Machine, Machine],
) -> None:
    a, b = two_machines
    search(a, "walrus")  # builds the index
    index = a.tool_home / "search" / "index.sqlite3"
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    assert stat.S_IMODE(index.parent.stat().st_mode) == 0o700
    before = index.stat().st_mtime_ns

    with open(b.claude / session_path("-home-b-work-site", SID_B), "ab") as handle:
        handle.write(line(SID_B, "/x", "user", "now the narwhal", "2025-07-02T09:00:00Z"))
    b.run("push")
    a.run("pull")  # the pull's hook indexes what it brought
    assert index.stat().st_mtime_ns != before or (index.parent / "index.sqlite3-wal").exists()
    hits = search(a, "narwhal")["hits"]
    assert [h["session"] for h in hits] == [SID_B]  # type: ignore[index]
    for name in os.listdir(index.parent):
        assert stat.S_IMODE((index.parent / name).stat().st_mode) == 0o600, name


def test_rebuild_and_a_corrupt_index_rebuilt_with_one_line(
    two_machines: tuple[Machine, Machine],
) -> None:
    a, _b = two_machines
    proc = a.run("search", "--rebuild")
    assert "Indexed 2 transcripts" in proc.stdout
    proc = a.run("search", "--rebuild", "--json", "walrus")  # the summary stays off stdout
    assert len(json.loads(proc.stdout)["hits"]) == 2 and "Indexed 2" in proc.stderr
    index = a.tool_home / "search" / "index.sqlite3"
    for name in os.listdir(index.parent):
        (index.parent / name).unlink()
    index.write_bytes(b"this is not a database" * 100)
    proc = a.run("search", "--json", "walrus")
    assert len(json.loads(proc.stdout)["hits"]) == 2
    assert proc.stderr.count("\n") == 1 and "rebuilding" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_query_and_an_empty_one_are_one_line_errors(machine_a: Machine) -> None:
    machine_a.run("init")
    proc = machine_a.run("search", check=False)
    assert proc.returncode == 2 and "QUERY" in proc.stderr
    proc = machine_a.run("search", "--", "***", check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    first = machine_a.run("search", "anything")
    assert first.stdout == "No match.\n" and "Building the search index" in first.stderr
    assert machine_a.run("search", "anything").stderr == ""  # built once


def layout_of(machine: Machine) -> Layout:
    return Layout(home=machine.tool_home, claude_dir=machine.claude)


def test_an_update_reads_only_what_was_appended(two_machines: tuple[Machine, Machine]) -> None:
    a, _b = two_machines
    search(a, "walrus")  # builds the index
    index_dir, aside = a.tool_home / "search", a.home / "index-aside"
    index_dir.rename(aside)  # the push's hook finds no index and leaves it alone
    appended = line(SID_A, "/home/a/src/api", "user", "and the dugong?", "2025-06-01T11:00:00Z")
    with open(a.claude / session_path("-home-a-src-api", SID_A), "ab") as handle:
        handle.write(appended)
    a.run("push")
    aside.rename(index_dir)

    stats = index.update(layout=layout_of(a))
    assert (stats.files, stats.bytes, stats.entries) == (1, len(appended), 1)
    assert index.update(layout=layout_of(a)).files == 0  # nothing new: nothing read
    hits = index.query("dugong", layout=layout_of(a))
    assert [(h.session_id, h.role, h.machine) for h in hits] == [(SID_A, "prompt", "laptop")]
    assert len(index.query("walrus", layout=layout_of(a))) == 2  # nothing indexed twice


def test_sessions_api_lists_every_machines_sessions(two_machines: tuple[Machine, Machine]) -> None:
    a, _b = two_machines
    (a.claude / session_path("-home-b-work-site", SID_B)).unlink()
    listed = index.sessions(layout=layout_of(a))
    assert [s.session_id for s in listed] == [SID_B, SID_A]  # latest activity first
    site, api = listed
    assert (site.machine, site.present_locally, site.title) == (
        "desktop",
        False,
        "Make the walrus logo bigger",
    )
    assert (api.machine, api.present_locally, api.messages) == ("laptop", True, 3)
    assert api.project == "-home-a-src-api" and api.cwd == "/home/a/src/api"
    assert str(api.first_time) == "2025-06-01 10:00:00+00:00"
    assert [s.session_id for s in index.sessions(project="site", layout=layout_of(a))] == [SID_B]
    assert index.sessions(machine="nobody", layout=layout_of(a)) == []


def test_a_session_pruned_everywhere_is_found_in_history_even_after_a_rebuild(
    two_machines: tuple[Machine, Machine],
) -> None:
    a, _b = two_machines
    search(a, "walrus")
    (a.claude / session_path("-home-b-work-site", SID_B)).unlink()
    a.run("push", "--prune")
    for _ in range(2):
        hit = next(h for h in search(a, "logo")["hits"])  # type: ignore[attr-defined]
        assert (hit["session"], hit["where"]) == (SID_B, "history")
        assert hit["restore"] == f"git claude-sync restore {SID_B}"
        a.run("search", "--rebuild")
    a.run("restore", SID_B[:8])  # the command the hit gives works
    assert (a.claude / session_path("-home-b-work-site", SID_B)).exists()


def test_text_only_an_earlier_version_held_is_found_with_all_versions(
    two_machines: tuple[Machine, Machine],
) -> None:
    a, _b = two_machines
    search(a, "walrus")
    path = session_path("-home-b-work-site", SID_B)
    cwd = "/home/b/work/site"
    tapir = "the tapir " + "and so on " * 40
    a.write(path, session_b() + line(SID_B, cwd, "user", tapir, "2025-07-02T00:00:00Z"))
    a.run("push")
    # Rewritten, not appended: the tapir goes, the first line stays (elsewhere in the file).
    a.write(path, line(SID_B, cwd, "user", "go green", "2025-07-03T00:00:00Z") + session_b())
    a.run("push")

    def found(*args: str) -> list[tuple[object, object]]:
        hits = search(a, *args)["hits"]
        return [(h["session"], h["earlier_version"]) for h in hits]  # type: ignore[index]

    assert found("tapir") == []
    assert found("tapir", "--all-versions") == [(SID_B, True)]
    assert found("green") == [(SID_B, False)]
    assert found("logo", "--all-versions") == [(SID_B, False)]  # kept once, not twice
    # A rebuild finds the rewrite in history: the version before it was larger.
    a.run("search", "--rebuild")
    assert found("tapir") == []
    assert found("tapir", "--all-versions") == [(SID_B, True)]
    assert found("logo", "--all-versions") == [(SID_B, False)]


def test_an_unusable_index_never_fails_a_sync(two_machines: tuple[Machine, Machine]) -> None:
    a, b = two_machines
    search(a, "walrus")
    index_file = a.tool_home / "search" / "index.sqlite3"
    for name in os.listdir(index_file.parent):
        (index_file.parent / name).unlink()
    index_file.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    with open(b.claude / session_path("-home-b-work-site", SID_B), "ab") as handle:
        handle.write(line(SID_B, "/x", "user", "the okapi", "2025-07-05T00:00:00Z"))
    b.run("push")
    proc = a.run("pull")
    assert "Traceback" not in proc.stderr and not index_file.exists()
    proc = a.run("search", "--json", "okapi")
    assert [h["session"] for h in json.loads(proc.stdout)["hits"]] == [SID_B]


def test_half_an_emoji_in_a_transcript_is_indexed_not_fatal(machine_a: Machine) -> None:
    # JSON may escape half a surrogate pair (a tool output cut mid-emoji): valid JSON, invalid
    # Unicode, which SQLite refuses; the line is still found.
    raw = (
        b'{"type":"user","sessionId":"' + SID_A.encode() + b'","cwd":"/home/a/x\\udc80",'
        b'"timestamp":"2025-06-01T10:00:00Z",'
        b'"message":{"role":"user","content":"cut \\ud83d emoji capybara"}}\n'
    )
    machine_a.write(session_path("-home-a-x", SID_A), raw)
    machine_a.run("init")
    machine_a.run("push")
    hits = search(machine_a, "capybara")["hits"]
    assert [h["session"] for h in hits] == [SID_A]  # type: ignore[index]
    assert "cut ? emoji" in hits[0]["snippet"]  # type: ignore[index]


NO_FTS5 = """
import sqlite3

class _NoFts5(sqlite3.Connection):
    def execute(self, sql, *args):
        if "fts5" in sql.lower():
            raise sqlite3.OperationalError("no such module: fts5")
        return super().execute(sql, *args)

_connect = sqlite3.connect
sqlite3.connect = lambda *args, **kwargs: _connect(*args, factory=_NoFts5, **kwargs)
"""


def test_a_python_whose_sqlite_lacks_fts5_is_told_so_in_one_line(
    machine_a: Machine, tmp_path: Path
) -> None:
    # Some Python builds leave FTS5 out of SQLite; this one has it, so the test's process
    # hides it (a sitecustomize on PYTHONPATH, as tests/remote/inject does for faults).
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(NO_FTS5)
    machine_a.run("init")
    proc = machine_a.run("search", "anything", check=False, PYTHONPATH=str(inject))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("git-claude-sync: search needs SQLite's FTS5")
    assert not (machine_a.tool_home / "search" / "index.sqlite3").exists()
