"""``git claude-sync restore SESSION [--at DATE]``: bring a session back from the sync repo.

A session deleted here (Claude Code's clean-up keeps it on the remote), one
deleted everywhere (``push --prune``, still in history), or the state a
session had at a given time.  Only that session's files are written: its
transcript, its ``<id>/`` folder (subagents, tool results) and, in the older
layout, the ``agent-*.jsonl`` files that name it, the transcript last, so
Claude Code never lists a half-restored session.  A missing file is written
atomically; an existing session file only gets the lines it lacks appended in
place, as a pull writes (Claude Code may hold it open: a new inode would lose
its next lines), so restoring an older state of a session never drops a line.
Any other file is replaced atomically.  A file with changes not yet pushed is
never touched without ``--force``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import click

from git_claude_sync.claude import file_kinds
from git_claude_sync.crypto import keyring
from git_claude_sync.engine import arrange, kept, session_history
from git_claude_sync.engine.session_history import Session, show_time
from git_claude_sync.engine.sync_repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui.report import plural, show_path, show_text


def _source_commit(repo: SyncRepo, session: Session, history: session_history.History) -> str:
    """The commit holding the session's latest state (HEAD, or just before its deletion)."""
    git = repo.git
    if session.state != "history":
        head = git.rev("HEAD")
        assert head is not None
        return head
    for version in history.versions.get(session.path, []):
        if version.oid is None and version.parent:
            return version.parent
    raise FatalError(f"cannot find session {session.sid} in history")


def session_files(repo: SyncRepo, commit: str, folder: bytes, sid: str) -> dict[bytes, bytes]:
    """Path -> plaintext of every file of session ``sid`` in ``commit``."""
    git = repo.git
    prefix = session_history.PROJECTS + folder + b"/"
    tree = git.ls_tree(commit)
    main = session_history.main_path(folder, sid)
    own = prefix + sid.encode() + b"/"
    wanted = {
        p: oid
        for p, (_mode, oid) in tree.items()
        if p == main
        or p.startswith(own)
        or (p.startswith(prefix + b"agent-") and p.count(b"/") == 2 and p.endswith(b".jsonl"))
    }
    old_keys = keyring.keyring_for(repo.layout.key_file, repo.key)
    blobs = git.read_blobs(wanted.values())
    contents: dict[bytes, bytes] = {}
    for path, oid in wanted.items():
        try:
            plain = old_keys.decrypt(path, blobs[oid])
        except FatalError as err:
            raise FatalError(f"{show_path(path)}: {err}; nothing was restored") from None
        if path.startswith(prefix + b"agent-") and not _names_session(plain, sid):
            continue
        contents[path] = plain
    return contents


def _names_session(data: bytes, sid: str) -> bool:
    for raw in data.splitlines()[:5]:
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("sessionId") == sid:
            return True
    return False


@dataclass(frozen=True)
class Restored:
    session: Session
    commit: str
    head: str
    written: list[bytes]


def restore(session_id: str, at: str | None, force: bool) -> Restored:
    """Write the session's files as synced (at ``at``); the terminal and the web page call it."""
    repo = open_repo()
    git = repo.git
    with sync_lock(repo.layout):
        head = git.rev("HEAD")
        if head is None:
            raise FatalError("nothing synced yet: there is nothing to restore")
        history = session_history.read_history(git, head)
        session = session_history.find(session_history.list_sessions(repo, history), session_id)
        if at is not None:
            moment = session_history.parse_date(at)
            commit = git.commit_before(moment)
            if commit is None:
                raise FatalError(f"nothing was synced before {show_time(moment)}")
        else:
            commit = _source_commit(repo, session, history)
        files = session_files(repo, commit, session.folder, session.sid)
        if session.path not in files:
            raise FatalError(f"session {session.sid} did not exist at {at}; nothing was restored")
        written = _write(repo, head, files, force)
        if written:
            arrange.arrange_repo(repo)  # a folder that was gone gets its link back
    return Restored(session, commit, head, written)


def run(session_id: str, at: str | None, force: bool) -> None:
    done = restore(session_id, at, force)
    session, commit, head, written = done.session, done.commit, done.head, done.written
    if not written:
        click.echo(f"Session {session.sid} is already in that state here; nothing to restore.")
        return
    when = show_time(open_repo().git.commit_time(commit))
    title = f" “{session.summary.title}”" if session.summary.title else ""
    click.echo(
        f"Restored session {session.sid} ({session.project}){title} as synced at {when}: "
        f"{plural(len(written), 'file')}."
    )
    if commit != head and session.state != "history":
        click.echo(
            "  This is an older state: the next push makes it current on every machine "
            "(the newer one stays in history)."
        )
    if session.summary.cwd:
        click.echo(
            show_text(
                f"  Resume it with: cd {session.summary.cwd} && claude --resume {session.sid}"
            )
        )


def _write(repo: SyncRepo, head: str, contents: dict[bytes, bytes], force: bool) -> list[bytes]:
    """Write the session's files (transcript last); returns the paths written."""
    git = repo.git
    head_tree = git.ls_tree(head)
    old_keys = keyring.keyring_for(repo.layout.key_file, repo.key)
    deleted_here = kept.kept_paths(git)
    todo: list[bytes] = []
    for path, data in contents.items():
        current = files.read_file(files.fs_path(repo.claude_dir, path))
        if current == data or (
            current is not None
            and file_kinds.is_append_only(path)
            and file_kinds.holds_lines(current, data)
        ):
            # Already here (a session's lines maybe in this machine's order): a
            # session only gets lines it lacks, never loses any (see below).
            continue
        if current is not None and not force:
            synced = head_tree.get(path)
            committed = (
                old_keys.decrypt(path, git.read_blobs([synced[1]])[synced[1]]) if synced else None
            )
            # A session may hold the synced lines in this machine's order (a pull
            # appends, never rewrites: machine/files.append_lines): not a change.
            same = committed is not None and (
                file_kinds.is_append_only(path) and file_kinds.same_lines(current, committed)
            )
            if current != committed and not same:
                raise FatalError(
                    f"{show_path(path)} has changes not pushed yet; push first (or --force); "
                    "nothing was restored"
                )
        todo.append(path)
    todo.sort(key=lambda p: (session_main_last(p), p))
    for path in todo:
        # As a pull writes: a session Claude Code may hold open gets the lines it
        # lacks appended in place, never a new inode (machine/files.write_synced).
        target = files.fs_path(repo.claude_dir, path)
        if not files.write_synced(target, contents[path], file_kinds.is_append_only(path)):
            raise FatalError(
                f"{show_path(path)} ends in a line being written: not restored; "
                "run the command again in a moment"
            )
    back = [p for p in todo if p in deleted_here]
    git.set_skip_worktree(back, False)
    git.refresh_index()
    return todo


def session_main_last(path: bytes) -> bool:
    return path.count(b"/") == 2 and not path.rsplit(b"/", 1)[1].startswith(b"agent-")
