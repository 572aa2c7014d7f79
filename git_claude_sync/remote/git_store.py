"""A plain git host (GitHub, a bare repo over ssh, https or a path) as a ``Store``.

Normative text: docs/spec/git-host.md.  Each stored object is one commit on the
host's ref ``refs/cs/<name>``: a fixed identity, date and message, and a tree
holding one file, ``o``, whose content is the object's bytes (already sealed
ciphertext).  So the host sees random or fixed ref names, commits that say
nothing, and ciphertext; the pack-and-manifest protocol above (transfer.py) is
the buckets' own.

* ``version`` is the commit's id; ``put_if_match`` is a push with
  ``--force-with-lease`` on the object's ref: git's receive-pack checks the old
  value under the ref's lock, so no probe of the provider is needed.
* ``put`` of a pack waits for the next ``put_if_match`` (the manifest swap) and
  goes up in the same ``push --atomic``: one round trip instead of two, and a
  pack lands only together with a manifest that names it, so the host never
  holds a pack in flight that garbage collection must wait for.
* ``list`` is ``ls-remote``; a git host does not tell when a ref was written,
  so every object reads as old (see ``modified`` below).
* The manifest, read by every fetch, is kept between runs in a bare repository in
  the calling git's ``GIT_DIR`` (``claude-sync/<url hash>.git``, where remote helpers
  keep their data): while it has not changed, reading it costs the host what an
  up-to-date ``git fetch`` of a branch does (the ref advertisement), nothing more.
  Packs go through a scratch repository removed at exit.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from git_claude_sync.git import (
    HostRepo,
    Limits,
    fixed_commit,
    fixed_commit_of,
    remote_refs,
    scrub,
)
from git_claude_sync.remote import spool
from git_claude_sync.remote.store import NAME, ObjectInfo, Store
from git_claude_sync.remote.transfer import MANIFEST_NAME

REF_PREFIX = "refs/cs/"
FILE_NAME = b"o"
MESSAGE = b"cs\n"


def ref_for(name: str) -> str:
    return REF_PREFIX + name


def wrapping(data: bytes) -> list[tuple[bytes, bytes]]:
    """The objects (type, content) that carry ``data`` on the host: blob, tree, commit."""
    return fixed_commit(FILE_NAME, data, MESSAGE)


def wrapping_blob(blob: str) -> list[tuple[bytes, bytes]]:
    """``wrapping``'s tree and commit, for content stored as the blob ``blob`` already."""
    return fixed_commit_of(FILE_NAME, blob, MESSAGE)


class GitStore(Store):
    """One git repository on a host; ``target`` is any URL or path git itself takes."""

    checks_preconditions = True
    may_hold_orphans = False

    def __init__(self, target: str, limits: Limits) -> None:
        self.target = target
        self.limits = limits
        self.url = "git+" + scrub(target)
        self._repo: HostRepo | None = None
        self._cache: HostRepo | None = None
        self._prefetched: dict[str, str] = {}  # name -> commit fetched into the scratch
        self._pending: dict[str, str] = {}  # ref -> commit, put but not pushed yet

    @property
    def repo(self) -> HostRepo:
        if self._repo is None:
            scratch = Path(tempfile.mkdtemp(prefix="claude-sync-host-"))
            atexit.register(shutil.rmtree, scratch, True)
            self._repo = HostRepo(scratch / "host.git", self.target, self.limits)
        return self._repo

    def _wrap(self, data: bytes, repo: HostRepo | None = None) -> str:
        ids = [(repo or self.repo).write_object(k.decode(), body) for k, body in wrapping(data)]
        return ids[-1]

    @property
    def cache(self) -> HostRepo:
        """Where the manifest is fetched: kept in the caller's GIT_DIR, else the scratch."""
        git_dir = os.environ.get("GIT_DIR")
        if not git_dir:
            return self.repo
        if self._cache is None:
            digest = hashlib.sha256(self.target.encode()).hexdigest()[:16]
            path = Path(git_dir).resolve() / "claude-sync" / f"{digest}.git"
            self._cache = HostRepo(path, self.target, self.limits)
        return self._cache

    def prefetch(self, names: Sequence[str]) -> None:
        """All the packs a fetch needs in one round trip (instead of one each)."""
        if len(names) > 1:
            fetched = self.repo.fetch_refs([ref_for(n) for n in names])
            self._prefetched.update({ref.removeprefix(REF_PREFIX): c for ref, c in fetched.items()})

    def get(self, name: str) -> tuple[bytes, str] | None:
        repo = self.cache if name == MANIFEST_NAME else self.repo
        commit = self._prefetched.pop(name, None) or repo.fetch_ref(ref_for(name))
        if commit is None:
            return None
        return repo.read_blob(f"{commit}:{FILE_NAME.decode()}"), commit

    def put(self, name: str, data: bytes) -> None:
        self._pending[ref_for(name)] = self._wrap(data)

    def put_file(self, name: str, path: Path) -> None:
        blob = self.repo.write_blob_from(path)  # git reads the file: a large one streams
        ids = [self.repo.write_object(k.decode(), body) for k, body in wrapping_blob(blob)]
        self._pending[ref_for(name)] = ids[-1]

    def get_file(self, name: str, path: Path) -> str | None:
        commit = self._prefetched.pop(name, None) or self.repo.fetch_ref(ref_for(name))
        if commit is None:
            return None
        with spool.create(path) as out:
            self.repo.read_blob_to(f"{commit}:{FILE_NAME.decode()}", out)
        return commit

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        commit = self._wrap(data)
        ref = ref_for(name)
        if not self.repo.push_refs({**self._pending, ref: commit}, {ref: version}):
            return None  # the packs wait for the retry of the swap that names them
        self._pending.clear()
        if name == MANIFEST_NAME and self.cache is not self.repo:
            self.cache.remember(ref, self._wrap(data, self.cache))  # saves the next fetch
        return commit

    def list(self) -> list[ObjectInfo]:
        refs = remote_refs(self.target, self.limits, REF_PREFIX + "*")
        # modified 0: a git host does not say when a ref was written; safe because a pack
        # never lands without a manifest naming it (put waits for put_if_match), and the
        # deletions hold only while the manifest is as read before this listing.
        return [
            ObjectInfo(ref.removeprefix(REF_PREFIX), 0, 0.0)
            for ref in refs
            if NAME.match(ref.removeprefix(REF_PREFIX))
        ]

    def delete(self, name: str) -> None:
        self.delete_many([name])

    def delete_many(
        self, names: Sequence[str], *, guard: tuple[str, str | None] | None = None
    ) -> None:
        """One atomic push of the deletions; with ``guard``, the guarding ref is pushed at
        its own value under a lease, so nothing is deleted if it moved since it was read
        (every ref is modified 0 here: without the lease, a pack another machine stored
        with its manifest just after our listing could be taken for garbage)."""
        if not names:
            return
        updates: dict[str, str | None] = {ref_for(n): None for n in names}
        leases: dict[str, str | None] = {}
        repo = self.repo
        if guard is not None:
            guarded, version = ref_for(guard[0]), guard[1]
            if version is None:
                return  # nothing to hold the deletions to: leave them to a later run
            updates[guarded] = leases[guarded] = version
            repo = self.cache  # where that version was read, so git can name it in the push
        repo.push_refs(updates, leases)  # False: the manifest moved, collect another time

    def check_access(self) -> None:
        remote_refs(self.target, self.limits, REF_PREFIX + "*")
