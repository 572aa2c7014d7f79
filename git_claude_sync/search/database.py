"""The search index on disk: one SQLite database with an FTS5 table, in a private folder.

It holds PLAINTEXT (every prompt, reply and tool output of every synced
session), so it lives in ``~/.claude-sync/search/`` (mode 0700), the database
itself mode 0600 (SQLite gives its journal files the database's mode), and is
never synced.  It is derived data: deleting it loses nothing, and anything
wrong with it (corrupt, older schema, unreadable) is answered by building it
again.

Tables: ``files`` (one row per transcript file of the sync repo: how far it
is indexed, who wrote it, its title), ``entries`` (one row per piece of text:
role, time, machine) and ``entry_text``, the FTS5 table whose rowid is the
entry's id.  ``meta`` holds the schema version and the commit indexed last.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from git_claude_sync.errors import FatalError

SCHEMA = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path BLOB UNIQUE NOT NULL,   -- repo path of the transcript
    session_id TEXT NOT NULL,
    folder TEXT NOT NULL,        -- its project folder under projects/ (canonical name)
    main INTEGER NOT NULL,       -- 1: the session's transcript; 0: a subagent's
    oid TEXT,                    -- the blob indexed last
    indexed INTEGER NOT NULL,    -- bytes indexed (complete lines)
    tail BLOB,                   -- the last bytes indexed, to tell an append from a rewrite
    machine TEXT,                -- the machine whose commit brought the last change
    written REAL,                -- when that commit was made
    in_head INTEGER NOT NULL,    -- 0: deleted everywhere (push --prune), in history only
    cwd TEXT, title TEXT, first_time REAL, last_time REAL,
    messages INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_session ON files(session_id);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    file INTEGER NOT NULL,
    role TEXT NOT NULL,
    time REAL,
    machine TEXT,
    current INTEGER NOT NULL,    -- 0: only in an earlier version of the file
    digest BLOB NOT NULL         -- of role and text: an earlier version's line still present
);
CREATE INDEX IF NOT EXISTS entries_file ON entries(file, current);
CREATE VIRTUAL TABLE IF NOT EXISTS entry_text USING fts5(
    text, tokenize = 'unicode61 remove_diacritics 2'
);
"""


class IndexBroken(Exception):
    """The database cannot be used as it is (corrupt, foreign, older schema): build it again."""


@functools.cache
def check_fts5() -> None:
    """Fail clearly when this Python's SQLite lacks FTS5 (some builds leave it out)."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError:
        raise FatalError(
            f"search needs SQLite's FTS5, which this Python's SQLite ({sqlite3.sqlite_version}) "
            "lacks: install a Python whose sqlite3 has FTS5 (python.org, Homebrew and Debian's do)"
        ) from None
    finally:
        db.close()


# Connections stay open for the process (per thread: sqlite3 wants that), so a second
# query costs only the query.  A connection is reused while its file is the same file.
_open = threading.local()


def open_index(path: Path) -> sqlite3.Connection:
    """The index at ``path``, created if missing; ``IndexBroken`` if it cannot be used."""
    cache: dict[Path, tuple[tuple[int, int], sqlite3.Connection]] = _open.__dict__.setdefault(
        "connections", {}
    )
    try:
        status = path.stat()
    except FileNotFoundError:
        status = None
    held = cache.pop(path, None)
    if held is not None:
        if status is not None and held[0] == (status.st_dev, status.st_ino):
            cache[path] = held
            return held[1]
        held[1].close()
    check_fts5()
    if status is None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        # Created 0600 before SQLite opens it: SQLite keeps the mode and gives it to its journal.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise IndexBroken(f"{path} is not a file")
    if status.st_mode & 0o077:
        os.chmod(path, 0o600)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=True)
    try:
        version = _meta(db, "schema")
        if version is None:
            db.execute("PRAGMA journal_mode = WAL")  # readers never wait for an update
            # One script, one transaction: a half-made schema is never left behind.
            db.executescript(
                f"BEGIN IMMEDIATE;{_TABLES}"
                f"INSERT OR REPLACE INTO meta VALUES ('schema', '{SCHEMA}');COMMIT;"
            )
        elif version != str(SCHEMA):
            raise IndexBroken(f"schema {version}, this version uses {SCHEMA}")
        db.execute("PRAGMA synchronous = NORMAL")  # derived data: a lost update is rebuilt
        db.execute("SELECT count(*) FROM files").fetchone()
    except sqlite3.DatabaseError as err:
        db.close()
        if is_busy(err):
            raise
        raise IndexBroken(str(err)) from None
    except IndexBroken:
        db.close()
        raise
    cache[path] = ((status.st_dev, status.st_ino), db)
    return db


def is_busy(err: Exception) -> bool:
    """A lock held too long by another writer: the index is fine, only not free now."""
    return isinstance(err, sqlite3.OperationalError) and (
        "locked" in str(err) or "busy" in str(err)
    )


def forget(path: Path) -> None:
    """Close this thread's connection to ``path`` (before the file is deleted)."""
    cache = _open.__dict__.get("connections", {})
    held = cache.pop(path, None)
    if held is not None:
        held[1].close()


def remove(path: Path) -> None:
    """Delete the database and SQLite's files beside it."""
    forget(path)
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        with contextlib.suppress(FileNotFoundError):
            (path.parent / name).unlink()


def _meta(db: sqlite3.Connection, name: str) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables == 0:
                return None  # a new, empty database
        raise
    return None if row is None else str(row[0])


def get_meta(db: sqlite3.Connection, name: str) -> str | None:
    return _meta(db, name)


def set_meta(db: sqlite3.Connection, name: str, value: str | None) -> None:
    if value is None:
        db.execute("DELETE FROM meta WHERE name = ?", (name,))
    else:
        db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (name, value))


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (two writers wait for each other, never deadlock)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
