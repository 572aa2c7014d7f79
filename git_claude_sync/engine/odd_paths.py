"""Paths ``git add -A`` cannot stage as they are: staged here, or skipped by name.

- A symlink, to a file or a folder (a dotfile manager links ``CLAUDE.md``,
  ``commands/``, ``settings.json`` into a dotfiles repo): git would store the
  link itself (mode 120000), which carries no content and reads as a deletion
  of the files on every other machine.  What it points to is staged instead,
  read through the link and cleaned (encrypted) by ``git hash-object``, as
  ordinary file entries; a pull writes through the link (``files.through_link``),
  so the link stays a link.  ``git add -A`` is kept off it, and every run
  stages it again.  A dangling link or a loop is skipped with a warning.
- A nested repository (a skill cloned with git into ``skills/x``): git would
  store a gitlink (mode 160000), or fail when it has no commit.  Its files
  are added with ``git update-index --add``, never its ``.git``; once the
  index holds files under it, git treats it as an ordinary folder.
- A file this user cannot read: ``git add`` would fail whole.  It is kept off
  the add (its last synced version stays) and skipped with a warning.

They are found by an ``lstat`` of every index entry and of what git lists as
untracked (a nested repository comes as one ``folder/``): a link is met again
on every run, through its own entries, so nothing else has to remember it.
Linked files whose stat has not changed are not read again (``link-stats``).
The links of the project folder mapping (project_folders.py: a project's
canonical name, linked to the folder Claude Code uses here) are staged the same
way; git's exclude list hides them and their folders from ``git status``, and
linked entries are marked assume-unchanged so that ``git status`` (the
launcher's no-change check) does not take them for deletions: the launcher
looks for changes under linked folders itself (``linked-roots``).  Never walked into: ``.git``, the
Claude directory or a folder holding it (a link to ``~``), the tool's home.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import cast

from git_claude_sync.claude import project_folders as mapping
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import clean_here, link_stats, linked_listing
from git_claude_sync.engine.linked_listing import Early, Signature
from git_claude_sync.git import Git
from git_claude_sync.machine.files import TEMP_SUFFIX, fs_path, write_if_changed
from git_claude_sync.machine.paths import Layout
from git_claude_sync.records import dataclass, field

_NEVER = linked_listing.NEVER_NAMES  # not even through a link
_KEPT = "its last synced version stays"
MTIME_GRAIN_S = 2  # FAT's; HFS+ keeps whole seconds, ext4 and APFS nanoseconds

Skipped = tuple[bytes, str]  # (path, why)


@dataclass
class Survey:
    links: list[bytes] = field(default_factory=list)  # roots staged through their link
    nested: list[bytes] = field(default_factory=list)  # nested repositories new to the index
    skipped: list[Skipped] = field(default_factory=list)
    empty: list[bytes] = field(default_factory=list)  # nested repositories with no file to add
    # Canonical links of mapped project folders: git's exclude list hides them already
    # (naming them to ``git add`` again would be an error: "paths are ignored").
    hidden: set[bytes] = field(default_factory=set)
    # The folders those links show (``projects/<this machine's name>``), hidden from git
    # too: reached through their canonical link, never as themselves.
    shown: set[bytes] = field(default_factory=set)
    # Every path lstat() was asked of (None: missing), for add_skip.py.
    stats: dict[bytes, os.stat_result | None] = field(default_factory=dict)

    @property
    def leave(self) -> list[bytes]:
        """What ``git add -A`` must leave alone: links (staged here), skipped paths and
        nested repositories with nothing in the index (git would take them for gitlinks)."""
        skipped = {path for path, _ in self.skipped}
        return sorted((set(self.links) - self.hidden) | set(self.empty) | skipped)


def survey(git: Git, claude_dir: Path, untracked: list[bytes]) -> Survey:
    """Sort the index and what git would add (``untracked``: ``Git.untracked_listing``)
    into ordinary files and the odd paths above.

    Costs an ``lstat`` per file and folder, never a read: ``ls-files --modified``
    would re-read (decrypt, through the filter) every racily clean file.
    """
    found = Survey()
    mapped = mapping.links(claude_dir / "projects")
    ours = {b"projects/" + os.fsencode(name) for name in mapped}
    root_dir = os.fsencode(claude_dir)
    stats = found.stats  # lstat by path (None: missing)
    closed: dict[bytes, None] = {}  # folders this user cannot enter

    def mode_of(path: bytes) -> int | None:
        if path not in stats:
            try:
                stats[path] = os.lstat(root_dir + b"/" + path)
            except PermissionError:
                closed[path.rpartition(b"/")[0]] = None
                stats[path] = None
            except OSError:
                stats[path] = None
        st = stats[path]
        return None if st is None else st.st_mode

    folder_roots: dict[bytes, bytes | None] = {}  # link_root of each folder met

    def link_root(path: bytes) -> bytes | None:
        """The link ``path`` is or lies under, if any (its folder's answer kept: 10k
        entries of a few hundred folders)."""
        folder = path.rpartition(b"/")[0]
        if folder:
            if folder not in folder_roots:
                folder_roots[folder] = link_root(folder)
            if folder_roots[folder] is not None:
                return folder_roots[folder]
        mode = mode_of(path)
        return path if mode is not None and stat.S_ISLNK(mode) else None

    # The canonical links of mapped project folders are hidden from git
    # (info/exclude) but staged through like any other link.
    roots: dict[bytes, None] = dict.fromkeys(sorted(ours))
    found.hidden = set(ours)
    found.shown = {b"projects/" + os.fsencode(local) for local in mapped.values()}
    # In git's order (bytewise), as the bisection wants; were it not, the loop below
    # would still find each linked entry's root, one entry at a time.
    entries = git.index_paths()
    # Entries under a mapped link are under that root, whatever the loop below would say:
    # passed over a link at a time (10k of 13k entries at 1 GiB), unless ``projects/``
    # is itself a link (then it is the root they lie under).
    mode = mode_of(b"projects")
    if ours and mode is not None and stat.S_ISDIR(mode):
        entries = _outside(entries, ours)
    for path in dict.fromkeys([*untracked, *entries]):
        if path.endswith(b"/"):
            found.nested.append(path.rstrip(b"/"))
            continue
        root = link_root(path)
        if root is not None:
            roots[root] = None
            continue
        st = stats.get(path)
        if (
            st is not None
            and stat.S_ISREG(st.st_mode)
            and not st.st_mode & stat.S_IROTH
            and not os.access(root_dir + b"/" + path, os.R_OK)
        ):
            found.skipped.append((path, f"cannot read it (permission denied); {_KEPT}"))
    # Entries hidden from git status under a link that is a link no more (a mapping
    # changed, a dotfile link was replaced by its file): git must see them again.
    stale = _outside(git.assume_unchanged_listed(), set(roots))  # in git's order
    git.set_assume_unchanged(stale, False)
    for folder in closed:
        found.skipped.append((folder, f"cannot read this folder; {_KEPT}"))
    for root in roots:
        try:
            os.stat(root_dir + b"/" + root)
        except OSError as err:
            why = "a symlink loop" if err.errno == errno.ELOOP else "a dangling symlink"
            found.skipped.append((root, f"{why}; {_KEPT}"))
            continue
        found.links.append(root)
    return found


# -- walking ----------------------------------------------------------------------


@dataclass
class _Walk:
    root_dir: bytes
    follow: bool  # through links (a linked folder) or not (a nested repository)
    files: list[bytes] = field(default_factory=list)
    links: list[bytes] = field(default_factory=list)  # links met when not following
    skipped: list[Skipped] = field(default_factory=list)
    # Folders never walked into: the Claude directory and every folder holding it
    # (a link to ~ would sync the whole home), the tool's home (the key).
    forbidden: dict[tuple[int, int], str] = field(default_factory=dict)
    # Files known readable with this very stat (read at the last sync; a chmod or an ACL
    # change moves ctime): not asked again.
    readable: Callable[[bytes, os.stat_result], bool] = lambda _path, _st: False
    # Paths reached otherwise, skipped when met inside a root: the other roots (walked on
    # their own) and mapped project folders (through their canonical link; ``projects/``
    # itself a link would otherwise sync each session twice, once under a name that
    # holds this machine's home).
    elsewhere: set[bytes] = field(default_factory=set)

    def visit(self, path: bytes, above: frozenset[tuple[int, int]] = frozenset()) -> None:
        if above and path in self.elsewhere:
            return
        full = self.root_dir + b"/" + path
        try:
            st = os.stat(full) if self.follow else os.lstat(full)
        except OSError as err:
            why = "a symlink loop" if err.errno == errno.ELOOP else "a dangling symlink"
            self.skipped.append((path, f"{why}; {_KEPT}"))
            return
        if stat.S_ISLNK(st.st_mode):
            self.links.append(path)
        elif stat.S_ISREG(st.st_mode):
            if self.readable(path, st) or os.access(full, os.R_OK):
                self.files.append(path)
            else:
                self.skipped.append((path, f"cannot read it (permission denied); {_KEPT}"))
        elif stat.S_ISDIR(st.st_mode):
            folder = (st.st_dev, st.st_ino)
            if folder in self.forbidden:
                self.skipped.append((path, f"{self.forbidden[folder]}; {_KEPT}"))
                return
            if folder in above:
                return  # a link back up this very path: its files are walked already
            try:
                names = sorted(os.listdir(full))
            except OSError:
                self.skipped.append((path, f"cannot read this folder; {_KEPT}"))
                return
            for name in names:
                if name == b".git" or name in _NEVER or name.endswith(TEMP_SUFFIX.encode()):
                    continue
                self.visit(path + b"/" + name, above | {folder})
        # sockets, fifos, devices: nothing to sync


def _walk(git: Git, claude_dir: Path, *, follow: bool) -> _Walk:
    walk = _Walk(os.fsencode(claude_dir), follow=follow)
    for folder, why in linked_listing.forbidden(claude_dir, git.git_dir.parent):
        with contextlib.suppress(OSError):
            st = os.stat(folder)
            walk.forbidden[(st.st_dev, st.st_ino)] = why
    return walk


# -- staging ----------------------------------------------------------------------


def stage_nested(git: Git, claude_dir: Path, found: Survey) -> None:
    """Add the files of new nested repositories (never their ``.git``) to the index."""
    walk = _walk(git, claude_dir, follow=False)
    for root in found.nested:
        walk.visit(root)
    found.skipped += walk.skipped
    found.links += walk.links  # staged through the link with the others
    found.empty += [root for root in found.nested if not any(_within(p, root) for p in walk.files)]
    git.add_files(walk.files)


def start_listing(git: Git, claude_dir: Path) -> Early | None:
    """find over the roots the last staging staged through a link, as begun by the
    command or started now, to be ready for ``stage_links`` (linked_listing.py); None
    for a scratch index."""
    if git.index_file is not None:
        return None
    home = git.git_dir.parent
    return linked_listing.claim(claude_dir, home) or linked_listing.start(claude_dir, home)


def stage_links(
    git: Git, claude_dir: Path, found: Survey, key: Key, early: Early | None = None
) -> None:
    """Stage what each link points to as ordinary file entries, encrypted (a few of them
    in this process, clean_here.py).  ``early``: find's listing (``start_listing``),
    taken for the roots it covers; the rest are walked here."""
    started = time.time()
    if not found.links:
        _record_roots(git, claude_dir, [], started)
        return
    # Unchanged since last time (same stat) and still what the index holds: no
    # need to read and encrypt it again (git's own stat check, for linked files).
    layout = Layout.of_git_dir(git.git_dir)
    cache = link_stats.load(layout.link_stats_file, layout.link_stats_json_file)
    walk = _walk(git, claude_dir, follow=True)
    walk.elsewhere = set(found.links) | found.shown
    listed, covered = _listed_early(early, claude_dir, found.links, walk.elsewhere)
    if covered and early is not None:
        started = min(started, early.started)
    signatures: dict[bytes, Signature] = {}  # of the files the walk met

    def readable(path: bytes, st: os.stat_result) -> bool:
        sig = signatures[path] = _signature(st)
        return cache.knows(path, sig)

    walk.readable = readable
    for root in found.links:
        if root not in covered:
            walk.visit(root)
    listed.update((path, signatures[path]) for path in walk.files)
    held = _under(git.index_entries(), found.links)
    # The index as the last staging left it, but maybe for files then too recent to be
    # known by their stat (read again all the same): one comparison in C.
    as_staged = cache.exact and cache.entries.items() <= held.items()
    wanted, moved = _known(cache, listed, held, as_staged)
    fresh: list[bytes] = []
    for path in moved:
        if path not in signatures and not os.access(fs_path(claude_dir, path), os.R_OK):
            # Listed by find, unknown by its stat: asked as the walk asks (``_Walk.visit``).
            walk.skipped.append((path, f"cannot read it (permission denied); {_KEPT}"))
            continue
        fresh.append(path)
    found.skipped += walk.skipped
    fresh.sort()
    for path, oid in zip(fresh, clean_here.hash_files(git, key, fresh), strict=True):
        wanted[path] = (link_stats.mode_of(listed[path]), oid)
    # Kept: each file with its stat and entry, but one this recent may change unseen in
    # its mtime's grain (a file known by its stat was not, and its mtime has not moved).
    if as_staged:  # the files that did not move: as the cache holds them
        sigs = cast("dict[bytes, Signature]", cache.signatures).copy()
        entries = cache.entries.copy()
        for path in sigs.keys() - wanted.keys():
            del sigs[path], entries[path]
    else:
        sigs = {path: listed[path] for path in wanted}
        entries = dict(wanted)
    racy_after = time.time() - _RACY_SECONDS
    for path in fresh:
        if linked_listing.modified_s(listed[path]) < racy_after:
            sigs[path], entries[path] = listed[path], wanted[path]
        else:
            sigs.pop(path, None)
            entries.pop(path, None)
    if (
        not cache.exact
        or sigs != cache.signatures
        or entries != cache.entries
        or layout.link_stats_json_file.exists()  # the old form: removed as this is saved
    ):
        link_stats.save(layout.link_stats_file, layout.link_stats_json_file, sigs, entries)
    keep = {path for path, _ in walk.skipped}
    changes: dict[bytes, tuple[str, str] | None] = {
        path: None
        for path in sorted(held.keys() - wanted.keys())  # git's order, as ``held``'s
        if not any(_within(path, k) for k in keep)
    }
    # Only a file read again may differ from its entry: ``_known`` wanted the rest as held.
    changes.update((path, wanted[path]) for path in fresh if held.get(path) != wanted[path])
    marked = git.assume_unchanged_paths()  # before update_index: the same listing as ``held``
    # git status would take every linked entry for a deletion (git does not look
    # through links): hide them from it; the launcher checks these folders itself.
    # An entry update_index replaced has lost its mark; the rest keep theirs (marking
    # all 10k entries of a large tree again cost a process and git's cached trees).
    hide = sorted((wanted.keys() - marked) | (changes.keys() & wanted.keys()))
    git.update_index(changes, assume_unchanged=hide)  # an append's: one process
    _record_roots(git, claude_dir, found.links, started)


def _known(
    cache: link_stats.Cache,
    listed: dict[bytes, Signature],
    held: dict[bytes, tuple[str, str]],
    as_staged: bool,
) -> tuple[dict[bytes, tuple[str, str]], list[bytes]]:
    """The entries of the ``listed`` files known by their signature whose entry the index
    still holds (``held``), and the other files (in ``listed``'s order): those to read.

    ``as_staged``: the index holds every entry the cache does (``cache.entries``), so
    every file whose signature did not move is known, and only those that moved, or that
    the cache does not know, are looked at: at 1 GiB a few of 10k (a loop over them all
    took ~10 ms)."""
    if as_staged:
        sigs = cache.signatures
        moved = [path for path, sig in listed.items() if sigs.get(path) != sig]
        wanted = cache.entries.copy()
        for path in wanted.keys() - listed.keys():
            del wanted[path]
        for path in moved:
            wanted.pop(path, None)
        return wanted, moved
    wanted = {}
    moved = []
    for path, sig in listed.items():
        if cache.knows(path, sig):
            known = (link_stats.mode_of(sig), cache.entries[path][1])
            if held.get(path) == known:
                wanted[path] = known
                continue
        moved.append(path)
    return wanted, moved


def _listed_early(
    early: Early | None, claude_dir: Path, roots: list[bytes], elsewhere: set[bytes]
) -> tuple[dict[bytes, Signature], set[bytes]]:
    """find's files (path -> signature) and the roots they cover: those it was started
    over that are still staged through a link.  None covered if its answer is not to
    be trusted (linked_listing.py), or a root holds a path reached otherwise (another
    root, a mapped folder: ``_Walk.elsewhere``), which only the walk passes over."""
    if early is None:
        return {}, set()
    covered = early.roots & set(roots)
    files = early.take(claude_dir) if covered else None
    if files is None or any(under_any(p.rpartition(b"/")[0], covered) for p in elsewhere):
        return {}, set()
    if covered != early.roots:
        files = {path: sig for path, sig in files.items() if under_any(path, covered)}
    return files, covered


def _under(
    entries: dict[bytes, tuple[str, str]], roots: list[bytes]
) -> dict[bytes, tuple[str, str]]:
    """The entries at or under any of ``roots`` (``under_any``), found by ``_runs``."""
    paths = sorted(entries)  # git's order already (timsort: one pass), but sure
    return {path: entries[path] for start, end in _runs(paths, roots) for path in paths[start:end]}


def _outside(paths: list[bytes], roots: set[bytes]) -> list[bytes]:
    """``paths`` (sorted) but those at or under any of ``roots`` (``under_any``)."""
    kept: list[bytes] = []
    at = 0
    for start, end in _runs(paths, roots):
        kept += paths[at:start]
        at = end
    return kept + paths[at:]


def _runs(paths: list[bytes], roots: Iterable[bytes]) -> list[tuple[int, int]]:
    """The (start, end) runs of ``paths`` (sorted) at or under any of ``roots``, in order
    and apart: each root's are one or two runs (``root``, then ``root/...``), found by
    bisection, not a prefix test of each of 10k entries."""
    runs = []
    for root in roots:
        start = bisect.bisect_left(paths, root)
        if start < len(paths) and paths[start] == root:
            runs.append((start, start + 1))
        first = bisect.bisect_left(paths, root + b"/", start)
        runs.append((first, bisect.bisect_left(paths, root + b"0", first)))  # "0" follows "/"
    merged: list[tuple[int, int]] = []
    for start, end in sorted(runs):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


_RACY_SECONDS = 2.0


def hide_linked(git: Git, claude_dir: Path, paths: list[bytes]) -> None:
    """Mark index entries reached through a link assume-unchanged (see the module
    docstring), after a pull wrote them: git status would take them for deletions."""
    root_dir = os.fsencode(claude_dir)
    linked = []
    for path in paths:
        parts = path.split(b"/")
        for end in range(1, len(parts)):
            try:
                if stat.S_ISLNK(os.lstat(root_dir + b"/" + b"/".join(parts[:end])).st_mode):
                    linked.append(path)
                    break
            except OSError:
                break
    git.set_assume_unchanged(linked, True)


def _record_roots(git: Git, claude_dir: Path, roots: list[bytes], started: float) -> None:
    """Tell the launcher which folders to look into (``linked-roots``, one path a line,
    relative to the Claude directory), and since when (the file's mtime: when this
    staging began, so a write during it still counts as new; less the coarsest clock a
    file system keeps mtimes in, so a write just after it, dated to the whole second by
    HFS+ or two by FAT, is newer still).  A write in those seconds before the staging is
    taken for new once more: the next push goes to the Python CLI, which finds nothing."""
    if git.index_file is not None:
        return  # a scratch index (status, dry runs): nothing was staged for real
    where = Layout.of_git_dir(git.git_dir).linked_roots_file
    text = b"".join(root + b"\n" for root in sorted(roots) if b"\n" not in root)
    if not text:
        where.unlink(missing_ok=True)
        return
    write_if_changed(where, text)  # mostly the same roots as last time: only the date moves
    since = started - MTIME_GRAIN_S
    os.utime(where, (since, since))


_signature = linked_listing.signature


def _within(path: bytes, root: bytes) -> bool:
    return path == root or path.startswith(root + b"/")


def under_any(path: bytes, roots: set[bytes]) -> bool:
    """``_within(path, root)`` for some root of ``roots``: each of ``path``'s few
    prefixes looked up, not every root tried (every index entry is asked, every push)."""
    end = path.find(b"/")
    while end >= 0:
        if path[:end] in roots:
            return True
        end = path.find(b"/", end + 1)
    return path in roots
