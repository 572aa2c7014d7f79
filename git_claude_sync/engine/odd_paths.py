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
import json
import marshal
import os
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import cast

from git_claude_sync.claude import project_folders as mapping
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import clean_here, linked_listing
from git_claude_sync.engine.linked_listing import Early, Signature
from git_claude_sync.git import Git
from git_claude_sync.machine.files import TEMP_SUFFIX, atomic_write, fs_path, write_if_changed
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
    modes: dict[bytes, int | None] = {}  # lstat mode by path (None: missing)
    closed: dict[bytes, None] = {}  # folders this user cannot enter

    def mode_of(path: bytes) -> int | None:
        if path not in modes:
            try:
                modes[path] = os.lstat(root_dir + b"/" + path).st_mode
            except PermissionError:
                closed[path.rpartition(b"/")[0]] = None
                modes[path] = None
            except OSError:
                modes[path] = None
        return modes[path]

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
    entries = sorted(git.index_entries())  # git's order, but for the bisection: sure
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
        mode = modes.get(path)
        if (
            mode is not None
            and stat.S_ISREG(mode)
            and not mode & stat.S_IROTH
            and not os.access(root_dir + b"/" + path, os.R_OK)
        ):
            found.skipped.append((path, f"cannot read it (permission denied); {_KEPT}"))
    # Entries hidden from git status under a link that is a link no more (a mapping
    # changed, a dotfile link was replaced by its file): git must see them again.
    stale = _outside(sorted(git.assume_unchanged_paths()), set(roots))
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
    cached = _load_stats(layout.link_stats_file, layout.link_stats_json_file)
    walk = _walk(git, claude_dir, follow=True)
    walk.elsewhere = set(found.links) | found.shown
    listed, covered = _listed_early(early, claude_dir, found.links, walk.elsewhere)
    if covered and early is not None:
        started = min(started, early.started)
    signatures: dict[bytes, Signature] = {}  # of the files the walk met

    def readable(path: bytes, st: os.stat_result) -> bool:
        sig = signatures[path] = _signature(st)
        entry = cached.get(path)
        return entry is not None and _same(entry[0], sig)

    walk.readable = readable
    for root in found.links:
        if root not in covered:
            walk.visit(root)
    listed.update((path, signatures[path]) for path in walk.files)
    held = _under(git.index_entries(), found.links)
    wanted: dict[bytes, tuple[str, str]] = {}
    fresh: list[bytes] = []
    for path, sig in listed.items():
        entry = cached.get(path)
        if entry is not None and _same(entry[0], sig):
            known = (_mode_of(sig), entry[1])
            if held.get(path) == known:
                wanted[path] = known
                continue
        elif path not in signatures and not os.access(fs_path(claude_dir, path), os.R_OK):
            # Listed by find, unknown by its stat: asked as the walk asks (``_Walk.visit``).
            walk.skipped.append((path, f"cannot read it (permission denied); {_KEPT}"))
            continue
        fresh.append(path)
    found.skipped += walk.skipped
    fresh.sort()
    for path, oid in zip(fresh, clean_here.hash_files(git, key, fresh), strict=True):
        wanted[path] = (_mode_of(listed[path]), oid)
    # Kept: each file with its stat, but one this recent may change unseen in its
    # mtime's grain (a file known by its stat was not, and its mtime has not moved).
    racy_after = time.time() - _RACY_SECONDS
    stats = {path: (listed[path], oid) for path, (_mode, oid) in wanted.items()}
    for path in fresh:
        if linked_listing.modified_s(listed[path]) >= racy_after:
            del stats[path]
    if stats != cached or layout.link_stats_json_file.exists():  # changed, or the old form
        _save_stats(layout.link_stats_file, layout.link_stats_json_file, stats)
    keep = {path for path, _ in walk.skipped}
    changes: dict[bytes, tuple[str, str] | None] = {
        path: None
        for path in held
        if path not in wanted and not any(_within(path, k) for k in keep)
    }
    changes.update((path, entry) for path, entry in wanted.items() if held.get(path) != entry)
    marked = git.assume_unchanged_paths()  # before update_index: the same listing as ``held``
    # git status would take every linked entry for a deletion (git does not look
    # through links): hide them from it; the launcher checks these folders itself.
    # An entry update_index replaced has lost its mark; the rest keep theirs (marking
    # all 10k entries of a large tree again cost a process and git's cached trees).
    hide = sorted(p for p in wanted if p in changes or p not in marked)
    git.update_index(changes, assume_unchanged=hide)  # an append's: one process
    _record_roots(git, claude_dir, found.links, started)


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


# The cache (link-stats): path -> (signature, blob id), in ``marshal``'s form behind a
# version number.  A signature is find's line for the file (linked_listing.signature:
# size, times, inode, device, permission bits, as bytes), compared whole.  At 1 GiB (10k
# linked files) it is read and written every push: marshal takes ~2 ms each way where
# the JSON it replaced took ~12 to load and ~15 to write.  It is this machine's own
# (marshal's format may change with Python: then it reads as empty and the files are
# read once again).  Older forms are read as they are, their signatures the tuple
# (size, mtime_ns, ctime_ns, ino, dev, mode) that ``_same`` still compares (so that
# no file is read again for a new tool): version 1, and an older tool's link-stats.json
# (hex path -> "size mtime_ns ctime_ns ino dev mode blob", or a list of those seven),
# read once, then removed.

OldSignature = tuple[int, int, int, int, int, str]
_STATS_FORMAT = 2
_OLDER_FORMAT = 1
_signature = linked_listing.signature


_MODE_OF_PERMISSIONS: dict[bytes, str] = {}


def _mode_of(sig: Signature) -> str:
    """The index mode of a file with this signature (its permission bits, last)."""
    permissions = sig[sig.rindex(b" ") + 1 :]
    mode = _MODE_OF_PERMISSIONS.get(permissions)
    if mode is None:
        mode = "100755" if linked_listing.executable(sig) else "100644"
        _MODE_OF_PERMISSIONS[permissions] = mode
    return mode


def _same(cached: Signature | OldSignature, sig: Signature) -> bool:
    """Whether a file's signature now is the one the cache holds, in whichever form."""
    if cached == sig:
        return True
    if not isinstance(cached, tuple):
        return False
    size, mtime, ctime, ino, dev, _permissions = sig.split(b" ")
    return cached == (
        int(size), _ns(mtime), _ns(ctime), int(ino), int(dev), _mode_of(sig)
    )  # fmt: skip


def _ns(time_field: bytes) -> int:
    seconds, _, fraction = time_field.partition(b".")
    return int(seconds) * 10**9 + int(fraction[:9].ljust(9, b"0"))


CachedStat = tuple[Signature | OldSignature, str]


def _load_stats(path: Path, older: Path) -> dict[bytes, CachedStat]:
    try:
        version, stats = marshal.loads(path.read_bytes())
        ours = version in (_STATS_FORMAT, _OLDER_FORMAT) and isinstance(stats, dict)
        return cast("dict[bytes, CachedStat]", stats) if ours else {}
    except FileNotFoundError:
        return _load_json_stats(older)
    except (OSError, ValueError, EOFError, TypeError):
        return {}


def _save_stats(path: Path, older: Path, stats: dict[bytes, tuple[Signature, str]]) -> None:
    atomic_write(path, marshal.dumps((_STATS_FORMAT, stats)), durable=False)  # lost: read again
    older.unlink(missing_ok=True)


def _load_json_stats(path: Path) -> dict[bytes, CachedStat]:
    try:
        data = json.loads(path.read_bytes())
        stats: dict[bytes, CachedStat] = {}
        for key, value in data.items():
            *numbers, mode, oid = value.split(" ") if isinstance(value, str) else value
            size, mtime, ctime, ino, dev = map(int, numbers)
            stats[bytes.fromhex(key)] = ((size, mtime, ctime, ino, dev, str(mode)), str(oid))
        return stats
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


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
