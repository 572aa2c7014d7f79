"""The key file: one line, ``CLAUDE-SYNC-KEY-V1 <64 hex digits>``, mode 0600.

It lives in the tool's home, never in the synced directory, and is never
overwritten: losing it loses every synced byte.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from git_claude_sync.crypto.codec import KEY_LEN, Key
from git_claude_sync.errors import FatalError

PREFIX = "CLAUDE-SYNC-KEY-V1"


def encode(raw: bytes) -> str:
    return f"{PREFIX} {raw.hex()}\n"


def decode(text: str, source: Path) -> bytes:
    parts = text.split()
    if len(parts) != 2 or parts[0] != PREFIX:
        raise FatalError(f"{source} is not a git-claude-sync key file (expected '{PREFIX} <hex>')")
    try:
        raw = bytes.fromhex(parts[1])
    except ValueError:
        raise FatalError(f"{source}: the key is not valid hex") from None
    if len(raw) != KEY_LEN:
        raise FatalError(f"{source}: the key must be {KEY_LEN} bytes, found {len(raw)}")
    return raw


def load(path: Path) -> Key:
    """Read and check a key file: it must exist and be private to its owner."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FatalError(
            f"no key at {path}: copy the key from a machine already syncing, "
            "or run 'git claude-sync init'"
        ) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise FatalError(
            f"key file {path} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
            f"run: chmod 600 {path}"
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as err:
        raise FatalError(f"cannot read key file {path}: {err.__class__.__name__}") from None
    return Key(decode(text, path))


def read_external(path: Path) -> bytes:
    """Read a key someone copied from another machine (permissions not enforced)."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise FatalError(f"key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise FatalError(f"cannot read key file {path}: {err.__class__.__name__}") from None
    return decode(text, path)


def write_new(path: Path, raw: bytes) -> None:
    """Create the key file with mode 0600 in a 0700 directory; never overwrite."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(encode(raw))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # fails if a key appeared meanwhile: never overwrite
    except FileExistsError:
        raise FatalError(f"a key already exists at {path}; it is never overwritten") from None
    finally:
        tmp.unlink(missing_ok=True)


def generate(path: Path) -> Key:
    raw = os.urandom(KEY_LEN)
    write_new(path, raw)
    return Key(raw)
