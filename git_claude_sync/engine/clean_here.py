"""A few linked files cleaned (encrypted) in this process, without the filter process.

``odd_paths.stage_links`` stores the files it reads through a link (mapped project
folders, dotfile links) with ``git hash-object``, whose clean filter is a second Python
interpreter (filters/process.py).  For an appended session its start-up and imports cost
more than the cleaning itself.  The CLI has the key and the codec loaded already, so a few
small files are cleaned here by the filter's own rule (``filters/clean.clean_into``, built
on the blob the index holds for the path, as the filter reads it), and git stores the
result as it is (``--no-filters``): the same blob, byte for byte, as the filter's.

Many files (a first push) or a large one still go through the filter process: it streams
any size, and its start-up is paid once for all of them.  Plaintext never leaves this
process: git is handed the ciphertext on its stdin, or finds it (several files) in a
private scratch folder.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from git_claude_sync.claude import history_paths
from git_claude_sync.claude.project_folders import Mapping
from git_claude_sync.crypto.codec import CHUNK_SIZE, Key
from git_claude_sync.engine.incoming import Blob, Spooled, as_blob
from git_claude_sync.errors import FatalError
from git_claude_sync.filters import clean
from git_claude_sync.git import STREAM_ABOVE, Git
from git_claude_sync.machine.files import fs_path
from git_claude_sync.ui.report import show_path

MAX_FILES = 16  # more: one filter process costs less than cleaning them one by one here
# Up to this many files (an append's session) are stored one by one (``Git.store_blob``:
# written in this process in a SHA-1 repository, else handed to git on its stdin): no
# scratch folder, nor tempfile's import, nor a file written to be read again (~5 ms of an
# append's push).  More share one git through a scratch folder (measured before blobs were
# written in process: another git costs ~2 ms; 16 files one by one took 34 ms, together
# 17 + 3 ms).
ONE_BY_ONE = 2
MAX_FILE_BYTES = STREAM_ABOVE  # larger: the filter streams it
# Read a chunk's worth at a time: blocks of 1 MiB (and complete_lines' copies of them) were
# fresh pages each, ~1700 page faults of a 5 MB session's clean; 64 KiB ones reuse the heap.
_BLOCK = CHUNK_SIZE


def hash_files(git: Git, key: Key, paths: Sequence[bytes]) -> list[str]:
    """As ``Git.hash_files``: store these work tree files (read through links), cleaned
    for their path; their blob ids, in order."""
    if not paths:
        return []
    if len(paths) > MAX_FILES or any(_size(git, path) > MAX_FILE_BYTES for path in paths):
        return git.hash_files(paths)
    entries = git.index_entries()
    held = {path: entries[path][1] for path in paths if path in entries}
    previous: dict[str, Blob] = {}
    try:
        for oid, data in git.iter_spooled_blobs(set(held.values()), STREAM_ABOVE):
            previous[oid] = as_blob(data)
        bases = [previous.get(held.get(path, "")) for path in paths]
        if len(paths) > ONE_BY_ONE:
            return _store_together(git, key, paths, bases, held)
        oids = []
        for path, base in zip(paths, bases, strict=True):
            out = io.BytesIO()  # at most MAX_FILE_BYTES and a little, one file at a time
            kept = _clean(git, key, path, base, out)
            oids.append(held[path] if kept else git.store_blob(out.getvalue()))
        return oids
    finally:
        for blob in previous.values():
            if isinstance(blob, Spooled):
                blob.close()


def _store_together(
    git: Git, key: Key, paths: Sequence[bytes], bases: Sequence[Blob | None], held: dict[bytes, str]
) -> list[str]:
    """Several files cleaned into a private scratch folder, stored by one git."""
    import tempfile  # only here: shutil, random, bz2, lzma come with it (~3 ms)

    oids: list[str | None] = []
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="claude-sync-clean-") as scratch:
        for number, (path, base) in enumerate(zip(paths, bases, strict=True)):
            out = Path(scratch, str(number))
            with out.open("w+b") as sink:  # read again to compare
                kept = _clean(git, key, path, base, sink)
            oids.append(held[path] if kept else None)
            if not kept:
                written.append(out)
        stored = iter(git.store_files(written))
        return [oid if oid is not None else next(stored) for oid in oids]


def _clean(git: Git, key: Key, path: bytes, base: Blob | None, sink: BinaryIO) -> bool:
    """Clean ``path`` into ``sink``; True if the stored blob ``base`` holds it already."""
    kept = clean.clean_into(key, path, _read(git, path), base, sink, _mapping(git, path))
    return kept is not None


def gives_back(git: Git, key: Key, path: bytes, content: bytes, stored: bytes) -> bool:
    """Whether the clean filter, given ``content`` for ``path`` while the index holds the
    blob ``stored``, stores ``stored`` itself: a file a pull wrote in this machine's form
    (history.jsonl's project paths) may then have its stat data recorded as one written
    from its blob, and the pull's refresh need not start the filter process for it."""
    cleaned: bytes = clean.clean(key, path, content, stored, _mapping(git, path))
    return cleaned == stored


def _size(git: Git, path: bytes) -> int:
    try:
        return os.stat(fs_path(git.work_tree, path)).st_size
    except OSError:
        return 0  # gone meanwhile: reading it fails below, as git's would


def _read(git: Git, path: bytes) -> Iterator[bytes]:
    try:
        with fs_path(git.work_tree, path).open("rb") as f:
            while block := f.read(_BLOCK):
                yield block
    except OSError as err:
        raise FatalError(f"encrypting {show_path(path)} failed: {err.strerror}") from None


def _mapping(git: Git, path: bytes) -> Mapping | None:
    """history.jsonl is stored with canonical project paths, as the filter stores it."""
    return history_paths.mapping_beside(git.git_dir) if history_paths.is_history(path) else None
