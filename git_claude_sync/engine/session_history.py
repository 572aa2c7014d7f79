"""Sessions as the sync repo knows them: in HEAD, kept after a local clean-up, or in history.

A session is ``projects/<folder>/<id>.jsonl`` plus what belongs to it: the
``projects/<folder>/<id>/`` directory (subagents, tool results) and, in the
older layout, flat ``projects/<folder>/agent-*.jsonl`` files whose lines carry
its ``sessionId``.  What is shown of one (project, title, last activity) is read
from its plaintext, decrypted in memory; the results are cached by blob id in
``~/.claude-sync/sessions-cache.json`` (mode 0600, never synced), so listing
again decrypts only what changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from git_claude_sync.claude.transcript_text import parse_time
from git_claude_sync.crypto import keyring
from git_claude_sync.engine import sealed_state
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git, LogEntry
from git_claude_sync.machine import files
from git_claude_sync.machine.files import atomic_write

PROJECTS = b"projects/"
_CACHE_VERSION = 2
_TITLE_LEN = 72


# -- paths -------------------------------------------------------------------------


def session_of(path: bytes) -> tuple[bytes, str] | None:
    """(folder, session id) a path belongs to, when the path alone tells."""
    parts = path.split(b"/")
    if len(parts) < 3 or parts[0] != b"projects":
        return None
    name = parts[2]
    if len(parts) == 3:
        if name.endswith(b".jsonl") and not name.startswith(b"agent-"):
            return parts[1], os.fsdecode(name[: -len(b".jsonl")])
        return None
    return parts[1], os.fsdecode(name)


def main_path(folder: bytes, sid: str) -> bytes:
    return PROJECTS + folder + b"/" + os.fsencode(sid) + b".jsonl"


def machine_of(git: Git, entry: LogEntry) -> str:
    """Who made a commit (inside its sealed state; older commits: their author)."""
    return sealed_state.machine_of(git, entry)


# -- what a transcript says -----------------------------------------------------------


@dataclass
class Summary:
    cwd: str | None = None
    title: str = ""
    last: float | None = None  # the latest timestamp in the file (epoch seconds)
    size: int = 0
    session_id: str | None = None

    def to_json(self) -> list[object]:
        return [self.cwd, self.title, self.last, self.size, self.session_id]

    @classmethod
    def from_json(cls, data: list[object]) -> Summary:
        cwd, title, last, size, sid = data
        return cls(
            cwd if isinstance(cwd, str) else None,
            title if isinstance(title, str) else "",
            float(last) if isinstance(last, (int, float)) else None,
            size if isinstance(size, int) else 0,
            sid if isinstance(sid, str) else None,
        )


def _prompt_text(message: object) -> str | None:
    """The text a person typed, from a user line's ``message``; None for tool results."""
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if isinstance(content, list):
        texts = [
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        ]
        if not texts:
            return None
        content = "\n".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str):
        return None
    command = re.search(r"<command-name>(.*?)</command-name>", content, re.S)
    if command:
        args = re.search(r"<command-args>(.*?)</command-args>", content, re.S)
        text = command.group(1).strip() + (" " + args.group(1).strip() if args else "")
        return text.strip()
    if content.lstrip().startswith(("<", "[Request interrupted")) or content.startswith("Caveat:"):
        return None  # local command output, interruptions and other markup: not a prompt
    return content


def summarize(data: bytes) -> Summary:
    summary = Summary(size=len(data))
    summary_line = ""
    command = ""  # a slash command, the title only if nothing was typed
    for raw in data.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(line, dict):
            continue
        if summary.cwd is None and isinstance(line.get("cwd"), str):
            summary.cwd = line["cwd"]
        if summary.session_id is None and isinstance(line.get("sessionId"), str):
            summary.session_id = line["sessionId"]
        moment = parse_time(line.get("timestamp"))
        if moment is not None and (summary.last is None or moment > summary.last):
            summary.last = moment
        if line.get("type") == "summary" and not summary_line:
            summary_line = str(line.get("summary") or "")
        if not summary.title and line.get("type") == "user" and not line.get("isMeta"):
            text = _prompt_text(line.get("message"))
            if text and text.startswith("/") and "\n" not in text:
                command = command or text
            elif text:
                summary.title = text
    title = " ".join((summary.title or summary_line or command).split())
    summary.title = title if len(title) <= _TITLE_LEN else title[: _TITLE_LEN - 1] + "…"
    return summary


def project_name(cwd: str | None, folder: bytes) -> str:
    """The project's folder name: from the ``cwd`` a session records, else the encoded folder."""
    if cwd:
        name = cwd.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
        if name:
            return name
    return os.fsdecode(folder)


# -- history ---------------------------------------------------------------------------


@dataclass
class Version:
    commit: str
    parent: str | None
    time: float
    machine: str
    oid: str | None  # None: deleted in this commit


@dataclass
class History:
    """Every version of every path under ``projects/``, newest first (merges left out)."""

    versions: dict[bytes, list[Version]] = field(default_factory=dict)

    def last_writer(self, path: bytes) -> Version | None:
        return next((v for v in self.versions.get(path, []) if v.oid is not None), None)


def read_history(git: Git, head: str, paths: Iterable[str] = ("projects",)) -> History:
    """Who wrote what and when, from one ``git log --raw`` over ``paths``."""
    history = History()
    for entry in git.log(head, list(paths)):
        for _old, new_oid, path in entry.changes:
            version = Version(
                commit=entry.commit,
                parent=entry.parents[0] if entry.parents else None,
                time=entry.at,
                machine=machine_of(git, entry),
                oid=None if set(new_oid) == {"0"} else new_oid,
            )
            history.versions.setdefault(path, []).append(version)
    return history


# -- the listing ---------------------------------------------------------------------------


@dataclass
class Session:
    folder: bytes
    sid: str
    oid: str  # the main file's blob in the version shown
    state: str  # "local", "kept" (deleted here, in the repo), "history" (deleted everywhere)
    summary: Summary
    machine: str
    written: float  # when that version was committed

    @property
    def path(self) -> bytes:
        return main_path(self.folder, self.sid)

    @property
    def project(self) -> str:
        return project_name(self.summary.cwd, self.folder)

    @property
    def last_activity(self) -> float:
        return self.summary.last if self.summary.last is not None else self.written


class SummaryCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Summary] = {}
        self.dirty = False
        with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("version") == _CACHE_VERSION:
                items = data.get("summaries", {})
                self.entries = {k: Summary.from_json(v) for k, v in items.items()}

    def save(self, keep: set[str]) -> None:
        if not self.dirty and keep >= set(self.entries):
            return
        data = {
            "version": _CACHE_VERSION,
            "summaries": {k: v.to_json() for k, v in self.entries.items() if k in keep},
        }
        atomic_write(self.path, json.dumps(data, separators=(",", ":")).encode())


def summaries(repo: SyncRepo, wanted: dict[str, bytes]) -> dict[str, Summary]:
    """Summary of each blob (id -> its path), decrypting only what the cache lacks."""
    cache = SummaryCache(repo.layout.sessions_cache_file)
    missing = {oid: path for oid, path in wanted.items() if oid not in cache.entries}
    if missing:
        history = keyring.keyring_for(repo.layout.key_file, repo.key)
        for oid, data in repo.git.iter_blobs(missing):
            try:
                plain = history.decrypt(missing[oid], data)
            except FatalError:
                continue  # a key this machine never had: listed without details
            cache.entries[oid] = summarize(plain)
            cache.dirty = True
    cache.save(set(wanted) | set(cache.entries) if len(cache.entries) < 50_000 else set(wanted))
    return {oid: cache.entries.get(oid, Summary()) for oid in wanted}


def list_sessions(repo: SyncRepo, history: History | None = None) -> list[Session]:
    """Every session in HEAD (here or kept) and every one deleted since, newest activity first."""
    git = repo.git
    head = git.rev("HEAD")
    if head is None:
        return []
    history = history or read_history(git, head)
    tree = git.ls_tree(head)
    found: dict[bytes, tuple[str, str, Version | None]] = {}  # path -> (oid, state, version)
    for path, (_mode, oid) in tree.items():
        if session_of(path) is not None and path.count(b"/") == 2:
            present = files.fs_path(repo.claude_dir, path).exists()
            state = "local" if present else "kept"
            found[path] = (oid, state, history.last_writer(path))
    for path in history.versions:
        if path in found or path.count(b"/") != 2 or session_of(path) is None:
            continue
        writer = history.last_writer(path)
        if writer is not None and writer.oid is not None:
            found[path] = (writer.oid, "history", writer)
    infos = summaries(repo, {oid: path for path, (oid, _s, _v) in found.items()})
    # An empty or untitled transcript records no cwd: its folder's other sessions tell it.
    cwds: dict[bytes, str] = {}
    for path, (oid, _s, _v) in found.items():
        cwd = infos[oid].cwd
        if cwd:
            cwds.setdefault(path.split(b"/")[1], cwd)
    sessions = []
    for path, (oid, state, writer) in found.items():
        located = session_of(path)
        assert located is not None
        sessions.append(
            Session(
                folder=located[0],
                sid=located[1],
                oid=oid,
                state=state,
                summary=infos[oid]
                if infos[oid].cwd or located[0] not in cwds
                else dataclasses.replace(infos[oid], cwd=cwds[located[0]]),
                machine=writer.machine if writer else "?",
                written=writer.time if writer else 0.0,
            )
        )
    sessions.sort(key=lambda s: (-s.last_activity, s.sid))
    return sessions


def find(sessions: list[Session], prefix: str) -> Session:
    """The one session whose id starts with ``prefix``."""
    text = prefix.strip()
    if text.endswith(".jsonl"):
        text = text.rsplit("/", 1)[-1][: -len(".jsonl")]
    matches = [s for s in sessions if s.sid.startswith(text)] if text else []
    if not matches:
        raise FatalError(f"no session {prefix!r} (see 'git claude-sync sessions')")
    if len(matches) > 1:
        listed = ", ".join(f"{s.sid} ({s.project})" for s in matches[:5])
        raise FatalError(
            f"{prefix!r} matches {len(matches)} sessions: {listed}; give more of the id"
        )
    return matches[0]


# -- dates -----------------------------------------------------------------------------------

_RELATIVE = re.compile(
    r"^(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)(\s+ago)?$", re.IGNORECASE
)
_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_date(text: str, now: float | None = None) -> float:
    """Epoch seconds for 2025-06-20, "2025-06-20 14:30", 3d, "2 weeks ago", yesterday."""
    now = time.time() if now is None else now
    value = text.strip()
    lowered = value.lower()
    if lowered == "now":
        return now
    if lowered in ("today", "yesterday"):
        midnight = dt.datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp() - (86400 if lowered == "yesterday" else 0)
    relative = _RELATIVE.match(value)
    if relative:
        unit = relative.group(2).lower()
        seconds = _UNIT["m" if unit.startswith("m") else unit[0]]
        return now - int(relative.group(1)) * seconds
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FatalError(
            f"cannot read the date {text!r}: use e.g. 2025-06-20, '2025-06-20 14:30', 3d, "
            "'2 weeks ago' or yesterday"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time
    return moment.timestamp()


def show_time(moment: float | None) -> str:
    if moment is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))


def show_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
