"""The link-stats cache: what staging knew of each linked file the last time it staged.

``odd_paths.stage_links`` stages the files under linked folders itself (git does not look
through links).  A file whose signature (linked_listing.py: size, times, inode, device,
permission bits) is the one recorded here, and whose index entry is still the one
recorded, is not read again.  At 1 GiB that is ~10k files, every push.

Format 3, in ``marshal``'s form: ``(3, signatures, entries)``, two maps by path (relative
to the Claude directory), with the same keys: the file's signature, and the index entry
staged for it (mode, blob id).  Only files known by their stat are kept (a file written
within the last seconds may change unseen in its mtime's grain: it is read again).  Kept
apart so that a push where the index still holds every entry kept here (a comparison in
C) only has to find the few files whose signature moved, not compare 10k entries in
Python.

Read every push at 1 GiB, written when it changed: marshal takes ~3 ms each way where the JSON it
replaced took ~12 to load and ~15 to write.  It is this machine's own (marshal's format may
change with Python: then it reads as empty and the files are read once again).

Older forms are read as they are, their signatures still compared (so no file is read
again for a new version): format 2 and 1,
``(version, path -> (signature, blob id))``, format 1's signature the tuple (size,
mtime_ns, ctime_ns, ino, dev, index mode), and an older tool's ``link-stats.json`` (hex
path -> "size mtime_ns ctime_ns ino dev mode blob", or a list of those seven), read once,
then removed.
"""

from __future__ import annotations

import marshal
from pathlib import Path

from git_claude_sync.engine.linked_listing import Signature, executable
from git_claude_sync.machine.files import atomic_write

OldSignature = tuple[int, int, int, int, int, str]
Entry = tuple[str, str]  # (index mode, blob id)
FORMAT = 3
_OLDER_FORMATS = (1, 2)


class Cache:
    """``signatures`` and ``entries`` as the module's docstring says; ``exact`` when read
    in format 3 (every signature find's own line: compared as bytes)."""

    __slots__ = ("signatures", "entries", "exact")

    def __init__(
        self,
        signatures: dict[bytes, Signature | OldSignature],
        entries: dict[bytes, Entry],
        exact: bool,
    ) -> None:
        self.signatures = signatures
        self.entries = entries
        self.exact = exact

    def knows(self, path: bytes, sig: Signature) -> bool:
        """Whether ``path`` has this signature still (its entry: ``entries``)."""
        cached = self.signatures.get(path)
        return cached is not None and same(cached, sig)


def load(path: Path, older: Path) -> Cache:
    try:
        stored = marshal.loads(path.read_bytes())
    except FileNotFoundError:
        return _from_older(_load_json(older))
    except (OSError, ValueError, EOFError, TypeError):
        return Cache({}, {}, exact=False)
    if (
        isinstance(stored, tuple)
        and len(stored) == 3
        and stored[0] == FORMAT
        and isinstance(stored[1], dict)
        and isinstance(stored[2], dict)
        and stored[1].keys() == stored[2].keys()
    ):
        return Cache(stored[1], stored[2], exact=True)
    if (
        isinstance(stored, tuple)
        and len(stored) == 2
        and stored[0] in _OLDER_FORMATS
        and isinstance(stored[1], dict)
    ):
        return _from_older(stored[1])
    return Cache({}, {}, exact=False)


def save(
    path: Path, older: Path, signatures: dict[bytes, Signature], entries: dict[bytes, Entry]
) -> None:
    # Not durable: a cache lost in a crash only has the files read again.
    atomic_write(path, marshal.dumps((FORMAT, signatures, entries)), durable=False)
    older.unlink(missing_ok=True)


def same(cached: Signature | OldSignature, sig: Signature) -> bool:
    """Whether a file's signature now is the one the cache holds, in whichever form."""
    if cached == sig:
        return True
    if not isinstance(cached, tuple):
        return False
    size, mtime, ctime, ino, dev, _permissions = sig.split(b" ")
    return cached == (
        int(size), _ns(mtime), _ns(ctime), int(ino), int(dev), mode_of(sig)
    )  # fmt: skip


_MODE_OF_PERMISSIONS: dict[bytes, str] = {}


def mode_of(sig: Signature) -> str:
    """The index mode of a file with this signature (its permission bits, last)."""
    permissions = sig[sig.rindex(b" ") + 1 :]
    mode = _MODE_OF_PERMISSIONS.get(permissions)
    if mode is None:
        mode = "100755" if executable(sig) else "100644"
        _MODE_OF_PERMISSIONS[permissions] = mode
    return mode


def _ns(time_field: bytes) -> int:
    seconds, _, fraction = time_field.partition(b".")
    return int(seconds) * 10**9 + int(fraction[:9].ljust(9, b"0"))


def _from_older(stats: dict[bytes, tuple[Signature | OldSignature, str]]) -> Cache:
    """An older form's (signature, blob id) by path, as a cache whose entries carry the
    mode the signature gives (format 1 and the JSON: its last field)."""
    signatures: dict[bytes, Signature | OldSignature] = {}
    entries: dict[bytes, Entry] = {}
    try:
        for path, (sig, oid) in stats.items():
            signatures[path] = sig
            entries[path] = (sig[5] if isinstance(sig, tuple) else mode_of(sig), oid)
    except (TypeError, ValueError, IndexError):
        return Cache({}, {}, exact=False)
    return Cache(signatures, entries, exact=False)


def _load_json(path: Path) -> dict[bytes, tuple[Signature | OldSignature, str]]:
    import json  # an older tool's form only: not on every push's imports

    try:
        data = json.loads(path.read_bytes())
        stats: dict[bytes, tuple[Signature | OldSignature, str]] = {}
        for key, value in data.items():
            *numbers, mode, oid = value.split(" ") if isinstance(value, str) else value
            size, mtime, ctime, ino, dev = map(int, numbers)
            stats[bytes.fromhex(key)] = ((size, mtime, ctime, ino, dev, str(mode)), str(oid))
        return stats
    except (OSError, ValueError, AttributeError, TypeError):
        return {}
