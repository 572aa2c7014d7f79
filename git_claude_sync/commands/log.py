"""``git claude-sync log``: the sync history, one line per sync.

Each line: when, which machine, what kind of change, the sessions touched
(by project), how many other files, and how much the stored (compressed,
encrypted) data grew or shrank.  ``--verbose`` lists the sessions by title.
"""

from __future__ import annotations

import click

from git_claude_sync.engine import session_history, sync_metrics
from git_claude_sync.engine.session_history import Session, machine_of, show_size, show_time
from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.git import LogEntry
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import jsonout
from git_claude_sync.ui.report import plural, show_text

_ZERO = "0" * 40


def _kind(entry: LogEntry) -> str:
    if len(entry.parents) > 1:
        return "merge"
    if ": rotate key to " in entry.subject:
        return "key rotated to " + entry.subject.rsplit(" ", 1)[-1]
    if ": re-encrypt under key " in entry.subject:
        return "switched to key " + entry.subject.rsplit(" ", 1)[-1]
    return "sync"


def run(
    limit: int | None,
    machine: str | None,
    since: str | None,
    verbose: bool,
    as_json: bool = False,
) -> None:
    repo = open_repo()
    git = repo.git
    since_time = session_history.parse_date(since) if since is not None else None
    with sync_lock(repo.layout):
        if git.rev("HEAD") is None:
            if as_json:
                jsonout.emit("log", syncs=[])
            else:
                click.echo("Nothing synced yet.")
            return
        entries = git.log(limit=None if machine else limit, since=since_time)
        if machine is not None:
            entries = [e for e in entries if machine_of(git, e).lower() == machine.lower()]
            entries = entries[:limit] if limit is not None else entries
        known: dict[tuple[bytes, str], Session] = {
            (s.folder, s.sid): s for s in session_history.list_sessions(repo)
        }
    sizes = git.blob_sizes(
        o for e in entries for old, new, _ in e.changes for o in (old, new) if o != _ZERO
    )
    width = min(max([len(machine_of(git, e)) for e in entries] + [7]), 20)
    syncs: list[dict[str, object]] = []
    for entry in entries:
        touched: dict[tuple[bytes, str], None] = {}
        others = 0
        for _old, _new, path in entry.changes:
            located = session_history.session_of(path)
            if located is not None:
                touched[located] = None
            elif not sync_metrics.is_carried(path):  # the tool's own records: not a file
                others += 1
        grown = sum(sizes.get(new, 0) - sizes.get(old, 0) for old, new, _ in entry.changes)
        parts = [_kind(entry)]
        if touched:
            projects: dict[str, int] = {}
            for folder, sid in touched:
                session = known.get((folder, sid))
                name = session.project if session else session_history.project_name(None, folder)
                projects[name] = projects.get(name, 0) + 1
            named = [f"{n} ×{c}" if c > 1 else n for n, c in projects.items()]
            listed = ", ".join(named[:3]) + (
                f" and {len(named) - 3} more" if len(named) > 3 else ""
            )
            parts.append(f"{plural(len(touched), 'session')} ({listed})")
        if others:
            parts.append(plural(others, "other file"))
        if as_json:
            by_session: list[dict[str, object]] = []
            for folder, sid in touched:
                session = known.get((folder, sid))
                by_session.append(
                    {
                        "id": sid,
                        "project": session.project
                        if session
                        else session_history.project_name(None, folder),
                        "title": session.summary.title or None if session else None,
                    }
                )
            syncs.append(
                {
                    "commit": entry.commit,
                    "at": jsonout.when(entry.at),
                    "machine": machine_of(git, entry),
                    "kind": _kind(entry),
                    "stored_bytes_delta": grown,
                    "sessions": by_session,
                    "other_files": others,
                }
            )
            continue
        size = f"{'+' if grown >= 0 else '-'}{show_size(abs(grown))}" if entry.changes else ""
        click.echo(
            show_text(
                f"{show_time(entry.at)}  {machine_of(git, entry)[:width]:<{width}}  {size:>10}  "
                f"{'; '.join(parts)}"
            )
        )
        if verbose:
            for folder, sid in touched:
                session = known.get((folder, sid))
                title = session.summary.title if session and session.summary.title else ""
                click.echo(show_text(f"{'':18}{sid[:8]}  {title}"))
    if as_json:
        jsonout.emit("log", syncs=syncs)
    elif not entries:
        click.echo("No sync matches.")
