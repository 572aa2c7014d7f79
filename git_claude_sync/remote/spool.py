"""Private temporary files for packs in transit (issue 9: memory).

A pack and its sealed copy can be as large as the largest file synced: held as
byte strings, the remote helper peaked at several times that.  They go through
files instead, in a folder of their own under the calling git's ``GIT_DIR``
(``claude-sync/spool/``, beside the git host's manifest cache: where remote
helpers keep their data, on the sync repo's disk, never a shared ``/tmp`` that
may be memory itself).  The folder is mode 0700, each file 0600, and all of it
is removed when the ``folder`` block ends, also on an error; a folder left by a
killed run is removed by the next one once it is old.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from git_claude_sync.errors import FatalError

# A folder older than this was left by a killed run (a transfer of a pack holds it for
# minutes at most); younger ones may belong to a run still going.
STALE_SECONDS = 24 * 3600
_PREFIX = "run-"


def _root() -> Path | None:
    git_dir = os.environ.get("GIT_DIR")
    return Path(git_dir).resolve() / "claude-sync" / "spool" if git_dir else None


def _remove_stale(root: Path) -> None:
    now = time.time()
    for entry in root.glob(_PREFIX + "*"):
        try:
            if now - entry.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue  # another run removed it meanwhile


@contextmanager
def folder() -> Iterator[Path]:
    """A fresh private folder for the files of one transfer, removed afterwards."""
    root = _root()
    try:
        if root is None:  # not run by git (no GIT_DIR): a private folder of the system's
            made = Path(tempfile.mkdtemp(prefix="claude-sync-spool-"))
        else:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            _remove_stale(root)
            made = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=root))  # mode 0700
    except OSError as err:
        raise _failed(err) from None
    try:
        yield made
    except OSError as err:  # our own file work (a full disk): one line, never a traceback
        raise _failed(err) from None
    finally:
        shutil.rmtree(made, ignore_errors=True)


def _failed(err: OSError) -> FatalError:
    return FatalError(f"cannot write a pack's temporary file in the sync repo: {err.strerror}")


def create(path: Path) -> BinaryIO:
    """A new file for writing, readable by its owner only."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def blocks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes, a block at a time."""
    with open(path, "rb") as handle:
        while block := handle.read(size):
            yield block
