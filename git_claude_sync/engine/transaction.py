"""One sync, in order: arrange → stage → commit → fetch → plan → apply → verify → send.

push, pull, a joining machine's first pull and key rotation are all this one
transaction; they differ only in their arguments (whether to send, how to
decide conflicts, and for a rotation which commit goes out under which key).
Commands call ``run`` and report what it returns.

Why this order: local changes are committed before anything is merged, so
the sync repo's history always holds this machine's last state; files are
written before the branch moves, so a run killed anywhere converges when run
again; every outgoing blob is checked to be our ciphertext for its path just
before it is sent.  If the remote moved between fetch and send, everything
from fetch on is redone (a bounded number of times).  A push whose commit
descends from the remote's tip as last fetched is first sent without a fetch,
under a lease on that tip (``_send_unfetched``): if the remote is still there,
a fetch would have found nothing; if not, the lease fails and the fetch runs.
So is a machine's first push when it has never fetched a branch nor seen a state,
under the lease that the remote has no branch.
"""

from __future__ import annotations

from collections.abc import Callable

from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import (
    arrange,
    deferred_lines,
    odd_paths,
    sealed_state,
    steps,
    sync_metrics,
)
from git_claude_sync.engine.steps import Chooser, Integration, Staged
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import REMOTE_REF
from git_claude_sync.records import dataclass, field
from git_claude_sync.search import hook as search_hook
from git_claude_sync.ui.report import Report, show_path

PUSH_ATTEMPTS = 5


@dataclass(frozen=True)
class Outgoing:
    """What a rotation sends instead of the branch tip: another commit, under another key."""

    commit: str
    key: Key
    via: str | None = None  # objects up to here are under the repo's current key
    replaces: bool = False  # a rewritten history: replaces the remote's (with a lease on it)


# Given the tip after merging (None: nothing committed yet), the commit to send
# and the key it must be under.  Rotation passes one; push and pull do not.
Reseal = Callable[[str | None], Outgoing | None]


@dataclass
class Result:
    staged: Staged
    merges: list[Integration] = field(default_factory=list)  # one per fetch
    sent: Outgoing | None = None  # what was pushed
    objects_sent: int = 0
    nothing_committed: bool = False  # the repo has no commit at all

    @property
    def integration(self) -> Integration:
        """The last fetch's integration (push may fetch more than once)."""
        return self.merges[-1] if self.merges else Integration("up-to-date", None)

    @property
    def pulled(self) -> list[bytes]:
        """Every path written or deleted here from the remote, over all attempts."""
        return sorted({p for merge in self.merges for p in merge.writes})

    @property
    def merged(self) -> list[bytes]:
        return sorted({p for merge in self.merges for p in merge.merged})

    @property
    def deferred(self) -> list[bytes]:
        return sorted({d[0] for merge in self.merges for d in merge.deferred})

    @property
    def copies(self) -> list[tuple[bytes, bytes]]:
        """(path, conflict copy) made by this run's merges (conflict_copies.py)."""
        return sorted({c for merge in self.merges for c in merge.copies})


def run(
    repo: SyncRepo,
    report: Report,
    *,
    send: bool,
    choose: Chooser | None,
    renormalize: bool = False,
    prune: bool = False,
    reseal: Reseal | None = None,
    allow_mass_delete: bool = False,
    fetched: str | None = None,
) -> Result:
    """The transaction; the caller holds the sync lock.

    ``send=False`` is a pull: everything up to apply.  ``choose`` decides
    conflicts (None: report them and change nothing).  ``reseal`` makes the
    commit to send (rotation).  A commit that would delete most synced files
    is refused (a pull restores them instead) unless ``allow_mass_delete``.
    ``fetched``: the remote's tip as the caller fetched it just now (init's first pull):
    the first attempt does not fetch again, a remote helper's start for nothing.
    Every run is measured (engine/sync_metrics.py).
    """
    watch = sync_metrics.start(repo, send)
    result = _transaction(
        repo, report, send=send, choose=choose, renormalize=renormalize, prune=prune,
        reseal=reseal, allow_mass_delete=allow_mass_delete, fetched=fetched,
    )  # fmt: skip
    applied = any(m.kind != "up-to-date" for m in result.merges)
    sent = result.sent.commit if result.sent else None
    sync_metrics.finish(repo, watch, sent, result.integration.remote_tip, applied)
    return result


def _transaction(
    repo: SyncRepo,
    report: Report,
    *,
    send: bool,
    choose: Chooser | None,
    renormalize: bool,
    prune: bool,
    reseal: Reseal | None,
    allow_mass_delete: bool,
    fetched: str | None,
) -> Result:
    git = repo.git
    # The linked folders' files listed by find on the other core meanwhile (odd_paths.py).
    early = odd_paths.start_listing(git, repo.claude_dir)
    try:
        with report.phase("map project folders"):
            arranged = arrange.arrange_repo(repo, report)  # docs/MAPPING.md
        if early is not None and (arranged.changed or deferred_lines.pending(git)):
            early.close()  # files moved, or lines to append (stage): what find saw is old
            early = None
        with report.phase("encrypt and stage"):
            staged = steps.stage(repo, report, renormalize=renormalize, prune=prune, early=early)
    finally:
        if early is not None:
            early.close()
    if not allow_mass_delete:
        # An emptied or replaced Claude directory: a pull restores, the rest refuse.
        staged = steps.guard_deletions(repo, report, staged, restore=not send, prune=prune)
    for path in staged.skipped:
        report.warn(f"skipped {show_path(path)}: symlinks and nested repositories are not synced")
    for path, why in staged.held_back:
        report.warn(
            f"{show_path(path)} not synced: Claude Code would skip it ({why}); "
            "the last good version stays in the repo and on the remote"
        )
    carried = sync_metrics.carry(repo, committing=bool(staged.changes))
    if carried is not None:
        staged.changes.append(("M", carried))
    with report.phase("commit"):
        steps.commit(repo, staged)
    result = Result(staged)
    if send and reseal is None and _nothing_new(repo, staged):
        result.nothing_committed = git.rev("HEAD") is None
        return result
    unfetched = _send_unfetched(repo, report, result) if send and reseal is None else None
    if unfetched:
        return result
    for _attempt in range(PUSH_ATTEMPTS - (unfetched is False)):  # the lease lost: an attempt
        remote_tip, integration = _fetch_and_apply(repo, report, choose, fetched)
        fetched = None
        result.merges.append(integration)
        if not send:
            steps.record_state(repo, "pulled")
            search_hook.after_sync(repo.layout, repo.git, repo.key)  # never raises
            return result
        head = git.rev("HEAD")
        outgoing = reseal(head) if reseal else (Outgoing(head, repo.key) if head else None)
        if outgoing is None:
            result.nothing_committed = head is None
            return result
        if outgoing.commit == remote_tip:
            search_hook.after_sync(repo.layout, repo.git, repo.key)
            return result
        lease = remote_tip if outgoing.replaces else None
        if _deliver(repo, report, result, outgoing, remote_tip, lease=lease):
            return result
        report.detail("The remote moved meanwhile; merging and trying again.")
    raise FatalError(f"the remote kept moving; gave up after {PUSH_ATTEMPTS} attempts")


def _send_unfetched(repo: SyncRepo, report: Report, result: Result) -> bool | None:
    """Send HEAD without fetching first, if it descends from the remote's tip as last
    fetched (or, if it never fetched a branch nor saw a state, with no branch at all),
    under a lease on that tip: the remote is then exactly as this machine last
    fetched and verified it (sealed_state.py), so fetching would find nothing to merge.
    False if the remote moved meanwhile (another machine pushed, or it was rolled back
    or replaced), None if HEAD does not descend from that tip: nothing was sent, and the
    fetch, its checks and the merge run as ever.  A push of one appended line is spared
    a fetch's round trip and the dozen git processes around it."""
    git = repo.git
    head, known = git.rev("HEAD"), git.rev(REMOTE_REF)
    if head is None or head == known:
        return None
    if known is None:
        # Never fetched a branch and never seen a state (a first push after init): the
        # lease is that the remote has no branch, as a fetch would have found (a fetch of
        # a branch gone since a state was seen is refused instead: not this path).
        if sealed_state.load_seen(repo.layout) is not None:
            return None
    elif not git.is_ancestor(known, head):
        return None
    if not _deliver(repo, report, result, Outgoing(head, repo.key), known, lease=known or ""):
        report.detail("The remote moved since the last fetch; fetching.")
        return False
    result.merges.append(Integration("up-to-date", None, remote_tip=known))
    return True


def _deliver(
    repo: SyncRepo,
    report: Report,
    result: Result,
    outgoing: Outgoing,
    remote_tip: str | None,
    *,
    lease: str | None,
) -> bool:
    """Verify what ``outgoing`` sends over ``remote_tip`` and push it; once the remote took
    it, record it (our view of the remote, its sealed state, the push's time) in
    ``result``.  False if the remote moved meanwhile: nothing recorded."""
    with report.phase("verify ciphertext"):
        count = _verify(repo, outgoing, remote_tip)
    with report.phase("upload"):
        rekey = outgoing.key.key_id != repo.key.key_id
        if not steps.send(
            repo, outgoing.commit, report, lease=lease, rekey=rekey, remote_tip=remote_tip
        ):
            return False
    repo.git.update_ref(REMOTE_REF, outgoing.commit)
    sealed_state.remember(repo, outgoing.commit, outgoing.key)
    steps.record_state(repo, "pushed")
    result.sent, result.objects_sent = outgoing, count
    search_hook.after_sync(repo.layout, repo.git, repo.key)
    return True


def _verify(repo: SyncRepo, outgoing: Outgoing, remote_tip: str | None) -> int:
    """Every blob about to leave is ciphertext for its path under the key it must be under,
    and every commit is sealed (docs/spec/state.md)."""
    if outgoing.via is None:
        count = steps.verify_outgoing(repo, outgoing.commit, remote_tip, key=outgoing.key)
    else:
        count = steps.verify_outgoing(repo, outgoing.via, remote_tip) + steps.verify_outgoing(
            repo, outgoing.commit, outgoing.via, key=outgoing.key
        )
    sealed_state.verify_outgoing(repo, outgoing.commit, remote_tip, outgoing.key)
    return count


def _nothing_new(repo: SyncRepo, staged: Staged) -> bool:
    """Nothing staged, and the last fetch already holds our tip: no need to ask the remote."""
    git = repo.git
    head, known = git.rev("HEAD"), git.rev(REMOTE_REF)
    if head is None:
        return True
    return not staged.changes and known is not None and git.is_ancestor(head, known)


def _fetch_and_apply(
    repo: SyncRepo, report: Report, choose: Chooser | None, fetched: str | None = None
) -> tuple[str | None, Integration]:
    """Fetch (unless the caller just ``fetched`` this tip), merge the remote into the
    Claude directory, re-link mapped folders."""
    with report.phase("fetch"):
        remote_tip = fetched if fetched is not None else steps.fetch(repo)
    with report.phase("verify the remote's state"):
        sealed_state.verify_incoming(repo, remote_tip)  # before anything is planned or written
    with report.phase("merge"):
        integration = steps.plan(repo, remote_tip, choose)
        steps.apply(repo, integration, report)
    if remote_tip is not None:
        sealed_state.remember(repo, remote_tip)
    if integration.writes:
        with report.phase("map project folders"):
            arrange.arrange_repo(repo, report)
    return remote_tip, integration
