"""``git claude-sync push``: commit this machine's changes and send them."""

from __future__ import annotations

from git_claude_sync.claude import project_folders as mapping
from git_claude_sync.commands.pull import fetch_and_merge, report_merge
from git_claude_sync.engine import sync
from git_claude_sync.engine.repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import REMOTE_REF
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.ui import prompt
from git_claude_sync.ui.report import Report, plural, show_path


def run(
    *,
    renormalize: bool = False,
    prune: bool = False,
    dry_run: bool = False,
    verbosity: int = 1,
    policy: str | None = None,
) -> None:
    report = Report(verbosity)
    repo = open_repo()
    with sync_lock(repo.layout, on_wait=report.waiting):
        if dry_run:
            _dry_run(repo, report)
        else:
            _push(repo, report, renormalize, prompt.chooser(policy, repo.claude_dir), prune=prune)
    report.print_total()


def _push(
    repo: SyncRepo,
    report: Report,
    renormalize: bool,
    choose: sync.Chooser,
    *,
    prune: bool = False,
) -> None:
    git = repo.git
    with report.phase("map project folders"):
        mapping.arrange_repo(repo, report)  # docs/MAPPING.md
    with report.phase("encrypt and stage"):
        staged = sync.stage(repo, report, renormalize=renormalize, prune=prune)
    if staged.kept:
        report.say(
            f"Kept {plural(len(staged.kept), 'file')} deleted here on the remote (sessions "
            "Claude Code cleaned up?); 'push --prune' deletes them there too."
        )
    for path in staged.skipped:
        report.warn(f"skipped {show_path(path)}: symlinks and nested repositories are not synced")
    with report.phase("commit"):
        sync.commit(repo, staged)
    head = git.rev("HEAD")
    if head is None:
        report.say("Nothing to push: no synced files yet.")
        return
    known_remote = git.rev(REMOTE_REF)
    if not staged.changes and known_remote and git.is_ancestor(head, known_remote):
        report.say("Nothing to push.")
        return
    for _attempt in range(sync.PUSH_ATTEMPTS):
        remote_tip, integration = fetch_and_merge(repo, report, choose)
        report_merge(integration, report)
        if integration.writes:
            report.say(f"Merged {plural(len(integration.writes), 'file')} from the remote.")
        head = git.rev("HEAD")
        assert head is not None
        if remote_tip == head:
            report.say("Nothing to push.")
            return
        with report.phase("verify ciphertext"):
            count = sync.verify_outgoing(repo, head, remote_tip)
        with report.phase("upload"):
            sent = sync.send(repo, report)
        if sent:
            git.run(["update-ref", REMOTE_REF, head])
            sync.record_state(repo, "pushed")
            what = staged.summary() if staged.changes else "earlier commits"
            report.say(f"Pushed ({what}; {plural(count, 'encrypted object')}).")
            return
        report.detail("The remote moved meanwhile; merging and trying again.")
    raise FatalError(f"the remote kept moving; gave up after {sync.PUSH_ATTEMPTS} attempts")


def _dry_run(repo: SyncRepo, report: Report) -> None:
    remote_tip = sync.fetch(repo)
    preview = sync.preview(repo, report, remote_tip)
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
