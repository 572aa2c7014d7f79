"""Push and pull metrics: recorded by every sync, carried encrypted, never in the Claude dir."""

from __future__ import annotations

import json

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.engine import metrics_doc
from tests.commands.test_key import each_deletes_one_session
from tests.machines import Machine, all_objects, carry_metrics_next


def _records(machine: Machine) -> list[dict[str, object]]:
    data = json.loads((machine.tool_home / "sync-metrics.json").read_text())
    return list(data["records"])


def _carried(machine: Machine) -> list[bytes]:
    names = machine.git("ls-tree", "-r", "--name-only", "-z", "HEAD").stdout.split(b"\0")
    return [n for n in names if n.startswith(b".claude-sync/metrics/")]


def test_every_sync_is_recorded_and_carried_to_the_other_machine(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("projects/-p/s1.jsonl", b'{"type":"user","uuid":"1"}\n')
    a.run("push")
    b.run("pull")
    pushes = [r for r in _records(a) if r["kind"] == "push"]
    assert pushes and pushes[-1]["sent"] > 0 and pushes[-1]["sent_commits"]
    pulled = [r for r in _records(b) if r["kind"] == "pull" and r["applied"]]
    assert pulled and pulled[-1]["received"] > 0
    sent = set(pushes[-1]["sent_commits"])  # type: ignore[arg-type]
    assert sent & {c for c, _t in pulled[-1]["applied"]}  # type: ignore[union-attr]
    # The metrics never land in a Claude directory.
    assert not (b.claude / ".claude-sync").exists()
    assert not (a.claude / ".claude-sync").exists()

    b.write("settings.json", b'{"model": "sonnet"}\n')
    b.run("push")
    a.run("pull")
    assert len(_carried(a)) == 2  # one file per machine
    assert not (a.claude / ".claude-sync").exists()
    # Encrypted like everything else: no record shows in the remote.
    assert b'"sent_commits"' not in all_objects(a.default_remote)
    # Nothing left to push on either side: the index entry stays out of the work tree.
    assert "Nothing to push" in a.run("push").stdout or a.run("status").returncode == 0
    status = a.git("--work-tree", str(a.claude), "status", "--porcelain").stdout
    assert b".claude-sync" not in status


def test_a_broken_metrics_file_never_fails_a_sync(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    (a.tool_home / "sync-metrics.json").unlink()
    (a.tool_home / "sync-metrics.json").mkdir()  # unreadable and unwritable as a file
    a.write("settings.json", b'{"model": "haiku"}\n')
    a.run("push")
    b.run("pull")
    assert (b.claude / "settings.json").read_bytes() == b'{"model": "haiku"}\n'


def test_an_emptied_claude_dir_is_still_refused_with_metrics_in_the_repo(
    pair: tuple[Machine, Machine],
) -> None:
    """The metrics file is never in the work tree: it must not hide an emptied directory."""
    a, _b = pair
    a.write("settings.json", b'{"model": "x"}\n')
    a.run("push")  # carries A's metrics
    assert _carried(a)
    (a.claude / "settings.json").unlink()
    refused = a.run("push", check=False)
    assert refused.returncode != 0 and "refusing to delete" in refused.stderr


def test_a_key_rotation_keeps_every_machines_records(pair: tuple[Machine, Machine]) -> None:
    """``key use`` rebuilds the index without the skip-worktree mark: the next push must
    not stage the other machine's metrics file (absent from the work tree) as deleted."""
    a, b = pair
    each_deletes_one_session(a, b)  # A's first push carries its records
    [a_records] = _carried(a)
    a.run("key", "rotate")
    b.run("key", "use", str(a.key_file))
    b.run("push")
    a.run("pull")
    for machine in (a, b):
        assert a_records in _carried(machine), machine
        assert "Nothing to push" in machine.run("push").stdout
        assert "metrics" not in machine.run("status").stdout


def _carried_blob(machine: Machine) -> tuple[bytes, bytes]:
    [name] = [n for n in _carried(machine)]
    return name, machine.git("cat-file", "blob", f"HEAD:{name.decode()}").stdout


def _carried_records(machine: Machine) -> list[float]:
    """The ``at`` of each record the machine's carried document holds, at HEAD."""
    key = keyfile.load(machine.key_file)
    name, blob = _carried_blob(machine)
    doc = metrics_doc.parse(key.decrypt(name, blob))
    assert doc is not None
    return [float(r["at"]) for r in doc["records"]]


def test_records_wait_between_carries_and_none_is_lost(pair: tuple[Machine, Machine]) -> None:
    """A commit carries the waiting records at most every CARRY_EVERY: an append's push
    sends no metrics chunk in between; the records wait and go together."""
    a, _b = pair
    a.write("settings.json", b'{"model": "a"}\n')
    carry_metrics_next(a)
    a.run("push")
    first = _carried_blob(a)
    for n in range(3):
        a.write(f"projects/-p/s{n}.jsonl", b'{"type":"user","uuid":"%d"}\n' % n)
        a.run("push")
        assert _carried_blob(a) == first  # waiting
    carry_metrics_next(a)
    a.write("projects/-p/s9.jsonl", b'{"type":"user","uuid":"9"}\n')
    a.run("push")
    assert _carried_records(a) == [r["at"] for r in _records(a)][:-1]  # the last rides next


def test_records_carried_by_a_push_killed_before_sending_are_sent_by_the_next(
    pair: tuple[Machine, Machine],
) -> None:
    """The carry is committed before the push: a crash then leaves the records in the
    commit, which the next push sends; none is lost."""
    a, b = pair
    for n in range(2):
        a.write(f"projects/-p/s{n}.jsonl", b'{"type":"user","uuid":"%d"}\n' % n)
        a.run("push")
    hook = a.tool_home / "repo.git" / "hooks" / "pre-push"
    hook.parent.mkdir(exist_ok=True)
    # git push's parent is the CLI: both die as in a crash, nothing cleaned up.
    hook.write_text("#!/bin/sh\nkill -9 $(awk '{print $4}' /proc/$PPID/stat) $PPID\n")
    hook.chmod(0o755)
    carry_metrics_next(a)
    a.write("projects/-p/s8.jsonl", b'{"type":"user","uuid":"8"}\n')
    assert a.run("push", check=False).returncode != 0
    hook.unlink()
    recorded = [r["at"] for r in _records(a)]  # the killed push made no record
    a.write("projects/-p/s9.jsonl", b'{"type":"user","uuid":"9"}\n')
    a.run("push")
    b.run("pull")
    assert _carried_records(b) == recorded


def test_each_push_sends_only_its_new_records(pair: tuple[Machine, Machine]) -> None:
    """The carried document is appended to and sealed onto its last blob (version 2): a
    push adds a chunk, never sends the whole document again (~18 KB at 300 records)."""
    a, b = pair
    key = keyfile.load(a.key_file)
    a.write("settings.json", b'{"model": "a"}\n')
    a.run("push")
    blobs = []
    for n in range(3):
        a.write(f"projects/-p/s{n}.jsonl", b'{"type":"user","uuid":"%d"}\n' % n)
        carry_metrics_next(a)
        a.run("push")
        blobs.append(_carried_blob(a))
    for (_name, before), (_name, after) in zip(blobs, blobs[1:], strict=False):
        kept = len(before) - codec.FINALISER_LEN
        assert after[:kept] == before[:kept] and len(after) - len(before) < 400
    name, last = blobs[-1]
    doc = metrics_doc.parse(key.decrypt(name, last))
    assert doc is not None and doc["id"] in name.decode()
    kept_here = [r["at"] for r in _records(a)]
    assert [r["at"] for r in doc["records"]] == kept_here[:-1]  # the last rides next time
    b.run("pull")
    assert b.git("cat-file", "blob", f"HEAD:{name.decode()}").stdout == last
