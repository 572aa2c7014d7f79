"""Each push and pull measured, and carried to the other machines like everything else.

A record per sync: when it ended, push or pull, how long it took, the bytes
sent and received (the objects' size in the repo, about what went over the
wire), the commits it sent (made here) and the commits it applied (made
elsewhere, with their commit times: the propagation delay is applied-at minus
made-at).  They go to ``~/.claude-sync/sync-metrics.json`` first and, with a
commit made anyway at most every 15 minutes (or alone once an hour), into the sync
repo as ``.claude-sync/metrics/<random id>.json``: encrypted by the same codec
as every file, one file per machine so machines never conflict over it.

That file never enters the Claude directory: its index entry is marked
*skip-worktree* (as kept sessions are, kept.py), so ``git add -A`` leaves it
alone and a pull records it in the index without writing it.  Its name holds
a random id, not the machine's name (the tree's paths are not encrypted); the
name, the tool version and the key fingerprint are inside.

Bounded: the last ``KEEP_RECORDS`` records within ``KEEP_DAYS``.  Measuring
must never fail a sync: the transaction calls ``start``/``finish``/``carry``,
each of which swallows its own errors.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from git_claude_sync.crypto import keyring
from git_claude_sync.engine import metrics_doc
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import CodecError
from git_claude_sync.git import REMOTE_REF, Git
from git_claude_sync.machine.files import atomic_write
from git_claude_sync.records import dataclass

PREFIX = b".claude-sync/metrics/"
KEEP_RECORDS = 300
KEEP_DAYS = 90
COMMITS_PER_RECORD = 20
CARRY_AFTER = 3600.0  # seconds an unsent record waits for a commit before it makes one
# A commit made anyway carries the waiting records at most once in this many seconds (or
# when this many wait): each carry adds ~0.3 KiB to its push (the document's new chunk,
# two trees), a quarter of what a 2 KB append sends (issue 14).  Till then they wait in
# sync-metrics.json, as every record waits there till a carry.
CARRY_EVERY = 900.0
CARRY_WAITING = 30
# Asking for the tool's version (importlib.metadata) costs 20-130 ms: once a day is enough.
VERSION_EVERY = 86400.0


def is_carried(path: bytes) -> bool:
    """A metrics file in the repo: never written to, nor read from, the Claude directory."""
    return path.startswith(PREFIX)


@dataclass
class Watch:
    """A sync being measured: what was known before it started."""

    kind: str
    started: float
    head: str | None
    remote: str | None


def start(repo: SyncRepo, send: bool) -> Watch | None:
    try:
        head, remote = repo.git.revs("HEAD", REMOTE_REF)  # one process for both
        return Watch("push" if send else "pull", time.monotonic(), head, remote)
    except Exception:  # noqa: BLE001 - measuring never fails a sync
        return None


def finish(
    repo: SyncRepo, watch: Watch | None, sent: str | None, remote_tip: str | None, applied: bool
) -> None:
    """Append this sync's record to the machine's metrics file: ``sent`` the commit
    pushed (None: none), ``remote_tip`` the remote commit integrated, ``applied``
    whether that brought anything here."""
    if watch is None:
        return
    with contextlib.suppress(Exception):  # measuring never fails a sync
        _finish(repo, watch, sent, remote_tip, applied)


def _finish(
    repo: SyncRepo, watch: Watch, sent: str | None, remote_tip: str | None, applied: bool
) -> None:
    seconds = time.monotonic() - watch.started
    git = repo.git
    record: dict[str, Any] = {
        "at": round(time.time(), 3),
        "kind": watch.kind,
        "seconds": round(seconds, 4),
        "sent": 0,
        "received": 0,
        "sent_commits": [],
        "applied": [],
    }
    if sent is not None:
        base = [remote_tip] if remote_tip else []
        record["sent"] = git.disk_usage(sent, base)
        record["sent_commits"] = [c for c, _ in git.commits_between(sent, base, COMMITS_PER_RECORD)]
    if remote_tip is not None and applied:
        had = [c for c in (watch.head, watch.remote) if c]
        record["received"] = git.disk_usage(remote_tip, had)
        record["applied"] = [
            [c, t] for c, t in git.commits_between(remote_tip, had, COMMITS_PER_RECORD)
        ]
    data = load_local(repo)
    data["records"] = trim([*data["records"], record])
    _save_local(repo, data)


def trim(records: list[dict[str, Any]], now: float | None = None) -> list[dict[str, Any]]:
    oldest = (now or time.time()) - KEEP_DAYS * 86400
    kept = [r for r in records if float(r.get("at", 0)) >= oldest]
    return kept[-KEEP_RECORDS:]


def load_local(repo: SyncRepo) -> dict[str, Any]:
    """This machine's metrics document (made with a fresh id if there is none)."""
    path = repo.layout.metrics_file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        data = {"id": os.urandom(8).hex(), "records": []}  # secrets.token_hex, unimported
    if not isinstance(data.get("records"), list):
        data["records"] = []
    data["machine"] = repo.config.machine
    data["key"] = repo.key.fingerprint
    return data


def _save_local(repo: SyncRepo, data: dict[str, Any]) -> None:
    text = json.dumps(data, separators=(",", ":")) + "\n"
    # A measurement: lost to a crash, records are missing (or carried twice: the carried
    # text never takes one it holds, metrics_doc.py), never a sync.
    atomic_write(repo.layout.metrics_file, text.encode(), durable=False)


def carry(repo: SyncRepo, committing: bool) -> bytes | None:
    """Stage this machine's metrics file in the repo if it has news; returns its path.

    Only with a commit that is made anyway (``committing``), at most once every
    ``CARRY_EVERY``, or when a record has waited longer than ``CARRY_AFTER``:
    measuring alone must not make every sync send a commit, nor every commit
    carry a record.
    """
    try:
        return _carry(repo, committing)
    except Exception:  # noqa: BLE001 - measuring never fails a sync
        return None


def _carry(repo: SyncRepo, committing: bool) -> bytes | None:
    path = repo.layout.metrics_file
    if not path.exists():
        return None
    data = load_local(repo)
    carried_until = float(data.get("carried", 0))  # the newest record already staged
    news = [r for r in data["records"] if float(r["at"]) > carried_until]
    if not news:
        return None
    now = time.time()
    if committing:
        due = now - float(data.get("carried_at", 0)) >= CARRY_EVERY or len(news) >= CARRY_WAITING
    else:
        due = now - float(news[0]["at"]) >= CARRY_AFTER
    if not due:
        return None
    if time.time() - float(data.get("version_checked", 0)) > VERSION_EVERY:
        data["version"], data["version_checked"] = _version(), round(time.time())
    data["records"] = trim(data["records"])
    git = repo.git
    name: bytes = PREFIX + str(data["id"]).encode() + b".json"
    # Appended to what was carried last and sealed onto its blob: only the new lines
    # travel (metrics_doc.py).
    previous, before = _carried_last(repo, name)
    plain = metrics_doc.extend(
        before, data, news, data["records"],
        keep_records=KEEP_RECORDS, oldest=time.time() - KEEP_DAYS * 86400,
    )  # fmt: skip
    blob = b"".join(repo.key.seal_onto(name, [plain], previous))
    git.update_index_hidden({name: ("100644", git.store_blob(blob))})
    data["carried"] = max(float(r["at"]) for r in data["records"])
    data["carried_at"] = round(now)
    _save_local(repo, data)
    return name


def _carried_last(repo: SyncRepo, name: bytes) -> tuple[bytes | None, bytes | None]:
    """(blob, plaintext) of this machine's metrics file as the index holds it, if readable."""
    entry = repo.git.index_entries().get(name)
    if entry is None:
        return None, None
    blob = repo.git.read_blobs([entry[1]])[entry[1]]
    try:
        return blob, repo.key.decrypt(name, blob)
    except CodecError:  # another key, damaged: carried afresh
        return None, None


def keep(git: Git, changes: list[tuple[str, bytes]]) -> bool:
    """Undo staged deletions of metrics files; True if there were any.

    They are never in the work tree: an index rebuilt without the skip-worktree
    mark (a key rotation, a restore from HEAD) makes ``git add -A`` stage them as
    deleted, which would delete another machine's records everywhere.
    """
    gone = [p for kind, p in changes if kind == "D" and is_carried(p)]
    if gone:
        git.reset_paths(gone)
        git.set_skip_worktree(gone, True)
    return bool(gone)


def hide(git: Git, entries: Mapping[bytes, tuple[str, str] | None]) -> None:
    """Mark the metrics files just written to the index as not in the work tree."""
    git.set_skip_worktree(sorted(p for p, e in entries.items() if e and is_carried(p)), True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("git-claude-sync")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class MachineMetrics:
    machine: str
    id: str
    version: str
    key: str
    records: list[dict[str, Any]]
    here: bool  # this machine's own (read from the tool's home, the freshest)


def read_all(repo: SyncRepo, tip: str | None = None) -> list[MachineMetrics]:
    """Every machine's metrics: the others' from the repo, this one's from its home."""
    git = repo.git
    own = load_local(repo)
    found = [
        MachineMetrics(
            own["machine"], own["id"], _version(), own["key"], list(own["records"]), True
        )
    ]  # (the page may take the time to ask the version: it is this process's)
    tip = tip or git.rev("HEAD")
    if tip is None:
        return found
    entries = {p: e for p, e in git.ls_tree(tip).items() if is_carried(p)}
    keys = keyring.keyring_for(repo.layout.key_file, repo.key)
    blobs = git.read_blobs(e[1] for e in entries.values())
    for path, (_mode, oid) in sorted(entries.items()):
        try:
            data = metrics_doc.parse(keys.decrypt(path, blobs[oid]))
        except Exception:  # noqa: BLE001 - one unreadable file hides only itself
            continue
        if not isinstance(data, dict) or data.get("id") == own["id"]:
            continue
        found.append(
            MachineMetrics(
                str(data.get("machine", "?")),
                str(data.get("id", "")),
                str(data.get("version", "?")),
                str(data.get("key", "?")),
                [r for r in data.get("records", []) if isinstance(r, dict)],
                False,
            )
        )
    return found
