"""``git claude-sync init``: set up the sync repo, the key and the remote.

Nothing is left half-made: if any step fails (unreachable remote, a remote
encrypted with another key), the sync repo and any key made by this run are
removed again.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path

from git_claude_sync.crypto import keyfile
from git_claude_sync.crypto.codec import Key, format_fingerprint, parse_header
from git_claude_sync.engine import remote_view, sync_repo
from git_claude_sync.errors import FatalError, NotEncrypted
from git_claude_sync.git import REMOTE, Git, check_reachable
from git_claude_sync.machine import config
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.machine.paths import Layout, current
from git_claude_sync.remote import urls
from git_claude_sync.ui.report import Report, echo, plural, show_path


def check_joining(remote: str | None, joining: bool) -> None:
    """--key/--key-code join machines already syncing: their remote must be named.

    Without it, init would make a new, empty local remote that no other machine
    reaches.  (A default remote already here, from an earlier init, is fine.)
    """
    if joining and remote is None and not current().default_remote.exists():
        raise FatalError(
            "--key and --key-code join a machine already syncing: name its remote with "
            "--git URL (or --s3/--r2/--gcs); nothing was changed"
        )


def run(
    *,
    remote: str | None = None,
    key_file: Path | None = None,
    key_raw: bytes | None = None,
    verbosity: int = 1,
    transparent: bool = False,
) -> None:
    report = Report(verbosity)
    layout = current()
    if sync_repo.is_initialised(layout):
        _already(layout, remote, report)
        return
    url = _remote_url(layout, remote)
    chosen = urls.Layout(url)
    answered = False  # whether ``url`` has just listed its refs (it is reachable)
    if remote is not None and not urls.is_object_storage(url):
        limits = config.load(layout.config_file).network
        joining = key_file is not None or key_raw is not None
        chosen = urls.choose_layout(url, transparent=transparent, joining=joining, limits=limits)
        answered = chosen.url == url  # the hidden layout's URL is the remote helper's
    url = chosen.url
    made_home = not layout.home.exists()
    key, made_key = _key(layout, key_file, key_raw)
    made_remote = False
    unmark: Callable[[], None] | None = None
    try:
        if remote is None and not layout.default_remote.exists():
            sync_repo.create_local_remote(layout.default_remote)
            made_remote = True
        if chosen.start_hidden:
            unmark = urls.start_hidden(url, key)
        # No second ls-remote of a remote that has answered one, or that this run made.
        if not made_remote and not answered:
            check_reachable(url, config.load(layout.config_file).network)
        _create_repo(layout, key, url)
        repo = sync_repo.open_repo(layout)
        with sync_lock(layout):
            remote_tip = remote_view.fetch(repo)
            if remote_tip is not None:
                _check_remote_key(repo.git, key, remote_tip)
    except BaseException:
        if unmark is not None:
            with contextlib.suppress(FatalError):
                unmark()
        shutil.rmtree(layout.git_dir, ignore_errors=True)
        if made_key:
            layout.key_file.unlink(missing_ok=True)
        if made_remote:
            shutil.rmtree(layout.default_remote, ignore_errors=True)
        if made_home:  # everything in it is this run's
            shutil.rmtree(layout.home, ignore_errors=True)
        raise
    report.say(f"Initialised git-claude-sync for {layout.claude_dir}")
    if remote_tip is not None:
        _first_pull(repo, report, remote_tip)
    report.say(f"  remote: {url}")
    if chosen.note:
        report.say(chosen.note)
    report.say(f"  key:    {layout.key_file} (fingerprint {key.fingerprint})")
    if made_key and key_file is None and key_raw is None:
        report.say(
            "  Keep a copy of the key somewhere safe: without it nothing synced can be read."
        )
    if key_file is None and key_raw is None:
        report.say(
            f"  Another machine joins with: git claude-sync init --git {url} --key-code CODE "
            "(CODE from 'git claude-sync key export'), or --key COPY_OF_KEY"
        )
    report.say("Next: git claude-sync push")
    if remote_tip is None:
        # Nothing was pulled, the index is empty: no conflict copy waits (the empty case
        # of conflict_copies.check, without its import or its ls-files).
        layout.conflicts_waiting_file.unlink(missing_ok=True)
    else:
        from git_claude_sync.engine import conflict_copies

        conflict_copies.check(repo.git)  # exit 3 if the first pull left conflicts for a person


def _first_pull(repo: sync_repo.SyncRepo, report: Report, fetched: str) -> None:
    """A joining machine's first pull.  The engine's transaction and the conflict
    prompt are imported here: a first machine's init (nothing to pull) never needs
    them, and they were a third of its imports."""
    from git_claude_sync.engine import transaction
    from git_claude_sync.ui import prompt

    # Set up for good: from here on, a conflict is reported like any pull's.
    with sync_lock(repo.layout):
        result = transaction.run(
            repo, report, send=False, choose=prompt.chooser(None, repo.claude_dir),
            fetched=fetched,  # just fetched above: no second fetch (a helper start on a bucket)
        )  # fmt: skip
    if result.integration.kind == "up-to-date":
        report.say("Already up to date.")
    else:
        report.say(f"Pulled {plural(len(result.pulled), 'file')}.")
    prompt.report_merge(result, report)


def switch_claude_dir() -> None:
    """Sync this run's Claude directory from now on (see sync_repo.check_claude_dir)."""
    layout = current()
    if not sync_repo.is_initialised(layout):
        raise FatalError(
            "not initialised: run 'git claude-sync init' (without --switch-claude-dir)"
        )
    with sync_lock(layout):
        before = sync_repo.switch_claude_dir(layout)
    if before is not None and before != str(layout.claude_dir):
        echo(f"This sync repo now syncs {layout.claude_dir} (was {before}).")
    else:
        echo(f"This sync repo syncs {layout.claude_dir}.")
    echo("Next: git claude-sync pull (brings the synced files into it; deletes nothing)")


def _already(layout: Layout, remote: str | None, report: Report) -> None:
    existing = sync_repo.git_for(layout).remote_url()
    given = None if remote is None else _remote_url(layout, remote)
    if given is not None and existing not in (given, urls.hidden(given)):
        raise FatalError(
            f"already initialised with remote {existing}; to change it run "
            f"'git claude-sync git remote set-url {REMOTE} URL'"
        )
    report.say(f"Already initialised (remote {existing}).")


def _remote_url(layout: Layout, remote: str | None) -> str:
    if remote is None:
        return str(layout.default_remote)
    local = Path(remote).expanduser()
    if "://" not in remote and (local.exists() or remote.startswith(("/", ".", "~"))):
        return str(local.resolve())
    return remote


def _key(layout: Layout, key_file: Path | None, key_raw: bytes | None) -> tuple[Key, bool]:
    """The key to use, and whether this run created the key file."""
    if key_file is None and key_raw is None:
        if layout.key_file.exists():
            return keyfile.load(layout.key_file), False
        return keyfile.generate(layout.key_file), True
    if key_raw is not None:
        raw = key_raw
    else:
        assert key_file is not None
        raw = keyfile.read_external(key_file)
    given = Key(raw)
    if layout.key_file.exists():
        existing = keyfile.load(layout.key_file)
        if existing.key_id != given.key_id:
            raise FatalError(
                f"{layout.key_file} already holds another key ({existing.fingerprint}, "
                f"given {given.fingerprint}); it is never overwritten"
            )
        return existing, False
    keyfile.write_new(layout.key_file, raw)
    return given, True


def _create_repo(layout: Layout, key: Key, url: str) -> None:
    layout.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    layout.claude_dir.mkdir(parents=True, exist_ok=True)
    config.write_default(layout.config_file)
    sync_repo.create(layout, key, config.load(layout.config_file), url)


def _check_remote_key(git: Git, key: Key, remote_tip: str) -> None:
    """A machine joining with the wrong key must learn it now, before any merge."""
    entries = git.ls_tree(remote_tip)
    if not entries:
        return
    path, (_mode, oid) = next(iter(entries.items()))
    blob = git.read_blobs([oid])[oid]
    try:
        header = parse_header(blob)
    except NotEncrypted:
        raise FatalError(
            f"the remote holds {show_path(path)} unencrypted; refusing to use it"
        ) from None
    if header.key_id != key.key_id:
        raise FatalError(
            "wrong key: the remote's files are encrypted with key "
            f"{format_fingerprint(header.key_id)}, this machine's key is {key.fingerprint}; "
            "pass --key with a copy of the first machine's key"
        )
