"""The codec as an in-process ``pygit2.Filter``.

libgit2 never runs external filter drivers: without this filter registered,
``index.add`` through pygit2 stores plaintext even with ``required = true``.
``FilterList.apply_*`` is never used: it cuts data at the first NUL byte.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pygit2
from git_claude_sync.filters import clean
from pygit2.enums import FilterMode

from git_claude_sync.crypto.codec import Key
from git_claude_sync.git import IndexBlobs

DRIVER = "claude-sync"


class CodecFilter(pygit2.Filter):
    attributes = f"filter={DRIVER}"
    key: Key | None = None  # set by register(); one key per process

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._path = b""
        self._mode = FilterMode.TO_ODB
        self._previous: bytes | None = None

    def check(self, src: pygit2.FilterSource, attr_values: list[str | None]) -> None:
        if attr_values[0] != DRIVER:
            raise pygit2.Passthrough
        self._parts = []
        self._path = os.fsencode(src.path)
        self._mode = FilterMode(src.mode)
        self._previous = _indexed_blob(src) if self._mode == FilterMode.TO_ODB else None

    def write(
        self, data: bytes, src: pygit2.FilterSource, write_next: Callable[[bytes], None]
    ) -> None:
        self._parts.append(data)

    def close(self, write_next: Callable[[bytes], None]) -> None:
        key = type(self).key
        data, self._parts = b"".join(self._parts), []  # reset: filter objects get reused
        if key is None:
            raise RuntimeError("git-claude-sync filter used before a key was registered")
        if self._mode == FilterMode.TO_ODB:
            write_next(clean.clean(key, self._path, data, self._previous))
        else:
            write_next(key.decrypt(self._path, data))


_indexed: dict[str, IndexBlobs] = {}


def _indexed_blob(src: pygit2.FilterSource) -> bytes | None:
    """The blob the index holds for this path (see ``clean``), if any."""
    git_dir: str = getattr(src.repo, "path")  # noqa: B009 - typed as object in pygit2's stubs
    if git_dir not in _indexed:
        _indexed[git_dir] = IndexBlobs(Path(git_dir))
    blob: bytes | None = _indexed[git_dir].previous(os.fsencode(src.path))
    return blob


def register(key: Key) -> None:
    """Make every pygit2 code path in this process encrypt and decrypt with ``key``."""
    CodecFilter.key = key
    if not getattr(register, "_done", False):
        pygit2.filter_register(DRIVER, CodecFilter)
        register._done = True  # type: ignore[attr-defined]


def open_repository(git_dir: Path, key: Key) -> pygit2.Repository:
    """The sync repo through pygit2, with the codec registered as its filter.

    libgit2 runs no external filter: without this filter, pygit2's
    ``index.add`` would store plaintext.  Use only this to open the repo with pygit2.
    """
    register(key)
    return pygit2.Repository(str(git_dir))
