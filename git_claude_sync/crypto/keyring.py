"""Keys over time: retired keys, re-encrypting a tree, noticing that the remote moved on.

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

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from git_claude_sync.crypto import codec, keycode, keyfile
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import kept
from git_claude_sync.errors import FatalError, NotEncrypted
from git_claude_sync.git import Git
from git_claude_sync.machine.paths import Layout
from git_claude_sync.ui.report import show_path

OLD_KEYS = "old-keys"
PENDING = "key.next"  # a rotation's new key, written before it is pushed
PASSPHRASE_ENV = "GIT_CLAUDE_SYNC_PASSPHRASE"

Tree = dict[bytes, tuple[str, str]]


# -- where keys live ---------------------------------------------------------


def old_keys_dir(key_file: Path) -> Path:
    return key_file.parent / OLD_KEYS


def pending_file(layout: Layout) -> Path:
    return layout.home / PENDING


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
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(keyfile.encode(raw))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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

    def knows(self, key_id: bytes) -> bool:
        return key_id in self._by_id


def keyring_for(key_file: Path, current: Key | None = None) -> Keyring:
    return Keyring(current or keyfile.load(key_file), load_retired(key_file))


# -- re-encrypting ---------------------------------------------------------------


def reencrypt_tree(git: Git, decrypt: Keyring, new_key: Key, commit: str) -> str:
    """A tree like ``commit``'s with every blob re-encrypted under ``new_key``; its id."""
    import pygit2  # only here: create_blob writes without any filter

    entries = git.ls_tree(commit)
    by_oid: dict[str, list[bytes]] = {}
    for path, (_mode, oid) in entries.items():
        by_oid.setdefault(oid, []).append(path)
    odb = pygit2.Repository(str(git.git_dir))
    new_oid: dict[bytes, str] = {}
    for oid, data in git.iter_blobs(by_oid):
        for path in by_oid[oid]:
            try:
                plaintext = decrypt.decrypt(path, data)
            except FatalError as err:
                raise FatalError(f"{show_path(path)}: {err}; nothing was changed") from None
            new_oid[path] = str(odb.create_blob(new_key.encrypt(path, plaintext)))
    index_file = git.git_dir / f"index.rekey.{os.getpid()}"
    temp = dataclasses.replace(git, index_file=index_file)
    try:
        temp.run(["read-tree", "--empty"])
        info = b"".join(
            f"{entries[path][0]} {oid}\t".encode() + path + b"\0" for path, oid in new_oid.items()
        )
        temp.run(["update-index", "-z", "--index-info"], input=info)
        return temp.out(["write-tree"]).strip()
    finally:
        index_file.unlink(missing_ok=True)


def move_index_to(git: Git, old_commit: str, new_commit: str) -> None:
    """Point the index at ``new_commit``'s blobs where it held ``old_commit``'s."""
    old, new = git.ls_tree(old_commit), git.ls_tree(new_commit)
    deleted_here = kept.kept_paths(git)
    index = git.run(["ls-files", "-s", "-z"]).stdout
    staged = {}
    for record in index.split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            staged[path] = meta.split(b" ")[1].decode()
    info = []
    for path, (mode, oid) in new.items():
        if path in old and staged.get(path) == old[path][1]:
            info.append(f"{mode} {oid}\t".encode() + path + b"\0")
    if info:
        git.run(["update-index", "-z", "--index-info"], input=b"".join(info))
    kept.mark(git, sorted(p for p in deleted_here if p in new))
    git.run(["update-index", "-q", "--refresh"], check=False)


# -- the remote's key ---------------------------------------------------------------


class RemoteKeyMoved(FatalError):
    """The remote's files are encrypted under a key this machine does not use."""


def adopt_hint(layout: Layout, key_id: bytes) -> str:
    """How to get key ``key_id`` onto this machine."""
    fingerprint = codec.format_fingerprint(key_id)
    for candidate in (pending_file(layout), retired_path(layout.key_file, fingerprint)):
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


def check_incoming(layout: Layout, key: Key, git: Git, ours: Tree, theirs: Tree) -> None:
    """Refuse, with what to do, when the remote's new files are under another key."""
    for path in sorted(theirs):
        oid = theirs[path][1]
        if ours.get(path) == theirs[path]:
            continue
        data = git.read_blobs([oid])[oid]
        try:
            header = codec.parse_header(data)
        except NotEncrypted:
            return  # apply() refuses it, naming the file
        if header.key_id != key.key_id:
            raise RemoteKeyMoved(
                f"the remote moved to key {codec.format_fingerprint(header.key_id)} "
                f"(this machine uses {key.fingerprint}); nothing was changed; "
                + adopt_hint(layout, header.key_id)
            )
        return


def remote_key_id(git: Git, tip: str) -> bytes | None:
    """The key id of one blob of the remote's tree, or None for an empty tree."""
    entries = git.ls_tree(tip)
    for _path, (_mode, oid) in sorted(entries.items()):
        try:
            return codec.parse_header(git.read_blobs([oid])[oid]).key_id
        except NotEncrypted:
            continue
    return None


# -- passphrases -------------------------------------------------------------------


def read_passphrase(*, from_stdin: bool, confirm: bool, what: str = "Passphrase") -> str:
    """From stdin's first line, ``$GIT_CLAUDE_SYNC_PASSPHRASE``, or asked on the terminal."""
    import sys

    import click

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


def unwrap_code(code: str, passphrase: Callable[[], str]) -> bytes:
    """The raw key from a key code; a damaged code fails before the passphrase is asked."""
    keycode.parse(code)
    return keycode.unwrap(code, passphrase())


def finish_switch(layout: Layout, recorded: str) -> bool:
    """A switch to key ``recorded`` died before key.next replaced the key file: finish it."""
    pending = pending_file(layout)
    try:
        if keyfile.load(pending).fingerprint != recorded:
            return False
    except FatalError:
        return False
    current_key = keyfile.load(layout.key_file)
    retire(layout.key_file, current_key)
    os.replace(pending, layout.key_file)
    return True
