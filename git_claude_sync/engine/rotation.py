"""Changing the repo key: rotate it here, or adopt the key another machine rotated to.

Rotation, step by step (each step leaves something a later run can finish):

1. the sync transaction runs as for a push (stage, commit, fetch, merge);
2. the old key is copied to ``old-keys/<fingerprint>``, the new one written to
   ``key.next`` -- before anything is sent, so the key the remote will need is
   on disk first;
3. the tip's tree is re-encrypted under the new key (plaintext never touches
   the disk) as a commit on top of the tip, verified and sent in the same
   push as the tip itself; if another machine pushed meanwhile, the
   transaction merges and builds it again;
4. this machine switches: the recorded key id, ``key.next`` over ``key``,
   then the branch and the index.

History keeps its old-key blobs: whoever holds the old key can still read
everything up to the rotation -- unless ``--rewrite-history``, where step 3
sends a copy of the whole history (engine/history_rewrite.py) that replaces
the remote's.  Other machines learn of the rotation on their next pull
(``check_incoming``; on a bucket, the remote helper) and are told to run
``key use``, which re-encrypts what they hold (``adopt``; after a rewrite,
replaying their own commits on the copies) and merges.
"""

from __future__ import annotations

import os

from git_claude_sync.crypto import codec, keyring
from git_claude_sync.crypto.codec import KEY_LEN, Key
from git_claude_sync.engine import history_rewrite, kept, sealed_state, steps, transaction
from git_claude_sync.engine.remote_key import remote_key_id
from git_claude_sync.engine.steps import Chooser
from git_claude_sync.engine.sync_repo import KEYID_CONFIG, SyncRepo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import LOCAL_REF, Git
from git_claude_sync.records import replace
from git_claude_sync.ui.report import Report

# The subject's end for a rotation commit whose history was re-encrypted too.
HISTORY_REWRITTEN = ", history re-encrypted (--rewrite-history)"

# -- rotate ------------------------------------------------------------------------


def rotate(
    repo: SyncRepo, report: Report, choose: Chooser | None, *, rewrite_history: bool = False
) -> tuple[Key, int]:
    """Rotate the repo key (the caller holds the sync lock); the new key, objects sent.

    ``rewrite_history``: every commit is copied under the new key
    (engine/history_rewrite.py) and the copy replaces the remote's history,
    with a lease on the tip it was made from; if the remote moved, the
    transaction merges and the rewrite copies the new commits too.
    """
    layout, git = repo.layout, repo.git
    resumed = _finish_interrupted(repo, report, choose)
    if resumed is not None:
        return resumed, 0
    new_raw = os.urandom(KEY_LEN)
    new_key = Key(new_raw)
    rewriter: history_rewrite.Rewriter | None = None

    def reseal(head: str | None) -> transaction.Outgoing | None:
        nonlocal rewriter
        keyring.retire(layout.key_file, repo.key)
        keyring.write_private(layout.pending_key_file, new_raw)
        if head is None:
            return None
        old_keys = keyring.keyring_for(layout.key_file, repo.key)
        what = f"rotate key to {new_key.fingerprint}"
        if rewrite_history:
            rewriter = rewriter or history_rewrite.Rewriter(git, old_keys, new_key)
            with report.phase("re-encrypt history"):
                copy = rewriter.rewrite(head)
            commit = sealed_state.make(
                repo, git.tree_of(copy), [copy], what + HISTORY_REWRITTEN, key=new_key
            )
            return transaction.Outgoing(commit, new_key, replaces=True)
        tree = reencrypt_tree(git, old_keys, new_key, head)
        commit = sealed_state.make(repo, tree, [head], what, key=new_key)
        return transaction.Outgoing(commit, new_key, via=head)

    result = transaction.run(repo, report, send=True, choose=choose, reseal=reseal)
    head = git.rev("HEAD")
    _switch(repo, new_key)
    if result.sent is not None and head is not None:
        git.update_ref(LOCAL_REF, result.sent.commit, head)
        move_index_to(git, head, result.sent.commit)
    return new_key, result.objects_sent


def _finish_interrupted(repo: SyncRepo, report: Report, choose: Chooser | None) -> Key | None:
    """A rotation here whose push landed but which died before switching keys: the
    remote is under key.next.  Switch to it (as ``key use`` would) instead of making
    yet another key, which would lose the one the remote needs."""
    pending_file = repo.layout.pending_key_file
    try:
        raw = keyring.raw_key(pending_file)
    except (FatalError, OSError):
        return None
    pending = Key(raw)
    remote_tip = steps.fetch(repo)  # a bucket's helper opens a manifest under key.next
    if remote_tip is None or remote_key_id(repo.git, remote_tip) != pending.key_id:
        return None
    report.say(
        f"The remote already moved to key {pending.fingerprint} (a rotation here was "
        "interrupted); finishing it."
    )
    adopt(repo, report, raw, choose)
    return pending


def _switch(repo: SyncRepo, new_key: Key) -> None:
    """Make ``new_key`` (written to key.next) this machine's key; the old one is retired."""
    layout = repo.layout
    keyring.retire(layout.key_file, repo.key)
    # Recorded first: if the run dies before the key file is replaced, the next
    # run finds the recorded key in key.next and finishes (keyring.finish_switch).
    repo.git.config_set(KEYID_CONFIG, new_key.fingerprint)
    os.replace(layout.pending_key_file, layout.key_file)


# -- adopt (key use) -----------------------------------------------------------------


def adopt(repo: SyncRepo, report: Report, raw: bytes, choose: Chooser | None) -> transaction.Result:
    """Switch to the key the remote moved to, then pull (whose result this is).

    What this machine holds and the remote lacks is squashed into one commit
    under the new key: no old-key blob is ever sent again.
    """
    layout, git = repo.layout, repo.git
    new_key = Key(raw)
    # Written first: a bucket's manifest is under the new key, and the remote
    # helper opens it with key.next (docs/spec/rotation.md, "Buckets").
    keyring.write_private(layout.pending_key_file, raw)
    try:
        remote_tip = steps.fetch(repo)
        remote_id = remote_key_id(git, remote_tip) if remote_tip else None
        if remote_id is not None and remote_id != new_key.key_id:
            raise FatalError(
                f"the remote's files are encrypted with key {codec.format_fingerprint(remote_id)}"
                f", not {new_key.fingerprint}; nothing was changed"
            )
    except FatalError:
        layout.pending_key_file.unlink(missing_ok=True)
        raise
    steps.commit(repo, steps.stage(repo, report))
    head = git.rev("HEAD")
    new_commit = None
    if head is not None:
        base = git.merge_base(head, remote_tip) if remote_tip else None
        old_keys = keyring.keyring_for(layout.key_file, repo.key)
        copies = history_rewrite.copies_named_in(git, remote_tip) if remote_tip and not base else {}
        if copies:
            # The remote's history was rewritten: our commits it lacks are replayed
            # on the copies of those it has, one by one (each sealed anew), and the
            # state this machine remembers is of the history that was replaced.
            rewriter = history_rewrite.Rewriter(git, old_keys, new_key, commits=copies)
            new_commit = rewriter.rewrite(head)
            sealed_state.forget(layout)
        else:
            tree = reencrypt_tree(git, old_keys, new_key, head)
            new_commit = sealed_state.make(
                repo, tree, [base] if base else [], f"re-encrypt under key {new_key.fingerprint}",
                key=new_key,
            )  # fmt: skip
    _switch(repo, new_key)
    if head is not None and new_commit is not None:
        git.update_ref(LOCAL_REF, new_commit, head)
        move_index_to(git, head, new_commit)
    report.say(f"This machine now uses key {new_key.fingerprint}.")
    return transaction.run(replace(repo, key=new_key), report, send=False, choose=choose)


# -- re-encrypting -------------------------------------------------------------------


def reencrypt_tree(git: Git, old_keys: keyring.Keyring, new_key: Key, commit: str) -> str:
    """A tree like ``commit``'s with every blob re-encrypted under ``new_key``; its id."""
    entries = git.ls_tree(commit)
    by_oid: dict[str, list[bytes]] = {}
    for path, (_mode, oid) in entries.items():
        by_oid.setdefault(oid, []).append(path)
    changes: dict[bytes, tuple[str, str] | None] = {}
    for oid, data in git.iter_blobs(by_oid):
        paths = by_oid[oid]
        plaintexts = [old_keys.decrypt(path, data) for path in paths]
        new_ids = git.store_blobs(
            new_key.encrypt(path, plain) for path, plain in zip(paths, plaintexts, strict=True)
        )
        for path, new_id in zip(paths, new_ids, strict=True):
            changes[path] = (entries[path][0], new_id)
    return git.tree_with(None, changes)


def move_index_to(git: Git, old_commit: str, new_commit: str) -> None:
    """Point the index at ``new_commit``'s blobs where it held ``old_commit``'s."""
    old, new = git.ls_tree(old_commit), git.ls_tree(new_commit)
    deleted_here = kept.kept_paths(git)
    staged = git.index_entries()
    git.update_index(
        {
            path: entry
            for path, entry in new.items()
            if path in old and path in staged and staged[path][1] == old[path][1]
        }
    )
    kept.mark(git, sorted(p for p in deleted_here if p in new))
    git.refresh_index()
