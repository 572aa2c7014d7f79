"""Which key the remote's files are under, and refusing to merge files under another one."""

from __future__ import annotations

from git_claude_sync.crypto import codec, keyring
from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import FatalError, NotEncrypted
from git_claude_sync.git import Git
from git_claude_sync.machine.paths import Layout

Tree = dict[bytes, tuple[str, str]]


class RemoteKeyMoved(FatalError):
    """The remote's files are encrypted under a key this machine does not use."""


def check_incoming(layout: Layout, key: Key, git: Git, ours: Tree, theirs: Tree) -> None:
    """Refuse, with what to do, when the remote's new files are under another key."""
    for path in sorted(theirs):
        oid = theirs[path][1]
        if ours.get(path) == theirs[path]:
            continue
        _oid, data = next(git.blob_heads([oid], codec.HEADER_LEN))
        try:
            header = codec.parse_header(data)
        except NotEncrypted:
            return  # apply() refuses it, naming the file
        if header.key_id != key.key_id:
            raise RemoteKeyMoved(
                f"the remote moved to key {codec.format_fingerprint(header.key_id)} "
                f"(this machine uses {key.fingerprint}); nothing was changed; "
                + keyring.adopt_hint(layout, header.key_id)
            )
        return


def remote_key_id(git: Git, tip: str) -> bytes | None:
    """The key id of one blob of the remote's tree, or None for an empty tree."""
    entries = git.ls_tree(tip)
    for _path, (_mode, oid) in sorted(entries.items()):
        try:
            _oid, head = next(git.blob_heads([oid], codec.HEADER_LEN))
            return codec.parse_header(head).key_id
        except NotEncrypted:
            continue
    return None
