"""The sealed state a commit carries: docs/spec/state.md is its specification.

Every commit the tool makes states, sealed with the repo key, which tree it
holds, which commits it follows, a counter one above its parents', the machine
that made it, when, and its subject line.  The seal is a blob of the blob
format (codec.py) at a pseudo-path no file can have, base64 in the commit
message's last line.  The commit object itself is a function of the state: a
fixed identity, the sealed time in UTC, the sealed subject.  So whoever lacks
the key cannot make a commit that opens, nor reuse a seal under any commit
but the one it was made for (the rebuilt object would differ).

Why the tree id and not a list of entries: a git tree id already hashes every
(path, mode, blob id) beneath it, so one id authenticates them all in a few
bytes (a list would cost kilobytes per commit on a 13k-file tree).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Protocol

from git_claude_sync.crypto import codec
from git_claude_sync.errors import CodecError, Tampered

STATE_PATH = b"\x00state/commit"
TRAILER = b"Claude-Sync-State: "
IDENTITY = b"claude-sync <claude-sync@invalid>"
FORMAT = 1
_OID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_FIELDS = {"counter", "machine", "parents", "subject", "time", "tree", "v"}


class Opener(Protocol):
    """A key, or a keyring: opens a blob sealed at a path."""

    def decrypt(self, path: bytes | None, blob: bytes) -> bytes: ...


@dataclass(frozen=True)
class State:
    tree: str
    parents: tuple[str, ...]
    counter: int
    machine: str
    time: int  # seconds since the epoch, UTC
    subject: str

    def payload(self) -> bytes:
        """The sealed plaintext: JSON, keys sorted, no spaces, ASCII."""
        return json.dumps(
            {
                "counter": self.counter,
                "machine": self.machine,
                "parents": list(self.parents),
                "subject": self.subject,
                "time": self.time,
                "tree": self.tree,
                "v": FORMAT,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode("ascii")


@dataclass(frozen=True)
class Sealed:
    """A commit whose seal opened: its state and the key it is sealed under."""

    state: State
    key_id: bytes


def next_counter(parent_counters: list[int]) -> int:
    """A new state's counter: one above its parents' (an unsealed parent counts 0)."""
    return 1 + max(parent_counters, default=0)


def seal(key: codec.Key, state: State) -> bytes:
    """The trailer's value: base64 of the state sealed as a blob at ``STATE_PATH``."""
    if "\n" in state.subject or not state.subject:
        raise ValueError("a subject is one non-empty line")
    return base64.b64encode(key.encrypt(STATE_PATH, state.payload()))


def commit_object(state: State, sealed: bytes) -> bytes:
    """The one commit object a state may be carried by (without git's object header)."""
    lines = [b"tree " + state.tree.encode()]
    lines += [b"parent " + p.encode() for p in state.parents]
    stamp = b"%d +0000" % state.time
    lines += [b"author " + IDENTITY + b" " + stamp, b"committer " + IDENTITY + b" " + stamp]
    head = b"\n".join(lines) + b"\n\n"
    return head + state.subject.encode() + b"\n\n" + TRAILER + sealed + b"\n"


def make_commit(key: codec.Key, state: State) -> bytes:
    return commit_object(state, seal(key, state))


def open_seal(keys: Opener, sealed: bytes) -> State:
    """The state inside a seal alone, for display: it does not check the commit around it."""
    try:
        blob = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError):
        raise Tampered("its state seal is not base64") from None
    return parse_payload(keys.decrypt(STATE_PATH, blob))


def open_commit(keys: Opener, raw: bytes) -> Sealed | None:
    """The state ``raw`` (a commit object) carries; None if it carries no seal.

    Raises ``Tampered`` (or ``WrongKey`` for a key ``keys`` lacks) if it carries
    one that does not open, or the commit is not exactly the one its state makes.
    """
    body = raw.rstrip(b"\n")
    last = body.rpartition(b"\n")[2]
    if not last.startswith(TRAILER) or not raw.endswith(b"\n"):
        return None
    sealed = last[len(TRAILER) :]
    state = open_seal(keys, sealed)  # CodecError: Tampered or WrongKey
    if commit_object(state, sealed) != raw:
        raise Tampered("the commit differs from the state it seals")
    return Sealed(state, codec.parse_header(base64.b64decode(sealed)).key_id)


def seal_key_id(raw: bytes) -> bytes | None:
    """The key id a commit's seal names, read without opening it (None: no readable seal)."""
    last = raw.rstrip(b"\n").rpartition(b"\n")[2]
    if not last.startswith(TRAILER):
        return None
    try:
        return codec.parse_header(base64.b64decode(last[len(TRAILER) :], validate=True)).key_id
    except (binascii.Error, ValueError, CodecError):
        return None


def parse_payload(plain: bytes) -> State:
    """Read a sealed payload strictly: anything unexpected is ``Tampered``."""
    try:
        data = json.loads(plain.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Tampered("its state is not JSON") from None
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise Tampered("its state has unexpected fields")
    if data["v"] != FORMAT:
        raise Tampered(f"its state has format {data['v']!r}")
    tree, parents, counter = data["tree"], data["parents"], data["counter"]
    machine, time, subject = data["machine"], data["time"], data["subject"]
    ok = (
        isinstance(tree, str)
        and _OID.match(tree)
        and isinstance(parents, list)
        and all(isinstance(p, str) and _OID.match(p) for p in parents)
        and _is_int(counter)
        and counter >= 1
        and _is_int(time)
        and time >= 0
        and isinstance(machine, str)
        and isinstance(subject, str)
        and subject
        and "\n" not in subject
    )
    if not ok:
        raise Tampered("its state has malformed fields")
    return State(tree, tuple(parents), counter, machine, time, subject)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
