"""``git claude-sync key``: fingerprint, export as a key code, rotate, use a new key.

Rotation, step by step (each step leaves something a later run can finish):

1. push: everything this machine has is on the remote, under the old key;
2. the old key is copied to ``old-keys/<fingerprint>``, the new one written to
   ``key.next`` -- before anything is sent, so the key the remote will need is
   on disk first;
3. the tip's tree is re-encrypted under the new key (plaintext never touches
   the disk), committed, verified and pushed as a fast-forward; if another
   machine pushed meanwhile, everything is redone from 1;
4. this machine switches: the recorded key id, ``key.next`` over ``key``,
   then the branch and the index.

History keeps its old-key blobs (they are on the remote already and are not
sent again): whoever holds the old key can still read everything up to the
rotation.  Other machines learn of the rotation on their next pull and are
told to run ``key use``, which re-encrypts what they hold and merges.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from git_claude_sync.crypto import keycode, keyfile
from git_claude_sync.crypto import keyring as keys
from git_claude_sync.crypto.codec import KEY_LEN, Key, format_fingerprint
from git_claude_sync.engine import sync
from git_claude_sync.engine.repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import BRANCH, LOCAL_REF, REMOTE, REMOTE_REF, Git, GitError
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.machine.paths import current
from git_claude_sync.ui import prompt
from git_claude_sync.ui.report import Report

KEYID_CONFIG = "claude-sync.keyid"


def fingerprint() -> None:
    layout = current()
    click.echo(keyfile.load(layout.key_file).fingerprint)


def export(passphrase_stdin: bool) -> None:
    layout = current()
    raw = keys.raw_key(layout.key_file)
    passphrase = keys.read_passphrase(from_stdin=passphrase_stdin, confirm=True)
    code = keycode.wrap(raw, passphrase)
    click.echo(code)
    click.echo(
        f"Key {Key(raw).fingerprint}, wrapped with the passphrase (scrypt). On the other "
        "machine: git claude-sync init --git URL --key-code CODE (it asks for the passphrase).",
        err=True,
    )


def key_from(key_file: Path | None, key_code: str | None, passphrase_stdin: bool) -> bytes:
    """The raw key given as a file or as a key code (asking for its passphrase)."""
    if (key_file is None) == (key_code is None):
        raise click.UsageError("give exactly one of FILE and --key-code")
    if key_file is not None:
        return keyfile.read_external(key_file)
    assert key_code is not None
    return keys.unwrap_code(
        key_code,
        lambda: keys.read_passphrase(from_stdin=passphrase_stdin, confirm=False),
    )


# -- rotate --------------------------------------------------------------------


def rotate(verbosity: int) -> None:
    from git_claude_sync.commands import push as push_command
    from git_claude_sync.remote import urls

    report = Report(verbosity)
    repo = open_repo()
    layout, git = repo.layout, repo.git
    if urls.is_object_storage(git.remote_url() or ""):
        raise FatalError(
            "key rotation is not supported for object storage remotes yet (their manifest "
            "and packs are sealed with the key); nothing was changed"
        )
    with sync_lock(layout, on_wait=report.waiting):
        choose = prompt.chooser(None, repo.claude_dir)
        count = 0
        for _attempt in range(sync.PUSH_ATTEMPTS):
            push_command._push(repo, report, False, choose)
            head = git.rev("HEAD")
            new_raw = os.urandom(KEY_LEN)
            new_key = Key(new_raw)
            keys.retire(layout.key_file, repo.key)
            keys.write_private(keys.pending_file(layout), new_raw)
            if head is None:
                commit = None
                break
            tree = keys.reencrypt_tree(
                git, keys.keyring_for(layout.key_file, repo.key), new_key, head
            )
            message = f"{repo.config.machine}: rotate key to {new_key.fingerprint}"
            commit = git.out(["commit-tree", tree, "-p", head, "-m", message]).strip()
            count = sync.verify_outgoing(dataclasses.replace(repo, key=new_key), commit, head)
            if _send(git, commit):
                break
            report.detail("The remote moved meanwhile; syncing and trying again.")
        else:
            raise FatalError(f"the remote kept moving; gave up after {sync.PUSH_ATTEMPTS} attempts")
        _switch(repo, new_key)
        if commit is not None and head is not None:
            git.run(["update-ref", LOCAL_REF, commit, head])
            git.run(["update-ref", REMOTE_REF, commit])
            keys.move_index_to(git, head, commit)
            sync.record_state(repo, "pushed")
    old = repo.key.fingerprint
    report.say(f"Rotated the key: {old} -> {new_key.fingerprint}.")
    if commit is not None:
        report.say(f"  Pushed the current files re-encrypted ({count} encrypted objects).")
    report.say(
        f"  The old key is kept in {keys.retired_path(layout.key_file, old)}: history up to now "
        "stays encrypted under it, readable by anyone who holds it."
    )
    report.say(
        "  Other machines: run 'git claude-sync key export' here, then "
        "'git claude-sync key use --key-code CODE' there."
    )


def _send(git: Git, commit: str) -> bool:
    """Push ``commit`` as the remote branch; False if the remote moved (not a fast-forward)."""
    proc = git.run(["push", "--porcelain", REMOTE, f"{commit}:refs/heads/{BRANCH}"], check=False)
    if proc.returncode == 0:
        return True
    out = proc.stdout.decode("utf-8", "replace")
    if any(sign in out for sign in sync._REMOTE_MOVED):
        return False
    url = git.remote_url() or "?"
    raise GitError(Git.describe_failure(f"cannot push to {url}", proc.stderr or out.encode()))


def _switch(repo: SyncRepo, new_key: Key) -> None:
    """Make ``new_key`` (written to key.next) this machine's key; the old one is retired."""
    layout = repo.layout
    keys.retire(layout.key_file, repo.key)
    # Recorded first: if the run dies before the key file is replaced, the next
    # run finds the recorded key in key.next and finishes (repo.open_repo).
    repo.git.config_set(KEYID_CONFIG, new_key.fingerprint)
    os.replace(keys.pending_file(layout), layout.key_file)


# -- use -------------------------------------------------------------------------


def use(
    key_file: Path | None, key_code: str | None, passphrase_stdin: bool, verbosity: int
) -> None:
    """Switch this machine to the key the remote moved to (after a rotation elsewhere)."""
    from git_claude_sync.commands.pull import pull

    raw = key_from(key_file, key_code, passphrase_stdin)
    new_key = Key(raw)
    report = Report(verbosity)
    repo = open_repo()
    layout, git = repo.layout, repo.git
    if new_key.key_id == repo.key.key_id:
        report.say(f"Already using key {new_key.fingerprint}.")
        return
    with sync_lock(layout, on_wait=report.waiting):
        remote_tip = sync.fetch(repo)
        remote_id = keys.remote_key_id(git, remote_tip) if remote_tip else None
        if remote_id is not None and remote_id != new_key.key_id:
            raise FatalError(
                f"the remote's files are encrypted with key {format_fingerprint(remote_id)}, "
                f"not {new_key.fingerprint}; nothing was changed"
            )
        sync.commit(repo, sync.stage(repo, report))
        head = git.rev("HEAD")
        new_commit = None
        if head is not None:
            # What this machine holds and the remote lacks is squashed into one
            # commit under the new key: no old-key blob is ever sent again.
            base = git.merge_base(head, remote_tip) if remote_tip else None
            keyring = keys.keyring_for(layout.key_file, repo.key)
            tree = keys.reencrypt_tree(git, keyring, new_key, head)
            message = f"{repo.config.machine}: re-encrypt under key {new_key.fingerprint}"
            parents = ["-p", base] if base else []
            new_commit = git.out(["commit-tree", tree, *parents, "-m", message]).strip()
        keys.write_private(keys.pending_file(layout), raw)
        _switch(repo, new_key)
        if head is not None and new_commit is not None:
            git.run(["update-ref", LOCAL_REF, new_commit, head])
            keys.move_index_to(git, head, new_commit)
        report.say(f"This machine now uses key {new_key.fingerprint}.")
        repo = open_repo()
        pull(repo, report, prompt.chooser(None, repo.claude_dir))
    report.print_total()
