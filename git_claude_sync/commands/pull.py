"""``git claude-sync pull``: bring other machines' changes into the Claude directory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_claude_sync.engine import conflict_copies, sealed_state, steps, transaction
from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import prompt
from git_claude_sync.ui.report import Report, plural, show_path

if TYPE_CHECKING:  # a dry run's: the module loads only for one (steps.preview)
    from git_claude_sync.engine.outlook import Outlook


def run(
    *,
    dry_run: bool = False,
    verbosity: int = 1,
    policy: str | None = None,
    accept_rollback: bool = False,
) -> None:
    report = Report(verbosity)
    repo = open_repo()
    with sync_lock(repo.layout, on_wait=report.waiting):
        if accept_rollback and not dry_run:
            sealed_state.forget(repo.layout)  # what the remote serves next is accepted
        if dry_run:
            _dry_run(steps.preview(repo, report, steps.fetch(repo)), report)
        else:
            choose = prompt.chooser(policy, repo.claude_dir)
            result = transaction.run(repo, report, send=False, choose=choose)
            report_pull(result, report)
    report.print_total()
    if not dry_run:
        conflict_copies.check(repo.git)  # exit 3 while a person must choose


def report_pull(result: transaction.Result, report: Report) -> None:
    if result.integration.kind == "up-to-date":
        report.say("Already up to date.")
    else:
        report.say(f"Pulled {plural(len(result.pulled), 'file')}.")
    prompt.report_merge(result, report)


def _dry_run(preview: Outlook, report: Report) -> None:
    conflicts = set(preview.conflicts)
    incoming = [p for p in preview.to_pull if p not in conflicts]
    if not incoming and not conflicts:
        report.say("Already up to date.")
    if incoming:
        report.say(f"Would pull {plural(len(incoming), 'file')}:")
        for path in incoming:
            report.say(f"  {show_path(path)}")
    if conflicts:
        names = ", ".join(map(show_path, sorted(conflicts)))
        report.say(f"Changed on both sides (pull would stop): {names}")
