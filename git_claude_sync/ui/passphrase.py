"""Getting a key from the person: a key file, or a key code and its passphrase."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from git_claude_sync.crypto import keycode, keyfile
from git_claude_sync.errors import FatalError

PASSPHRASE_ENV = "GIT_CLAUDE_SYNC_PASSPHRASE"


def read_passphrase(*, from_stdin: bool, confirm: bool, what: str = "Passphrase") -> str:
    """From stdin's first line, ``$GIT_CLAUDE_SYNC_PASSPHRASE``, or asked on the terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise FatalError(
            f"no terminal to ask for the passphrase: use --passphrase-stdin or ${PASSPHRASE_ENV}"
        )
    value: str = click.prompt(what, hide_input=True, confirmation_prompt=confirm, err=True)
    return value


def key_from(key_file: Path | None, key_code: str | None, passphrase_stdin: bool) -> bytes:
    """The raw key given as a file or as a key code (asking for its passphrase)."""
    if (key_file is None) == (key_code is None):
        raise click.UsageError("give exactly one of FILE and --key-code")
    if key_file is not None:
        return keyfile.read_external(key_file)
    assert key_code is not None
    keycode.parse(key_code)  # a damaged code fails before the passphrase is asked
    return keycode.unwrap(key_code, read_passphrase(from_stdin=passphrase_stdin, confirm=False))
