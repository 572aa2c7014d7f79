"""``git claude-sync pull``: bring other machines' changes into the Claude directory."""

from __future__ import annotations

from git_claude_sync import sync
from git_claude_sync.commands.push import _print_timings
from git_claude_sync.lock import sync_lock
from git_claude_sync.repo import SyncRepo, open_repo
from git_claude_sync.report import Report, plural, show_path


def run(*, dry_run: bool = False, verbosity: int = 1) -> None:
    report = Report(verbosity)
    repo = open_repo()
    with sync_lock(
        repo.layout.lock_file,
        repo.layout.git_dir,
        on_wait=lambda: report.say("Waiting for another git-claude-sync run to finish…"),
    ):
        if dry_run:
            _dry_run(repo, report)
        else:
            pull(repo, report)
    _print_timings(report)


def pull(repo: SyncRepo, report: Report) -> None:
    """Commit local changes, fetch, and merge the remote into the Claude directory."""
    with report.phase("encrypt and stage"):
        staged = sync.stage(repo, report)
    with report.phase("commit"):
        sync.commit(repo, staged)
    with report.phase("fetch"):
        remote_tip = sync.fetch(repo)
    with report.phase("merge"):
        integration = sync.plan(repo, remote_tip)
        sync.apply(repo, integration, report)
    sync.record_state(repo, "pulled")
    if integration.kind == "up-to-date":
        report.say("Already up to date.")
    else:
        report.say(f"Pulled {plural(len(integration.writes), 'file')}.")


def _dry_run(repo: SyncRepo, report: Report) -> None:
    remote_tip = sync.fetch(repo)
    preview = sync.preview(repo, report, remote_tip)
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
