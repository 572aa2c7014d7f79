"""``git claude-sync log``: the sync history, one line per sync.

Each line: when, which machine, what kind of change, the sessions touched
(by project), how many other files, and how much the stored (compressed,
encrypted) data grew or shrank.  ``--verbose`` lists the sessions by title.
"""

from __future__ import annotations

import click

from git_claude_sync.engine import session_history as sessions_mod
from git_claude_sync.engine.repo import open_repo
from git_claude_sync.engine.session_history import Session, machine_of, show_size, show_time
from git_claude_sync.git import Git
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui.report import plural

_ZERO = "0" * 40


class Entry:
    def __init__(self, commit: str, parents: list[str], at: float, author: str, subject: str):
        self.commit = commit
        self.parents = parents
        self.at = at
        self.machine = machine_of(author)
        self.subject = subject
        self.changes: list[tuple[str, str, bytes]] = []  # (old oid, new oid, path)


def read_log(git: Git, limit: int | None, since: float | None) -> list[Entry]:
    args = ["log", "--format=%x01%H %P%x00%at%x00%an%x00%s", "--raw", "-z", "--no-renames"]
    args += ["--no-abbrev"]
    if limit is not None:
        args.append(f"-n{limit}")
    if since is not None:
        args.append(f"--since={int(since)}")
    out = git.run([*args, "HEAD", "--"]).stdout
    entries = []
    for chunk in out.split(b"\x01")[1:]:
        ids, at, author, rest = chunk.split(b"\0", 3)
        subject, _, records = rest.partition(b"\0")
        commit, *parents = ids.decode().split()
        entry = Entry(
            commit, parents, float(at), author.decode("utf-8", "replace"), subject.decode()
        )
        fields = records.lstrip(b"\n").split(b"\0")
        for i in range(0, len(fields) - 1, 2):
            meta = fields[i].split()
            if fields[i].startswith(b":") and len(meta) >= 4:
                entry.changes.append((meta[2].decode(), meta[3].decode(), fields[i + 1]))
        entries.append(entry)
    return entries


def _sizes(git: Git, oids: set[str]) -> dict[str, int]:
    wanted = sorted(o for o in oids if o != _ZERO)
    if not wanted:
        return {}
    out = git.run(
        ["cat-file", "--batch-check=%(objectname) %(objectsize)"],
        input="".join(f"{o}\n" for o in wanted).encode(),
    ).stdout.decode()
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def _kind(entry: Entry) -> str:
    if len(entry.parents) > 1:
        return "merge"
    if ": rotate key to " in entry.subject:
        return "key rotated to " + entry.subject.rsplit(" ", 1)[-1]
    if ": re-encrypt under key " in entry.subject:
        return "switched to key " + entry.subject.rsplit(" ", 1)[-1]
    return "sync"


def run(limit: int | None, machine: str | None, since: str | None, verbose: bool) -> None:
    repo = open_repo()
    git = repo.git
    since_time = sessions_mod.parse_date(since) if since is not None else None
    with sync_lock(repo.layout):
        if git.rev("HEAD") is None:
            click.echo("Nothing synced yet.")
            return
        entries = read_log(git, None if machine else limit, since_time)
        if machine is not None:
            entries = [e for e in entries if e.machine.lower() == machine.lower()]
            entries = entries[:limit] if limit is not None else entries
        known: dict[tuple[bytes, str], Session] = {
            (s.folder, s.sid): s for s in sessions_mod.list_sessions(repo)
        }
    sizes = _sizes(git, {o for e in entries for old, new, _ in e.changes for o in (old, new)})
    width = min(max([len(e.machine) for e in entries] + [7]), 20)
    for entry in entries:
        touched: dict[tuple[bytes, str], None] = {}
        others = 0
        for _old, _new, path in entry.changes:
            located = sessions_mod.session_of(path)
            if located is not None:
                touched[located] = None
            else:
                others += 1
        grown = sum(sizes.get(new, 0) - sizes.get(old, 0) for old, new, _ in entry.changes)
        parts = [_kind(entry)]
        if touched:
            projects: dict[str, int] = {}
            for folder, sid in touched:
                session = known.get((folder, sid))
                name = session.project if session else sessions_mod.project_name(None, folder)
                projects[name] = projects.get(name, 0) + 1
            named = [f"{n} ×{c}" if c > 1 else n for n, c in projects.items()]
            listed = ", ".join(named[:3]) + (
                f" and {len(named) - 3} more" if len(named) > 3 else ""
            )
            parts.append(f"{plural(len(touched), 'session')} ({listed})")
        if others:
            parts.append(plural(others, "other file"))
        size = f"{'+' if grown >= 0 else '-'}{show_size(abs(grown))}" if entry.changes else ""
        click.echo(
            f"{show_time(entry.at)}  {entry.machine[:width]:<{width}}  {size:>10}  "
            f"{'; '.join(parts)}"
        )
        if verbose:
            for folder, sid in touched:
                session = known.get((folder, sid))
                title = session.summary.title if session and session.summary.title else ""
                click.echo(f"{'':18}{sid[:8]}  {title}")
    if not entries:
        click.echo("No sync matches.")
