"""The search API: find text in every synced session, list sessions, keep the index current.

Module-level functions, each opening the index at ``Layout.search_index_file``
(``layout`` chooses another machine's home; tests and the web UI use it):

* ``query`` and ``sessions`` read the index; one never built is built first.
  Neither looks for new commits: call ``update`` first (cheap when nothing
  changed: one ``git rev-parse``) to see what the last push or pull brought.
* ``update`` brings the index up to the sync repo's HEAD, incrementally.
* ``rebuild`` throws it away and builds it again.

An index that cannot be used (corrupt, from another version) is rebuilt,
after one line to ``notice`` (default: stderr).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from typing import TypeVar

from git_claude_sync.claude import transcript_text
from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import Layout, current
from git_claude_sync.records import dataclass
from git_claude_sync.search import database, indexer
from git_claude_sync.search.indexer import Stats
from git_claude_sync.search.source import Source, source_for

ROLES = transcript_text.ROLES
MATCH_START, MATCH_END = "\x02", "\x03"  # around each match in ``Hit.snippet``

Notice = Callable[[str], None]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Hit:
    """One piece of text that matched: a prompt, a reply or a tool's input or output."""

    session_id: str
    project: str  # the canonical project folder under projects/ in the sync repo
    machine: str | None  # the machine whose commit brought this text (None: unknown)
    time: dt.datetime | None  # of the matching entry (UTC)
    role: str  # "prompt" | "reply" | "tool"
    snippet: str  # plain text around the match; each match between \x02 and \x03
    path: str  # repo path of the transcript that holds it (a subagent's, for their text)
    cwd: str | None = None  # the directory the session ran in (where to resume it)
    present_locally: bool = True  # False: deleted here by Claude Code; 'restore' brings it back
    in_head: bool = True  # False: deleted everywhere (push --prune), found in history
    current: bool = True  # False: text only an earlier version of the file held


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    project: str  # canonical project folder
    machine: str | None  # the machine whose commit last changed the transcript
    first_time: dt.datetime | None
    last_time: dt.datetime | None
    title: str  # the first prompt, shortened ("" if none)
    messages: int  # user and assistant lines (tool results included)
    path: str  # repo path of the transcript
    present_locally: bool
    cwd: str | None = None
    in_head: bool = True


def _stderr(message: str) -> None:
    print(f"git-claude-sync: {message}", file=sys.stderr)


# -- opening, with a broken index rebuilt --------------------------------------------


def _with_index(
    layout: Layout | None,
    notice: Notice | None,
    work: Callable[[sqlite3.Connection, Layout], _T],
) -> _T:
    layout = layout or current()
    path = layout.search_index_file
    try:
        return work(database.open_index(path), layout)
    except (database.IndexBroken, sqlite3.DatabaseError) as err:
        if database.is_busy(err):
            raise FatalError(
                "the search index is busy (a sync or another search is updating it): "
                "try again in a moment"
            ) from None
        (notice or _stderr)(f"the search index was unusable ({err}); rebuilding it")
    database.remove(path)
    try:
        db = database.open_index(path)
        indexer.update(db, source_for(layout), full=True)
        return work(db, layout)
    except (database.IndexBroken, sqlite3.DatabaseError) as err:  # a disk that fails it again
        raise FatalError(f"cannot use the search index {path}: {err}") from None


def _built(db: sqlite3.Connection, layout: Layout) -> None:
    """An index never built is built now (a search before the first sync that built it)."""
    if database.get_meta(db, "commit") is None:
        indexer.update(db, source_for(layout))


def update(*, layout: Layout | None = None, notice: Notice | None = None) -> Stats:
    """Bring the index up to date with the sync repo, reading only what changed."""
    return _with_index(layout, notice, lambda db, lay: indexer.update(db, source_for(lay)))


def update_from(source: Source) -> Stats:
    """``update`` with a repo and key already open (the engine's call after a sync).

    Only an index that exists is updated: building one is for the first search.
    Raises ``database.IndexBroken`` or ``sqlite3.DatabaseError`` for an unusable one.
    """
    if not source.index_file.exists():
        return Stats()
    db = database.open_index(source.index_file)
    if database.get_meta(db, "commit") is None:
        return Stats()
    return indexer.update(db, source, build=False)


def rebuild(*, layout: Layout | None = None, notice: Notice | None = None) -> Stats:
    """Throw the index away and build it again from the sync repo."""
    layout = layout or current()
    source = source_for(layout)  # before deleting anything: fails if not set up
    database.remove(layout.search_index_file)
    return _with_index(layout, notice, lambda db, _lay: indexer.update(db, source, full=True))


# -- questions -----------------------------------------------------------------------


# --project: part of the project folder, or of the directory the session ran in.
_PROJECT = "(instr(lower({t}folder), ?) > 0 OR instr(lower(coalesce({t}cwd, '')), ?) > 0)"


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word must occur; "quoted words" as a phrase;
    a trailing * matches any word starting so.  Nothing the user types is FTS5 syntax."""
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', text):
        term = phrase or word
        prefix = not phrase and term.endswith("*") and len(term) > 1
        term = term.rstrip("*") if prefix else term
        if not term.strip() or not re.search(r"\w", term):
            continue
        terms.append('"' + term.replace('"', '""') + '"' + ("*" if prefix else ""))
    if not terms:
        raise FatalError(f"nothing to search for in {text!r}: give a word or two")
    return " ".join(terms)


def query(
    text: str,
    *,
    project: str | None = None,
    machine: str | None = None,
    since: dt.datetime | None = None,
    role: str | None = None,
    all_versions: bool = False,
    limit: int = 50,
    layout: Layout | None = None,
    notice: Notice | None = None,
) -> list[Hit]:
    """The best matches for ``text`` (every word must occur), best first.

    ``project``: part of the project folder or of the directory the session ran
    in (case-insensitive); ``machine``: exactly (case-insensitive); ``since``:
    entries at or after it; ``role``: "prompt", "reply" or "tool";
    ``all_versions``: also text that only earlier versions of a transcript held.
    """
    match = fts_query(text)
    if role is not None and role not in ROLES:
        raise FatalError(f"no role {role!r}: use one of {', '.join(ROLES)}")
    where = ["entry_text MATCH ?"]
    args: list[object] = [match]
    if not all_versions:
        where.append("e.current = 1")
    if role is not None:
        where.append("e.role = ?")
        args.append(role)
    if since is not None:
        where.append("coalesce(e.time, f.last_time, f.written) >= ?")
        args.append(_epoch(since))
    if project is not None:
        where.append(_PROJECT.format(t="f."))
        args += [project.lower(), project.lower()]
    if machine is not None:
        where.append("lower(coalesce(e.machine, f.machine, '')) = ?")
        args.append(machine.lower())
    sql = (
        "SELECT f.session_id, f.folder, coalesce(e.machine, f.machine), e.time, e.role, "
        f"snippet(entry_text, 0, '{MATCH_START}', '{MATCH_END}', '…', 24), f.path, "
        "coalesce(f.cwd, (SELECT cwd FROM files g WHERE g.session_id = f.session_id "
        "AND g.cwd IS NOT NULL LIMIT 1)), f.in_head, e.current "
        "FROM entry_text JOIN entries e ON e.id = entry_text.rowid "
        "JOIN files f ON f.id = e.file "
        f"WHERE {' AND '.join(where)} ORDER BY rank LIMIT ?"
    )
    args.append(limit)

    def work(db: sqlite3.Connection, layout: Layout) -> list[Hit]:
        _built(db, layout)
        try:
            rows = db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as err:
            if "fts5" in str(err) or "syntax" in str(err):
                raise FatalError(f"cannot search for {text!r}: {err}") from None
            raise
        claude_dir = _claude_dir(layout)
        return [
            Hit(
                session_id=sid,
                project=folder,
                machine=who,
                time=_moment(when),
                role=kind,
                snippet=_one_line(snippet),
                path=_text(path),
                cwd=cwd,
                present_locally=_present(claude_dir, indexer.main_path(path, sid)),
                in_head=bool(in_head),
                current=bool(is_current),
            )
            for sid, folder, who, when, kind, snippet, path, cwd, in_head, is_current in rows
        ]

    return _with_index(layout, notice, work)


def sessions(
    *,
    project: str | None = None,
    machine: str | None = None,
    limit: int = 200,
    layout: Layout | None = None,
    notice: Notice | None = None,
) -> list[SessionInfo]:
    """Sessions the index knows (every machine, here or not), latest activity first."""
    where = ["main = 1"]
    args: list[object] = []
    if project is not None:
        where.append(_PROJECT.format(t=""))
        args += [project.lower(), project.lower()]
    if machine is not None:
        where.append("lower(coalesce(machine, '')) = ?")
        args.append(machine.lower())
    sql = (
        "SELECT session_id, folder, machine, first_time, last_time, title, messages, path, "
        f"cwd, in_head FROM files WHERE {' AND '.join(where)} "
        "ORDER BY coalesce(last_time, written) DESC, session_id LIMIT ?"
    )
    args.append(limit)

    def work(db: sqlite3.Connection, layout: Layout) -> list[SessionInfo]:
        _built(db, layout)
        claude_dir = _claude_dir(layout)
        return [
            SessionInfo(
                session_id=sid,
                project=folder,
                machine=who,
                first_time=_moment(first),
                last_time=_moment(last),
                title=title or "",
                messages=messages,
                path=_text(path),
                present_locally=_present(claude_dir, path),
                cwd=cwd,
                in_head=bool(in_head),
            )
            for sid, folder, who, first, last, title, messages, path, cwd, in_head in db.execute(
                sql, args
            )
        ]

    return _with_index(layout, notice, work)


# -- small helpers -------------------------------------------------------------------


def _epoch(moment: dt.datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as a person means it
    return moment.timestamp()


def _moment(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)


_SPACE = re.compile(r"[\t\n\r\f\v ]+")
_CONTROL = re.compile(r"[\x00\x01\x04-\x1f\x7f-\x9f]")


def _one_line(snippet: str) -> str:
    """A snippet on one line with no control characters (but the match markers)."""
    return _CONTROL.sub("", _SPACE.sub(" ", snippet)).strip()


def _text(path: bytes) -> str:
    return path.decode("utf-8", "backslashreplace")


def _claude_dir(layout: Layout) -> str:
    return os.fspath(layout.claude_dir)


def _present(claude_dir: str, path: bytes) -> bool:
    return files.fs_path(claude_dir, path).exists()
