"""``git claude-sync remote hide``: move a transparent git remote to the hidden layout.

The steps (docs/spec/git-host.md, "Moving a repository"); each leaves the remote
usable, so an interrupted run is finished by running it again:

1. sync with the host's branch as usual (what other machines pushed comes in, ours goes);
2. push that tip to the hidden layout of the same repository (``claude-sync::git+URL``);
3. read the hidden layout back into an empty repository: it must hold the tip and
   everything it reaches;
4. replace the host's branch by the marker (engine/hidden_branch), only if it is still
   at the tip; if another machine pushed meanwhile, start again at 1;
5. switch this machine's remote to the hidden URL.

Other machines follow on their next fetch (``hidden_branch.follow``).
"""

from __future__ import annotations

from git_claude_sync.engine import hidden_branch, steps, transaction
from git_claude_sync.engine.sync_repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import BRANCH, REMOTE_REF, Git, remote_refs, scrub, verify_copy
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.remote import urls
from git_claude_sync.ui import prompt
from git_claude_sync.ui.report import Report

ATTEMPTS = 5


def run(verbosity: int = 1) -> None:
    report = Report(verbosity)
    repo = open_repo()
    git = repo.git
    with sync_lock(repo.layout, on_wait=report.waiting):
        url = git.remote_url() or ""
        target = urls.git_target(url)
        if target is not None:
            _finish(repo, target, report)
            return
        if urls.is_object_storage(url):
            raise FatalError(f"the remote {scrub(url)} is a bucket: it holds no names already")
        hidden = urls.hidden(url)
        for _attempt in range(ATTEMPTS):
            choose = prompt.chooser(None, repo.claude_dir)
            transaction.run(repo, report, send=True, choose=choose)
            if git.remote_url() != url:  # followed the marker another machine left
                report.say(f"The remote already moved to the hidden layout: {scrub(hidden)}")
                return
            tip = git.rev(REMOTE_REF)
            if tip is None:  # nothing synced yet: nothing to move, only mark it hidden
                urls.start_hidden(hidden, repo.key)
                git.set_remote_url(hidden)
                report.say(f"The remote is now {scrub(hidden)} (it held nothing yet).")
                return
            with report.phase("copy to the hidden layout"):
                if not git.push_branch(tip, to=hidden):
                    continue  # another machine is moving it too: sync again
            with report.phase("read the copy back"):
                verify_copy(hidden, tip, git.limits)
            with report.phase(f"replace the branch {BRANCH}"):
                marker = hidden_branch.write_marker(git)
                if not _replace(git, url, marker, tip):
                    continue  # someone pushed to the old branch: bring it in first
            _switched(repo, hidden, report)
            return
        raise FatalError(
            f"the remote {scrub(url)} kept changing while it was being moved; nothing is "
            "lost: run 'git claude-sync remote hide' again"
        )


def _replace(git: Git, url: str, marker: str, tip: str) -> bool:
    try:
        return git.replace_branch_at(url, marker, tip)
    except FatalError as err:
        raise FatalError(
            f"the hidden layout holds everything, but {err}; the host may protect the branch "
            f"{BRANCH} (allow force pushes to it, or delete it on the host), then run "
            "'git claude-sync remote hide' again"
        ) from None


def _switched(repo: SyncRepo, hidden: str, report: Report) -> None:
    repo.git.set_remote_url(hidden)
    steps.fetch(repo)  # our view of the remote, now through the hidden layout
    report.say(f"The remote now holds only encrypted objects under random names: {hidden}")
    report.say(
        "  Other machines follow on their next sync. The host may keep the old objects until "
        "its own garbage collection (on GitHub: until support purges them, or delete the "
        "repository and create it again before moving)."
    )


def _finish(repo: SyncRepo, target: str, report: Report) -> None:
    """Already switched: make sure the host's branch no longer holds the history."""
    git = repo.git
    main = remote_refs(target, git.limits, f"refs/heads/{BRANCH}").get(f"refs/heads/{BRANCH}")
    if main is None or main == hidden_branch.MARKER:
        report.say(f"The remote already uses the hidden layout: {scrub(git.remote_url() or '')}")
        return
    hidden_tip = steps.fetch(repo)
    if hidden_tip is None or git.rev(main) is None or not git.is_ancestor(main, hidden_tip):
        raise FatalError(
            f"the branch {BRANCH} of {scrub(target)} has commits the hidden layout lacks; "
            f"run 'git claude-sync git remote set-url origin {scrub(target)}', then "
            "'git claude-sync remote hide' again (it brings them in first)"
        )
    verify_copy(urls.hidden(target), main, git.limits)
    if not _replace(git, target, hidden_branch.write_marker(git), main):
        raise FatalError(
            f"the branch {BRANCH} of {scrub(target)} moved meanwhile; run "
            "'git claude-sync remote hide' again"
        )
    report.say(f"The branch {BRANCH} of {scrub(target)} no longer holds the history.")
