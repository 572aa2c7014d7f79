"""The blobs the sync repo's index holds, for ``clean.clean``'s stable ciphertext."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2


class IndexedBlobs:
    """The blobs the sync repo's index holds, read lazily, again only if the index changed."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self._repo: pygit2.Repository | None = None
        self._index: pygit2.Index | None = None
        self._stamp: tuple[int, int] | None = None

    def _load(self) -> tuple[pygit2.Repository, pygit2.Index]:
        index_file = os.environ.get("GIT_INDEX_FILE") or str(self.git_dir / "index")
        try:
            st = os.stat(index_file)
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if self._repo is None:
            self._repo = pygit2.Repository(str(self.git_dir))
        if self._index is None or stamp != self._stamp:
            self._index = pygit2.Index(index_file) if stamp else pygit2.Index()
            self._stamp = stamp
        return self._repo, self._index

    def previous(self, path: bytes) -> bytes | None:
        try:
            repo, index = self._load()
            entry = index[os.fsdecode(path)]
            return bytes(repo.odb.read(entry.id)[1])
        except (KeyError, ValueError, UnicodeError, pygit2.GitError):
            return None
