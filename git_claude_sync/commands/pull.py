"""``git claude-sync pull``: bring other machines' changes into the Claude directory."""

from __future__ import annotations

from git_claude_sync.claude import project_folders as mapping
from git_claude_sync.engine import sync
from git_claude_sync.engine.repo import SyncRepo, open_repo
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import prompt
from git_claude_sync.ui.report import Report, plural, show_path


def run(*, dry_run: bool = False, verbosity: int = 1, policy: str | None = None) -> None:
    report = Report(verbosity)
    repo = open_repo()
    with sync_lock(repo.layout, on_wait=report.waiting):
        if dry_run:
            _dry_run(repo, report)
        else:
            pull(repo, report, prompt.chooser(policy, repo.claude_dir))
    report.print_total()


def pull(repo: SyncRepo, report: Report, choose: sync.Chooser | None = None) -> None:
    """Commit local changes, fetch, and merge the remote into the Claude directory."""
    with report.phase("map project folders"):
        mapping.arrange_repo(repo, report)  # docs/MAPPING.md
    with report.phase("encrypt and stage"):
        staged = sync.stage(repo, report)
    with report.phase("commit"):
        sync.commit(repo, staged)
    _remote_tip, integration = fetch_and_merge(repo, report, choose)
    sync.record_state(repo, "pulled")
    if integration.kind == "up-to-date":
        report.say("Already up to date.")
    else:
        report.say(f"Pulled {plural(len(integration.writes), 'file')}.")
    report_merge(integration, report)


def fetch_and_merge(
    repo: SyncRepo, report: Report, choose: sync.Chooser | None
) -> tuple[str | None, sync.Integration]:
    """Fetch, merge the remote into the Claude directory, re-link mapped folders."""
    with report.phase("fetch"):
        remote_tip = sync.fetch(repo)
    with report.phase("merge"):
        integration = sync.plan(repo, remote_tip, choose)
        sync.apply(repo, integration, report)
    if integration.writes:
        with report.phase("map project folders"):
            mapping.arrange_repo(repo, report)
    return remote_tip, integration


def report_merge(integration: sync.Integration, report: Report) -> None:
    if integration.merged:
        report.say(
            f"Merged the contents of {plural(len(integration.merged), 'file')} from both sides."
        )
    for path, _theirs, _ours in integration.deferred:
        report.warn(
            f"{show_path(path)} changed on both machines: kept this machine's version; the "
            "remote one is stored, see 'git claude-sync conflicts'"
        )


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
