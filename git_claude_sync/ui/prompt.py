"""Deciding conflicts: asked on a terminal, by policy everywhere else.

Without a terminal (a hook, cron) nothing blocks and nothing is lost: the local
file stays and the remote version is stored for ``git claude-sync conflicts``.
"""

from __future__ import annotations

import os
import sys
from typing import Protocol

from git_claude_sync.engine.steps import Chooser, ConflictCase, Decision, both_name
from git_claude_sync.machine.files import TEMP_SUFFIX, fs_path
from git_claude_sync.ui.report import Report, colour_wanted, paint, plural, show_path


class Merged(Protocol):
    @property
    def merged(self) -> list[bytes]: ...

    @property
    def deferred(self) -> list[bytes]: ...

    @property
    def copies(self) -> list[tuple[bytes, bytes]]: ...


POLICIES = {"ours": "ours", "theirs": "theirs", "later": "later"}


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def chooser(policy: str | None, claude_dir: os.PathLike[str]) -> Chooser:
    """``--ours``/``--theirs`` decide alone; else ask on a terminal, else decide later."""
    if policy is not None:
        return lambda _case: (POLICIES[policy], None)
    if has_terminal():
        return lambda case: ask(case, claude_dir)
    return lambda _case: ("later", None)


def ask(case: ConflictCase, claude_dir: os.PathLike[str]) -> Decision:
    import click  # only to ask on a terminal: every push and pull imports this module

    name = show_path(case.path)
    click.echo(f"\nBoth machines changed {name} ({case.merged.reason or 'conflicting edits'}).")
    options = {
        "l": "keep local",
        "r": "keep remote",
        "b": f"keep both (remote as {show_path(both_name(case.path))})",
        "d": "show the differences",
        "e": "edit a merged version in $EDITOR",
        "s": "decide later (keep local; the remote version beside it on every machine)",
    }
    while True:
        for letter, text in options.items():
            click.echo(f"  [{letter}] {text}")
        choice = click.prompt("Choice", type=click.Choice(list(options)), show_choices=False)
        if choice == "l":
            return ("ours", None)
        if choice == "r":
            return ("theirs", None)
        if choice == "b":
            return ("both", None)
        if choice == "s":
            return ("later", None)
        if choice == "d":
            click.echo(diff_text(case), color=True)
        if choice == "e":
            edited = edit(case, claude_dir)
            if edited is not None:
                return ("edited", edited)
            click.echo("The editor was closed without saving; choose again.")


def diff_text(case: ConflictCase) -> str:
    import difflib  # only to show a conflict, as in ask()

    local = case.ours.decode("utf-8", "replace").splitlines(keepends=True)
    remote = case.theirs.decode("utf-8", "replace").splitlines(keepends=True)
    name = show_path(case.path)
    lines = list(difflib.unified_diff(local, remote, f"local/{name}", f"remote/{name}"))
    if colour_wanted():  # NO_COLOR and a non-terminal stdout leave it plain
        lines = [_coloured(line) for line in lines]
    return "".join(lines) or "(no textual difference)"


def _coloured(line: str) -> str:
    body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
    if line.startswith(("---", "+++")):
        return paint(body, "bold", True) + end
    if line.startswith("@@"):
        return f"\033[36m{body}\033[m{end}"
    if line.startswith("-"):
        return paint(body, "red", True) + end
    if line.startswith("+"):
        return paint(body, "green", True) + end
    return line


def edit(case: ConflictCase, claude_dir: os.PathLike[str]) -> bytes | None:
    """Open $EDITOR on the marked-up merge, in a private temp file inside the Claude directory."""
    draft = case.merged.marked if case.merged.marked is not None else case.ours
    target = fs_path(os.fspath(claude_dir), case.path)
    temp = target.with_name(f".{target.name}.merge{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(draft)
        before = temp.stat().st_mtime_ns
        import click  # only to edit, as in ask()

        click.edit(filename=str(temp))
        if temp.stat().st_mtime_ns == before:
            return None
        return temp.read_bytes()
    finally:
        temp.unlink(missing_ok=True)


def report_merge(result: Merged, report: Report) -> None:
    """What a sync merged from both sides, and what it left for a person to decide."""
    if result.merged:
        report.say(f"Merged the contents of {plural(len(result.merged), 'file')} from both sides.")
    for path, copy in result.copies:
        report.warn(
            f"{show_path(path)} changed on both machines: kept this machine's version; the "
            f"other is beside it as {show_path(copy)} on every machine "
            "(see 'git claude-sync conflicts')"
        )
    for path in result.deferred:
        report.warn(
            f"{show_path(path)} changed on both machines: kept this machine's version; the "
            "remote one is stored, see 'git claude-sync conflicts'"
        )
