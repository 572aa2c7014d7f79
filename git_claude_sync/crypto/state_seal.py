"""The sealed state a commit carries: docs/spec/state.md is its specification.

Every commit the tool makes states, sealed with the repo key, which tree it
holds, which commits it follows, a counter one above its parents', the machine
that made it, when, and its subject line.  The seal is a blob of the blob
format (codec.py) at a pseudo-path no file can have, base64 in the commit
message's last line.  The commit object itself is a function of the state: a
fixed identity, the sealed time in UTC, the sealed subject.  So whoever lacks
the key cannot make a commit that opens, nor reuse a seal under any commit
but the one it was made for (the rebuilt object would differ).

Version 2 (written since) seals only what the commit does not already say in
clear, the counter and the machine, a few bytes, and authenticates the rest of
the commit object as associated data: the seal shrank from ~350 bytes (a blob
of a JSON payload, base64) to ~50, a third of what a 2 KB append sent.
Version 1 seals still open.

Why the tree id and not a list of entries: a git tree id already hashes every
(path, mode, blob id) beneath it, so one id authenticates them all in a few
bytes (a list would cost kilobytes per commit on a 13k-file tree).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Protocol

from git_claude_sync.crypto import codec
from git_claude_sync.errors import CodecError, Tampered, WrongKey
from git_claude_sync.records import dataclass

STATE_PATH = b"\x00state/commit"
TRAILER = b"Claude-Sync-State: "
IDENTITY = b"claude-sync <claude-sync@invalid>"
FORMAT = 2  # what seal() writes
READS = (1, 2)
_KEY_ID_LEN = 8
_OID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_FIELDS = {"counter", "machine", "parents", "subject", "time", "tree", "v"}


class Opener(Protocol):
    """A key, or a keyring: opens a blob sealed at a path, gives the key of an id."""

    def decrypt(self, path: bytes | None, blob: bytes) -> bytes: ...

    def key_with_id(self, key_id: bytes) -> codec.Key | None: ...


@dataclass(frozen=True)
class State:
    tree: str
    parents: tuple[str, ...]
    counter: int
    machine: str
    time: int  # seconds since the epoch, UTC
    subject: str

    def payload(self) -> bytes:
        """Version 1's sealed plaintext: JSON, keys sorted, no spaces, ASCII."""
        return json.dumps(
            {
                "counter": self.counter,
                "machine": self.machine,
                "parents": list(self.parents),
                "subject": self.subject,
                "time": self.time,
                "tree": self.tree,
                "v": 1,
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


def seal(key: codec.Key, state: State, version: int = FORMAT) -> bytes:
    """The trailer's value: base64 of the sealed state (version 1: of a blob at
    ``STATE_PATH`` holding the JSON payload)."""
    if "\n" in state.subject or not state.subject:
        raise ValueError("a subject is one non-empty line")
    if version == 1:
        return base64.b64encode(key.encrypt(STATE_PATH, state.payload()))
    ad = _associated(key.key_id, head(state))
    plain = _uvarint(state.counter) + state.machine.encode("utf-8", "surrogateescape")
    return base64.b64encode(bytes([2]) + key.key_id + key.seal_detached(ad, plain))


def head(state: State) -> bytes:
    """The commit object up to its trailer: what version 2 authenticates in clear."""
    lines = [b"tree " + state.tree.encode()]
    lines += [b"parent " + p.encode() for p in state.parents]
    stamp = b"%d +0000" % state.time
    lines += [b"author " + IDENTITY + b" " + stamp, b"committer " + IDENTITY + b" " + stamp]
    return b"\n".join(lines) + b"\n\n" + state.subject.encode() + b"\n\n"


def commit_object(state: State, sealed: bytes) -> bytes:
    """The one commit object a state may be carried by (without git's object header)."""
    return head(state) + TRAILER + sealed + b"\n"


def _associated(key_id: bytes, commit_head: bytes) -> bytes:
    return STATE_PATH + bytes([2]) + key_id + commit_head


def make_commit(key: codec.Key, state: State) -> bytes:
    return commit_object(state, seal(key, state))


def open_seal(keys: Opener, sealed: bytes, commit_head: bytes) -> State:
    """The state a seal holds, its commit's ``head`` (tree, parents, time, subject) as
    given: version 1 ignores it; it does not check that the commit is exactly this."""
    blob = _decode(sealed)
    if blob[:1] != b"\x02":
        return parse_payload(keys.decrypt(STATE_PATH, blob))
    key_id = blob[1 : 1 + _KEY_ID_LEN]
    key = keys.key_with_id(key_id)
    if key is None:
        raise WrongKey(f"sealed with key {codec.format_fingerprint(key_id)}, not held here")
    try:
        plain = key.open_detached(_associated(key_id, commit_head), blob[1 + _KEY_ID_LEN :])
    except Tampered:
        # What the tag covers is the commit itself: most often, it is the commit that changed.
        raise Tampered(
            "the commit differs from the state it seals (or the seal was altered)"
        ) from None

    counter, machine = _parse_plain(plain)
    tree, parents, time, subject = _parse_head(commit_head)
    return State(tree, parents, counter, machine, time, subject)


def open_logged(
    keys: Opener, sealed: bytes, tree: str, parents: list[str], time: int, subject: str
) -> State:
    """The state of a commit ``git log`` listed (its fields as given), for display."""
    return open_seal(keys, sealed, head(State(tree, tuple(parents), 1, "", time, subject)))


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
    # CodecError: Tampered or WrongKey
    state = open_seal(keys, sealed, raw[: len(raw) - len(last) - 1])
    if commit_object(state, sealed) != raw:
        raise Tampered("the commit differs from the state it seals")
    return Sealed(state, seal_key_id(raw) or b"")


def seal_key_id(raw: bytes) -> bytes | None:
    """The key id a commit's seal names, read without opening it (None: no readable seal)."""
    last = raw.rstrip(b"\n").rpartition(b"\n")[2]
    if not last.startswith(TRAILER):
        return None
    try:
        blob = _decode(last[len(TRAILER) :])
        if blob[:1] == b"\x02":
            return blob[1 : 1 + _KEY_ID_LEN] if len(blob) > _KEY_ID_LEN else None
        return codec.parse_header(blob).key_id
    except CodecError:
        return None


def _decode(sealed: bytes) -> bytes:
    try:
        return base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError):
        raise Tampered("its state seal is not base64") from None


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _parse_plain(plain: bytes) -> tuple[int, str]:
    """Version 2's plaintext: the counter (LEB128, minimal, >= 1), then the machine."""
    counter, shift = 0, 0
    for at, byte in enumerate(plain[:10]):
        counter |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            rest = plain[at + 1 :]
            if counter < 1 or _uvarint(counter) != plain[: at + 1]:
                break
            return counter, rest.decode("utf-8", "surrogateescape")
    raise Tampered("its state has a malformed counter")


def _parse_head(commit_head: bytes) -> tuple[str, tuple[str, ...], int, str]:
    """Tree, parents, time and subject as a commit's head states them; its exact form is
    checked by rebuilding the commit (``open_commit``)."""
    try:
        text = commit_head.decode("utf-8")
        headers, subject = text.split("\n\n", 1)
        lines = headers.split("\n")
        tree = lines[0].removeprefix("tree ")
        parents = tuple(line.removeprefix("parent ") for line in lines[1:-2])
        time = int(lines[-1].rsplit(" ", 2)[1])
    except (UnicodeDecodeError, ValueError, IndexError):
        raise Tampered("its commit is not one a state makes") from None
    subject = subject.removesuffix("\n\n")
    ok = (
        _OID.match(tree)
        and all(_OID.match(p) for p in parents)
        and time >= 0
        and subject
        and "\n" not in subject
    )
    if not ok:
        raise Tampered("its state has malformed fields")
    return tree, parents, time, subject


def parse_payload(plain: bytes) -> State:
    """Read a sealed payload strictly: anything unexpected is ``Tampered``."""
    try:
        data = json.loads(plain.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Tampered("its state is not JSON") from None
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise Tampered("its state has unexpected fields")
    if data["v"] != 1:
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
