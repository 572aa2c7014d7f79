"""``git claude-sync restore SESSION [--at DATE]``: bring a session back from the sync repo.

A session deleted here (Claude Code's clean-up keeps it on the remote), one
deleted everywhere (``push --prune``, still in history), or the state a
session had at a given time.  Only that session's files are written: its
transcript, its ``<id>/`` folder (subagents, tool results) and, in the older
layout, the ``agent-*.jsonl`` files that name it.  Each file is replaced
atomically, the transcript last, so Claude Code never lists a half-restored
session.  A file with changes not yet pushed is never overwritten.
"""

from __future__ import annotations

import json

import click

from git_claude_sync.claude import project_folders as mapping
from git_claude_sync.crypto import keyring as keys
from git_claude_sync.engine import kept
from git_claude_sync.engine import session_history as sessions_mod
from git_claude_sync.engine.repo import SyncRepo, open_repo
from git_claude_sync.engine.session_history import Session, show_time
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git
from git_claude_sync.machine import files as worktree
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui.report import plural, show_path


def _commit_at(git: Git, moment: float) -> str | None:
    out = git.out(["rev-list", "-1", f"--before={int(moment)}", "HEAD"]).strip()
    return out or None


def _source_commit(repo: SyncRepo, session: Session, history: sessions_mod.History) -> str:
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
    prefix = sessions_mod.PROJECTS + folder + b"/"
    tree = git.ls_tree(commit)
    main = sessions_mod.main_path(folder, sid)
    own = prefix + sid.encode() + b"/"
    wanted = {
        p: oid
        for p, (_mode, oid) in tree.items()
        if p == main
        or p.startswith(own)
        or (p.startswith(prefix + b"agent-") and p.count(b"/") == 2 and p.endswith(b".jsonl"))
    }
    keyring = keys.keyring_for(repo.layout.key_file, repo.key)
    blobs = git.read_blobs(wanted.values())
    files: dict[bytes, bytes] = {}
    for path, oid in wanted.items():
        try:
            plain = keyring.decrypt(path, blobs[oid])
        except FatalError as err:
            raise FatalError(f"{show_path(path)}: {err}; nothing was restored") from None
        if path.startswith(prefix + b"agent-") and not _names_session(plain, sid):
            continue
        files[path] = plain
    return files


def _names_session(data: bytes, sid: str) -> bool:
    for raw in data.splitlines()[:5]:
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("sessionId") == sid:
            return True
    return False


def run(session_id: str, at: str | None, force: bool) -> None:
    repo = open_repo()
    git = repo.git
    with sync_lock(repo.layout):
        head = git.rev("HEAD")
        if head is None:
            raise FatalError("nothing synced yet: there is nothing to restore")
        history = sessions_mod.read_history(git, head)
        session = sessions_mod.find(sessions_mod.list_sessions(repo, history), session_id)
        if at is not None:
            moment = sessions_mod.parse_date(at)
            commit = _commit_at(git, moment)
            if commit is None:
                raise FatalError(f"nothing was synced before {show_time(moment)}")
        else:
            commit = _source_commit(repo, session, history)
        files = session_files(repo, commit, session.folder, session.sid)
        if session.path not in files:
            raise FatalError(f"session {session.sid} did not exist at {at}; nothing was restored")
        written = _write(repo, head, files, force)
        if written:
            mapping.arrange_repo(repo)  # a folder that was gone gets its link back
    if not written:
        click.echo(f"Session {session.sid} is already in that state here; nothing to restore.")
        return
    when = show_time(float(git.out(["log", "-1", "--format=%at", commit]).strip()))
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
        click.echo(f"  Resume it with: cd {session.summary.cwd} && claude --resume {session.sid}")


def _write(repo: SyncRepo, head: str, files: dict[bytes, bytes], force: bool) -> list[bytes]:
    """Write the session's files (transcript last); returns the paths written."""
    git = repo.git
    head_tree = git.ls_tree(head)
    keyring = keys.keyring_for(repo.layout.key_file, repo.key)
    deleted_here = kept.kept_paths(git)
    todo: list[bytes] = []
    for path, data in files.items():
        current = worktree.read_file(worktree.fs_path(repo.claude_dir, path))
        if current == data:
            continue
        if current is not None and not force:
            synced = head_tree.get(path)
            committed = (
                keyring.decrypt(path, git.read_blobs([synced[1]])[synced[1]]) if synced else None
            )
            if current != committed:
                raise FatalError(
                    f"{show_path(path)} has changes not pushed yet; push first (or --force); "
                    "nothing was restored"
                )
        todo.append(path)
    todo.sort(key=lambda p: (session_main_last(p), p))
    for path in todo:
        worktree.replace_file(worktree.fs_path(repo.claude_dir, path), files[path])
    back = [p for p in todo if p in deleted_here]
    if back:
        git.run(
            ["update-index", "--no-skip-worktree", "-z", "--stdin"],
            input=b"".join(p + b"\0" for p in back),
        )
    git.run(["update-index", "-q", "--refresh"], check=False)
    return todo


def session_main_last(path: bytes) -> bool:
    return path.count(b"/") == 2 and not path.rsplit(b"/", 1)[1].startswith(b"agent-")
