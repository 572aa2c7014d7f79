"""``git claude-sync search QUERY``: find text in every session of every machine.

The index is brought up to the sync repo first (only what changed since it
was last updated), then asked.  Each hit says how to open its session: resume
it where it ran, or restore it first when Claude Code deleted it here.
"""

from __future__ import annotations

import datetime as dt
import shlex
import time

import click

from git_claude_sync.machine.paths import current
from git_claude_sync.search import index
from git_claude_sync.search.index import MATCH_END, MATCH_START, Hit
from git_claude_sync.ui import jsonout
from git_claude_sync.ui.report import colour_wanted, paint, plural, show_path


def _notice(message: str) -> None:
    click.echo(f"git-claude-sync: {message}", err=True)


def rebuild(*, then_search: bool = False) -> None:
    """Build the index again; the summary goes to stderr when search results follow on stdout."""
    click.echo("Building the search index from the sync repo…", err=True)
    stats = index.rebuild(notice=_notice)
    click.echo(
        f"Indexed {plural(stats.files, 'transcript')} "
        f"({stats.bytes / 1e6:.1f} MB, {plural(stats.entries, 'piece')} of text).",
        err=then_search,
    )


def run(
    text: str,
    *,
    project: str | None = None,
    machine: str | None = None,
    since: str | None = None,
    role: str | None = None,
    all_versions: bool = False,
    limit: int = 20,
    as_json: bool = False,
) -> None:
    since_time = None
    if since is not None:
        # Only here: the engine's modules cost a search without --since their import time.
        from git_claude_sync.engine import session_history

        since_time = dt.datetime.fromtimestamp(session_history.parse_date(since), dt.UTC)
    index.fts_query(text)  # an empty query fails before any work
    if not current().search_index_file.exists():
        click.echo("Building the search index (once: pushes and pulls keep it current)…", err=True)
    index.update(notice=_notice)
    hits = index.query(
        text,
        project=project,
        machine=machine,
        since=since_time,
        role=role,
        all_versions=all_versions,
        limit=limit,
        notice=_notice,
    )
    if as_json:
        jsonout.emit("search", query=text, hits=[_as_json(h) for h in hits])
        return
    if not hits:
        click.echo("No match.")
        return
    wanted = colour_wanted()
    for hit in hits:
        where = _where(hit)
        when = (
            time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.time.timestamp()))
            if hit.time
            else "-"
        )
        click.echo(
            paint(hit.session_id[:8], "yellow", wanted) + f"  {_project(hit)}  {when}  "
            f"{hit.machine or '?'}  {hit.role}" + (f"  ({where})" if where else "")
        )
        click.echo(f"    {_show_snippet(hit.snippet, wanted)}")
        click.echo(f"    {_how_to_open(hit)}")
    click.echo(plural(len(hits), "match") + ("" if len(hits) < limit else f" (the best {limit})"))


def _where(hit: Hit) -> str:
    if not hit.current:
        return "an earlier version"
    if not hit.in_head:
        return "deleted everywhere, in history"
    return "" if hit.present_locally else "deleted here, kept on the remote"


def _project(hit: Hit) -> str:
    return show_path((hit.cwd or hit.project).encode())


def _show_snippet(snippet: str, wanted: bool) -> str:
    parts = []
    rest = snippet
    while MATCH_START in rest:
        before, _, after = rest.partition(MATCH_START)
        found, _, rest = after.partition(MATCH_END)
        parts.append(show_path(before.encode()))
        marked = show_path(found.encode())
        parts.append(paint(marked, "bold", wanted) if wanted else f"[{marked}]")
    parts.append(show_path(rest.encode()))
    return "".join(parts)


def resume_command(hit: Hit) -> str:
    where = f"cd {shlex.quote(hit.cwd)} && " if hit.cwd else ""
    return f"{where}claude --resume {hit.session_id}"


def restore_command(hit: Hit) -> str | None:
    """How to bring the session back here (None: it is here)."""
    if hit.present_locally:  # (text of an earlier version: restore would bring the latest)
        return None
    return f"git claude-sync restore {hit.session_id}"


def _how_to_open(hit: Hit) -> str:
    restore = restore_command(hit)
    resume = show_path(resume_command(hit).encode())
    if restore is None:
        return f"resume: {resume}"
    return f"restore: {restore}, then resume: {resume}"


def _as_json(hit: Hit) -> dict[str, object]:
    plain, spans = split_snippet(hit.snippet)
    return {
        "session": hit.session_id,
        "project": hit.project,
        "cwd": hit.cwd,
        "machine": hit.machine,
        "time": jsonout.when(hit.time.timestamp() if hit.time else None),
        "role": hit.role,
        "snippet": plain,
        "matches": spans,
        "path": hit.path,
        "where": "here" if hit.present_locally else ("remote" if hit.in_head else "history"),
        "earlier_version": not hit.current,
        "resume": resume_command(hit),
        "restore": restore_command(hit),
    }


def split_snippet(snippet: str) -> tuple[str, list[list[int]]]:
    """The snippet without its markers, and [start, end) of each match in it."""
    plain: list[str] = []
    spans: list[list[int]] = []
    length = 0
    rest = snippet
    while MATCH_START in rest:
        before, _, after = rest.partition(MATCH_START)
        found, _, rest = after.partition(MATCH_END)
        plain += [before, found]
        start = length + len(before)
        length = start + len(found)
        spans.append([start, length])
    plain.append(rest)
    return "".join(plain), spans
