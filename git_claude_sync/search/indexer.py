"""Bringing the index up to the sync repo's HEAD: all of it once, then only what changed.

The index remembers the commit it reflects.  An update asks git which
transcripts differ between that commit and HEAD (one ``git diff``) and
which machines committed them (one ``git log`` over the range), then reads
each changed transcript from the byte offset it was indexed to: a transcript
only grows, so what is new is what lies past that offset.  The file is read
from the Claude directory when it is there (plaintext already, and only the
new bytes), else its blob is decrypted.  The bytes just before the offset are
kept to tell an append from a rewrite: a rewritten file is indexed again
from the start, and the text only its earlier version held stays findable
as an earlier version's (``current = 0``).

Sessions deleted here by Claude Code's clean-up are still in HEAD (kept, see
engine/kept.py) and indexed like the others; sessions deleted everywhere
(``push --prune``) keep their rows, marked ``in_head = 0``; a full build finds
them in history.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3

from git_claude_sync.claude import transcript_text
from git_claude_sync.errors import FatalError
from git_claude_sync.git import GitError
from git_claude_sync.machine import files
from git_claude_sync.records import dataclass
from git_claude_sync.search import database
from git_claude_sync.search.machine_name import machine_of
from git_claude_sync.search.source import Source

PROJECTS = b"projects/"
TAIL = 64  # bytes kept from just before the offset


@dataclass(frozen=True)
class Version:
    oid: str
    machine: str | None
    written: float | None
    in_head: bool


@dataclass
class Stats:
    files: int = 0  # transcripts read
    bytes: int = 0  # bytes of them read (or decrypted)
    entries: int = 0  # pieces of text added


def is_transcript(path: bytes) -> bool:
    return path.startswith(PROJECTS) and path.endswith(b".jsonl") and path.count(b"/") >= 2


def session_of(path: bytes) -> tuple[str, str, bool]:
    """(project folder, session id, is the main transcript) from a transcript's path.

    ``projects/F/ID.jsonl`` is session ID's transcript; ``projects/F/ID/subagents/…``
    belongs to ID; an old flat ``projects/F/agent-X.jsonl`` names its session inside
    (the caller fills that in; ``agent-X`` until then).
    """
    parts = path.split(b"/")
    # Names that are not UTF-8 are shown, never stored as lone surrogates (SQLite refuses them).
    folder = parts[1].decode("utf-8", "backslashreplace")
    name = parts[2].decode("utf-8", "backslashreplace")
    if len(parts) == 3:
        stem = name[: -len(".jsonl")]
        return folder, stem, not stem.startswith("agent-")
    return folder, name, False


def main_path(path: bytes, session_id: str) -> bytes:
    """The session's transcript for one of its files (itself, or a subagent's)."""
    parts = path.split(b"/")
    if len(parts) > 3:  # projects/F/ID/subagents/...
        return b"/".join(parts[:2]) + b"/" + parts[2] + b".jsonl"
    if parts[2].startswith(b"agent-"):  # an old flat subagent file: its session named inside
        return b"/".join(parts[:2]) + b"/" + session_id.encode() + b".jsonl"
    return path


def update(
    db: sqlite3.Connection, source: Source, *, full: bool = False, build: bool = True
) -> Stats:
    """Index what changed between the commit indexed last and HEAD (everything if ``full``).

    ``build=False`` (after a sync): never index everything; when the commit indexed
    last is gone (a rewritten history), forget it and leave the build to a search.
    """
    git = source.git
    head = git.rev("HEAD")
    last = database.get_meta(db, "commit")
    if head is None or (head == last and not full):
        return Stats()
    if full or last is None:
        return _build(db, source, head) if build else Stats()
    try:
        changed = git.changed_blobs(last, head, "projects")
    except GitError:  # the commit indexed last is no longer in the repo
        if build:
            return _build(db, source, head)
        with database.transaction(db):
            database.set_meta(db, "commit", None)
        return Stats()
    stats = Stats()
    changed = {path: oid for path, oid in changed.items() if is_transcript(path)}
    writers = _writers(source, f"{last}..{head}") if changed else {}
    with database.transaction(db):
        for path, oid in changed.items():
            if oid is None:  # deleted everywhere: its text stays findable, from history
                db.execute("UPDATE files SET in_head = 0 WHERE path = ?", (path,))
                continue
            machine, written = writers.get(path, (None, None))
            _index_file(db, source, path, Version(oid, machine, written, True), stats)
        database.set_meta(db, "commit", head)
    return stats


def _writers(source: Source, revisions: str) -> dict[bytes, tuple[str | None, float]]:
    """The machine and time of the newest commit in ``revisions`` that changed each path."""
    found: dict[bytes, tuple[str | None, float]] = {}
    for entry in source.git.log(revisions, ["projects"]):
        machine = machine_of(source, entry)
        for _old, _new, path in entry.changes:
            found.setdefault(path, (machine, entry.at))
    return found


def _build(db: sqlite3.Connection, source: Source, head: str) -> Stats:
    """Index every transcript HEAD holds, and the last version of those deleted since."""
    git = source.git
    versions: dict[bytes, Version] = {}
    chains: dict[bytes, list[Version]] = {}  # every version of each path, newest first
    for path, (_mode, oid) in git.ls_tree(head).items():
        if is_transcript(path):
            versions[path] = Version(oid, None, None, True)
    for entry in git.log(head, ["projects"]):  # newest first
        machine = machine_of(source, entry)
        for _old, new, path in entry.changes:
            if not is_transcript(path):
                continue
            if set(new) != {"0"}:
                chains.setdefault(path, []).append(Version(new, machine, entry.at, False))
            known = versions.get(path)
            if known is None:
                if set(new) != {"0"}:  # the last version of a file deleted since
                    versions[path] = Version(new, machine, entry.at, False)
            elif known.machine is None and known.written is None:
                versions[path] = Version(known.oid, machine, entry.at, known.in_head)
    stats = Stats()
    with database.transaction(db):
        db.execute("DELETE FROM entry_text")
        db.execute("DELETE FROM entries")
        db.execute("DELETE FROM files")
        database.set_meta(db, "commit", None)
    batch: list[bytes] = []
    for path in sorted(versions, key=lambda p: (p.count(b"/") != 2, p)):  # main files first
        batch.append(path)
        if len(batch) >= 200:
            _index_batch(db, source, batch, versions, stats)
            batch = []
    _index_batch(db, source, batch, versions, stats)
    with database.transaction(db):
        for path, version in _shortened(source, versions, chains):
            _index_earlier(db, source, path, version, stats)
        database.set_meta(db, "commit", head)
    return stats


def _shortened(
    source: Source, versions: dict[bytes, Version], chains: dict[bytes, list[Version]]
) -> list[tuple[bytes, Version]]:
    """Earlier versions larger than the version after them: rewritten, not appended to.

    A transcript only grows, so a version followed by a smaller one held text the
    later one may lack.  Sizes come from git without reading a blob; only these
    versions are decrypted.  (A rewrite that also grew the file is not seen here;
    an update that sees the rewrite happen keeps the older text either way.)
    """
    chains = {p: c for p, c in chains.items() if len(c) > 1 and p in versions}
    sizes = source.git.blob_sizes(v.oid for chain in chains.values() for v in chain)
    found = []
    for path, chain in chains.items():
        for newer, older in zip(chain, chain[1:], strict=False):
            if older.oid != versions[path].oid and sizes.get(older.oid, 0) > sizes.get(
                newer.oid, 0
            ):
                found.append((path, older))
    return found


def _index_earlier(
    db: sqlite3.Connection, source: Source, path: bytes, version: Version, stats: Stats
) -> None:
    """The entries of an earlier version that the indexed one lacks, as ``current = 0``."""
    row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    if row is None:
        return
    data, _base = _read_blob(source, path, version.oid, 0, b"")
    if data is None:
        return
    stats.files += 1
    stats.bytes += len(data)
    have = {d for (d,) in db.execute("SELECT digest FROM entries WHERE file = ?", (row[0],))}
    missing = []
    for entry in transcript_text.read_from(data).entries:
        digest = _digest(entry)
        if digest not in have:
            have.add(digest)
            missing.append(entry)
    _add_entries(db, row[0], version.machine, missing, current=False)
    stats.entries += len(missing)


def _index_batch(
    db: sqlite3.Connection,
    source: Source,
    paths: list[bytes],
    versions: dict[bytes, Version],
    stats: Stats,
) -> None:
    with database.transaction(db):
        for path in paths:
            _index_file(db, source, path, versions[path], stats)


def _index_file(
    db: sqlite3.Connection, source: Source, path: bytes, version: Version, stats: Stats
) -> None:
    row = db.execute(
        "SELECT id, oid, indexed, tail, machine, written FROM files WHERE path = ?", (path,)
    ).fetchone()
    if row is not None and row[1] == version.oid:
        db.execute("UPDATE files SET in_head = ? WHERE id = ?", (int(version.in_head), row[0]))
        return
    indexed, tail = (row[2], row[3] or b"") if row is not None else (0, b"")
    data, base = _read(source, path, version.oid, indexed, tail)
    if data is None:
        return  # a key this machine never had: not searchable here
    stats.files += 1
    stats.bytes += len(data)
    read = transcript_text.read_from(data)
    machine, written = version.machine, version.written
    if row is not None and (machine is None or (base and not read.end)):
        # Unknown, or the same text under a new blob id (a key rotation re-encrypted it):
        # the machine that wrote it stays the one that did.
        machine, written = row[4], row[5]
    folder, sid, main = session_of(path)
    if not main and read.session_id and path.count(b"/") == 2:
        sid = read.session_id  # an old flat subagent file names its session inside
    end = base + read.end
    new_tail = (tail + data[: read.end])[-TAIL:] if base else data[: read.end][-TAIL:]
    if row is None:
        file_id = db.execute(
            "INSERT INTO files(path, session_id, folder, main, indexed, in_head) "
            "VALUES (?, ?, ?, ?, 0, 1)",
            (path, sid, folder, int(main)),
        ).lastrowid
        assert file_id is not None
    else:
        file_id = row[0]
        if base == 0:  # read again from the start: what was there is an earlier version's
            db.execute("UPDATE entries SET current = 0 WHERE file = ?", (file_id,))
            db.execute(
                "UPDATE files SET cwd = NULL, title = NULL, first_time = NULL, "
                "last_time = NULL, messages = 0 WHERE id = ?",
                (file_id,),
            )
    db.execute(
        "UPDATE files SET oid = ?, indexed = ?, tail = ?, machine = ?, written = ?, "
        "in_head = ?, cwd = coalesce(cwd, ?), title = coalesce(title, ?), "
        "first_time = min(coalesce(first_time, ?), coalesce(?, first_time)), "
        "last_time = max(coalesce(last_time, ?), coalesce(?, last_time)), "
        "messages = messages + ? WHERE id = ?",
        (
            version.oid,
            end,
            new_tail,
            machine,
            written,
            int(version.in_head),
            read.cwd,
            read.title,
            read.first_time,
            read.first_time,
            read.last_time,
            read.last_time,
            read.messages,
            file_id,
        ),
    )
    _add_entries(db, file_id, machine, read.entries)
    stats.entries += len(read.entries)
    if row is not None and base == 0:
        _drop_repeated(db, file_id)


def _add_entries(
    db: sqlite3.Connection,
    file_id: int,
    machine: str | None,
    entries: list[transcript_text.Entry],
    *,
    current: bool = True,
) -> None:
    if not entries:
        return
    first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM entries").fetchone()[0]
    ids = range(first, first + len(entries))
    db.executemany(
        "INSERT INTO entries(id, file, role, time, machine, current, digest) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (i, file_id, e.role, e.time, machine, int(current), _digest(e))
            for i, e in zip(ids, entries, strict=True)
        ],
    )
    db.executemany(
        "INSERT INTO entry_text(rowid, text) VALUES (?, ?)",
        [(i, e.text) for i, e in zip(ids, entries, strict=True)],
    )


def _drop_repeated(db: sqlite3.Connection, file_id: int) -> None:
    """An earlier version's entries that the current version still holds are not kept twice."""
    repeated = (
        "SELECT id FROM entries WHERE file = ?1 AND current = 0 AND digest IN "
        "(SELECT digest FROM entries WHERE file = ?1 AND current = 1)"
    )
    db.execute(f"DELETE FROM entry_text WHERE rowid IN ({repeated})", (file_id,))
    db.execute(f"DELETE FROM entries WHERE id IN ({repeated})", (file_id,))


def _digest(entry: transcript_text.Entry) -> bytes:
    return hashlib.blake2b(f"{entry.role}\0{entry.text}".encode(), digest_size=8).digest()


def _read(
    source: Source, path: bytes, oid: str, indexed: int, tail: bytes
) -> tuple[bytes | None, int]:
    """(bytes from where to index on, that offset): past ``indexed`` if the file only grew.

    The Claude directory's copy first (plaintext, and only the new bytes are read);
    the blob, decrypted, when the file is not here or is not what was indexed.
    """
    local = files.fs_path(source.claude_dir, path)
    try:
        with open(local, "rb") as handle:
            if indexed and os.fstat(handle.fileno()).st_size >= indexed:
                handle.seek(indexed - len(tail))
                if handle.read(len(tail)) == tail:
                    return handle.read(), indexed
            handle.seek(0)
            data = handle.read()
            if data:
                return data, 0
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        pass
    return _read_blob(source, path, oid, indexed, tail)


def _read_blob(
    source: Source, path: bytes, oid: str, indexed: int, tail: bytes
) -> tuple[bytes | None, int]:
    """``_read`` from the sync repo: the blob decrypted (None: under a key not here)."""
    try:
        plain = next(
            (source.keys.decrypt(path, blob) for _oid, blob in source.git.iter_blobs([oid])),
            None,
        )
    except FatalError:
        return None, 0
    if plain is None:
        return None, 0
    if indexed and len(plain) >= indexed and plain[indexed - len(tail) : indexed] == tail:
        return plain[indexed:], indexed
    return plain, 0
