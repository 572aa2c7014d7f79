"""The sync engine: stage, commit, fetch, integrate, verify, send.

push = stage + commit + fetch + integrate + verify + send (retried if the remote moved)
pull = stage + commit + fetch + integrate

Local changes are committed before anything is merged, so the sync repo's
history always holds this machine's last state: a pull that overwrites a file
can be undone from there, and a run killed at any point converges when run
again (files are written before the branch moves; deterministic encryption
makes an already-written file identical to its incoming blob).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from git_claude_sync.claude import (
    activity,
    file_kinds,
    history_paths,
    selection,
    settings_check,
)
from git_claude_sync.crypto import codec, keyring
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import (
    add_skip,
    clean_here,
    conflict_copies,
    conflict_store,
    deferred_lines,
    delta_budget,
    kept,
    odd_paths,
    pack_compression,
    remote_key,
    remote_view,
    sealed_state,
    sync_metrics,
    sync_repo,
    tree_merge,
    unsyncable,
)
from git_claude_sync.engine import incoming as incoming_files
from git_claude_sync.engine.incoming import Blob, Plain, compare_file, open_blob
from git_claude_sync.engine.linked_listing import Early
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import LOCAL_REF, Git, Written
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import NEXT_KEY_FILE_ENV
from git_claude_sync.records import dataclass, field
from git_claude_sync.ui.report import Report, plural, show_path

if TYPE_CHECKING:  # imported by _merge_contents: a sync with nothing to merge starts without it
    from git_claude_sync.claude import file_merge, session_stream
    from git_claude_sync.engine.outlook import Outlook

PUSH_ATTEMPTS = 5
PROGRESS_THRESHOLD_BYTES = 8 * 1024 * 1024


class Conflict(FatalError):
    """Files changed both here and on the remote."""

    def __init__(self, paths: list[bytes]) -> None:
        self.paths = paths
        names = ", ".join(show_path(p) for p in paths[:10])
        more = f" and {len(paths) - 10} more" if len(paths) > 10 else ""
        super().__init__(
            f"{plural(len(paths), 'file')} changed both here and on the remote: {names}{more}; "
            "nothing was changed (see 'git claude-sync status')"
        )


@dataclass
class Staged:
    changes: list[tuple[str, bytes]]
    skipped: list[bytes] = field(default_factory=list)
    kept: list[bytes] = field(default_factory=list)  # deleted here, kept (see kept.py)
    held_back: list[tuple[bytes, str]] = field(default_factory=list)  # (path, why)
    linked: set[bytes] = field(default_factory=set)  # roots staged through a link

    def summary(self) -> str:
        counts = Counter(kind for kind, p in self.changes if not sync_metrics.is_carried(p))
        return f"{counts['A']} added, {counts['M'] + counts['T']} changed, {counts['D']} deleted"


# -- staging -----------------------------------------------------------------


def _pending_bytes(git: Git) -> int:
    total = 0
    for name in git.pending_paths():
        with contextlib.suppress(OSError):
            total += files.fs_path(git.work_tree, name).stat().st_size
    return total


def stage(
    repo: SyncRepo,
    report: Report,
    *,
    renormalize: bool = False,
    git: Git | None = None,
    prune: bool = False,
    early: Early | None = None,
) -> Staged:
    """``git add -A`` over the synced selection; returns the staged changes.

    Sessions deleted here stay in the repo unless ``prune`` (see kept.py).  ``early``:
    find's listing of the linked folders, started as the sync began (odd_paths.py).
    """
    # Lines a pull could not append yet (deferred_lines.py): added now if the
    # file ends on a line boundary, else its entry is held at HEAD below.
    waiting = deferred_lines.complete(repo) if git is None else deferred_lines.pending(git)
    scratch = git is not None  # a preview's scratch index: nothing of ours is updated
    git = git or repo.git
    untracked = git.untracked_listing()  # git walks the work tree while the index is read
    kept.before_add(git, repo.claude_dir, prune)
    # links, nested repositories, unreadable files
    unlisted = untracked.paths()
    odd = odd_paths.survey(git, repo.claude_dir, unlisted)
    odd_paths.stage_nested(git, repo.claude_dir, odd)
    # Before git add: each index write after it makes git clean again (a filter process)
    # every file add staged in the index's second; git add leaves linked entries alone.
    odd_paths.stage_links(git, repo.claude_dir, odd, repo.key, early)
    show_progress = report.interactive and _pending_bytes(git) > PROGRESS_THRESHOLD_BYTES
    before_add = git.held_index_modes(unsyncable.MODES)
    renormalizing = renormalize and git.rev("HEAD") is not None
    # Not run when it provably stages nothing (add_skip.py): an append push's ~17 ms.
    if renormalizing or not add_skip.nothing_to_add(git, odd, unlisted):
        git.add_all(renormalize=renormalizing, progress=show_progress, leave=odd.leave)
    for path, why in odd.skipped:
        report.warn(f"skipped {show_path(path)}: {why}")
    deferred_lines.hold(git, waiting)
    skipped, changes = unsyncable.unstage(git, before_add)
    if sync_metrics.keep(git, changes):  # never in the work tree, so never deleted
        changes = git.staged_status()
    held_back = _hold_back_broken_settings(repo, git, changes)
    if held_back:
        changes = git.staged_status()
    newly_kept = [] if prune else kept.keep_deleted(git, changes)
    if newly_kept:
        changes = git.staged_status()
    if not scratch and delta_budget.update(git, repo.layout, changes):
        sync_repo.refresh_attributes(repo.layout, git)
    return Staged(
        changes=changes,
        skipped=skipped,
        kept=newly_kept,
        held_back=held_back,
        linked=set(odd.links),
    )


def _hold_back_broken_settings(
    repo: SyncRepo, git: Git, changes: list[tuple[str, bytes]]
) -> list[tuple[bytes, str]]:
    """A settings.json Claude Code would skip stays out: the index keeps the last good one."""
    path = settings_check.SETTINGS_PATH
    if not any(p == path and kind != "D" for kind, p in changes):
        return []
    entry = git.index_entries().get(path)
    if entry is None:
        return []
    try:
        plain = repo.key.decrypt(path, git.read_blobs([entry[1]])[entry[1]])
    except FatalError:
        return []  # not ours to judge: verify_outgoing refuses it anyway
    why = settings_check.problem(plain)
    if why is None:
        return []
    if git.rev("HEAD") is not None and path in git.ls_tree("HEAD"):
        git.reset_paths([path])
    else:
        git.unstage([path])
    return [(path, why)]


class MassDeletion(FatalError):
    """A push would delete most of what is synced: an emptied or replaced Claude directory?"""

    def __init__(self, claude_dir: object, deleted: list[bytes], synced: int) -> None:
        self.deleted = deleted
        names = ", ".join(show_path(p) for p in deleted[:5])
        more = f" and {len(deleted) - 5} more" if len(deleted) > 5 else ""
        super().__init__(
            f"refusing to delete {len(deleted)} of the {synced} synced files on every machine "
            f"({names}{more}): {claude_dir} lacks them (emptied, reinstalled, or another "
            "directory?); nothing was sent. 'git claude-sync pull' brings them back; "
            "'git claude-sync push --allow-mass-delete' deletes them everywhere"
        )


def mass_deletion(git: Git, staged: Staged, prune: bool) -> list[bytes]:
    """The files this commit would delete everywhere, if that is most of what is synced.

    Counted among the files a person keeps: outside ``projects/`` (sessions
    deleted here are kept, kept.py; every file with ``prune``) and outside the
    folders Claude Code empties by age itself (``todos/``, ``plans/``…); a file
    moved to another project folder (docs/MAPPING.md) is no deletion.  An emptied
    Claude directory trips it however few files there are; otherwise it takes
    two deletions and more than half.
    """
    head = git.rev("HEAD")
    if head is None:
        return []
    moved_to = {kept.within_project(p) for kind, p in staged.changes if kind == "A"}

    def counted(path: bytes) -> bool:
        return (prune or not path.startswith(kept.PREFIX)) and not file_kinds.swept_by_age(path)

    deletions = sorted(
        p
        for kind, p in staged.changes
        if kind == "D" and not (p.startswith(kept.PREFIX) and kept.within_project(p) in moved_to)
    )
    if not deletions:
        return []
    # Metrics files (sync_metrics.py) are never in the Claude directory: not counted.
    tree = {p: e for p, e in git.ls_tree(head).items() if not sync_metrics.is_carried(p)}
    gone = {p for kind, p in staged.changes if kind == "D"} | kept.kept_paths(git)
    if not any(kind == "A" for kind, _ in staged.changes) and all(p in gone for p in tree):
        return deletions  # emptied: nothing synced is left, nothing new came
    deleted = [p for p in deletions if counted(p)]
    synced = [p for p in tree if counted(p)]
    if len(deleted) >= 2 and 2 * len(deleted) > len(synced):
        return deleted
    return []


def guard_deletions(
    repo: SyncRepo, report: Report, staged: Staged, *, restore: bool, prune: bool = False
) -> Staged:
    """Refuse to commit a mass deletion, or (``restore``: a pull) bring the files back.

    Restoring writes HEAD's version of every file the commit would delete (todos
    too), and of the sessions kept as deleted (kept.py), into the Claude directory.
    """
    git = repo.git
    deleted = mass_deletion(git, staged, prune)
    if not deleted:
        return staged
    if not restore:
        raise MassDeletion(repo.claude_dir, deleted, len(git.ls_tree("HEAD")))
    kept_here = sorted(kept.kept_paths(git))  # sessions kept as deleted, this run's too
    deleted = sorted(p for kind, p in staged.changes if kind == "D")
    missing = sorted({*deleted, *kept_here})
    tree = git.ls_tree("HEAD")
    blobs = git.read_blobs(tree[p][1] for p in missing)
    history = keyring.keyring_for(repo.layout.key_file, repo.key)
    for path in missing:
        data = history.decrypt(path, blobs[tree[path][1]])
        files.replace_file(files.fs_path(repo.claude_dir, path), data, tree[path][0] == "100755")
    git.reset_paths(deleted)
    git.set_skip_worktree(kept_here, False)
    git.refresh_index()
    report.say(
        f"Restored {plural(len(missing), 'file')} missing from {repo.claude_dir} (emptied or "
        "reinstalled?) instead of deleting them everywhere; to delete them on every machine: "
        "'git claude-sync push --allow-mass-delete'"
    )
    changes = git.staged_status()
    return Staged(changes=changes, skipped=staged.skipped, kept=[], linked=staged.linked)


def commit(repo: SyncRepo, staged: Staged) -> str | None:
    """Commit what is staged, sealed (sealed_state.py); the message gives counts only."""
    if not staged.changes:
        return None
    git = repo.git
    # Plumbing, not `git commit`: that re-checks the work tree, and racily
    # clean files would start the filter process again for nothing.
    head = git.rev("HEAD")
    # Entries staged through a link carry no stat data (odd_paths.stage_links), so git
    # never takes them for racily clean: where git writes the tree (``Git.write_tree``),
    # an append to a linked session alone lets it write from the index itself.
    racy = git.staged_in_index_second(
        p for kind, p in staged.changes if kind != "D" and not odd_paths.under_any(p, staged.linked)
    )
    tree = git.write_tree(racy=racy)
    new = sealed_state.make(repo, tree, [head] if head else [], staged.summary())
    git.update_ref(LOCAL_REF, new, head, create=head is None)
    return new


# -- the remote --------------------------------------------------------------

# In remote_view.py, which status imports without this module; steps.fetch as ever.
fetch = remote_view.fetch
record_state = remote_view.record_state


def verify_outgoing(
    repo: SyncRepo, tip: str, remote_tip: str | None, *, key: Key | None = None
) -> int:
    """Refuse to send any blob that is not ciphertext for its path under ``key``
    (default: the repo's); returns the count."""
    key = key or repo.key
    outgoing = repo.git.objects_to_send(tip, remote_tip)
    paths: dict[str, list[bytes]] = {}
    for oid, path in outgoing:
        if selection.is_never_synced(path):
            raise FatalError(
                f"refusing to push: {show_path(path)} holds credentials and is never synced"
            )
        paths.setdefault(oid, []).append(path)
    for oid, data in repo.git.blob_heads(paths, codec.HEADER_LEN):
        for path in paths[oid]:
            name = show_path(path)
            if not codec.looks_encrypted(data):
                raise FatalError(f"refusing to push: {name} is not encrypted (blob {oid[:12]})")
            header = codec.parse_header(data)
            if header.key_id != key.key_id or header.path_tag != key.path_tag(path):
                raise FatalError(
                    f"refusing to push: {name} is not encrypted with this repo's key for its path"
                )
    return len(paths)


def send(
    repo: SyncRepo,
    commit: str,
    report: Report,
    *,
    lease: str | None = None,
    rekey: bool = False,
    remote_tip: str | None = None,
) -> bool:
    """Push ``commit`` as the remote branch; False if the remote moved meanwhile.

    ``lease``: ``commit`` replaces the remote's history, if its tip is still that.
    ``rekey``: a rotation's push, which moves a bucket remote to key.next.
    ``remote_tip``: what the remote holds, for the pack's deflate level (pack_compression).
    """
    env = {NEXT_KEY_FILE_ENV: str(repo.layout.pending_key_file)} if rekey else None
    level = pack_compression.level_for(repo.git, commit, remote_tip)
    return repo.git.push_branch(
        commit, progress=report.interactive, lease=lease, env=env, compression=level
    )


# -- integrating the remote ----------------------------------------------------


@dataclass
class Integration:
    kind: str  # "up-to-date", "fast-forward", "merge"
    new_tip: str | None
    writes: list[bytes] = field(default_factory=list)  # paths written or deleted here
    conflicts: list[bytes] = field(default_factory=list)  # unresolved: nothing may change
    merged: list[bytes] = field(default_factory=list)  # contents merged from both sides
    deferred: list[tuple[bytes, str, str]] = field(default_factory=list)  # (path, theirs, ours)
    copies: list[tuple[bytes, bytes]] = field(default_factory=list)  # (path, conflict copy)
    # A file on one side, a folder of the same name on the other: (name, where theirs went)
    renamed: list[tuple[bytes, bytes]] = field(default_factory=list)
    refused: list[tuple[bytes, str]] = field(default_factory=list)  # (path, why) not written
    remote_tip: str | None = None  # the remote commit integrated


@dataclass(frozen=True)
class ConflictCase:
    """A file both sides changed in ways the content merge cannot reconcile."""

    path: bytes
    base: bytes | None
    ours: bytes
    theirs: bytes
    merged: file_merge.MergeResult


# What to do with a conflict: keep "ours", take "theirs", keep "both" (theirs
# beside ours as a new file), "later" (keep ours, put theirs beside it as a
# conflict copy that syncs to every machine until a person chooses: see
# conflict_copies.py), or "edited" with the content to store.
Decision = tuple[str, bytes | None]
Chooser = Callable[[ConflictCase], Decision]


def plan(repo: SyncRepo, remote_tip: str | None, choose: Chooser | None = None) -> Integration:
    """Work out the new state; ``choose`` decides conflicts (None: report them, change nothing)."""
    integration = _plan(repo, remote_tip, choose)
    integration.remote_tip = remote_tip
    # Metrics files (sync_metrics.py) go to the index only: nothing to write or report.
    integration.writes = [p for p in integration.writes if not sync_metrics.is_carried(p)]
    return integration


def _plan(repo: SyncRepo, remote_tip: str | None, choose: Chooser | None) -> Integration:
    git = repo.git
    head = git.rev("HEAD")
    if remote_tip is None or (head is not None and git.is_ancestor(remote_tip, head)):
        return Integration("up-to-date", head)
    ours = git.ls_tree(head) if head else {}
    if head is None or git.is_ancestor(head, remote_tip):
        theirs = git.ls_tree(remote_tip)
        remote_key.check_incoming(repo.layout, repo.key, git, ours, theirs)
        return Integration("fast-forward", remote_tip, writes=_differences(ours, theirs))
    base_commit = git.merge_base(head, remote_tip)
    base = git.ls_tree(base_commit) if base_commit else {}
    theirs = git.ls_tree(remote_tip)
    remote_key.check_incoming(repo.layout, repo.key, git, ours, theirs)
    trees = tree_merge.merge_trees(base, ours, theirs)
    integration = Integration("merge", None)
    result = dict(trees.result)
    for path in trees.conflicts:
        _merge_contents(
            repo,
            path,
            base.get(path),
            ours[path],
            theirs[path],
            result,
            integration,
            choose,
            remote_tip,
        )
    _separate_file_and_folder(repo, ours, result, integration)
    integration.writes = _differences(ours, result)
    if not integration.conflicts:
        tree = git.tree_with(head, _changes(ours, result))
        integration.new_tip = sealed_state.make(repo, tree, [head, remote_tip], "merge")
    return integration


def _merge_contents(
    repo: SyncRepo,
    path: bytes,
    base: tree_merge.Entry | None,
    ours: tree_merge.Entry,
    theirs: tree_merge.Entry,
    result: tree_merge.Tree,
    integration: Integration,
    choose: Chooser | None,
    remote_tip: str,
) -> None:
    """Merge one file changed on both sides, in memory, by the kind of file it is."""
    from git_claude_sync.claude import file_merge  # a merge's only (difflib with it)

    if file_merge.kind_of(path) == file_merge.SESSION:
        merged_blob = _merge_session_streamed(repo, path, base, ours, theirs)
        if merged_blob is not None:
            result[path] = (ours[0], merged_blob)
            integration.merged.append(path)
            return
    blobs = repo.git.read_blobs([e[1] for e in (base, ours, theirs) if e is not None])
    plain: dict[str, bytes] = {}
    history = keyring.keyring_for(repo.layout.key_file, repo.key)  # the base may predate a rotation
    for entry in (base, ours, theirs):
        if entry is not None and entry[1] not in plain:
            try:
                decrypt = history.decrypt if entry is base else repo.key.decrypt
                plain[entry[1]] = history_paths.local_as_stored(
                    path, decrypt(path, blobs[entry[1]]), repo.layout
                )
            except FatalError as err:
                raise FatalError(f"{show_path(path)}: {err}; nothing was changed") from None
    base_text = plain[base[1]] if base else None
    outcome = file_merge.merge_file(path, base_text, plain[ours[1]], plain[theirs[1]])
    if not outcome.conflict:
        result[path] = (ours[0], _store_blob(repo, path, outcome.data))
        integration.merged.append(path)
        return
    if choose is None:
        integration.conflicts.append(path)
        return
    case = ConflictCase(path, base_text, plain[ours[1]], plain[theirs[1]], outcome)
    decision, data = choose(case)
    if decision == "theirs":
        result[path] = theirs
    elif decision == "edited" and data is not None:
        result[path] = (ours[0], _store_blob(repo, path, data))
    elif decision == "both":
        sibling = both_name(path)
        result[sibling] = (theirs[0], _store_blob(repo, sibling, plain[theirs[1]]))
    elif decision == "later":
        # Both versions stay files on every machine (conflict_copies.py).
        machine = conflict_copies.machine_of(repo.git, remote_tip, path)
        copy = conflict_copies.copy_name(path, machine)
        result[copy] = (theirs[0], _store_blob(repo, copy, plain[theirs[1]]))
        integration.copies.append((path, copy))
    # "ours": the result already holds our version


def _merge_session_streamed(
    repo: SyncRepo,
    path: bytes,
    base: tree_merge.Entry | None,
    ours: tree_merge.Entry,
    theirs: tree_merge.Entry,
) -> str | None:
    """A session merged a piece at a time (claude/session_stream.py): the new blob's id,
    or None when it must be merged whole."""
    # Large versions wait in temporary files and the merged one is sealed into one, which
    # git stores as it streams (issue 9: three 22 MB versions and the result held whole
    # took 147 MB for a 34 MB session that barely compresses).
    from git_claude_sync.claude import session_stream  # a merge's: not every sync's start

    blobs = incoming_files.load(repo.git, [e[1] for e in (base, ours, theirs) if e is not None])
    history = keyring.keyring_for(repo.layout.key_file, repo.key)  # the base may predate a rotation

    def source(entry: tree_merge.Entry, key: Key) -> session_stream.Source:
        blob = blobs[entry[1]]
        return lambda: incoming_files.plaintext(key, path, blob)

    try:
        merged = session_stream.merge(
            source(base, incoming_files.key_of(history, blobs[base[1]])) if base else None,
            source(ours, repo.key),
            source(theirs, repo.key),
        )
        if merged is None:
            return None
        import tempfile  # here: with shutil, random... a third of start-up for every command

        with tempfile.TemporaryDirectory(prefix="claude-sync-merge-") as scratch:
            sealed = Path(scratch, "blob")
            with sealed.open("wb") as out:
                for piece in repo.key.seal(path, codec.chunked(merged.chunks())):
                    out.write(piece)
            return repo.git.store_files([sealed])[0]
    except FatalError as err:
        raise FatalError(f"{show_path(path)}: {err}; nothing was changed") from None
    finally:
        for blob in blobs.values():
            if isinstance(blob, incoming_files.Spooled):
                blob.close()


def both_name(path: bytes) -> bytes:
    """Where "keep both" puts the remote version: beside the file, marked."""
    head, _, name = path.rpartition(b"/")
    stem, dot, ext = name.rpartition(b".")
    marked = stem + b".remote." + ext if dot and stem else name + b".remote"
    return head + b"/" + marked if head else marked


def _separate_file_and_folder(
    repo: SyncRepo, ours: tree_merge.Tree, result: tree_merge.Tree, integration: Integration
) -> None:
    """A name that is a file on one side and a folder on the other keeps this machine's
    version; the other machine's moves beside it, marked (``x.remote``), re-encrypted
    for its new path.  Nothing is lost and the merged tree stays a valid tree."""
    names = set(result)
    clashes = sorted(
        {prefix for path in names for prefix in _parents(path) if prefix in names}, key=len
    )
    for name in clashes:
        if name not in result:
            continue  # inside a clash already moved
        if name in ours:  # our file stays; their folder moves
            moving = [p for p in sorted(result) if p.startswith(name + b"/")]
        else:  # our folder stays; their file moves
            moving = [name]
        new_root = both_name(name)
        while new_root in result or any(p.startswith(new_root + b"/") for p in result):
            new_root = both_name(new_root)
        blobs = repo.git.read_blobs([result[p][1] for p in moving])
        for path in moving:
            mode, oid = result.pop(path)
            moved = new_root + path[len(name) :]
            try:
                plain = repo.key.decrypt(path, blobs[oid])
            except FatalError as err:
                raise FatalError(f"{show_path(path)}: {err}; nothing was changed") from None
            result[moved] = (mode, _store_blob(repo, moved, plain))
        integration.renamed.append((name, new_root))


def _parents(path: bytes) -> list[bytes]:
    parts = path.split(b"/")
    return [b"/".join(parts[:end]) for end in range(1, len(parts))]


def _store_blob(repo: SyncRepo, path: bytes, plaintext: bytes) -> str:
    return repo.git.store_blob(repo.key.encrypt(path, plaintext))


def _differences(old: tree_merge.Tree, new: tree_merge.Tree) -> list[bytes]:
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


def _changes(old: tree_merge.Tree, new: tree_merge.Tree) -> dict[bytes, tree_merge.Entry | None]:
    """Index changes that turn ``old`` into ``new``."""
    return {path: new.get(path) for path in _differences(old, new)}


def apply(repo: SyncRepo, integration: Integration, report: Report) -> None:
    """Bring the Claude directory and the sync repo to ``integration.new_tip``.

    Every incoming file is authenticated before any is written, and every file
    to be replaced is checked to still hold what this machine last committed.
    """
    batch = files.WriteBatch()  # made durable together, before the branch moves
    try:
        _apply(repo, integration, report, batch)
    finally:
        batch.discard()  # anything not committed: a failed pull writes nothing


def _apply(
    repo: SyncRepo, integration: Integration, report: Report, batch: files.WriteBatch
) -> None:
    git, key = repo.git, repo.key
    history = keyring.keyring_for(repo.layout.key_file, key)  # HEAD may predate a key switch
    if integration.conflicts:
        raise Conflict(integration.conflicts)
    if integration.kind == "up-to-date" or integration.new_tip is None:
        return
    head = git.rev("HEAD")
    old = git.ls_tree(head) if head else {}
    new = git.ls_tree(integration.new_tip)
    paths = integration.writes
    deleted_here = kept.kept_paths(git) if head else set()
    # New files where nothing is (all of a joining machine's): decrypted straight
    # into place-to-be, never held (engine/incoming.write_fresh).
    targets = {p: files.fs_path(repo.claude_dir, p) for p in paths}  # once: pathlib is slow
    fresh = {
        p: incoming_files.Fresh(
            targets[p], new[p][1], new[p][0] == "100755", activity.is_session_file(p)
        )
        for p in paths
        if p in new and p not in old and p not in deleted_here and _may_stream(p, targets[p])
    }
    began = time.time()  # no session is dated later than this (``_date_session``)
    written_fresh, left, fresh_failed = incoming_files.write_fresh(git, key, batch, fresh)
    batch.start_sync()  # durable in the background while the rest is checked
    streamed = set(written_fresh) | {path for path, _err in fresh_failed}
    blobs = incoming_files.load(
        git,
        [old[p][1] for p in paths if p in old]
        + [new[p][1] for p in paths if p in new and p not in streamed and new[p][1] not in left],
    )
    blobs.update(left)
    still_deleted: list[bytes] = []

    # Plaintext held whole only when small; a large file is read again from its
    # ciphertext, a chunk at a time, wherever it is used (engine/incoming.py).
    incoming: dict[bytes, Plain] = {p: plain for p, (plain, _stat) in written_fresh.items()}
    failed = [f"{show_path(path)} ({err})" for path, err in fresh_failed]
    size = 0
    for count, path in enumerate(paths, 1):  # progress: authenticated so far
        if path in new and path not in streamed:
            try:
                incoming[path] = open_blob(key, path, blobs[new[path][1]], _as_local(repo, path))
            except FatalError as err:
                failed.append(f"{show_path(path)} ({err})")
            size += incoming[path].size if path in incoming else 0
        report.progress(count, len(paths), size)
    if failed:
        raise FatalError(
            f"{plural(len(failed), 'file')} from the remote failed to decrypt, nothing was "
            f"changed: {'; '.join(failed)}"
        )
    # A settings.json Claude Code would skip is never written: the file here stays,
    # and the next push sends it back (the index records the remote's version).
    refused: set[bytes] = set()
    for path, plain in incoming.items():
        why = settings_check.problem(plain.whole()) if settings_check.is_settings(path) else None
        if why is not None:
            refused.add(path)
            integration.refused.append((path, why))
            report.warn(
                f"{show_path(path)} from the remote not applied: Claude Code would skip it "
                f"({why}); the version here stays and the next push restores it"
            )
    # Sessions and history.jsonl may be appended to at any moment (Claude Code
    # writing, maybe through a descriptor it holds open): a file that exists
    # is never replaced but gets the lines it lacks appended in place, once it
    # ends on a line boundary (machine/files.append_lines, deferred_lines.py).
    # Nothing in it is overwritten, so there is nothing to check.
    grow: list[bytes] = []
    still_written: list[bytes] = []
    unreachable: list[bytes] = []  # unreadable here, or a dangling link: left alone
    for path in paths:
        target = targets[path]
        if path in new and file_kinds.is_append_only(path) and target.is_file():
            grow.append(path)
            continue
        expected = (
            open_blob(incoming_files.key_of(history, blobs[old[path][1]]), path,
                      blobs[old[path][1]], _as_local(repo, path))
            if path in old
            else None
        )  # fmt: skip
        state = compare_file(target, expected)  # the file here, read a piece at a time
        if (
            state == "missing"
            and (target.is_symlink() or os.path.lexists(target))
            and (not target.exists() or not os.access(target, os.R_OK))
        ):
            unreachable.append(path)
            continue
        if state == "missing" and head and conflict_copies.MARK in path:
            deleted_here |= conflict_copies.unwritten(git)  # copies a pull could not write
        if state == "missing" and path in deleted_here:
            # Deleted here by Claude Code's clean-up and kept in the repo (kept.py):
            # new content brings it back; the same content (re-encrypted) does not.
            state = "same"
            if path not in new or incoming[path].same(expected):
                still_deleted.append(path)
        if state == "missing" and expected is None:
            state = "same"  # no file, as expected
        if state == "grown" and file_kinds.is_append_only(path):
            # Deleted there, written to here since: the file stays whole and
            # goes back with the next push.
            still_written.append(path)
        elif (
            state in ("grown", "other")
            and settings_check.is_settings(path)
            and settings_check.problem(files.read_file(target) or b"") is not None
        ):
            # Being edited here and broken (so held back from staging): left alone.
            refused.add(path)
            report.warn(f"{show_path(path)} here is broken; the remote's version was not applied")
        elif state != "same":
            raise FatalError(
                f"{show_path(path)} changed while pulling; nothing was changed, "
                "run the command again"
            )
    for name, moved in integration.renamed:
        report.warn(
            f"{show_path(name)} is a file on one machine and a folder on the other: "
            f"this machine's stays, the other's is kept as {show_path(moved)}"
        )
    for path in unreachable:
        if path in new:
            report.warn(
                f"{show_path(path)} cannot be read here (permissions, or a broken link): left "
                "as it is; the remote version is kept beside it, see 'git claude-sync conflicts'"
            )
    waiting: list[bytes] = []
    commit_time: list[float] = []  # the remote tip's, read once if needed
    for path in written_fresh:  # written beside its name, and not to be written after all
        if path in grow or path in still_deleted or path in unreachable or path in refused:
            batch.drop(targets[path])
    written: dict[bytes, Written] = {}  # files written whole from their blob (git.record_written)
    to_date: list[tuple[Path, bytes]] = []  # sessions written whole: dated once in place
    # Deletions first: a file may give way to a folder of the same name, or back.
    for path in sorted(paths, key=lambda p: (p in incoming, p)):
        if path in still_deleted or path in unreachable or path in refused:
            continue
        target = targets[path]
        try:
            if path in still_written:
                report.detail(f"  kept {show_path(path)}: deleted there, written to here")
            elif path in grow:
                done = files.append_lines(target, incoming[path].chunks)
                if done is None:  # gone meanwhile: write it whole
                    batch.replace(
                        files.through_link(target),
                        incoming[path].chunks(),
                        new[path][0] == "100755",
                    )
                elif not done:
                    waiting.append(path)
                    report.detail(f"  {show_path(path)} ends in a line being written: added later")
                    continue
                report.detail(f"  added lines to {show_path(path)}")
                if activity.is_session_file(path) and done is None:
                    to_date.append((target, incoming[path].tail))
                elif activity.is_session_file(path):
                    _date_session(git, integration, target, incoming[path].tail, commit_time, began)
            elif path in incoming:
                executable = new[path][0] == "100755"
                done_stat = (
                    written_fresh[path][1]
                    if path in written_fresh
                    else batch.replace(
                        files.through_link(target), incoming[path].chunks(), executable
                    )
                )
                if _as_local(repo, path) is None or _cleans_back(
                    repo, path, incoming[path], blobs.get(new[path][1])
                ):  # the blob's plaintext as written, or what cleans back to it
                    written[path] = Written(new[path][1], done_stat.st_ino, done_stat.st_size)
                report.detail(f"  wrote {show_path(path)}")
                if activity.is_session_file(path):
                    to_date.append((target, incoming[path].tail))
            else:
                files.remove_file(target, repo.claude_dir)  # a link goes, not what it points to
                report.detail(f"  removed {show_path(path)}")
        except OSError as err:
            # Something local is in the way (a folder, a dangling link, permissions):
            # this file stays as it is, and the remote version is stored.
            unreachable.append(path)
            if path in new:
                report.warn(
                    f"cannot write {show_path(path)} ({err.strerror}): left as it is; the "
                    "remote version is kept beside it, see 'git claude-sync conflicts'"
                )
    deferred_lines.defer(git, waiting)
    try:
        batch.commit()
    except OSError as err:
        raise FatalError(
            f"writing the pulled files failed ({err.strerror}); the sync repo did not move, "
            "run the command again"
        ) from None
    for target, tail in to_date:  # in place now
        _date_session(git, integration, target, tail, commit_time, began)
    # The branch moves only after every file is in place (see the module docstring).
    git.update_ref(LOCAL_REF, integration.new_tip, head)
    if head is None:
        git.read_tree(integration.new_tip)
    else:
        git.update_index(_changes(old, new))
        kept.mark(git, [p for p in still_deleted if p in new])
    # A remote version that could not be written: a conflict copy every machine
    # gets with the next push (this machine's version stays in place).
    for path in unreachable:
        if path in new and path in old and integration.remote_tip is not None:
            machine = conflict_copies.machine_of(git, integration.remote_tip, path)
            copy = conflict_copies.keep_unwritten(
                git, key, repo.claude_dir, path, old[path], new[path][0],
                incoming[path].chunks, machine,
            )  # fmt: skip
            integration.copies.append((path, copy))
    sync_metrics.hide(git, new if head is None else _changes(old, new))
    git.record_written(written)  # their stat data: refresh_index re-reads only the rest
    git.refresh_index()
    odd_paths.hide_linked(git, repo.claude_dir, [p for p in paths if p in new])
    for path, theirs_blob, ours_blob in integration.deferred:
        conflict_store.record(git, path, theirs_blob, ours_blob)
    for path in unreachable:
        if path in new and path not in old:  # nothing of this machine's to keep in place
            conflict_store.record(git, path, new[path][1], new[path][1])


def _may_stream(path: bytes, target: Path) -> bool:
    """A new file that can be written as it is decrypted: nothing at its name (``target``),
    and nothing read whole first (settings.json is checked, history.jsonl rewritten)."""
    return (
        not history_paths.is_history(path)
        and not settings_check.is_settings(path)
        and conflict_copies.MARK not in path
        and not os.path.lexists(target)
    )


def _cleans_back(repo: SyncRepo, path: bytes, plain: Plain, blob: Blob | None) -> bool:
    """A file written in this machine's form (history.jsonl) that cleans to its stored
    blob: recorded as if written from it (else the refresh starts a filter process)."""
    return isinstance(blob, bytes) and clean_here.gives_back(
        repo.git, repo.key, path, plain.whole(), blob
    )


def _as_local(repo: SyncRepo, path: bytes) -> Callable[[bytes], bytes] | None:
    """history.jsonl as this machine reads it (its project paths); None for every other file."""
    if not history_paths.is_history(path):
        return None
    return lambda data: history_paths.stored_as_local(path, data, repo.layout)


def _date_session(
    git: Git,
    integration: Integration,
    target: Path,
    content: bytes,
    commit_time: list[float],
    latest: float,
) -> None:
    """A pulled session file's mtime is its last activity, not the pull's time.

    (Claude Code ages sessions by mtime.)  ``git.refresh_index`` after the writes
    records the new stat, so staging does not see the file as changed.  Never later than
    ``latest`` (when the pull began writing): a date ahead of this machine's clock
    (another machine's clock ahead, a line that says so) left the file racily clean for
    git until then, read again through the filter at every refresh; a joining machine
    re-read 4,294 sessions of the bench's 1 GiB tree, dated months ahead (4-5 s of its
    18).
    """
    moment = activity.last_activity(content)
    if moment is None:
        if not commit_time and integration.remote_tip is not None:
            commit_time.append(git.commit_time(integration.remote_tip))
        moment = commit_time[0] if commit_time else None
    if moment is not None:
        moment = min(moment, latest)
        with contextlib.suppress(OSError):
            os.utime(target, (moment, moment))


# -- previews (dry runs, status) -------------------------------------------------


def preview(repo: SyncRepo, report: Report, remote_tip: str | None) -> Outlook:
    """What push and pull would do, computed in a scratch index: nothing real changes."""
    from git_claude_sync.engine import outlook  # a dry run's and status's: not a sync's start

    git = repo.git
    with git.temp_index("preview", copy_index=True) as temp:
        staged = stage(repo, report, git=temp)
        ours_tree = temp.write_tree()
        refused = mass_deletion(temp, staged, prune=False)
    return outlook.beside_remote(
        git,
        ours_tree,
        remote_tip,
        skipped=list(staged.skipped),
        held_back=list(staged.held_back),
        mass_deletion=refused,
    )
