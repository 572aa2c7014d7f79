"""``git claude-sync sessions``: every synced session, from every machine."""

from __future__ import annotations

import shutil
import sys

import click

from git_claude_sync.engine import session_history
from git_claude_sync.engine.session_history import Session, show_size, show_time
from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import jsonout
from git_claude_sync.ui.report import show_text

STATES = {
    "local": "here",
    "kept": "remote",  # deleted here (Claude Code's clean-up), kept in the sync repo
    "history": "history",  # deleted everywhere (push --prune), in history only
}


def matches(
    session: Session, project: str | None, machine: str | None, since: float | None
) -> bool:
    if project is not None:
        wanted = project.lower()
        haystack = [
            session.project,
            session.summary.cwd or "",
            session.folder.decode("utf-8", "replace"),
        ]
        if not any(wanted in text.lower() for text in haystack):
            return False
    if machine is not None and session.machine.lower() != machine.lower():
        return False
    return since is None or session.last_activity >= since


def as_json(s: Session) -> dict[str, object]:
    return {
        "id": s.sid,
        "project": s.project,
        "cwd": s.summary.cwd,
        "folder": jsonout.path(s.folder),
        "last_activity": jsonout.when(s.last_activity),
        "size": s.summary.size,
        "machine": s.machine,
        "where": STATES[s.state],
        "title": s.summary.title or None,
    }


def _title_room(project_width: int, machine_width: int) -> int | None:
    """Columns left for the title on a terminal; None (no limit) when stdout is not one."""
    if not sys.stdout.isatty():
        return None
    columns = shutil.get_terminal_size().columns
    return columns - (8 + project_width + 16 + 8 + machine_width + 7 + 2 * 6)


def _fit(text: str, room: int | None) -> str:
    if room is None or len(text) <= room:
        return text
    return text[: room - 1] + "…"


def run(
    project: str | None, machine: str | None, since: str | None, as_json_out: bool = False
) -> None:
    repo = open_repo()
    since_time = session_history.parse_date(since) if since is not None else None
    with sync_lock(repo.layout):
        found = session_history.list_sessions(repo)
    shown = [s for s in found if matches(s, project, machine, since_time)]
    if as_json_out:
        jsonout.emit("sessions", sessions=[as_json(s) for s in shown])
        return
    if not shown:
        click.echo("No synced sessions." if not found else "No session matches.")
        return
    width = max(len(s.project) for s in shown)
    width = min(max(width, len("PROJECT")), 28)
    machines = min(max(max(len(s.machine) for s in shown), len("MACHINE")), 20)
    title_room = _title_room(width, machines)
    if title_room is not None and title_room < 20:  # narrow terminal: shorter projects first
        width = max(len("PROJECT"), width - (20 - title_room))
        title_room = max(10, _title_room(width, machines) or 0)
    click.echo(
        f"{'SESSION':<8}  {'PROJECT':<{width}}  {'LAST ACTIVITY':<16}  {'SIZE':>8}  "
        f"{'MACHINE':<{machines}}  {'WHERE':<7}  TITLE"
    )
    for s in shown:
        click.echo(  # transcripts' text and names from the remote: no control characters
            show_text(
                f"{s.sid[:8]:<8}  {s.project[:width]:<{width}}  {show_time(s.last_activity):<16}  "
                f"{show_size(s.summary.size):>8}  {s.machine[:machines]:<{machines}}  "
                f"{STATES[s.state]:<7}  {_fit(s.summary.title or '-', title_room)}"
            )
        )
    counts = {state: sum(1 for s in shown if s.state == state) for state in STATES}
    notes = []
    if counts["kept"]:
        notes.append(f"{counts['kept']} deleted here but kept on the remote")
    if counts["history"]:
        notes.append(f"{counts['history']} deleted everywhere, in history")
    tail = f" ({'; '.join(notes)}: 'git claude-sync restore SESSION')" if notes else ""
    click.echo(f"{len(shown)} session{'s' if len(shown) != 1 else ''}{tail}")
