"""``git claude-sync push``: commit this machine's changes and send them."""

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
    renormalize: bool = False,
    prune: bool = False,
    allow_mass_delete: bool = False,
    accept_rollback: bool = False,
    dry_run: bool = False,
    verbosity: int = 1,
    policy: str | None = None,
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
            result = transaction.run(
                repo,
                report,
                send=True,
                choose=choose,
                renormalize=renormalize,
                prune=prune,
                allow_mass_delete=allow_mass_delete,
            )
            _report(result, report)
    report.print_total()
    if not dry_run:
        conflict_copies.check(repo.git)  # exit 3 while a person must choose


def _report(result: transaction.Result, report: Report) -> None:
    staged = result.staged
    if staged.kept:
        report.say(
            f"Kept {plural(len(staged.kept), 'file')} deleted here on the remote (sessions "
            "Claude Code cleaned up?); 'push --prune' deletes them there too."
        )
    prompt.report_merge(result, report)
    if result.pulled:
        report.say(f"Merged {plural(len(result.pulled), 'file')} from the remote.")
    if result.nothing_committed:
        report.say("Nothing to push: no synced files yet.")
    elif result.sent is None:
        report.say("Nothing to push.")
    else:
        what = staged.summary() if staged.changes else "earlier commits"
        report.say(f"Pushed ({what}; {plural(result.objects_sent, 'encrypted object')}).")


def _dry_run(preview: Outlook, report: Report) -> None:
    paths = preview.to_push
    if not paths:
        report.say("Nothing to push.")
    else:
        report.say(f"Would push {plural(len(paths), 'file')}:")
        for path in paths:
            report.say(f"  {show_path(path)}")
    if preview.to_pull:
        incoming = plural(len(preview.to_pull), "changed file")
        report.say(f"The remote has {incoming}; they would be merged first.")
    if preview.conflicts:
        names = ", ".join(map(show_path, preview.conflicts))
        report.say(f"Changed on both sides (push would stop): {names}")
