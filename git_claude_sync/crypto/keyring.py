"""Keys over time: the current key, retired keys, and a rotation's pending key.

After ``git claude-sync key rotate`` the tip of the sync branch is encrypted
under the new key while older commits keep blobs under the old one.  Every
machine that held the old key keeps it in ``~/.claude-sync/old-keys/<fingerprint>``
(same format as the key file), so what reads history -- ``restore``,
``sessions``, ``git log -p`` through textconv, the merge base of a pull --
still opens those blobs.  What becomes the current tree (incoming files,
outgoing pushes) must always be under the current key: a retired key may
have leaked, and whoever holds it must not be able to slip content in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from git_claude_sync.crypto import codec, keyfile
from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import FatalError
from git_claude_sync.machine.files import atomic_write
from git_claude_sync.machine.paths import Layout, old_keys_dir

# -- where keys live ---------------------------------------------------------


def retired_path(key_file: Path, fingerprint: str) -> Path:
    return old_keys_dir(key_file) / fingerprint


def load_retired(key_file: Path) -> list[Key]:
    folder = old_keys_dir(key_file)
    try:
        names = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return []
    return [keyfile.load(path) for path in names]


def is_retired(key_file: Path, fingerprint: str) -> bool:
    return retired_path(key_file, fingerprint).is_file()


def retire(key_file: Path, key: Key) -> Path:
    """Keep a copy of the current key file under old-keys/ (never overwritten)."""
    target = retired_path(key_file, key.fingerprint)
    if not target.exists():
        raw = keyfile.decode(key_file.read_text(encoding="ascii"), key_file)
        old_keys_dir(key_file).mkdir(mode=0o700, parents=True, exist_ok=True)
        keyfile.write_new(target, raw)
    return target


def write_private(path: Path, raw: bytes) -> None:
    """Write a key file, replacing what is there (rotation only: the old one is retired first)."""
    atomic_write(path, keyfile.encode(raw).encode("ascii"), mode=0o600)


def raw_key(key_file: Path) -> bytes:
    """The raw bytes of a key file already checked by ``keyfile.load``."""
    keyfile.load(key_file)
    return keyfile.decode(key_file.read_text(encoding="ascii"), key_file)


# -- reading history -----------------------------------------------------------


class Keyring:
    """The current key and the retired ones, chosen by the key id in each blob's header.

    For reading history only: never use it to accept content that becomes current.
    """

    def __init__(self, current: Key, retired: list[Key]) -> None:
        self.current = current
        self._by_id = {k.key_id: k for k in retired}
        self._by_id[current.key_id] = current

    def decrypt(self, path: bytes | None, blob: bytes) -> bytes:
        header = codec.parse_header(blob)
        key = self._by_id.get(header.key_id, self.current)
        return key.decrypt(path, blob)  # an unknown id fails there, naming both fingerprints

    def open(self, path: bytes | None, blob: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
        """``Key.open`` with the key the stored blob names (``blob``: a seekable file, at 0)."""
        key = self.key_for(blob.read(codec.HEADER_LEN))
        blob.seek(0)
        return key.open(path, blob.read)

    def key_for(self, header: bytes) -> Key:
        """The key a stored blob's header names (the current one if unknown: it fails there)."""
        return self._by_id.get(codec.parse_header(header).key_id, self.current)

    def key_with_id(self, key_id: bytes) -> Key | None:
        return self._by_id.get(key_id)

    def knows(self, key_id: bytes) -> bool:
        return key_id in self._by_id


def keyring_for(key_file: Path, current: Key | None = None) -> Keyring:
    return Keyring(current or keyfile.load(key_file), load_retired(key_file))


# -- the remote's key ---------------------------------------------------------------


def adopt_hint(layout: Layout, key_id: bytes) -> str:
    """How to get key ``key_id`` onto this machine."""
    fingerprint = codec.format_fingerprint(key_id)
    for candidate in (layout.pending_key_file, retired_path(layout.key_file, fingerprint)):
        try:
            if keyfile.load(candidate).key_id == key_id:
                return f"run 'git claude-sync key use {candidate}'"
        except FatalError:
            continue
    return (
        "get the new key with 'git claude-sync key export' on a machine that has it, "
        "then run 'git claude-sync key use --key-code CODE' here "
        "(or 'git claude-sync key use FILE' with a copy of its key file)"
    )


def finish_switch(layout: Layout, recorded: str) -> bool:
    """A switch to key ``recorded`` died before key.next replaced the key file: finish it."""
    pending = layout.pending_key_file
    try:
        if keyfile.load(pending).fingerprint != recorded:
            return False
    except FatalError:
        return False
    current_key = keyfile.load(layout.key_file)
    retire(layout.key_file, current_key)
    os.replace(pending, layout.key_file)
    return True
