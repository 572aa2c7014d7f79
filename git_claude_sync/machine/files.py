"""Writing files without ever leaving a torn one: the Claude directory's and the tool's own.

Claude Code may read a file at any moment; each file is replaced by writing a
temporary file beside it, syncing it to disk and renaming it over the old one.

Files Claude Code appends to (sessions, ``history.jsonl``) are never replaced
once they exist: a writer holding one open would go on writing into the old,
unlinked file and every line after the pull would be lost.  The lines they
lack are appended in place instead (``append_lines``), and only when the file
ends on a line boundary: appended after half a line, they would be glued to it
and the rest of that line, written later, would stand alone.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from git_claude_sync.errors import FatalError

T = TypeVar("T")

# Our temporary files in the Claude directory end so (never synced, swept after a crash).
TEMP_SUFFIX = ".claude-sync-tmp"


def atomic_write(path: Path, data: bytes, mode: int = 0o600, *, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` all at once (temporary file, fsync, rename).

    ``durable=False``: no fsync (two of them cost 10-30 ms on a busy disk), for a file a
    crash may leave old, or empty, at no cost but work done again: a cache, a measurement,
    a time shown to the user.  Still never a half-written file seen by a reader.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def write_if_changed(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """``atomic_write`` unless ``path`` holds ``data`` already (no rename, no fsync: most
    runs find the same attributes and roots as the last); whether it wrote."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: written
    atomic_write(path, data, mode)
    return True


def read_records(path: Path, parse: Callable[[Any], T]) -> list[T]:
    """The items of a JSON list the tool keeps in its home, each through ``parse``:
    none if the file is missing, one clear line if it is corrupt."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [parse(item) for item in raw]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError) as err:
        raise FatalError(f"{path} is corrupt ({err.__class__.__name__}); move it away") from None


def fs_path(root: Path | str, repo_path: bytes) -> Path:
    """The file for a repository path (bytes; non-UTF-8 names survive)."""
    return Path(root) / os.fsdecode(repo_path)


def through_link(path: Path) -> Path:
    """Where to write ``path``: the file it links to, if it is a symlink (a dotfile
    manager's link stays a link; the content it points to changes)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


class WriteBatch:
    """Files replaced together (a pull's): each written to a temporary file beside it by
    ``replace``, all made durable at once and renamed into place by ``commit``.

    A joining machine's pull fsynced each of its 2,478 files (4.9 s of a 14 s join);
    one ``syncfs`` of the file system holding them all costs about what one fsync
    does.  The order keeps ``replace_file``'s promise, power cuts included: no file is
    renamed into place before every temporary file's data is on disk, and the renames
    are durable before ``commit`` returns, so before the branch moves.  Killed before
    ``commit``, a run leaves only temporary files (removed by the next,
    ``remove_temp_files``); killed during it, some files are in place, whole, and the
    branch has not moved: the next pull finds them equal to what it brings.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []  # (temporary file, its final name)
        self._folders: set[Path] = set()  # made (or found) already: one mkdir each
        self._made: list[Path] = []  # folders this batch made, removed again if it writes nothing
        self._early: _EarlySync | None = None  # start_sync's, if it ran

    def start_sync(self) -> None:
        """Begin making the files written so far durable, in the background; ``commit``
        waits for it and syncs only the files written after.  A join's fresh files are
        200 MiB for 2,478 files: their syncfs (0.2-0.5 s of waiting on the disk) then
        overlaps the checks and the few writes that come before ``commit``."""
        if self._early is None and len(self._pending) >= _SYNCFS_FROM:
            self._early = _EarlySync([tmp for tmp, _path in self._pending])

    def replace(
        self, path: Path, data: bytes | Iterable[bytes], executable: bool = False
    ) -> os.stat_result:
        """Write ``path``'s new content beside it (in place once ``commit`` ran); its stat
        as written (the inode and size it will have: git.Git.record_written checks them)."""
        if path.parent not in self._folders:
            missing = [path.parent, *path.parent.parents]
            missing = missing[: next(i for i, p in enumerate(missing) if p.is_dir())]
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made += reversed(missing)
            self._folders.add(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
        if self._early is not None:
            self._early.forget(tmp)  # written again (dropped, then rewritten): synced in commit
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755 if executable else 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                for piece in [data] if isinstance(data, bytes) else data:
                    handle.write(piece)
                handle.flush()
                written = os.fstat(handle.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._pending.append((tmp, path))
        return written

    def commit(self) -> None:
        """Every file durable, then in place, the renames durable too."""
        pending, self._pending = self._pending, []
        early, self._early = self._early, None
        placed = 0
        try:
            covered = early.wait() if early is not None else set()
            # The data, before any rename.
            _sync_all([tmp for tmp, _path in pending if tmp not in covered])
            for tmp, path in pending:
                self._place(tmp, path)
                placed += 1
        finally:
            for tmp, _path in pending[placed:]:  # a rename failed: the rest stay as they were
                tmp.unlink(missing_ok=True)
        _sync_all(sorted({path.parent for _tmp, path in pending}))  # the renames
        self._made = []  # in use now

    def drop(self, path: Path) -> None:
        """Not write ``path`` after all (its temporary file goes)."""
        for tmp, _path in [entry for entry in self._pending if entry[1] == path]:
            tmp.unlink(missing_ok=True)
            self._pending.remove((tmp, path))

    def discard(self) -> None:
        """Drop what was written and not committed, and the folders made for it."""
        if self._early is not None:
            with contextlib.suppress(OSError):
                self._early.wait()
            self._early = None
        for tmp, _path in self._pending:
            tmp.unlink(missing_ok=True)
        self._pending = []
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        self._made = []

    def _place(self, tmp: Path, path: Path) -> None:
        os.replace(tmp, path)


class _EarlySync:
    """``_sync_all`` of some temporary files, in a thread (it waits on the disk, not on
    the GIL); ``wait`` gives the files it made durable."""

    def __init__(self, paths: list[Path]) -> None:
        self._paths = paths
        self._covered = set(paths)  # less any written again since
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="write-batch-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            _sync_all(self._paths)
        except BaseException as err:  # raised again in the thread that waits
            self._error = err

    def forget(self, path: Path) -> None:
        self._covered.discard(path)

    def wait(self) -> set[Path]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._covered


# From this many paths on, one syncfs; below it, an fsync of each: syncfs also waits for
# everything else dirty on the file system (other programs' writes), which a per-turn
# pull of a file or two should not wait for.
_SYNCFS_FROM = 16


def _sync_all(paths: list[Path]) -> None:
    """Make ``paths`` (files' data, folders' names) durable: for many, one ``syncfs`` per
    file system holding them where the C library has it (Linux), else an fsync of each."""
    syncfs = _syncfs() if len(paths) >= _SYNCFS_FROM else None
    if syncfs is not None:
        devices: dict[int, Path] = {}
        for path in paths:
            with contextlib.suppress(OSError):
                devices.setdefault(os.stat(path).st_dev, path)
        if all(_fsync_path(path, syncfs) for path in devices.values()):
            return
    for path in paths:
        _fsync_path(path, None)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: only a pull needs it, and every command's start-up counts

    try:
        call: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    return call


def _fsync_path(path: Path, syncfs: Callable[[int], int] | None) -> bool:
    """fsync ``path`` (or, given ``syncfs``, its whole file system); False if that failed."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return syncfs is None  # gone: nothing of it to make durable
    try:
        if syncfs is not None:
            return syncfs(fd) == 0
        os.fsync(fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def replace_file(
    path: Path,
    data: bytes | Iterable[bytes],
    executable: bool = False,
    keep_appended_from: int | None = None,
) -> None:
    """Replace ``path`` by ``data`` (bytes, or pieces written as they come), atomically.

    With ``keep_appended_from``, the file is one another process may be
    appending to (Claude Code writing a session): whatever the old file holds
    from that offset on when the rename happens follows ``data``.  It is copied
    until a read after the sync finds nothing new, then once more after the
    rename for a write that landed in the old file meanwhile: what is left is a
    window of microseconds, not the milliseconds of writing and syncing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    mode = 0o755 if executable else 0o644
    old = _open_if_exists(path) if keep_appended_from is not None else None
    copied = keep_appended_from or 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in [data] if isinstance(data, bytes) else data:
                handle.write(piece)
            extra = _read_from(old, copied)
            while True:
                handle.write(extra)
                copied += len(extra)
                handle.flush()
                os.fsync(handle.fileno())
                extra = _read_from(old, copied)  # appended while we wrote?
                if not extra:
                    break
        os.replace(tmp, path)
        late = _read_from(old, copied)
        if late:
            with open(path, "ab") as handle:
                handle.write(late)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if old is not None:
            os.close(old)
    _fsync_dir(path.parent)


def write_synced(path: Path, data: bytes, append_only: bool, executable: bool = False) -> bool:
    """Write a synced file the way a pull does: an existing session or ``history.jsonl``
    (``append_only``) only gets the lines it lacks appended in place, so a writer that
    holds it open goes on writing into the live file; any other file is replaced
    atomically.  False, and nothing changed, when the file ends in a torn line (a line
    being written): try again later."""
    if append_only:
        done = append_lines(through_link(path), data)
        if done is not None:
            return done
    replace_file(through_link(path), data, executable)
    return True


_APPEND_ATTEMPTS = 50


Pieces = Callable[[], Iterable[bytes]]  # content read again, a piece at a time, each call


def append_lines(path: Path, data: bytes | Pieces) -> bool | None:
    """Append to ``path`` the lines of ``data`` it lacks (each line counted), in place.

    ``data`` is the content, or a function giving it again in pieces each time
    it is called (a large file never held whole: steps.apply).

    The file keeps its inode, its lines and their order, and whatever a writer
    appends meanwhile: nothing is ever overwritten or truncated.  Returns False
    and changes nothing when the file ends in a torn line (a writer is half-way
    through one) or is written to without a pause: try again later.  None when
    there is no such file.

    What is left is a window of a few microseconds between reading the file's
    end and appending: a writer that writes half a line exactly then would get
    our lines glued to it.  Claude Code writes each line in one ``write``.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    try:
        for _attempt in range(_APPEND_ATTEMPTS):
            size = os.fstat(fd).st_size
            have = _line_digests(fd, size)  # the file's lines, never the file, in memory
            if have is None:
                return False
            block = _missing(data, have)
            if not block:
                return True
            if os.fstat(fd).st_size != size:
                continue  # written to meanwhile: look again
            view = memoryview(block)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            return True
        return False  # written to without a pause: the next run adds the lines
    finally:
        os.close(fd)


def _missing(data: bytes | Pieces, have: Counter[bytes]) -> bytes:
    """The lines of ``data`` whose digests ``have`` lacks (counted), in order."""
    out = []
    for line in _lines(data) if isinstance(data, bytes) else _lines_of_pieces(data()):
        digest = _digest(line)
        if have[digest] > 0:
            have[digest] -= 1
        else:
            out.append(line)
    return b"".join(out)


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line, digest_size=16).digest()


def _line_digests(fd: int, size: int) -> Counter[bytes] | None:
    """Digests of the first ``size`` bytes' lines, read a MiB at a time; None if they end
    in a torn line."""
    have: Counter[bytes] = Counter()
    partial = b""
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(1 << 20, size - offset), offset)
        if not chunk:
            break
        offset += len(chunk)
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        for line in lines:
            have[_digest(line + b"\n")] += 1
    return None if partial else have


def _lines(data: bytes) -> Iterator[bytes]:
    """Each line with its newline (a last line without one gets one; not ``splitlines``: a
    carriage return inside a line is no line break)."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield data[start:] + b"\n"
            return
        yield data[start : end + 1]
        start = end + 1


def _lines_of_pieces(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``_lines`` over content that comes in pieces, a line held at a time."""
    buffer = bytearray()  # not bytes: a long line would be copied again with every piece
    for piece in pieces:
        buffer += piece
        end = buffer.rfind(b"\n") + 1
        if end:
            for line in bytes(buffer[: end - 1]).split(b"\n"):
                yield line + b"\n"
            del buffer[:end]
    if buffer:
        yield bytes(buffer) + b"\n"


def _open_if_exists(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None


def _read_from(fd: int | None, offset: int) -> bytes:
    """Everything a file descriptor's file holds from ``offset`` on."""
    chunks = []
    while fd is not None:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def remove_temp_files(root: Path) -> None:
    """Remove the temporary files of writes that were killed before their rename."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith(TEMP_SUFFIX):
                Path(folder, name).unlink(missing_ok=True)


def remove_file(path: Path, root: Path) -> None:
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()  # only if empty
        except OSError:
            break
        parent = parent.parent


def read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
