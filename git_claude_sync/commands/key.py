"""``git claude-sync key``: fingerprint, export as a key code, rotate, use a new key.

The rotation itself, and adopting the key another machine rotated to, are
engine operations (engine/rotation.py); this module asks and reports.
"""

from __future__ import annotations

from pathlib import Path

import click

from git_claude_sync.crypto import keycode, keyfile, keyring
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import sync_repo
from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.machine.paths import current
from git_claude_sync.ui import jsonout, passphrase
from git_claude_sync.ui.report import Report, plural


def fingerprint(as_json: bool = False) -> None:
    layout = current()
    printed = keyfile.load(layout.key_file).fingerprint
    if as_json:
        jsonout.emit("key fingerprint", fingerprint=printed, file=str(layout.key_file))
    else:
        click.echo(printed)


def export(passphrase_stdin: bool) -> None:
    layout = current()
    raw = keyring.raw_key(layout.key_file)
    secret = passphrase.read_passphrase(from_stdin=passphrase_stdin, confirm=True)
    code = keycode.wrap(raw, secret)
    click.echo(code)
    url = sync_repo.git_for(layout).remote_url() if sync_repo.is_initialised(layout) else None
    joining = f"git claude-sync init --git {url or 'URL'} --key-code CODE"
    advice = f"A new machine runs: {joining}"
    if keyring.load_retired(layout.key_file):  # rotated: machines already syncing switch
        advice += "; a machine already syncing runs: git claude-sync key use --key-code CODE"
    click.echo(
        f"Key {Key(raw).fingerprint}, wrapped with the passphrase (scrypt). {advice} "
        "(each asks for the passphrase).",
        err=True,
    )


def rotate(verbosity: int, yes: bool = False, rewrite_history: bool = False) -> None:
    # The engine's rotation (its transaction, steps) and the conflict prompt only here
    # and in use: fingerprint and export never need them (~half of this module's imports).
    from git_claude_sync.engine import rotation
    from git_claude_sync.ui import prompt

    report = Report(verbosity)
    repo = open_repo()
    if not yes and prompt.has_terminal():
        history = (
            "every commit is re-encrypted and the remote's history replaced"
            if rewrite_history
            else "history stays readable with the old key"
        )
        click.echo(
            "A new key stops every other machine until it runs 'git claude-sync key use' "
            f"with it; {history}."
        )
        if not click.confirm("Rotate the key now?", default=False):
            raise FatalError("key not rotated; nothing was changed")
    with sync_lock(repo.layout, on_wait=report.waiting):
        new_key, count = rotation.rotate(
            repo, report, prompt.chooser(None, repo.claude_dir), rewrite_history=rewrite_history
        )
    old = repo.key.fingerprint
    report.say(f"Rotated the key: {old} -> {new_key.fingerprint}.")
    kept_in = keyring.retired_path(repo.layout.key_file, old)
    if rewrite_history:
        report.say(
            f"  Replaced the remote's history with a copy re-encrypted under the new key "
            f"({count} encrypted objects); the old key opens nothing the remote serves now."
        )
        report.say(
            f"  The old key is kept in {kept_in} for this machine's own copy of the old "
            "history; copies the host may keep (unreachable objects, bucket versions) stay "
            "readable with it."
        )
    else:
        if count:
            report.say(f"  Pushed the current files re-encrypted ({count} encrypted objects).")
        report.say(
            f"  The old key is kept in {kept_in}: history "
            "up to now stays encrypted under it, readable by anyone who holds it."
        )
    report.say(
        "  Other machines: run 'git claude-sync key export' here, then "
        "'git claude-sync key use --key-code CODE' there."
    )


def use(
    key_file: Path | None, key_code: str | None, passphrase_stdin: bool, verbosity: int
) -> None:
    """Switch this machine to the key the remote moved to (after a rotation elsewhere)."""
    from git_claude_sync.engine import rotation  # as in rotate
    from git_claude_sync.ui import prompt

    raw = passphrase.key_from(key_file, key_code, passphrase_stdin)
    new_key = Key(raw)
    report = Report(verbosity)
    repo = open_repo()
    if new_key.key_id == repo.key.key_id:
        report.say(f"Already using key {new_key.fingerprint}.")
        return
    with sync_lock(repo.layout, on_wait=report.waiting):
        result = rotation.adopt(repo, report, raw, prompt.chooser(None, repo.claude_dir))
    if result.pulled:
        report.say(f"Pulled {plural(len(result.pulled), 'file')}.")
    prompt.report_merge(result, report)
    report.print_total()
