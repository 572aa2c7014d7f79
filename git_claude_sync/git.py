"""Every call to the git CLI goes through here.

The sync repo is a git dir in the tool's home whose work tree is the Claude
directory; each call names both explicitly, so the user's own repositories,
the current directory and ``GIT_*`` variables of the caller never interfere.
Transport goes through the git CLI on purpose: ssh-agent, ``~/.ssh/config``,
credential helpers and remote helpers then behave as in the user's own repos.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import math
import os
import re
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Protocol, cast

from git_claude_sync.errors import FatalError, printable
from git_claude_sync.records import dataclass, field, replace

BRANCH = "main"
REMOTE = "origin"
REMOTE_REF = f"refs/remotes/{REMOTE}/{BRANCH}"
LOCAL_REF = f"refs/heads/{BRANCH}"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# Scratch indexes are named index.temp-<purpose>.<pid>; a run killed while
# holding one leaves it behind for the next run to remove (machine/lock.py).
TEMP_INDEX_GLOB = "index.temp-*"
#: The folders of the FIFOs a filter served in the CLI answers through
#: (filters/served_in_cli.py): FILTER_RELAY_PREFIX + pid + "." + a number.
FILTER_RELAY_PREFIX = "filter-relay."

# How git reports that another push landed first: refused as not a fast-forward,
# or (a push racing ours on the same remote) a ref that moved under its lock.
_REMOTE_MOVED = (
    "[rejected]",
    "non-fast-forward",
    "fetch first",
    "failed to update ref",
    "cannot lock ref",
    "incorrect old value",
)
# The bucket helper's line when the remote is under a key this machine lacks.
_KEY_MOVED = "the remote moved to key"
# Patterns a run only needs when something went wrong, or at init, are kept as text:
# re compiles (and caches) one at its first use, not at every start (issue 14).
# The remote received the push and said no: a hook, its fsck, a quota.
_REMOTE_REFUSED = r"\[remote rejected\][^(\n]*\(([^)\n]*)\)"
# What fsck says of an object it rejects: "error: object 1a2b…: hasDotgit: …".
_FSCK_FINDING = rb"object [0-9a-f]{40,64}: \w+:"
_LITERAL_PATHS = {"GIT_LITERAL_PATHSPECS": "1"}

# Scrub credentials that git may echo back in URLs (https://user:token@host).
_URL_SECRET = re.compile(r"(://)[^/@\s]+@")

# Variables from a calling git (a hook, a user's shell inside a repo) that would
# redirect our commands to another repository.
_FOREIGN_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
)


# git's message for a lock file that exists: "Unable to create '/x/y.lock': File exists."
_LOCK_EXISTS = r"Unable to create '([^']+\.lock)': File exists"


def scrub(text: str) -> str:
    return _URL_SECRET.sub(r"\1***@", text)


# Lines git prints around the cause of a failure, which say nothing of their own.
_GENERIC = (
    "could not read from remote repository",
    "please make sure you have the correct access rights",
    "and the repository exists",
    "failed to push some refs",
    "the remote end hung up unexpectedly",
    "index-pack failed",
    "fsck error in packed object",
    "remote unpack failed",
    "unpack-objects abnormal exit",
    "invalid index-pack output",
    "early eof",
)
# Progress meters ("Receiving objects:  45% (9/20)", "Total 3 (delta 0)…").
_PROGRESS = r"(remote: )?([A-Z][\w ]*: +\d+(% \(\d+/\d+\))?\b.*|Total \d+ .*)"
_CAUSE_LINES = 3
_CAUSE_CHARS = 400


def _stderr_lines(stderr: bytes) -> list[str]:
    text = stderr.decode("utf-8", "replace").replace("\r", "\n")
    lines = [line.strip() for line in text.splitlines()]
    return [
        line
        for line in lines
        if line
        and not line.lower().startswith(("hint:", "warning:"))
        and not re.fullmatch(_PROGRESS, line)
    ]


def cause(stderr: bytes) -> str:
    """The lines of git's stderr that say why it failed, scrubbed, on one line.

    Our filter's reasons if it gave any (every file it refused); else git's own
    lines without the boilerplate around them ("Could not read from remote
    repository", "failed to push some refs"), which on their own would hide
    the cause: the remote's message, fsck's finding, ssh's complaint.
    """
    lines = _stderr_lines(stderr)
    ours = [line for line in lines if line.startswith("git-claude-sync: ")]
    if ours:
        reasons = [line.removeprefix("git-claude-sync: ") for line in ours]
        more = f" (and {len(reasons) - 10} more)" if len(reasons) > 10 else ""
        return f"{'; '.join(reasons[:10])}{more}"
    locked = re.search(_LOCK_EXISTS, "\n".join(lines))
    if locked:  # git's last line, "remove the file manually", names no file
        return (
            f"{locked.group(1)} exists (another git command is running, "
            "or one was killed: remove the file if none runs)"
        )
    meaningful = [line for line in lines if not any(g in line.lower() for g in _GENERIC)]
    picked = list(dict.fromkeys(meaningful))[:_CAUSE_LINES] or lines[-1:]
    detail = printable(scrub("; ".join(picked))) if picked else "no message"
    return detail if len(detail) <= _CAUSE_CHARS else detail[: _CAUSE_CHARS - 1] + "…"


class GitError(FatalError):
    """A git command failed; the message quotes git's reason, scrubbed."""


# -- talking to the remote: every wait bounded ---------------------------------------------


CONNECT_ENV = "CLAUDE_SYNC_CONNECT_TIMEOUT"
STALL_ENV = "CLAUDE_SYNC_STALL_TIMEOUT"


@dataclass(frozen=True)
class Limits:
    """How long a command talking to the remote may wait, in seconds (config.toml [network])."""

    connect: float = 30.0  # to open an ssh connection
    stall: float = 120.0  # with nothing at all from the remote, before giving up
    config_file: str = "~/.claude-sync/config.toml"

    def how_to_raise(self, name: str, env: str) -> str:
        return f"raise {name} under [network] in {self.config_file} (or {env}=SECONDS)"

    def hint(self, stderr: bytes) -> str:
        """How to raise the limit a transport's own timeout in ``stderr`` hit, if any."""
        text = stderr.decode("utf-8", "replace")
        if any(sign in text for sign in _STALLED):
            raise_it = self.how_to_raise("stall_timeout", STALL_ENV)
            return f" (nothing for {self.stall:g} s; if the remote is only slow, {raise_it})"
        if any(sign in text for sign in _CONNECT_TIMED_OUT):
            raise_it = self.how_to_raise("connect_timeout", CONNECT_ENV)
            return f" (no connection within {self.connect:g} s; {raise_it})"
        return ""


# What curl and ssh say when the limits of ``_transport_env`` stop them.
_STALLED = ("Operation too slow", "Timeout, server")
_CONNECT_TIMED_OUT = ("Connection timed out", "timed out during banner exchange")


def _transport_env(limits: Limits, env: Mapping[str, str], ssh_configured: bool) -> dict[str, str]:
    """Variables that bound git's own transports, where the user has not set theirs.

    ssh gives up on a connection after ``connect`` and on a silent server after
    about ``stall`` (keep-alives); curl on an http transfer that moved no byte
    for ``stall``.  The user's own ssh command (``GIT_SSH_COMMAND``, ``GIT_SSH``,
    ``core.sshCommand``) is left alone: the watchdog of ``run_remote`` bounds it.
    """
    extra = {}
    if not (ssh_configured or env.get("GIT_SSH_COMMAND") or env.get("GIT_SSH")):
        interval = max(1, min(15, int(limits.stall // 3)))
        extra["GIT_SSH_COMMAND"] = (
            f"ssh -o ConnectTimeout={math.ceil(limits.connect)} "
            f"-o ServerAliveInterval={interval} "
            f"-o ServerAliveCountMax={max(1, math.ceil(limits.stall / interval))}"
        )
    if not env.get("GIT_HTTP_LOW_SPEED_LIMIT"):
        extra["GIT_HTTP_LOW_SPEED_LIMIT"] = "1"  # bytes/s: below it, nothing moves
        extra["GIT_HTTP_LOW_SPEED_TIME"] = str(math.ceil(limits.stall))
    return extra


# The amounts git's progress meters show ("Writing objects: 100% (5/5), 190.85 MiB").
_MOVED = re.compile(rb"(\d+(?:\.\d+)?) (bytes|KiB|MiB|GiB)\b")
_UNITS = {b"bytes": 1, b"KiB": 1 << 10, b"MiB": 1 << 20, b"GiB": 1 << 30}
# Once a pack is sent, the remote checks and stores it before it answers, saying
# nothing meanwhile: it gets a second per MiB (git on this 2-core box: 23 MiB/s).
_REMOTE_WORK_BYTES_PER_S = 1 << 20


class _Pump(threading.Thread):
    """Reads one pipe of a child to the end, noting when it last said anything."""

    def __init__(self, stream: IO[bytes], echo: IO[bytes] | None = None) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.echo = echo
        self.chunks: list[bytes] = []
        self.last = time.monotonic()
        self.moved = 0  # bytes sent or received, as the progress meters last showed

    def run(self) -> None:
        fd = self.stream.fileno()
        while chunk := os.read(fd, 65536):
            self.last = time.monotonic()
            self.chunks.append(chunk)
            for number, unit in _MOVED.findall(chunk):
                self.moved = max(self.moved, int(float(number) * _UNITS[unit]))
            if self.echo is not None:
                with contextlib.suppress(OSError):
                    self.echo.write(chunk)
                    self.echo.flush()

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _process_tree(root: int) -> list[int]:
    """``root`` and every process it started that still runs (children before grandchildren)."""
    children: dict[int, list[int]] = {}
    if os.path.isdir("/proc/self"):
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as stat:
                        ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(name))
    else:
        with contextlib.suppress(OSError):
            listing = subprocess.run(
                ["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True
            ).stdout
            for line in listing.splitlines():
                fields = line.split()
                if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
                    children.setdefault(int(fields[1]), []).append(int(fields[0]))
    tree = [root]
    for pid in tree:  # grows while it is walked
        tree.extend(children.get(pid, []))
    return tree


def _tree_activity(root: int, *, alone: bool = False) -> int | None:
    """CPU ticks spent and bytes read and written so far by ``root``'s process tree
    (``alone``: by ``root`` only) (Linux; None elsewhere): it changes while anything
    works or moves data.

    Counts what git's progress meters do not show: a remote's keep-alive packets,
    a local remote building a large pack, an index being written.
    """
    if not os.path.exists("/proc/self/io"):
        return None
    total = 0
    for pid in [root] if alone else _process_tree(root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            with open(f"/proc/{pid}/io") as io:
                for line in io:
                    key, _, value = line.partition(":")
                    if key in ("rchar", "wchar"):
                        total += int(value)
        except (OSError, ValueError, IndexError):
            continue
    return total


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a child and everything it started (ssh, a remote helper, a hung script)."""
    for pid in _process_tree(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def run_remote(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | str | None,
    url: str,
    limits: Limits,
    what: str,
    echo: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run a git command that talks to ``url``, stopped if it goes silent for ``limits.stall``.

    Silence: no output from the command, its progress meters included (pass
    ``--progress``: while data moves, git redraws them every second), and, where
    the system tells (Linux), no CPU time spent and no byte read or written by
    it or any process it started.  Elsewhere, a remote working silently on a large pack it received
    gets a second more per MiB moved.  The object storage helper
    (``claude-sync::``) bounds each request itself and shows no progress while
    it uploads, so only its own limits apply.
    """
    # A remote on this disk (the default one) starts no ssh: no need to ask for its command.
    local = url.startswith(("/", "file://"))
    ssh_command = b"" if local else subprocess.run(
        ["git", "config", "--get", "core.sshCommand"], capture_output=True, env=env, cwd=cwd
    ).stdout.strip()  # fmt: skip
    env = {**env, **_transport_env(limits, env, bool(ssh_command))}
    proc = subprocess.Popen(
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = _Pump(proc.stdout)
    err = _Pump(proc.stderr, sys.stderr.buffer if echo else None)
    out.start()
    err.start()
    watched = not url.startswith("claude-sync::")
    # Just started, it has no children yet worth a walk of every process (/proc: ms on a
    # busy machine, paid by every fetch and push); any it has count as activity below.
    io_seen, io_at = _tree_activity(proc.pid, alone=True), time.monotonic()
    # Popen.wait(timeout) polls with sleeps of up to 50 ms, so a fetch with nothing new
    # (10 ms) was seen done 20 ms late; a thread blocked in waitpid wakes the loop at once.
    reaper = threading.Thread(target=proc.wait, daemon=True)
    reaper.start()
    try:
        while True:
            reaper.join(timeout=0.2)
            if not reaper.is_alive():
                break
            now = time.monotonic()
            if not watched or now - max(out.last, err.last) < 1:
                continue
            if io_seen is not None and now - io_at >= 1:
                io_now, io_at = _tree_activity(proc.pid), now
                if io_now != io_seen:
                    io_seen = io_now
                    out.last = now  # bytes moved: not silent
                    continue
            allowed = limits.stall + err.moved / _REMOTE_WORK_BYTES_PER_S
            if now - max(out.last, err.last) > allowed:
                _kill_tree(proc)
                raise GitError(
                    f"the remote {scrub(url)} sent nothing for {allowed:.3g} s ({what}); "
                    "stopped waiting. If it is only slow, "
                    + limits.how_to_raise("stall_timeout", STALL_ENV)
                )
    except BaseException:
        if proc.poll() is None:
            _kill_tree(proc)
        raise
    finally:
        # A process that escaped (an ssh ControlMaster) may hold a pipe open: don't wait on it.
        out.join(timeout=2)
        err.join(timeout=2)
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out.data(), err.data())


#: git commands that change neither refs, the index's entries nor config: they leave
#: ``Git.reads`` as it is.  (write-tree may rewrite the index, but only its cache of trees;
#: status at most its stat data.)
_READS_ONLY = frozenset(
    {
        "status",
        "rev-parse",
        "ls-files",
        "ls-tree",
        "diff-index",
        "diff-tree",
        "diff",
        "cat-file",
        "merge-base",
        "rev-list",
        "log",
        "write-tree",
        "for-each-ref",
    }
)
_CONFIG_READS = frozenset({"--get", "--get-all", "--get-regexp", "--list", "-l"})

#: git commands known to leave some of what ``Git.reads`` holds as it is: "config" (none
#: of these writes config), "ls-files" (the index's entries and marks: a fetch, a push or
#: a new object or ref leaves them), "refs" (what HEAD or a local ref resolves to: the
#: index, new objects, and the sync repo's fetch and push, which move only
#: remote-tracking refs, leave it), "remote-refs" (what a ref under refs/remotes/ resolves
#: to; ``update-ref`` of one spares "refs", of any other ref "remote-refs": Git.env).
#: What an object id resolves to is always forgotten: an object stored or fetched may
#: answer a question that had no answer.  A push re-asked the remote's URL twice, HEAD
#: three times and the index once, for nothing; then HEAD after its fetch and the
#: remote's tip after its commit.
_SPARES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("fetch", "push"), ("config", "ls-files", "refs")),
    "update-ref": ("config", "ls-files"),
    "hash-object": ("config", "ls-files", "refs", "remote-refs"),
    **dict.fromkeys(("add", "update-index", "rm", "read-tree"), ("config", "refs", "remote-refs")),
}
_OBJECT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_REMOTE_REFS = "refs/remotes/"


def _kind(key: tuple[object, ...]) -> str:
    """What a key of ``Git.reads`` depends on, in ``_SPARES``' words."""
    if key[0] == "rev":
        ref = str(key[1])
        if _OBJECT_ID.fullmatch(ref):
            return "object"
        return "remote-refs" if ref.startswith(_REMOTE_REFS) else "refs"
    return str(key[0])


def _spared(running: Sequence[str]) -> tuple[str, ...]:
    """What of ``Git.reads`` the git command ``running`` leaves as it is."""
    if not running:
        return ()
    spared = _SPARES.get(running[0], ())
    if running[0] == "update-ref" and len(running) > 1 and not running[1].startswith("-"):
        spared += ("refs",) if running[1].startswith(_REMOTE_REFS) else ("remote-refs",)
    return spared


_CONFIG_LIST = ("config", "--local", "--list")  # Git.reads' key of config_list's answer
#: ... and of every scope's, from the same ``git config --list --show-scope``: name ->
#: the value git's ``--get`` gives (the last one listed), or None for a name without one.
_CONFIG_ALL = ("config", "--list")


def _config_name(key: str) -> str:
    """``key`` as ``git config --list`` prints it: section and name lower-cased."""
    section, _, rest = key.partition(".")
    middle, _, name = rest.rpartition(".")
    return ".".join(part for part in (section.lower(), middle, name.lower()) if part)


def _command(args: Sequence[str]) -> Sequence[str]:
    """The git command ``args`` run and its arguments, past any ``-c NAME=VALUE`` before
    it (a push with its own pack compression is a push: it was taken for an unknown
    command, and every answer of ``Git.reads`` forgotten)."""
    i = 0
    while i + 1 < len(args) and args[i] == "-c":
        i += 2
    return args[i:]


def _reads_only(args: Sequence[str]) -> bool:
    if not args:
        return False
    if args[0] == "config":
        return any(arg in _CONFIG_READS for arg in args[1:])
    return args[0] in _READS_ONLY


# git re-reads by content every index entry whose file is not older than the index (its
# racy-timestamp rule, to whole seconds): a pull's own refresh would encrypt again what it
# wrote in the index's second.  From this many bytes written in that second, waiting for
# the next one (at most a second) is cheaper than encrypting them again, and spares
# holding a large file's ciphertext whole (issue 9).
RACY_BYTES = 16 << 20


@dataclass(frozen=True)
class Written:
    """A file the engine wrote whole from a blob: the blob, and the file's inode and size."""

    oid: str
    ino: int
    size: int


def _index_hash_len(data: bytes) -> int | None:
    """The hash length (SHA-1 or SHA-256) of an index file of version 2 or 3, the versions
    git writes by default, whose checksum holds; None for anything else."""
    if len(data) < 12 or data[:4] != b"DIRC" or data[4:8] not in (b"\0\0\0\2", b"\0\0\0\3"):
        return None
    for hash_len, algorithm in ((20, hashlib.sha1), (32, hashlib.sha256)):
        if algorithm(memoryview(data)[:-hash_len]).digest() == data[-hash_len:]:
            return hash_len
    return None


def index_entries(data: bytes) -> tuple[list[tuple[bytes, int, str]], int] | None:
    """(path, offset, blob id) of each stage-0 entry of an index file (version 2 or 3,
    the versions git writes by default), and the hash length; None for anything else
    (version 4's compressed paths, a damaged file): the caller then leaves it alone."""
    hash_len = _index_hash_len(data)
    if hash_len is None:
        return None
    (count,) = struct.unpack_from(">I", data, 8)
    entries = []
    offset, end = 12, len(data) - hash_len
    for _ in range(count):
        flags_at = offset + 40 + hash_len
        if flags_at + 2 > end:
            return None
        (flags,) = struct.unpack(">H", data[flags_at : flags_at + 2])
        start = flags_at + 2 + (2 if flags & 0x4000 else 0)
        stop = data.find(b"\0", start, end)
        if stop < 0:
            return None
        oid = data[offset + 40 : flags_at].hex()
        if not flags & 0x3000:  # stage 0 only
            entries.append((data[start:stop], offset, oid))
        offset += (start - offset + (stop - start) + 8) & ~7
    return (entries, hash_len) if offset <= end else None


def _record_stat(
    data: bytearray, written: Mapping[bytes, Written], work_tree: Path
) -> list[tuple[int, int]]:
    """Set the stat data of ``written``'s entries in the index ``data`` (see
    ``Git.record_written``), and its checksum; the (mtime in ns, size) of each set."""
    found = index_entries(bytes(data))
    if found is None:
        return []
    entries, hash_len = found
    root = os.path.realpath(work_tree)
    real: dict[str, bool] = {}  # folder -> reached without a link
    recorded: list[tuple[int, int]] = []
    for name, offset, oid in entries:
        want = written.get(name)
        if want is None or want.oid != oid:
            continue
        file = os.path.join(root, os.fsdecode(name))
        folder = os.path.dirname(file)
        if folder not in real:
            real[folder] = os.path.realpath(folder) == folder
        if not real[folder]:
            continue  # through a link (a mapped project folder): git does not stat it
        try:
            st = os.lstat(file)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_ino, st.st_size) != (want.ino, want.size):
            continue  # replaced or appended to since: compared by content
        times = (st.st_ctime_ns, st.st_mtime_ns)
        fields = [part for ns in times for part in divmod(ns, 10**9)]
        fields += [st.st_dev, st.st_ino]
        data[offset : offset + 24] = struct.pack(">6I", *(f & 0xFFFFFFFF for f in fields))
        owner = (st.st_uid, st.st_gid, st.st_size)
        data[offset + 28 : offset + 40] = struct.pack(">3I", *(f & 0xFFFFFFFF for f in owner))
        recorded.append((st.st_mtime_ns, st.st_size))
    if recorded:
        algorithm = hashlib.sha1 if hash_len == 20 else hashlib.sha256
        data[-hash_len:] = algorithm(bytes(data[:-hash_len])).digest()
    return recorded


def _outlast_racy_second(recorded: list[tuple[int, int]]) -> None:
    """Wait for the next second if ``RACY_BYTES`` or more were written in this one (see
    ``RACY_BYTES``): the index written after it is then newer than every file."""
    newest = max((mtime for mtime, _size in recorded), default=0) // 10**9
    racy = sum(size for mtime, size in recorded if mtime // 10**9 >= newest)
    now = time.time()
    if racy >= RACY_BYTES and newest >= int(now):
        time.sleep(min(newest + 1 - now + 0.01, 1.1))  # a clock ahead: a second at most


@dataclass(frozen=True)
class IndexStat:
    """What ``git add`` compares a work tree file with, for each index entry it looks at
    (stage 0, neither assume-unchanged nor skip-worktree): path -> its stat data as the
    index holds it (ctime s, ctime ns, mtime s, mtime ns, dev, ino, mode, uid, gid,
    size; each 32 bits); and when the index file was written (its mtime, in ns): git
    reads by content a file not older than that (racily clean)."""

    written_ns: int
    entries: dict[bytes, tuple[int, ...]]


class FilterCall(Protocol):
    """One git command's way to a clean/smudge filter served in this process."""

    config: str  # NAME=VALUE for ``git -c``: the filter process git is to run instead

    def reports(self) -> bytes:
        """What the filter wrote for git's stderr, once the command ended."""
        ...


class FilterHost(Protocol):
    """A clean/smudge filter this process serves to the git commands it runs
    (filters/served_in_cli.py), sparing each one a filter process's start."""

    def serving(self, index_file: Path) -> AbstractContextManager[FilterCall | None]: ...


#: The git commands that may run the clean or smudge filter: they read work tree files
#: into the index or write them from it, or write the index (git cleans again, at each
#: index write, every file staged in the index's own second: its racy-git rule).
_MAY_FILTER = frozenset(
    {"add", "update-index", "hash-object", "write-tree", "read-tree", "reset", "rm"}
    | {"status", "diff", "diff-files", "diff-index", "ls-files", "checkout", "checkout-index"}
    | {"restore", "stash", "commit", "merge", "apply"}
)


def _may_filter(args: Sequence[str], env: Mapping[str, str] | None) -> bool:
    if not args or args[0] not in _MAY_FILTER or "--no-filters" in args:
        return False
    if args[0] == "ls-files" and not {"-m", "--modified"} & set(args):
        return False  # a listing reads no file
    if args[0] in ("diff", "diff-index") and "--cached" in args:
        return False  # the index against a tree: no work tree file read
    if args[0] == "hash-object" and "-t" in args:
        return False  # a commit or tree object: no path, no filter
    # A large first push shows the filter process's progress on the terminal.
    return not (env and env.get("GIT_CLAUDE_SYNC_PROGRESS"))


@dataclass(frozen=True)
class Git:
    git_dir: Path
    work_tree: Path
    index_file: Path | None = None  # another index, for dry runs and merges
    limits: Limits = Limits()  # for commands that talk to the remote
    #: Answers of a few questions asked again and again in one run (HEAD, the index, config):
    #: shared with every copy (``temp_index``) and forgotten whenever any git process starts
    #: (``env``) but one of ``_READS_ONLY`` (``run``), or only in part for one of ``_SPARES``,
    #: so an answer is never older than the last thing that could change it.
    reads: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)
    #: The filter served in this process to the commands ``run`` starts that may filter
    #: (None: git starts the configured filter process, as for any other git).
    filter_here: FilterHost | None = field(default=None, compare=False, repr=False)

    def env(
        self, extra: Mapping[str, str] | None = None, *, running: Sequence[str] = ()
    ) -> dict[str, str]:
        """The environment of a git process that may change things: ``reads`` forgets
        all that ``running`` (its arguments) may change; everything for an unnamed one."""
        spared = _spared(_command(running))
        for key in [key for key in self.reads if _kind(key) not in spared]:
            del self.reads[key]
        return self._env(extra)

    def _env(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_VARS}
        env.update(
            GIT_DIR=str(self.git_dir),
            GIT_WORK_TREE=str(self.work_tree),
            GIT_TERMINAL_PROMPT="0",  # a hook has no terminal: fail, never hang
            LC_ALL="C",
        )
        if self.index_file is not None:
            env["GIT_INDEX_FILE"] = str(self.index_file)
        if extra:
            env.update(extra)
        return env

    @property
    def cwd(self) -> Path:
        """Where git runs: the work tree, or the git dir while it is missing (never a traceback)."""
        return self.work_tree if self.work_tree.is_dir() else self.git_dir

    def run(
        self,
        args: Sequence[str],
        *,
        input: bytes | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        what: str | None = None,
        capture_stderr: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git ARGS`` on the sync repo, capturing output (stderr too unless told)."""
        serving: AbstractContextManager[FilterCall | None] = contextlib.nullcontext()
        if self.filter_here is not None and _may_filter(args, env):
            index = (env or {}).get("GIT_INDEX_FILE") or self.index_file or self.git_dir / "index"
            serving = self.filter_here.serving(self.cwd / index)
        with serving as served:
            proc = subprocess.run(
                ["git", *(("-c", served.config) if served else ()), *args],
                input=input,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if capture_stderr else None,
                cwd=self.cwd,
                env=self._env(env) if _reads_only(args) else self.env(env, running=args),
            )
        if served is not None and (reports := served.reports()):
            if capture_stderr:  # as the filter process's lines would have come: first
                proc.stderr = reports + proc.stderr
            else:
                sys.stderr.buffer.write(reports)
                sys.stderr.flush()
        if check and proc.returncode != 0:
            raise GitError(self.describe_failure(what or f"git {args[0]}", proc.stderr or b""))
        return proc

    def out(self, args: Sequence[str], **kwargs: object) -> str:
        return self.run(args, **kwargs).stdout.decode("utf-8", "surrogateescape")  # type: ignore[arg-type]

    @staticmethod
    def describe_failure(what: str, stderr: bytes) -> str:
        """``WHAT failed: CAUSE``, the cause quoted from git's stderr (see ``cause``)."""
        return f"{what} failed: {cause(stderr)}"

    # -- questions -------------------------------------------------------

    def rev(self, ref: str) -> str | None:
        key = ("rev", ref)
        if key in self.reads:
            return cast("str | None", self.reads[key])
        proc = self.run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False)
        oid = proc.stdout.decode().strip() or None if proc.returncode == 0 else None
        self.reads[key] = oid
        return oid

    def revs(self, *refs: str) -> list[str | None]:
        """``rev`` of several refs, the ones not known yet asked of one process (a push
        asks for HEAD and the remote's tip at its start)."""
        asked = [ref for ref in dict.fromkeys(refs) if ("rev", ref) not in self.reads]
        if len(asked) > 1 and not any(b"\n" in ref.encode() for ref in asked):
            out = self.run(
                ["cat-file", "--batch-check=%(objectname)"],
                input="".join(f"{ref}^{{commit}}\n" for ref in asked).encode(),
            ).stdout.decode()
            for ref, line in zip(asked, out.splitlines(), strict=True):
                # "NAME missing" (or "ambiguous") for a ref that names no commit
                self.reads[("rev", ref)] = line if _OBJECT_ID.fullmatch(line) else None
        return [self.rev(ref) for ref in refs]

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run(["merge-base", a, b], check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def is_ancestor(self, a: str, b: str) -> bool:
        if (self.git_dir, b) in _STORED and (a == b or a in _parents_stored(self.git_dir, b)):
            return True  # b is a commit this process made (on top of a): no merge-base
        # Between two commits named by id the answer stands for good (a pull asked the
        # same twice); an error (a commit not here yet) is not kept.
        key = (self.git_dir, a, b) if _OBJECT_ID.fullmatch(a) and _OBJECT_ID.fullmatch(b) else None
        if key is not None and key in _ANCESTRY:
            return _ANCESTRY[key]
        code = self.run(["merge-base", "--is-ancestor", a, b], check=False).returncode
        if key is not None and code in (0, 1):
            if len(_ANCESTRY) >= _ANCESTRY_KEPT:
                _ANCESTRY.clear()
            _ANCESTRY[key] = code == 0
        return code == 0

    def tree_of(self, commit: str | None) -> str:
        if commit is None:
            return EMPTY_TREE
        return self.out(["rev-parse", f"{commit}^{{tree}}"]).strip()

    def ls_tree(self, treeish: str) -> dict[bytes, tuple[str, str]]:
        """Map path -> (mode, blob id) for every file in a tree."""
        # A commit or tree named by its id lists the same for good: a pull asked for its
        # base's and the remote tip's two or three times each (verify, plan, apply).
        key = (self.git_dir, treeish) if _OBJECT_ID.fullmatch(treeish) else None
        if key is not None and key in _TREES:
            return dict(_TREES[key])
        out = self.run(["ls-tree", "-r", "-z", "--full-tree", treeish]).stdout
        entries: dict[bytes, tuple[str, str]] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, path = record.split(b"\t", 1)
            mode, _type, oid = meta.decode().split()
            entries[path] = (mode, oid)
        if key is not None:
            _TREES[key] = dict(entries)
            if len(_TREES) > _TREES_KEPT:
                del _TREES[next(iter(_TREES))]
        return entries

    def changed_paths(self, a: str, b: str) -> list[bytes]:
        """Paths whose content differs between two tree-ishes."""
        out = self.run(["diff", "--no-renames", "--name-only", "-z", a, b, "--"]).stdout
        return [p for p in out.split(b"\0") if p]

    def changed_blobs(self, a: str, b: str, under: str) -> dict[bytes, str | None]:
        """Path -> blob id in ``b`` (None: not in ``b``) of every file under ``under``
        that differs between two commits: one ``diff-tree``."""
        out = self.run(["diff-tree", "-r", "-z", "--no-renames", a, b, "--", under]).stdout
        fields = out.split(b"\0")
        changes: dict[bytes, str | None] = {}
        for i in range(0, len(fields) - 1, 2):
            meta = fields[i].split()
            if fields[i].startswith(b":") and len(meta) >= 4:
                changes[fields[i + 1]] = None if set(meta[3]) == {ord("0")} else meta[3].decode()
        return changes

    def staged_status(self) -> list[tuple[str, bytes]]:
        """(A|M|D|T, path) for every change between HEAD (or nothing) and the index."""
        return [(kind, path) for kind, path, _mode in self.staged_modes()]

    def staged_modes(self) -> list[tuple[str, bytes, str]]:
        """(A|M|D|T, path, the index's mode: 000000 where gone) for every change between
        HEAD (or nothing) and the index: one ``diff-index --raw``, as cheap as the names
        alone, so a push knows the modes it stages without listing the whole index."""
        head = self.rev("HEAD") or EMPTY_TREE
        out = self.run(["diff-index", "--cached", "--no-renames", "--raw", "-z", head, "--"]).stdout
        fields = out.split(b"\0")
        changes = []
        blobs: dict[bytes, tuple[str, str, str, str]] = {}
        for i in range(0, len(fields) - 1, 2):
            if fields[i]:  # ":<old mode> <new mode> <old id> <new id> <status>"
                meta = fields[i].decode().split()
                changes.append((meta[4][0], fields[i + 1], meta[1]))
                blobs[fields[i + 1]] = (meta[4][0], meta[0][1:], meta[1], meta[3])
        # For ``write_tree``, while nothing changed the index or HEAD (``reads``' rule).
        self.reads[("staged", self.index_file, head)] = blobs
        return changes

    def worktree_changes(self) -> list[bytes] | None:
        """What ``git status`` lists (porcelain v2 records: staged, modified, untracked but
        not ignored), asked as the launcher asks it (bin/git-claude-sync) and without
        taking index.lock; None if git could not tell.  HEAD comes with it (``rev``)."""
        proc = self.run(
            ["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all",
             "--ignore-submodules=none"],
            env={"GIT_OPTIONAL_LOCKS": "0"},
            check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            return None
        records = [r for r in proc.stdout.split(b"\0") if r]
        for record in records:
            if record.startswith(b"# branch.oid "):
                oid = record.split()[2].decode()
                self.reads[("rev", "HEAD")] = None if oid == "(initial)" else oid
        return [r for r in records if not r.startswith(b"# ")]

    def read_blobs(self, oids: Iterable[str]) -> dict[str, bytes]:
        """Raw stored bytes of many blobs, read in one ``git cat-file --batch``."""
        wanted = list(dict.fromkeys(oids))
        here = {oid: _STORED.get((self.git_dir, oid)) for oid in wanted}
        found = {oid: raw for oid, raw in here.items() if raw is not None}
        found.update(self.iter_blobs(oid for oid in wanted if oid not in found))
        return found

    def blob_heads(self, oids: Iterable[str], length: int) -> Iterator[tuple[str, bytes]]:
        """(id, first ``length`` stored bytes) of each blob in turn, the rest never held."""
        return self.iter_blobs(oids, limit=length)

    def iter_blobs(
        self, oids: Iterable[str], *, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """(id, raw stored bytes) of each blob in turn: memory for one blob at a time
        (or for its first ``limit`` bytes)."""
        with contextlib.closing(self._cat_blobs(oids, limit, None)) as blobs:
            for oid, data in blobs:
                assert isinstance(data, bytes)
                yield oid, data

    def iter_spooled_blobs(
        self, oids: Iterable[str], above: int
    ) -> Iterator[tuple[str, bytes | IO[bytes]]]:
        """As ``iter_blobs``, but a blob over ``above`` bytes comes in an anonymous temporary
        file (at its start), copied a block at a time: never whole in memory."""
        return self._cat_blobs(oids, None, above)

    def _cat_blobs(
        self, oids: Iterable[str], limit: int | None, spool_above: int | None
    ) -> Generator[tuple[str, bytes | IO[bytes]], None, None]:
        wanted = list(dict.fromkeys(oids))
        loose = _few_loose(self.git_dir, wanted, limit, spool_above)
        if len(loose) == len(wanted):  # all just stored here: no cat-file to start
            yield from ((oid, loose[oid]) for oid in wanted)
            return
        asked = [oid for oid in wanted if oid not in loose]
        answers = self._cat_file_blobs(asked, limit, spool_above)
        with contextlib.closing(answers):
            for oid in wanted:
                yield (oid, loose[oid]) if oid in loose else next(answers)

    def _cat_file_blobs(
        self, wanted: list[str], limit: int | None, spool_above: int | None
    ) -> Generator[tuple[str, bytes | IO[bytes]], None, None]:
        proc = subprocess.Popen(
            ["git", *_STREAM_BLOBS, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.cwd,
            env=self._env(None),  # cat-file only reads: Git.reads stays
        )
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:  # a thread, so a long list cannot deadlock both pipes
            with contextlib.suppress(BrokenPipeError):
                stdin.write("".join(f"{oid}\n" for oid in wanted).encode())
                stdin.close()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for oid in wanted:
                header = stdout.readline().split()
                if len(header) < 3:
                    raise GitError(f"object {oid} is missing from the sync repo")
                size = int(header[2])
                if spool_above is not None and size > spool_above:
                    # Only here: shutil, random, bz2, lzma come with it, ~3 ms of a start
                    # (status read blobs, and paid it, with nothing to spool).
                    import tempfile

                    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller's to close)
                    rest = size
                    while rest > 0:
                        block = stdout.read(min(rest, 1 << 20))
                        if not block:
                            spool.close()
                            raise GitError(f"object {oid} is cut short in the sync repo")
                        spool.write(block)
                        rest -= len(block)
                    stdout.read(1)  # the newline after each object
                    spool.seek(0)
                    yield oid, spool
                    continue
                data = stdout.read(size if limit is None else min(size, limit))
                rest = size - len(data)
                while rest > 0:  # skipped a buffer at a time
                    skipped = len(stdout.read(min(rest, 1 << 20)))
                    if not skipped:
                        raise GitError(f"object {oid} is cut short in the sync repo")
                    rest -= skipped
                stdout.read(1)  # the newline after each object
                yield oid, data
        finally:
            proc.kill()
            proc.wait()
            writer.join()

    def whole_bytes_to_send(
        self, tip: str, remote_tip: str, may_delta: Callable[[bytes], bool]
    ) -> int:
        """About what a push of ``tip`` over ``remote_tip`` sends as whole blobs: the size of
        each blob ``tip``'s tree holds and ``remote_tip``'s does not, unless its path
        ``may_delta`` and held a blob before (git sends a delta of that)."""
        walk = _WALKS.get((self.git_dir, tip, remote_tip))
        if walk is not None and walk.diff is not None:  # verify_outgoing's diff is this one
            diff = walk.diff
        else:
            diff = self.run(
                ["diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AMT", remote_tip, tip]
            ).stdout
        fields = diff.split(b"\0")
        whole = set()
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.split()
            changed = len(parts) == 5 and parts[4][:1] in (b"A", b"M", b"T")
            if changed and not (may_delta(path) and parts[2].strip(b"0")):
                whole.add(parts[3].decode())
        known = walk.sizes if walk is not None else {}
        sizes = {oid: known[oid] for oid in whole if oid in known}
        sizes.update(self.blob_sizes(whole - sizes.keys()))
        return sum(sizes.values())

    def objects_to_send(self, tip: str, remote_tip: str | None) -> list[tuple[str, bytes]]:
        """(blob id, path) for every blob reachable from ``tip`` and not from ``remote_tip``.

        A blob stored at several paths comes once per path.  Names come from
        ``diff-tree -z`` of the commits sent, never from ``rev-list --objects``,
        whose output is split on newlines (a file name may hold one).  What the walk
        found (the commits, sizes, the diff) answers the push's later questions about
        the same commits without walking again (``_Walk``).
        """
        lone = _lone_commit(self.git_dir, tip, remote_tip)
        lone_diff: bytes | None = None
        if lone is not None and remote_tip is not None:
            oids, lone_diff = self._lone_objects(tip, remote_tip, lone)
        else:
            exclude = [f"^{remote_tip}"] if remote_tip else []
            args = ["rev-list", "--objects", "--no-object-names", tip, *exclude]
            oids = self.run(args).stdout.decode().split()
        check = _few_loose_checks(self.git_dir, oids)  # a lone commit's, just stored
        if check is None:
            check = self.run(
                ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize) "
                 "%(objectsize:disk)"],
                input="".join(f"{oid}\n" for oid in oids).encode(),
            ).stdout.decode() if oids else ""  # fmt: skip
        commits, sizes, disk = [], {}, 0
        for answer in (line.split() for line in check.splitlines()):
            if len(answer) != 4:  # "<id> missing": nothing unverified may go, nor this
                raise GitError(f"object {answer[0][:12]} to send is missing; nothing sent")
            oid, kind, size, on_disk = answer
            disk += int(on_disk)
            if kind == "commit":
                commits.append(oid)  # rev-list lists them first, in its own order
            elif kind == "blob":
                sizes[oid] = int(size)
        if lone_diff is not None:
            diff = lone_diff
        else:
            # Each new blob is new at its path in some commit sent, compared with one
            # of its parents (or with nothing, for a first commit): -m diffs merges
            # against every parent.
            diff = self.run(
                ["diff-tree", "--stdin", "-r", "-z", "-m", "--root", "--no-renames",
                 "--no-commit-id"],
                input="".join(f"{c}\n" for c in commits).encode(),
            ).stdout if sizes else b""  # fmt: skip
        _remember_walk(self.git_dir, tip, remote_tip, _Walk(commits, sizes, disk, lone_diff))
        fields = diff.split(b"\0")
        found: dict[tuple[str, bytes], None] = {}
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.split()
            if len(parts) == 5 and parts[3].decode() in sizes:
                found[(parts[3].decode(), path)] = None
        unnamed = sizes.keys() - {oid for oid, _ in found}
        if unnamed:
            raise GitError(
                f"cannot tell the path of blob {min(unnamed)[:12]} to send; nothing sent"
            )
        return list(found)

    def _lone_objects(self, tip: str, parent: str, tree: str) -> tuple[list[str], bytes]:
        """The objects of ``tip``, a commit this process made on ``parent`` alone: itself,
        its root tree and every tree and blob ``diff-tree -t`` finds new against
        ``parent`` (a superset of what ``rev-list --objects tip ^parent`` lists: an
        object only that walk leaves out is one ``parent`` holds at another path); and
        that diff without its trees, as ``diff-tree -r`` gives it.  rev-list marked
        every tree of ``parent`` seen first (~8-12 ms at 200 MiB); this walks the
        changed folders only."""
        out = self.run(["diff-tree", "-r", "-t", "-z", "--no-renames", parent, tip]).stdout
        fields = out.split(b"\0")
        oids, records = [tip, tree], []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.split()
            if len(parts) != 5:
                continue
            if parts[3].strip(b"0") and parts[1] != b"160000":  # a gitlink's is not here
                oids.append(parts[3].decode())
            if b"040000" not in (parts[0][1:], parts[1]):
                records += [meta, path]
        return list(dict.fromkeys(oids)), b"".join(r + b"\0" for r in records)

    # -- the remote ---------------------------------------------------------

    def talk(
        self,
        args: Sequence[str],
        *,
        what: str,
        echo: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> tuple[str, subprocess.CompletedProcess[bytes]]:
        """(remote URL, result) of ``git ARGS`` talking to the remote, every wait bounded."""
        url = scrub(self.remote_url() or "?")
        proc = run_remote(
            ["git", *args],
            env=self.env(env, running=args),
            cwd=self.work_tree,
            url=url,
            limits=self.limits,
            what=what,
            echo=echo,
        )
        return url, proc

    def remote_url(self) -> str | None:
        return self.config_get(f"remote.{REMOTE}.url")

    def config_get(self, key: str) -> str | None:
        cached = ("config", key)
        if cached in self.reads:
            return cast("str | None", self.reads[cached])
        listed = cast("dict[str, str] | None", self.reads.get(_CONFIG_LIST))
        if listed is not None and _config_name(key) in listed:
            # The repo's own config is read last, so its value is git's answer.
            return listed[_config_name(key)].strip() or None
        every = cast("dict[str, str | None] | None", self.reads.get(_CONFIG_ALL))
        if every is not None and every.get(_config_name(key), "") is not None:
            # Set in no scope at all (color.ui, mostly): no git process to say so.
            return (every.get(_config_name(key)) or "").strip() or None
        proc = self.run(["config", "--get", key], check=False)
        value = proc.stdout.decode().strip() or None if proc.returncode == 0 else None
        self.reads[cached] = value
        return value

    def config_set(self, key: str, value: str) -> None:
        self.run(["config", key, value])

    # -- the index --------------------------------------------------------

    def pending_paths(self) -> list[bytes]:
        """Files in the work tree that are untracked or modified (not ignored)."""
        out = self.run(["ls-files", "-z", "--others", "--modified", "--exclude-standard"]).stdout
        return [name for name in out.split(b"\0") if name]

    def untracked_listing(self) -> UntrackedListing:
        """The files in the work tree git does not track (not ignored; a nested repository
        comes as one ``folder/``; no file read), listed by a git started now and asked
        later (``UntrackedListing.paths``): it walks the work tree while this process
        lists and parses the index (at 1 GiB, 13k files, ~10 ms each, one after the other
        before).  What the index marks skip-worktree meanwhile changes nothing of it."""
        proc = subprocess.Popen(
            ["git", "ls-files", "-z", "--others", "--exclude-standard"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.cwd,
            env=self._env(None),  # ls-files only reads: Git.reads stays
        )
        return UntrackedListing(proc, self.describe_failure)

    def add_all(
        self,
        *,
        renormalize: bool = False,
        progress: bool = False,
        leave: Sequence[bytes] = (),
    ) -> None:
        """``git add -A`` of the work tree (through our clean filter: this encrypts),
        except the paths in ``leave`` (and what is under them), whose entries stay."""
        env = {"GIT_CLAUDE_SYNC_PROGRESS": "1"} if progress else {}
        # No "." among the pathspecs: it fails ("outside of your sparse-checkout
        # definition") when the only index entries are skip-worktree ones (kept.py)
        # and the Claude directory is empty; exclusions alone mean "all but these".
        specs = [b":(exclude,literal)" + path for path in sorted(set(leave))]
        pathspecs = b"".join(spec + b"\0" for spec in specs)
        from_stdin = ["--pathspec-from-file=-", "--pathspec-file-nul"] if specs else []
        if renormalize:
            self.run(
                ["add", "--renormalize", *(from_stdin or ["--", "."])],
                input=pathspecs,
                env=env,
                what="encrypting",
            )
        if progress:
            proc = self.run(
                ["add", "-A", *from_stdin],
                input=pathspecs,
                env=env,
                check=False,
                capture_stderr=False,
            )
            if proc.returncode != 0:
                raise GitError("encrypting failed (see the lines above)")
        else:
            proc = self.run(["add", "-A", *from_stdin], input=pathspecs, check=False)
            # With exclusions, git still reports the implied "." when nothing but
            # skip-worktree entries matched it; it added everything else all the same.
            if proc.returncode != 0 and not (specs and _ONLY_SKIP_WORKTREE in proc.stderr):
                raise GitError(self.describe_failure("encrypting", proc.stderr))

    def add_files(self, paths: Sequence[bytes]) -> None:
        """Add these work tree files to the index (through our clean filter), whatever
        folder they are in: ``git add`` would take a nested repository for a gitlink."""
        if paths:
            self.run(
                ["update-index", "--add", "-z", "--stdin"],
                input=b"".join(path + b"\0" for path in paths),
                what="encrypting",
            )

    def hash_files(self, paths: Sequence[bytes]) -> list[str]:
        """Store the content of these work tree files, read through symlinks and
        cleaned (encrypted) for their path; their blob ids, in order."""
        if not paths:
            return []
        quoted = b"".join(_c_quote(path) + b"\n" for path in paths)
        oids = self.out(["hash-object", "-w", "--stdin-paths"], input=quoted, what="encrypting")
        return oids.split()

    def store_files(self, files: Sequence[Path]) -> list[str]:
        """Store these files' bytes as blobs exactly as they are (no filter); their ids."""
        if not files:
            return []
        quoted = b"".join(_c_quote(os.fsencode(f)) + b"\n" for f in files)
        args = ["hash-object", "-w", "--no-filters", "--stdin-paths"]
        return self.out(args, input=quoted, what="storing").split()

    def index_entries(self) -> dict[bytes, tuple[str, str]]:
        """Map path -> (mode, blob id) of every index entry (stage 0)."""
        # Kept beside the listing (forgotten with it): a push asks for it five times,
        # and a large tree's map took longer to build than git took to list it.
        key = ("ls-files", self.index_file, "entries")
        if key not in self.reads:
            listing = self._index_listing()
            self.reads[key] = {path: (mode, oid) for _tag, path, mode, oid in listing}
        return dict(cast("dict[bytes, tuple[str, str]]", self.reads[key]))

    def held_index_modes(self, modes: Iterable[str]) -> dict[bytes, str] | None:
        """Path -> mode of the index entries of these ``modes`` (none of 100644, 100755)
        if this run holds the index's listing (no git asked), else None."""
        if ("ls-files", self.index_file) not in self.reads:
            return None
        wanted = set(modes)
        return {path: mode for path, mode in self._marks().unusual.items() if mode in wanted}

    def index_paths(self) -> list[bytes]:
        """The paths of the index's entries, each once, in git's order (bytewise)."""
        return list(self._marks().paths)

    def _marks(self) -> _Marks:
        """``_Marks`` of the listing ``reads`` holds (listed if none), kept beside it."""
        self._index_listing()
        listing = cast("_Listing", self.reads[("ls-files", self.index_file)])
        key = ("ls-files", self.index_file, "marks")
        held = cast("tuple[_Listing, _Marks] | None", self.reads.get(key))
        if held is None or held[0] is not listing:  # a listing kept changed is another
            held = (listing, _Marks.of(listing))
            self.reads[key] = held
        return held[1]

    def index_paths_with(self, fragment: bytes) -> list[bytes]:
        """Paths of the index's entries (stage 0) that hold ``fragment``, in git's order.
        Without a listing held, an index file that does not hold those bytes anywhere has
        none (a version 2 or 3 index stores each path whole, unless split, beside a
        ``sharedindex.*`` file, or sparse, with an ``sdir`` extension): not listed for
        that (ls-files and its parse: ~15 ms of a large tree)."""
        if ("ls-files", self.index_file) not in self.reads:
            try:
                data = (self.index_file or self.git_dir / "index").read_bytes()
            except FileNotFoundError:
                return []
            whole = data[:4] == b"DIRC" and data[4:8] in (b"\0\0\0\2", b"\0\0\0\3")
            split = any(name.startswith("sharedindex.") for name in os.listdir(self.git_dir))
            if whole and not split and fragment not in data and b"sdir" not in data:
                return []
        return [path for path in self.index_entries() if fragment in path]

    def _index_listing(self) -> list[tuple[bytes, bytes, str, str]]:
        """(``ls-files -v`` tag, path, mode, blob id) of every index entry: one ``ls-files``
        answers the entries and their skip-worktree and assume-unchanged marks (``reads``)."""
        key = ("ls-files", self.index_file)
        if key not in self.reads:
            index = self.index_file or self.git_dir / "index"
            try:
                listing = _listing_of_index(index.read_bytes())
            except FileNotFoundError:
                listing = []  # no index yet (a machine just set up): nothing to list
            if listing is None:  # an index read here cannot tell: git's own listing
                listing = _parse_listing(self.run(["ls-files", "-s", "-v", "-z"]).stdout)
            self.reads[key] = listing
        return list(cast("list[tuple[bytes, bytes, str, str]]", self.reads[key]))

    def index_stat(self) -> IndexStat | None:
        """The index's stat data (``IndexStat``), read from its file now; None where
        ``git add`` may do more than compare stat data: an index this code does not read
        whole (as ``_listing_of_index``), an unmerged entry, one intent to add."""
        index = self.index_file or self.git_dir / "index"
        try:
            with open(index, "rb") as handle:  # the bytes and the date of one file
                written = os.fstat(handle.fileno()).st_mtime_ns
                data = handle.read()
        except OSError:
            return None
        entries = _unmarked_stat(data)
        return None if entries is None else IndexStat(written, entries)

    def unstage(self, paths: Sequence[bytes]) -> None:
        """Drop paths (and what is under them) from the index, leaving the files alone."""
        if paths:
            self.run(
                ["rm", "--cached", "-q", "-r", "--pathspec-from-file=-", "--pathspec-file-nul"],
                input=b"\0".join(paths),
                env=_LITERAL_PATHS,
            )

    def reset_paths(self, paths: Sequence[bytes]) -> None:
        """Put HEAD's version of paths back in the index."""
        if paths:
            self.run(
                ["reset", "-q", "HEAD", "--pathspec-from-file=-", "--pathspec-file-nul"],
                input=b"".join(p + b"\0" for p in paths),
                env=_LITERAL_PATHS,
            )

    def skip_worktree_paths(self, under: bytes) -> set[bytes]:
        """Index entries marked skip-worktree: ``under`` itself, or under it as a folder."""
        folder = under.rstrip(b"/") + b"/"
        return {
            path for path in self._marks().skip_worktree if path == under or path.startswith(folder)
        }

    def set_skip_worktree(self, paths: Sequence[bytes], on: bool) -> None:
        if paths:
            flag = "--skip-worktree" if on else "--no-skip-worktree"
            self.run(
                ["update-index", flag, "-z", "--stdin"], input=b"".join(p + b"\0" for p in paths)
            )

    def assume_unchanged_paths(self) -> set[bytes]:
        """Index entries marked assume-unchanged (``ls-files -v`` shows them lower-case)."""
        return set(self._marks().assume_unchanged)

    def assume_unchanged_listed(self) -> list[bytes]:
        """``assume_unchanged_paths`` in git's order (bytewise)."""
        return list(self._marks().assume_unchanged)

    def set_assume_unchanged(self, paths: Sequence[bytes], on: bool) -> None:
        if paths:
            flag = "--assume-unchanged" if on else "--no-assume-unchanged"
            self._write_index(
                ["update-index", flag, "-z", "--stdin"],
                {},  # the same entries, some marked otherwise (``ls-files -v``)
                lambda listing: _marked(listing, set(paths), on=on),
                input=b"".join(p + b"\0" for p in paths),
            )

    def _listing_kept(self) -> list[tuple[bytes, bytes, str, str]] | None:
        """The index listing ``reads`` holds, if any and if it has no unmerged entry: what
        ``update_index`` and ``set_assume_unchanged`` change in it they know exactly, so
        they keep it changed rather than have a large tree's index listed again."""
        listed = cast(
            "list[tuple[bytes, bytes, str, str]] | None",
            self.reads.get(("ls-files", self.index_file)),
        )
        if listed is None or any(tag == b"M" for tag, *_ in listed):
            return None
        return listed

    def _keep_listing(self, listing: list[tuple[bytes, bytes, str, str]]) -> None:
        self.reads[("ls-files", self.index_file)] = listing

    def _keep_entries(
        self,
        entries: dict[bytes, tuple[str, str]],
        changes: Mapping[bytes, tuple[str, str] | None],
    ) -> None:
        """Keep ``index_entries``' map with ``changes`` made, as ``_keep_listing`` keeps
        the listing: built again from a large listing it took ~2 ms at each index write.
        Not with a new path, which would come last: the map keeps git's order (built
        again from the listing when asked)."""
        if any(entry is not None and path not in entries for path, entry in changes.items()):
            return
        after = dict(entries)
        for path, entry in changes.items():
            if entry is None:
                after.pop(path, None)
            else:
                after[path] = entry
        self.reads[("ls-files", self.index_file, "entries")] = after

    def _write_index(
        self,
        args: Sequence[str],
        changes: Mapping[bytes, tuple[str, str] | None],
        retag: Callable[[_Listing], _Listing] | None = None,
        *,
        input: bytes | None = None,
    ) -> None:
        """Run ``update-index ARGS``, which sets ``changes`` (``_listing_after``) and then
        marks entries as ``retag`` does to a listing; the listing ``reads`` holds is kept
        as git leaves it, where that is known exactly, not listed again."""
        listed = self._listing_kept()
        entries = self.reads.get(("ls-files", self.index_file, "entries"))
        self.run(args, input=input)
        kept = _listing_after(listed, changes) if listed is not None else None
        if kept is not None:
            self._keep_listing(retag(kept) if retag is not None else kept)
            if entries is not None:  # changed as the listing (a marking leaves it)
                self._keep_entries(cast("dict[bytes, tuple[str, str]]", entries), changes)

    def read_tree(self, treeish: str | None) -> None:
        """Make the index ``treeish``'s tree (None: empty)."""
        self.run(["read-tree", treeish if treeish else "--empty"])

    def update_index(
        self,
        changes: Mapping[bytes, tuple[str, str] | None],
        *,
        assume_unchanged: Sequence[bytes] = (),
    ) -> None:
        """Set index entries: path -> (mode, blob id), or None to remove the path; then
        mark ``assume_unchanged`` entries so (``set_assume_unchanged``).  A few entries
        set and marked are one process and one index write (``--cacheinfo``, as
        ``--index-info`` adding and replacing): each write makes git clean again every
        file staged in the index's second, and an append push's linked session was two."""
        marks = list(assume_unchanged)
        if marks and _cacheinfo_will_do(changes, marks):
            args = ["update-index", "--add", "--replace"]
            for path, entry in changes.items():
                assert entry is not None
                args += ["--cacheinfo", f"{entry[0]},{entry[1]},{os.fsdecode(path)}"]
            self._write_index(
                [*args, "--assume-unchanged", *map(os.fsdecode, marks)],
                changes,
                lambda listing: _marked(listing, set(marks), on=True),
            )
            return
        self._update_index(changes)
        self.set_assume_unchanged(marks, True)

    def _update_index(self, changes: Mapping[bytes, tuple[str, str] | None]) -> None:
        if not changes:
            return
        records = []
        for path, entry in changes.items():
            if entry is None:
                records.append(b"0 " + b"0" * 40 + b"\t" + path + b"\0")
            else:
                records.append(f"{entry[0]} {entry[1]}\t".encode() + path + b"\0")
        self._write_index(["update-index", "-z", "--index-info"], changes, input=b"".join(records))

    def update_index_hidden(self, entries: Mapping[bytes, tuple[str, str]]) -> None:
        """Set index entries (path -> (mode, blob id)) marked skip-worktree, in one
        process: files kept in the repo only (the metrics).  One index write, not two:
        each makes git clean again every file staged in the index's second."""
        if not entries:
            return
        args = ["update-index", "--add"]
        for path, (mode, oid) in entries.items():
            args += ["--cacheinfo", f"{mode},{oid},{os.fsdecode(path)}"]
        args += ["--skip-worktree", *(os.fsdecode(path) for path in entries)]
        self._write_index(
            args,
            entries,
            lambda listing: _retagged(listing, entries, lambda _tag: b"S"),
        )

    def refresh_index(self) -> None:
        """Re-stat the work tree so ``git status`` does not re-read unchanged files."""
        self.run(["update-index", "-q", "--refresh"], check=False)

    def record_written(self, written: Mapping[bytes, Written]) -> int:
        """Give index entries the stat data of files the engine just wrote from their blobs.

        ``refresh_index`` would otherwise run every such file through the clean filter
        again (a joining machine's whole tree: seconds).  An entry is recorded only if
        it names the very blob the file was written from and the file is still the
        inode and size written (nothing replaced or appended to it since); anything
        else keeps git's empty stat data, so ``refresh_index`` compares it by content
        as before.  The index is rewritten under git's own ``index.lock``; an index
        this code does not know (version 4, another hash) is left alone.  Returns how
        many entries were recorded.
        """
        path = self.index_file or self.git_dir / "index"
        lock = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError:
            return 0  # another git holds the index: refresh_index compares by content
        recorded: list[tuple[int, int]] = []
        try:
            with os.fdopen(fd, "wb") as handle:
                data = bytearray(path.read_bytes())
                recorded = _record_stat(data, written, self.work_tree)
                _outlast_racy_second(recorded)
                handle.write(data)
            if recorded:
                os.replace(lock, path)
        except OSError:
            recorded = []  # the index is as git left it: compared by content
        finally:
            lock.unlink(missing_ok=True)
            self.reads.clear()
        return len(recorded)

    def write_tree(self, *, racy: bool = False) -> str:
        """The index's tree.  ``racy``: files staged in the index's second are among its
        entries, and git, writing its cache of trees back into the index, would run each
        through the clean filter again (a filter process started for nothing: its
        racy-git check, which an index dated 0 never makes).  The tree is then written
        from such a copy of the index, and the index is left as it was."""
        tree = self._tree_from_head()
        if tree is not None:
            return tree
        if not racy:
            return self.out(["write-tree"]).strip()
        index = self.index_file or self.git_dir / "index"
        scratch = self.git_dir / f"index.temp-write-tree.{os.getpid()}"
        try:
            scratch.write_bytes(index.read_bytes())
            os.utime(scratch, (0, 0))
            return self.out(["write-tree"], env={"GIT_INDEX_FILE": str(scratch)}).strip()
        finally:
            scratch.unlink(missing_ok=True)

    def _tree_from_head(self) -> str | None:
        """The index's tree, written in this process from HEAD's where the index differs
        from it only in the content of some files (``staged_modes`` asked last, with
        nothing changed since): each tree on their way replaced, the rest as they are.
        An append push changes one session: ``git write-tree`` read and wrote the whole
        index again (~2 MB at 1 GiB) to do that, ~20 ms.  None where git must: any other
        change (added, deleted, a mode or type changed), a tree or commit not loose here
        (fetched, in a pack), a new blob not in the repository as a loose object, a
        repository ``_write_loose`` does not write in."""
        head = self.rev("HEAD")
        staged = cast(
            "dict[bytes, tuple[str, str, str, str]] | None",
            self.reads.get(("staged", self.index_file, head or EMPTY_TREE)),
        )
        if head is None or not staged:
            return None
        blobs: dict[bytes, bytes] = {}
        for path, (kind, old, new, oid) in staged.items():
            if kind != "M" or old != new or new not in ("100644", "100755"):
                return None
            if not (self.git_dir / "objects" / oid[:2] / oid[2:]).is_file():
                return None
            blobs[path] = bytes.fromhex(oid)
        commit = _loose_object(self.git_dir, head)
        if commit is None or commit[0] != b"commit" or not commit[2].startswith(b"tree "):
            return None
        return _tree_replacing(self, commit[2][5:45].decode(), blobs)

    def staged_in_index_second(self, paths: Iterable[bytes]) -> bool:
        """Whether any of these work-tree files was changed in the second the index was
        written, or later (git takes such an entry for racily clean)."""
        try:
            index_second = int((self.index_file or self.git_dir / "index").stat().st_mtime)
        except OSError:
            return False
        root = os.fsencode(self.work_tree)
        for path in paths:
            with contextlib.suppress(OSError):
                if int(os.stat(root + b"/" + path).st_mtime) >= index_second:
                    return True
        return False

    @contextlib.contextmanager
    def temp_index(self, purpose: str, *, copy_index: bool = False) -> Iterator[Git]:
        """This repo with a scratch index (empty, or a copy of the real one), removed after."""
        scratch = self.git_dir / f"index.temp-{purpose}.{os.getpid()}"
        real = self.index_file or self.git_dir / "index"
        self.reads.clear()  # the scratch index's name is used again
        try:
            if copy_index and real.exists():
                scratch.write_bytes(real.read_bytes())
                # Dated as the real one: git re-reads a file whose entry is not older than
                # the index (a same-size change in the second it was written, "racy git");
                # a copy dated now made such a change look clean to a preview.
                stat = real.stat()
                os.utime(scratch, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            yield replace(self, index_file=scratch)
        finally:
            self.reads.clear()
            scratch.unlink(missing_ok=True)

    def tree_with(self, base: str | None, changes: Mapping[bytes, tuple[str, str] | None]) -> str:
        """Id of ``base``'s tree (None: empty) with ``changes`` applied (in a scratch index)."""
        with self.temp_index("tree") as temp:
            temp.read_tree(base)
            temp.update_index(changes)
            return temp.write_tree()

    # -- objects and refs --------------------------------------------------

    def store_blob(self, data: bytes) -> str:
        """Write bytes as a blob exactly as given (no filter); its id.

        Written to git's stdin in one call: ``run``'s ``input`` (``communicate``) polls
        and writes 4 KiB at a time, ~2 ms more for a session's MBs (engine/clean_here).
        ``hash-object --stdin`` reads all of its input before it writes a byte."""
        written = self._write_loose(b"blob", data)
        if written is not None:
            return written
        args = ["hash-object", "-w", "--no-filters", "--stdin"]
        proc = subprocess.Popen(
            ["git", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.cwd,
            env=self.env(running=args),
        )
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # git stopped first: its stderr says why
            proc.stdin.write(data)
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise GitError(self.describe_failure("git hash-object", err))
        return out.decode().strip()

    def _write_loose(self, kind: bytes, data: bytes) -> str | None:
        """Store ``data`` as a loose object, as ``hash-object -w`` does, in this process: its
        id; None where git must (a SHA-256 or shared repository, a write that failed).

        An append push stores its session's new blob (~2 MB at 1 GiB): a git process,
        which hashes it twice with its collision-detecting SHA-1, took ~12 ms of the ~4
        here.  The object file is git's: zlib at ``core.looseCompression`` of the header
        and the bytes, named by their SHA-1, written beside its name read-only and linked
        into place (an object already there is only dated anew, as git freshens it; one
        in a pack gets a loose copy too, which git's gc prunes); not synced to disk, as
        git's default ``core.fsync`` leaves loose objects."""
        settings = self.config_list()
        if settings.get("extensions.objectformat", "sha1") != "sha1" or settings.get(
            "core.sharedrepository"
        ):
            return None
        try:
            level = int(
                settings.get("core.loosecompression", settings.get("core.compression", "1"))
            )
        except ValueError:
            return None
        header = b"%s %d\0" % (kind, len(data))
        digest = hashlib.sha1(header)
        digest.update(data)
        oid = digest.hexdigest()
        folder = self.git_dir / "objects" / oid[:2]
        final = folder / oid[2:]
        try:
            if final.exists():
                os.utime(final)
                return oid
            folder.mkdir(exist_ok=True)
            temporary = folder / f"tmp_obj_{os.getpid()}_{threading.get_ident()}"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o444)
            try:
                deflate = zlib.compressobj(max(-1, min(level, 9)))
                with os.fdopen(fd, "wb") as out:
                    out.write(deflate.compress(header))
                    out.write(deflate.compress(data))
                    out.write(deflate.flush())
                with contextlib.suppress(FileExistsError):  # written meanwhile: the same
                    os.link(temporary, final)
            finally:
                temporary.unlink(missing_ok=True)
        except OSError:
            return None
        return oid

    def store_blobs(self, blobs: Iterable[bytes]) -> list[str]:
        """Write many blobs as given (no filter), in process; their ids."""
        import pygit2

        odb = pygit2.Repository(str(self.git_dir))
        return [str(odb.create_blob(data)) for data in blobs]

    def commit_tree(self, tree: str, parents: Sequence[str], message: str) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.out([*args, "-m", message]).strip()

    def commits_oldest_first(self, tip: str) -> list[tuple[str, list[str]]]:
        """(commit, parents) of every commit reachable from ``tip``, parents before children."""
        out = self.out(["rev-list", "--topo-order", "--reverse", "--parents", tip])
        return [(ids[0], ids[1:]) for ids in (line.split() for line in out.splitlines()) if ids]

    def store_commit(self, raw: bytes) -> str:
        """Write a commit object exactly as given (its bytes are the sealed state's); its id."""
        oid = self.out(["hash-object", "-t", "commit", "-w", "--stdin"], input=raw).strip()
        # Read back twice a push (its seal verified before sending, then remembered):
        # an object's id names its bytes for good.
        _STORED[self.git_dir, oid] = raw
        if len(_STORED) > _STORED_KEPT:  # a history rewrite stores thousands
            del _STORED[next(iter(_STORED))]
        return oid

    def now(self) -> int:
        """The time git would stamp a commit with (seconds; honours GIT_COMMITTER_DATE)."""
        if "GIT_COMMITTER_DATE" not in os.environ:
            return int(time.time())  # git's answer then, without starting git
        ident = self.out(["var", "GIT_COMMITTER_IDENT"]).split()
        return int(ident[-2])

    def new_commits(self, tip: str, known: Sequence[str]) -> list[str]:
        """Commits reachable from ``tip`` and from none of ``known``, parents first."""
        walk = _walk_of(self.git_dir, tip, known)
        if walk is not None and len(walk.commits) <= 1:  # one commit is in any order
            return list(walk.commits)
        exclude = [f"^{k}" for k in known]
        out = self.out(["rev-list", "--topo-order", "--reverse", tip, *exclude])
        return out.split()

    def update_ref(
        self, ref: str, new: str, old: str | None = None, *, create: bool = False
    ) -> None:
        """Point ``ref`` at ``new``, if it still points at ``old`` (or, ``create``, at nothing)."""
        args = ["update-ref", ref, new]
        if old is not None:
            args.append(old)
        elif create:
            args.append("")
        # git push moves the remote-tracking ref itself (the remote's fetch refspec maps
        # it): after a push, its file holds ``new`` already and nothing is left to do.
        if len(args) > 3 or not self._ref_file_holds(ref, new):
            self.run(args, what=f"moving {ref}")
        else:
            self.env(running=args)  # ``reads`` forgets as if it had run
        # What the ref (and HEAD on it) now resolves to is known: a push asked again.
        if ref in (LOCAL_REF, REMOTE_REF) and _OBJECT_ID.fullmatch(new):
            self.reads[("rev", ref)] = new
            if ref == LOCAL_REF and self._head_is(LOCAL_REF):
                self.reads[("rev", "HEAD")] = new

    def _ref_file_holds(self, ref: str, oid: str) -> bool:
        """Whether ``ref`` is a loose ref holding ``oid`` (a loose ref wins over packed)."""
        if not ref.startswith("refs/") or not _OBJECT_ID.fullmatch(oid):
            return False
        try:
            return (self.git_dir / ref).read_bytes() == f"{oid}\n".encode()
        except OSError:
            return False

    def _head_is(self, ref: str) -> bool:
        try:
            return (self.git_dir / "HEAD").read_bytes() == f"ref: {ref}\n".encode()
        except OSError:
            return False

    def delete_ref(self, ref: str) -> None:
        self.run(["update-ref", "-d", ref], check=False)

    def commit_before(self, moment: float, ref: str = "HEAD") -> str | None:
        """The newest commit on ``ref`` made at or before ``moment`` (seconds since the epoch)."""
        out = self.out(["rev-list", "-1", f"--before={int(moment)}", ref]).strip()
        return out or None

    def commit_time(self, commit: str) -> float:
        return float(self.out(["log", "-1", "--format=%at", commit]).strip())

    def log(
        self,
        ref: str = "HEAD",
        paths: Sequence[str] = (),
        *,
        limit: int | None = None,
        since: float | None = None,
    ) -> list[LogEntry]:
        """Commits reachable from ``ref``, newest first, each with the files it changed."""
        trailer = "%(trailers:key=Claude-Sync-State,valueonly,separator=%x20)"
        args = ["log", f"--format=%x01%H %P%x00%T %at%x00%an%x00{trailer}%x00%s", "--raw", "-z"]
        args += ["--no-renames", "--no-abbrev"]
        if limit is not None:
            args.append(f"-n{limit}")
        if since is not None:
            args.append(f"--since={int(since)}")
        out = self.run([*args, ref, "--", *paths]).stdout
        entries = []
        for chunk in out.split(b"\x01")[1:]:
            ids, at, author, seal, rest = chunk.split(b"\0", 4)
            subject, _, records = rest.partition(b"\0")
            commit, *parents = ids.decode().split()
            tree, at = at.split()
            entry = LogEntry(
                commit, parents, float(at), author.decode("utf-8", "replace"), subject.decode(), []
            )
            entry.tree = tree.decode()
            entry.seal = seal.decode("ascii", "replace").strip()
            fields = records.lstrip(b"\n").split(b"\0")
            for i in range(0, len(fields) - 1, 2):
                meta = fields[i].split()
                if fields[i].startswith(b":") and len(meta) >= 4:
                    entry.changes.append((meta[2].decode(), meta[3].decode(), fields[i + 1]))
            entries.append(entry)
        return entries

    def commits_between(
        self, tip: str, exclude: Sequence[str], limit: int
    ) -> list[tuple[str, float]]:
        """(commit, commit time) reachable from ``tip``, not from ``exclude``; newest first."""
        if tip in exclude:  # none, without asking git (a joining machine's first pull)
            return []
        walk = _walk_of(self.git_dir, tip, exclude)
        if walk is not None and len(walk.commits) <= 1:
            times = [_commit_time_stored(self.git_dir, c) for c in walk.commits]
            if None not in times:
                return [(c, t) for c, t in zip(walk.commits, times, strict=True) if t is not None]
        out = self.out(["log", f"-n{limit}", "--format=%H %ct", tip, *(f"^{e}" for e in exclude)])
        return [(c, float(t)) for c, t in (line.split() for line in out.splitlines())]

    def disk_usage(self, tip: str, exclude: Sequence[str]) -> int:
        """Bytes the objects reachable from ``tip`` and from none of ``exclude`` take here
        (packed or loose): about what a fetch or push of them moves."""
        if tip in exclude:  # none, as in commits_between
            return 0
        walk = _walk_of(self.git_dir, tip, exclude)
        if walk is not None:
            return walk.disk  # summed from the same walk's objects (git: "equivalent")
        args = ["rev-list", "--objects", "--disk-usage", tip, *(f"^{e}" for e in exclude)]
        return int(self.out(args).strip() or 0)

    def blob_sizes(self, oids: Iterable[str]) -> dict[str, int]:
        """Stored size of each existing object."""
        wanted = sorted(set(oids))
        if not wanted:
            return {}
        out = self.run(
            ["cat-file", "--batch-check=%(objectname) %(objectsize)"],
            input="".join(f"{o}\n" for o in wanted).encode(),
        ).stdout.decode()
        sizes = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                sizes[parts[0]] = int(parts[1])
        return sizes

    def config_list(self) -> dict[str, str]:
        """The sync repo's own config (names lower-cased, as git prints them)."""
        if _CONFIG_LIST not in self.reads:
            # Every scope at once (one process): config_get answers other names from it.
            out = self.run(["config", "--list", "--show-scope", "-z"]).stdout
            fields = out.decode("utf-8", "replace").split("\0")
            local: dict[str, str] = {}
            every: dict[str, str | None] = {}
            for scope, item in zip(fields[0::2], fields[1::2], strict=False):
                name, newline, value = item.partition("\n")
                every[name] = value if newline else None
                if scope == "local" and newline:
                    local[name] = value
            self.reads[_CONFIG_LIST] = local
            self.reads[_CONFIG_ALL] = every
        return dict(cast("dict[str, str]", self.reads[_CONFIG_LIST]))

    # -- the remote ----------------------------------------------------------

    def add_remote(self, url: str) -> None:
        self.run(["remote", "add", REMOTE, url])

    def set_remote_url(self, url: str) -> None:
        self.run(["remote", "set-url", REMOTE, url])

    def store_object(self, kind: str, data: bytes) -> str:
        """Write ``data`` as an object of type ``kind``, exactly these bytes; its id."""
        args = ["hash-object", "-w", "--no-filters", "-t", kind, "--stdin"]
        return self.out(args, input=data).strip()

    def replace_branch_at(self, url: str, new: str, expected: str) -> bool:
        """Set the branch of the repository at ``url`` to ``new`` if it is still at
        ``expected`` (a lease); False if it moved."""
        proc = run_remote(
            ["git", "push", "--porcelain", f"--force-with-lease={LOCAL_REF}:{expected}",
             url, f"{new}:{LOCAL_REF}"],
            env=self.env(), cwd=self.cwd, url=url, limits=self.limits, what="push",
        )  # fmt: skip
        if proc.returncode == 0:
            return True
        if any(
            sign in (proc.stdout + proc.stderr).decode("utf-8", "replace") for sign in _LEASE_LOST
        ):
            return False
        raise GitError(
            self.describe_failure(f"the remote {scrub(url)} refused the push", proc.stderr)
        )

    def fetch_branch(self) -> str | None:
        """Fetch the remote's branch into REMOTE_REF; its tip, or None if it has none yet."""
        known = self.rev(REMOTE_REF)
        told, tip = self._tip_on_this_disk()
        if told and tip == known:
            return known  # nothing new: a fetch would only say so, in a dozen times the time
        url, proc = self.talk(
            ["fetch", "--quiet", "--progress", "--no-tags", "--prune", REMOTE,
             f"+{LOCAL_REF}:{REMOTE_REF}"],
            what="fetch",
        )  # fmt: skip
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            if f"couldn't find remote ref {LOCAL_REF}" in stderr:
                return None
            if _KEY_MOVED in stderr:  # the helper's own line says what to do (remote/helper.py)
                raise GitError(cause(proc.stderr))
            if re.search(_FSCK_FINDING, proc.stderr) or b"fsck error" in proc.stderr:
                raise GitError(
                    f"the remote {url} sent objects that fail git's integrity checks (fsck), "
                    f"nothing was changed: {cause(proc.stderr)}"
                )
            raise GitError(
                self.describe_failure(f"cannot reach the remote {url}: fetch", proc.stderr)
                + self.limits.hint(proc.stderr)
            )
        return self.rev(REMOTE_REF)

    def _tip_on_this_disk(self) -> tuple[bool, str | None]:
        """The branch of a remote that is a repository on this disk (the default one), read
        in place as the launcher reads it (bin/git-claude-sync): (True, its tip, or None if
        it has no branch yet); (False, None) for any other remote, or if it cannot tell."""
        url = self.remote_url() or ""
        if not url.startswith("/") or not os.path.isfile(os.path.join(url, "HEAD")):
            return False, None
        proc = subprocess.run(
            ["git", "--git-dir", url, "rev-parse", "-q", "--verify", LOCAL_REF],
            capture_output=True,
            env={**_plain_env(), "LC_ALL": "C"},
        )
        tip = proc.stdout.decode("ascii", "replace").strip()
        if proc.returncode == 0 and _OBJECT_ID.fullmatch(tip):
            return True, tip
        return (proc.returncode == 1 and not tip and not proc.stderr), None  # 1: no such ref

    def push_branch(
        self,
        commit: str,
        *,
        progress: bool = False,
        lease: str | None = None,
        env: Mapping[str, str] | None = None,
        to: str = REMOTE,
        compression: int | None = None,
    ) -> bool:
        """Send ``commit`` as the remote's branch (``to``: another URL); False if the
        remote moved meanwhile.

        ``lease``: replace the branch even if ``commit`` does not descend from it,
        provided the remote's branch is still exactly ``lease`` (--force-with-lease).
        """
        # ``compression``: the pack's deflate level for this push alone (engine/pack_compression).
        level = [] if compression is None else ["-c", f"pack.compression={compression}"]
        args = [*level, "push", "--porcelain", "--progress"]
        if lease is not None:
            args.append(f"--force-with-lease={LOCAL_REF}:{lease}")
        url, proc = self.talk(
            [*args, to, f"{commit}:{LOCAL_REF}"], what="push", echo=progress, env=env
        )
        if to != REMOTE:
            url = scrub(to)
        out = proc.stdout.decode("utf-8", "replace")
        if proc.returncode == 0:
            return True
        if _KEY_MOVED in proc.stderr.decode("utf-8", "replace"):
            raise GitError(cause(proc.stderr))
        if any(sign in out for sign in _REMOTE_MOVED):
            _clear_lock_left_by_a_killed_push(proc.stderr, to if to != REMOTE else url)
            return False
        refused = re.search(_REMOTE_REFUSED, out + proc.stderr.decode("utf-8", "replace"))
        if refused:
            raise GitError(
                f"the remote {url} refused the push ({refused.group(1)}): {cause(proc.stderr)}"
            )
        raise GitError(
            self.describe_failure(
                f"cannot reach the remote {url}: push", proc.stderr or out.encode()
            )
            + self.limits.hint(proc.stderr)
        )

    def passthrough(self, args: Sequence[str]) -> int:
        """Plain ``git ARGS`` on the sync repo, on the user's terminal; its exit code."""
        return subprocess.call(["git", *args], env=self.env(), cwd=self.cwd)

    # -- the index, for the clean filter ---------------------------------------

    def index_blobs(self) -> IndexBlobs:
        return IndexBlobs(self.git_dir)


#: The index as ``Git._index_listing`` gives it: (``ls-files -v`` tag, path, mode, blob id).
_Listing = list[tuple[bytes, bytes, str, str]]


@dataclass(frozen=True)
class _Marks:
    """What the questions asked of a whole index listing want of it, found in one pass
    and kept beside it (``Git._marks``): each was a pass over a 1 GiB tree's 13k
    entries, two of them twice a push, and a sort of 10k paths."""

    paths: list[bytes]  # each once, in git's order
    skip_worktree: list[bytes]  # tagged ``S`` (skip-worktree, not assume-unchanged)
    assume_unchanged: list[bytes]  # tagged lower-case, in git's order
    unusual: dict[bytes, str]  # path -> mode, for modes other than 100644 and 100755

    @staticmethod
    def of(listing: _Listing) -> _Marks:
        paths = [path for _tag, path, _mode, _oid in listing]
        skip_worktree, assume_unchanged = [], []
        unusual = {}
        unmerged = False
        for tag, path, mode, _oid in listing:
            if tag != b"H":
                if tag == b"S":
                    skip_worktree.append(path)
                elif tag.islower():
                    assume_unchanged.append(path)
                unmerged = unmerged or tag in (b"M", b"m")
            if mode != "100644" and mode != "100755":
                unusual[path] = mode
        if unmerged:  # an unmerged path's stages, one after the other
            paths = list(dict.fromkeys(paths))
        return _Marks(paths, skip_worktree, assume_unchanged, unusual)


def _listing_of_index(data: bytes) -> list[tuple[bytes, bytes, str, str]] | None:
    """What ``ls-files -s -v -z`` lists (``_parse_listing``), read from the index file's
    bytes: a process and its output's parse took ~18 ms of a 13k-entry index, this ~8.
    Tags as ls-files gives them: ``M`` for an unmerged stage, else ``S`` for
    skip-worktree, else ``H``; lower-case when assume-unchanged.  None for what only git
    reads whole: not version 2 or 3, a bad checksum (as ``index_entries``), a split index
    (its ``link`` extension names another file's entries), a sparse one (``sdir``:
    folders as entries)."""
    hash_len = _index_hash_len(data)
    if hash_len is None:
        return None
    (count,) = struct.unpack_from(">I", data, 8)
    end = len(data) - hash_len
    fixed = 42 + hash_len  # the stat data, the mode, the id and the flags
    unpack = struct.Struct(f">26xH12x{hash_len}sH").unpack_from  # mode, id, flags
    modes: dict[int, str] = {}
    listing: list[tuple[bytes, bytes, str, str]] = []
    append = listing.append  # ~13k calls: the loop's lookups are a good part of its time
    tags = _TAGS
    offset = 12
    for _ in range(count):
        start = offset + fixed
        if start > end:
            return None
        mode, oid, flags = unpack(data, offset)  # of the mode's 32 bits, git uses 16
        key = flags >> 12  # assume-valid, extended, stage
        if flags & 0x4000:  # extended flags follow: skip-worktree's bit among them
            key |= (data[start] & 0x40) >> 2
            start += 2
        # The name's length is in the flags' low 12 bits (0xFFF: that long or longer);
        # its NUL is checked, as the find that takes over for a longer one would see it.
        stop = start + (flags & 0xFFF)
        if flags & 0xFFF == 0xFFF or stop >= end or data[stop]:
            stop = data.find(b"\0", start, end)
            if stop < 0:
                return None
        if mode not in modes:
            modes[mode] = f"{mode:06o}"
        append((tags[key], data[start:stop], modes[mode], oid.hex()))
        offset += (stop - offset + 8) & ~7  # NUL-padded to a multiple of 8
    while offset + 8 <= end:  # the extensions
        if data[offset : offset + 4] in (b"link", b"sdir"):
            return None
        offset += 8 + struct.unpack_from(">I", data, offset + 4)[0]
    return listing if offset == end else None


def _tag(key: int) -> bytes:
    """``ls-files -v``'s tag of an entry whose flags' top 4 bits (assume-valid,
    extended, stage) are ``key``'s low 4, skip-worktree its fifth."""
    tag = b"M" if key & 0x3 else b"S" if key & 0x10 else b"H"
    return tag.lower() if key & 0x8 else tag


_TAGS = [_tag(key) for key in range(32)]


_STAT_DATA = struct.Struct(">10I")


def _unmarked_stat(data: bytes) -> dict[bytes, tuple[int, ...]] | None:
    """``IndexStat.entries`` of an index file's bytes, walked as ``_listing_of_index``
    walks them (its own loop: the listing's is a push's hottest); None for what that
    leaves to git, an unmerged entry, an entry intent to add, extended flags unknown."""
    hash_len = _index_hash_len(data)
    if hash_len is None:
        return None
    (count,) = struct.unpack_from(">I", data, 8)
    end = len(data) - hash_len
    flags_at = 40 + hash_len
    found = []
    offset = 12
    for _ in range(count):
        start = offset + flags_at + 2
        if start > end:
            return None
        flags = data[start - 2] << 8 | data[start - 1]
        extended = 0
        if flags & 0x4000:
            extended = data[start] << 8 | data[start + 1]
            start += 2
        if flags & 0x3000 or extended & ~0x4000:  # unmerged; intent to add, or unknown
            return None
        stop = start + (flags & 0xFFF)
        if flags & 0xFFF == 0xFFF or stop >= end or data[stop]:
            stop = data.find(b"\0", start, end)
            if stop < 0:
                return None
        if not (flags & 0x8000 or extended):  # assume-unchanged, skip-worktree: not looked at
            found.append((data[start:stop], offset))
        offset += (stop - offset + 8) & ~7
    while offset + 8 <= end:
        if data[offset : offset + 4] in (b"link", b"sdir"):
            return None
        offset += 8 + struct.unpack_from(">I", data, offset + 4)[0]
    if offset != end:
        return None
    unpack = _STAT_DATA.unpack_from
    return {path: unpack(data, at) for path, at in found}


def _parse_listing(out: bytes) -> list[tuple[bytes, bytes, str, str]]:
    """``ls-files -s -v -z`` records, ``<tag> <mode> <id> <stage>\t<path>``: fields of
    fixed widths (a one-letter tag, ``%06o``, the full id, one digit), so sliced where
    the first record puts them, not split (~25% of a 13k-entry listing's parse)."""
    records = out.split(b"\0")
    records.pop()  # after the last NUL
    if not records:
        return []
    tab = records[0].find(b"\t")
    if tab == 51 or tab == 75:  # a SHA-1 or SHA-256 id: each record as wide
        return [
            (record[:1], record[tab + 1 :], record[2:8].decode(), record[9 : tab - 2].decode())
            for record in records
        ]
    listing = []  # never met: split as the fields come
    for record in records:
        meta, path = record.split(b"\t", 1)
        tag, mode, oid, _stage = meta.decode().split()
        listing.append((tag.encode(), path, mode, oid))
    return listing


def _listing_after(
    listed: list[tuple[bytes, bytes, str, str]], changes: Mapping[bytes, tuple[str, str] | None]
) -> list[tuple[bytes, bytes, str, str]] | None:
    """The index listing after ``update-index --index-info`` set ``changes``: a path set
    gets a new entry (no mark: ``H``), a path removed is gone.  None where git would
    also drop other entries (a file put where a folder's entries are, or under a path
    that is a file): the listing is then asked again.  ``listed`` is in git's order
    (bytewise by path), as the result is.  Each path is found by bisection: a push
    changes a few entries of ~13k, and passes over the whole listing took ~7 ms."""
    added = {path for path, entry in changes.items() if entry is not None}
    added_folders = {path[:end] for path in added for end in _slashes(path)}
    for path in added:
        below = bisect.bisect_left(listed, path + b"/", key=_path_of)
        if (
            path in added_folders
            or (below < len(listed) and listed[below][1].startswith(path + b"/"))
            or any(
                _at(listed, path[:end]) is not None or path[:end] in added for end in _slashes(path)
            )
        ):
            return None
    after = list(listed)
    for path, entry in changes.items():
        at = bisect.bisect_left(after, path, key=_path_of)
        there = at < len(after) and after[at][1] == path
        if entry is None:
            if there:
                del after[at]
        elif there:
            after[at] = (b"H", path, entry[0], entry[1])
        else:
            after.insert(at, (b"H", path, entry[0], entry[1]))
    return after


def _path_of(entry: tuple[bytes, bytes, str, str]) -> bytes:
    return entry[1]


def _at(listing: list[tuple[bytes, bytes, str, str]], path: bytes) -> int | None:
    """Where ``path``'s entry is in ``listing`` (git's order), if it has one."""
    at = bisect.bisect_left(listing, path, key=_path_of)
    return at if at < len(listing) and listing[at][1] == path else None


def _retagged(
    listing: list[tuple[bytes, bytes, str, str]],
    paths: Iterable[bytes],
    retag: Callable[[bytes], bytes],
) -> list[tuple[bytes, bytes, str, str]]:
    """``listing`` with the tag of each of ``paths`` that has an entry made ``retag(tag)``."""
    after = list(listing)
    for path in paths:
        at = _at(after, path)
        if at is not None:
            tag, _path, mode, oid = after[at]
            after[at] = (retag(tag), path, mode, oid)
    return after


def _marked(
    listing: list[tuple[bytes, bytes, str, str]], paths: set[bytes], *, on: bool
) -> list[tuple[bytes, bytes, str, str]]:
    """``listing`` with ``paths`` marked assume-unchanged (lower-case tag) or not."""
    return _retagged(listing, paths, bytes.lower if on else bytes.upper)


_CACHEINFO_MAX = 64  # paths on one command line; more go through stdin


def _cacheinfo_will_do(
    changes: Mapping[bytes, tuple[str, str] | None], marks: Sequence[bytes]
) -> bool:
    """Whether one ``update-index --cacheinfo ... --assume-unchanged PATHS`` does what
    ``--index-info`` then a marking would: no removal, few paths, none an option."""
    return (
        0 < len(changes) + len(marks) <= _CACHEINFO_MAX
        and all(entry is not None for entry in changes.values())
        and not any(path.startswith(b"-") or not path for path in marks)
    )


def _slashes(path: bytes) -> list[int]:
    """Where each of ``path``'s parent folders ends."""
    return [i for i, byte in enumerate(path) if byte == 0x2F]


@dataclass
class UntrackedListing:
    """``Git.untracked_listing``'s git, running."""

    proc: subprocess.Popen[bytes]
    describe_failure: Callable[[str, bytes], str]

    def paths(self) -> list[bytes]:
        out, err = self.proc.communicate()
        if self.proc.returncode != 0:
            raise GitError(self.describe_failure("git ls-files", err))
        return [name for name in out.split(b"\0") if name]


@dataclass
class LogEntry:
    """One commit of ``Git.log``, with the files it changed."""

    commit: str
    parents: list[str]
    at: float
    author: str
    subject: str
    changes: list[tuple[str, str, bytes]]  # (old blob id, new blob id, path); zeros: none
    seal: str = ""  # the sealed state's base64 (docs/spec/state.md); empty: unsealed
    tree: str = ""

    def sealed(self) -> tuple[bytes, str, list[str], int, str]:
        """What opening its seal takes (``state_seal.open_logged``): the seal, and the
        fields of the commit a version 2 seal authenticates."""
        return self.seal.encode(), self.tree, self.parents, int(self.at), self.subject


class IndexBlobs:
    """The blobs the sync repo's index holds, for the clean filter's stable ciphertext.

    Asked of one ``git cat-file --batch-check`` for ``:0:<path>`` (the explicit stage, so
    that a path like ``1:x`` is not read as one) and read through one ``cat-file
    --batch``, each started at its first use and kept for the filter process's life:
    importing pygit2 for this cost the filter ~50 ms of its ~110 ms start (issue 8).
    ``cat-file`` reads the index once; a changed index file (a later ``git add``, or
    another ``GIT_INDEX_FILE``) gets a new one.  ``index_file`` is the index git works
    on; by default ``GIT_INDEX_FILE`` as git gave it to the filter process, else the
    repo's own.
    """

    def __init__(self, git_dir: Path, index_file: Path | None = None) -> None:
        self.git_dir = git_dir
        self.index_file = index_file
        self._check: subprocess.Popen[bytes] | None = None
        self._batch: subprocess.Popen[bytes] | None = None
        self._stamp: tuple[str, int, int] | None = None

    def _locate(self, path: bytes) -> tuple[str, int] | None:
        """The id and size of the stage-0 blob the index holds for ``path``."""
        # cat-file reads a request up to a newline and drops a CR before it: such a name
        # gets no previous blob, which costs a re-encryption of that file, never data.
        if not path or b"\n" in path or path.endswith(b"\r"):
            return None
        index_file = os.path.abspath(
            self.index_file or os.environ.get("GIT_INDEX_FILE") or self.git_dir / "index"
        )
        try:
            st = os.stat(index_file)
        except FileNotFoundError:
            return None
        stamp = (index_file, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            _end(self._check)
            self._check = None
            self._stamp = stamp
        if self._check is None:
            env = {**_plain_env(), "GIT_INDEX_FILE": index_file}
            self._check = self._cat_file("--batch-check", env)
        reply = self._ask(self._check, b":0:" + path)
        if reply is None:
            _end(self._check)
            self._check = None
            return None
        fields = reply.split()
        if len(fields) != 3 or fields[1] != b"blob" or not fields[2].isdigit():  # missing
            return None
        return fields[0].decode(), int(fields[2])

    def previous(self, path: bytes) -> bytes | None:
        """The blob whole, however large (the pygit2 filter, filters/libgit2.py)."""
        found = self._locate(path)
        return None if found is None else self._read(*found)

    def stored(self, path: bytes) -> bytes | StoredBlob | None:
        """As ``previous``, but a blob over ``STREAM_ABOVE`` bytes comes as a ``StoredBlob``."""
        found = self._locate(path)
        if found is None:
            return None
        oid, size = found
        if size > STREAM_ABOVE:
            return StoredBlob(self.git_dir, oid, size)
        return self._read(oid, size)

    def _read(self, oid: str, size: int) -> bytes | None:
        loose = _read_loose(self.git_dir, oid, size)
        if loose is not None:  # what git add just stored: no cat-file --batch to start
            return loose
        if self._batch is None:
            self._batch = self._cat_file("--batch", _plain_env())
        proc = self._batch
        reply = self._ask(proc, oid.encode())
        assert proc.stdout is not None
        if reply is not None and reply.split()[1:] == [b"blob", str(size).encode()]:
            data = proc.stdout.read(size + 1)  # the content, then a newline
            if len(data) == size + 1:
                return data[:size]
        _end(proc)
        self._batch = None  # missing, or the process died: out of step, never reused
        return None

    def _cat_file(self, mode: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["git", f"--git-dir={self.git_dir}", "cat-file", mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )

    @staticmethod
    def _ask(proc: subprocess.Popen[bytes], request: bytes) -> bytes | None:
        """cat-file's header line for ``request``; None if the process is gone."""
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request + b"\n")
            proc.stdin.flush()
        except OSError:
            return None
        line = proc.stdout.readline()
        return line if line.endswith(b"\n") else None

    def close(self) -> None:
        _end(self._check)
        self._check = None
        _end(self._batch)
        self._batch = None


def _read_loose(git_dir: Path, oid: str, size: int) -> bytes | None:
    """A loose blob's content, inflated here; None unless it is a loose blob of ``size``."""
    found = _loose_object(git_dir, oid, largest=size)
    return found[2] if found is not None and found[:2] == (b"blob", size) else None


# Objects a push reads back are few and mostly just stored loose (the previous push's
# session blob, the parent commit, the blobs verified before sending): inflated here,
# each spares a ``cat-file --batch`` process (~3 ms).  Many go to one cat-file, which
# reads them faster than a file open each here; a large one to its streaming reader.
_LOOSE_FEW = 16
_LOOSE_FILE_MAX = 8 << 20


def _few_loose(
    git_dir: Path, wanted: Sequence[str], limit: int | None, spool_above: int | None
) -> dict[str, bytes]:
    """The content (or its first ``limit`` bytes) of each of ``wanted`` that is a small
    loose object here, of any type, as ``cat-file --batch`` would give it."""
    if len(wanted) > _LOOSE_FEW:
        return {}
    found = {}
    for oid in wanted:
        content = _loose_content(git_dir, oid, limit, spool_above)
        if content is not None:
            found[oid] = content
    return found


def _few_loose_checks(git_dir: Path, oids: Sequence[str]) -> str | None:
    """``cat-file --batch-check`` 's lines ``<id> <type> <size> <size on disk>`` for a few
    objects all loose here (a push's lone commit and what it made: write-tree and the
    clean step store loose), read from their first bytes; None if any is not: cat-file
    answers then (a cat-file process was ~3-5 ms of an append push).  git stores no
    object it has, so a new one is only loose, until a repack, whose prune-packed
    removes the loose copies (gc runs it; so does ``CallerRepo.pack_large_loose``)."""
    if not oids or len(oids) > _LOOSE_FEW:
        return None
    lines = []
    for oid in oids:
        if not _OBJECT_ID.fullmatch(oid):
            return None
        try:
            with open(git_dir / "objects" / oid[:2] / oid[2:], "rb") as file:
                disk = os.fstat(file.fileno()).st_size
                head = zlib.decompressobj().decompress(file.read(4096), 64)
            kind, size = head[: head.index(b"\0")].decode().split(" ")
        except (OSError, zlib.error, ValueError, UnicodeDecodeError):
            return None
        if kind not in ("commit", "tree", "blob", "tag") or not size.isdigit():
            return None
        lines.append(f"{oid} {kind} {int(size)} {disk}\n")
    return "".join(lines)


def _loose_content(
    git_dir: Path, oid: str, limit: int | None, spool_above: int | None
) -> bytes | None:
    # Larger than spool_above: cat-file spools it.
    found = _loose_object(git_dir, oid, limit, largest=spool_above, file_max=_LOOSE_FILE_MAX)
    return None if found is None else found[2]


def _loose_object(
    git_dir: Path,
    oid: str,
    limit: int | None = None,
    *,
    largest: int | None = None,
    file_max: int | None = None,
) -> tuple[bytes, int, bytes] | None:
    """(type, size, content or its first ``limit`` bytes) of a loose object here, inflated
    in process; None if ``oid`` is a name, not an id, if the object is packed, missing or
    damaged, or larger than ``largest`` (its file than ``file_max``): cat-file answers."""
    if not _OBJECT_ID.fullmatch(oid):
        return None
    try:
        with open(git_dir / "objects" / oid[:2] / oid[2:], "rb") as file:
            if file_max is not None and os.fstat(file.fileno()).st_size > file_max:
                return None
            compressed = file.read()
        inflate = zlib.decompressobj()
        head = inflate.decompress(compressed, 64)
        end = head.index(b"\0")
        kind, size_text = head[:end].split(b" ")
        size = int(size_text)
        if largest is not None and size > largest:
            return None
        want = size if limit is None else min(size, limit)
        content = head[end + 1 :] + inflate.decompress(inflate.unconsumed_tail, max(want, 1))
    except (OSError, zlib.error, ValueError, IndexError):
        return None
    content = content[:want]
    return (kind, size, content) if len(content) == want else None


def _tree_replacing(
    git: Git, tree: str, blobs: Mapping[bytes, bytes], prefix: bytes = b""
) -> str | None:
    """``tree`` (at ``prefix``) with the blob ids of files under it replaced (path ->
    binary id; each a file there already, of the mode it keeps), written as loose
    objects; its new id, or None (``Git._tree_from_head``)."""
    found = _loose_object(git.git_dir, tree)
    if found is None or found[0] != b"tree":
        return None
    data = found[2]
    here = {path[len(prefix) :]: oid for path, oid in blobs.items() if path.startswith(prefix)}
    folders = {name.partition(b"/")[0] for name in here if b"/" in name}
    parts = []
    replaced = 0
    at = 0
    while at < len(data):  # "<mode> <name>\0<binary id>", sorted as git sorts them
        space = data.find(b" ", at)
        nul = data.find(b"\0", space)
        if space < 0 or nul < 0 or nul + 21 > len(data):
            return None
        mode, name, oid = data[at:space], data[space + 1 : nul], data[nul + 1 : nul + 21]
        at = nul + 21
        if name in here and mode in (b"100644", b"100755"):
            oid = here[name]
            replaced += 1
        elif name in folders and mode == b"40000":
            sub = _tree_replacing(git, oid.hex(), here, name + b"/")
            if sub is None:
                return None
            oid = bytes.fromhex(sub)
            replaced += sum(1 for path in here if path.startswith(name + b"/"))
        parts.append(mode + b" " + name + b"\0" + oid)
    if replaced != len(here):
        return None  # a path not a file of this tree: git says what it is
    return git._write_loose(b"tree", b"".join(parts))


#: How long a ref lock on a remote on this disk must stay the very same file to count as
#: left by a killed push: git holds one for the milliseconds of a ref update.
STALE_REMOTE_LOCK_SECONDS = 2.0


def _clear_lock_left_by_a_killed_push(stderr: bytes, url: str) -> None:
    """Remove the ref lock a push just found taken on a remote on this disk, if it is one
    a killed push left: else every later push fails on it, taken for a remote that keeps
    moving, until someone removes it by hand.  Only a lock inside that remote's folder,
    and only if it stays the same file for ``STALE_REMOTE_LOCK_SECONDS`` (watched, not
    dated: another machine's clock may differ); one that goes or changes is a push at
    work, and the next attempt goes through."""
    held = re.search(_LOCK_EXISTS, stderr.decode("utf-8", "replace"))  # as ``cause`` finds it
    remote = url[len("file://") :] if url.startswith("file://") else url
    if held is None or not os.path.isabs(remote) or not os.path.isdir(remote):
        return
    lock = os.path.realpath(held.group(1))
    if not lock.startswith(os.path.join(os.path.realpath(remote), "")):
        return
    try:
        first = os.stat(lock)
        deadline = time.monotonic() + STALE_REMOTE_LOCK_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = os.stat(lock)
            if (now.st_ino, now.st_mtime_ns, now.st_size) != (
                first.st_ino, first.st_mtime_ns, first.st_size
            ):  # fmt: skip
                return
        os.unlink(lock)
    except OSError:
        return  # gone meanwhile: released
    sys.stderr.write(
        f"git-claude-sync: warning: removed {printable(lock)}, a lock a killed push left "
        "on the remote\n"
    )


def _end(proc: subprocess.Popen[bytes] | None) -> None:
    """A ``cat-file`` asked through its pipes, ended: its stdin closed is its end."""
    if proc is not None:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        proc.wait()


# Packs read through a few small windows: the pages of a mapped window count as a
# process's memory, and git's default maps 1 GiB windows, up to 8 GiB of them, so a
# process reading one large blob from a pack held all of it (issue 9).  Given to every
# git that reads a large file's pack: cat-file's streamed blobs, a push's pack-objects
# through the remote helper, the git host's scratch repo, the local remote init makes
# (engine/sync_repo).  The sync repo keeps git's default for its many small reads.
SMALL_PACK_WINDOWS = {
    "core.packedGitWindowSize": str(4 << 20),
    "core.packedGitLimit": str(8 << 20),
}


def _options(settings: Mapping[str, str]) -> tuple[str, ...]:
    """``settings`` as ``git -c NAME=VALUE`` options, for one command."""
    return tuple(arg for name, value in settings.items() for arg in ("-c", f"{name}={value}"))


# git cat-file streams a packed, undeltified blob over core.bigFileThreshold (512 MiB by
# default) instead of inflating it whole, and through small pack windows.  Only for
# reading: packing uses the repo's own, BIG_FILE_THRESHOLD, below which an append to a
# session travels as a delta.
_STREAM_BLOBS = ("-c", "core.bigFileThreshold=1m", *_options(SMALL_PACK_WINDOWS))

#: Trees listed by ``Git.ls_tree``, by repository and the id they were asked by.
_TREES: dict[tuple[Path, str], dict[bytes, tuple[str, str]]] = {}
_TREES_KEPT = 4  # a sync's base, both tips and its merge; a large tree's listing is MBs

#: ``Git.is_ancestor``'s answers between commits named by id.
_ANCESTRY: dict[tuple[Path, str, str], bool] = {}
_ANCESTRY_KEPT = 256

#: Commits this process stored, by repository and id (``store_commit``).
_STORED: dict[tuple[Path, str], bytes] = {}
_STORED_KEPT = 64  # the newest ones: a push reads back only what it just made


@dataclass(frozen=True)
class _Walk:
    """What ``objects_to_send`` found of the objects reachable from a tip and not from the
    remote's: facts of immutable objects, kept for the push's later questions about the
    same commits (the seal's commit list, the pack's size, the metrics' size and
    commits), each of which walked them again in a git process of its own.  For a lone
    commit (``_lone_objects``) the objects may be a few more than rev-list's: the size
    is then an upper bound, as measurement may be."""

    commits: list[str]  # in rev-list's order (newest first, as log)
    sizes: dict[str, int]  # blob -> size
    disk: int  # bytes every object listed takes here: rev-list --disk-usage's answer
    diff: bytes | None  # diff-tree -z of the only commit against remote_tip, its parent


_WALKS: dict[tuple[Path, str, str | None], _Walk] = {}
_WALKS_KEPT = 4


def _remember_walk(git_dir: Path, tip: str, remote_tip: str | None, walk: _Walk) -> None:
    _WALKS[git_dir, tip, remote_tip] = walk
    if len(_WALKS) > _WALKS_KEPT:
        del _WALKS[next(iter(_WALKS))]


def _walk_of(git_dir: Path, tip: str, exclude: Sequence[str]) -> _Walk | None:
    if len(exclude) > 1 or not _OBJECT_ID.fullmatch(tip):
        return None
    return _WALKS.get((git_dir, tip, exclude[0] if exclude else None))


def _stored_header(git_dir: Path, commit: str) -> list[bytes]:
    """The header lines of a commit this process stored (``store_commit``); [] if another."""
    raw = _STORED.get((git_dir, commit))
    return [] if raw is None else raw.split(b"\n\n", 1)[0].split(b"\n")


def _parents_stored(git_dir: Path, commit: str) -> list[str]:
    """The parents of a commit this process stored (``store_commit``); [] if another."""
    header = _stored_header(git_dir, commit)
    return [line[7:].decode() for line in header if line.startswith(b"parent ")]


def _lone_commit(git_dir: Path, tip: str, remote_tip: str | None) -> str | None:
    """The root tree of ``tip`` if it is a commit this process made with ``remote_tip``
    as its only parent (an append's push), else None."""
    header = _stored_header(git_dir, tip)
    if remote_tip is None or not header or _parents_stored(git_dir, tip) != [remote_tip]:
        return None
    return header[0][5:].decode() if header[0].startswith(b"tree ") else None


def _commit_time_stored(git_dir: Path, commit: str) -> float | None:
    """The committer time (``%ct``) of a commit this process stored; None if another."""
    for line in _stored_header(git_dir, commit):
        if line.startswith(b"committer "):
            with contextlib.suppress(ValueError, IndexError):
                return float(line.rsplit(b" ", 2)[1])
    return None


# A stored blob larger than this is streamed from git rather than read whole (IndexBlobs).
STREAM_ABOVE = 8 << 20


class StoredBlob:
    """A blob of the sync repo read as a stream (``crypto.codec.Stored``): a large one
    is never held whole.  A loose object is inflated here a block at a time (git's own
    reader maps the whole file, which counts as resident memory); a packed one comes from
    ``git cat-file``, which streams an undeltified blob over ``core.bigFileThreshold``
    through small pack windows, one reader's at a time.  ``close`` ends what is still
    open."""

    def __init__(self, git_dir: Path, oid: str, size: int) -> None:
        self.git_dir = git_dir
        self.oid = oid
        self.size = size
        self._open: list[IO[bytes]] = []
        self._procs: list[subprocess.Popen[bytes]] = []

    def reader(self) -> Callable[[int], bytes]:
        loose = self.git_dir / "objects" / self.oid[:2] / self.oid[2:]
        try:
            file = loose.open("rb")
        except OSError:
            return self._from_git()
        self._open.append(file)
        return _inflated(file)

    def _from_git(self) -> Callable[[int], bytes]:
        # Its readers are read one after another (filters/clean.clean_into), and one left
        # part-way (a header check) kept its git blocked on the pipe, holding a delta's base
        # and result (~2x the blob) beside the next one's: the earlier ones end here.
        self._end_processes()
        proc = subprocess.Popen(
            [
                "git",
                f"--git-dir={self.git_dir}",
                *_STREAM_BLOBS,
                *("cat-file", "blob", self.oid),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_plain_env(),
        )
        self._procs.append(proc)
        assert proc.stdout is not None
        return proc.stdout.read

    def close(self) -> None:
        for file in self._open:
            file.close()
        self._open = []
        self._end_processes()

    def _end_processes(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
            proc.wait()
        self._procs = []


def _inflated(file: IO[bytes]) -> Callable[[int], bytes]:
    """A reader of a loose object's content: zlib of ``<type> <size>\\0`` and the content."""
    inflate = zlib.decompressobj()
    pending = bytearray()
    header = [True]

    def read(size: int) -> bytes:
        while len(pending) < size or header[0]:
            raw = file.read(1 << 16)
            pending.extend(inflate.decompress(raw) if raw else inflate.flush())
            if header[0] and b"\0" in pending:
                del pending[: pending.index(b"\0") + 1]
                header[0] = False
            if not raw:
                break
        out = bytes(pending[:size])
        del pending[:size]
        return out

    return read


_ONLY_SKIP_WORKTREE = b"outside of your sparse-checkout definition"


def _c_quote(path: bytes) -> bytes:
    """A path C-quoted, as ``--stdin-paths`` reads any name (newlines included)."""
    out = bytearray(b'"')
    for byte in path:
        if byte in b'"\\':
            out += b"\\" + bytes([byte])
        elif byte < 0x20 or byte >= 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b'"')


# Above this size git stores a blob whole, never as a delta, and streams it through
# pack-objects, index-pack and unpack-objects instead of holding it (issue 9).  Below it, a
# blob is held whole (~2x in pack-objects), and a session's or history.jsonl's (the only
# paths that may be deltas: engine/sync_repo.DELTA_ATTRIBUTES) costs git's delta search,
# ~5x the blob, which is what an append's cheap push needs.  The largest value at which a
# session whose stored blob is just below it (zstd: ~3.3x smaller than its transcript,
# ~78 MiB) still met its size + 100 MB on push, as did an incompressible file just below
# it (bench/memory.py; bench/README.md, "Measured here").  The cost above it: an append to
# a session sends, and stores, its whole blob again.
BIG_FILE_THRESHOLD = 24 << 20

# What every repository of ours holds: the sync repo (engine/sync_repo.git_settings), the
# local bare remote init makes, whose receive-pack and upload-pack read their own, and the
# git host's scratch repo.  A window of 1: see git_settings; in the remote it also halved
# the upload-pack of a merged session (a 10-wide search held every version in reach).
# Loose objects undeflated: each holds ciphertext (an appended session lands loose, whole,
# once its delta is resolved), which deflating only slows.  A push into the local remote
# is kept as the pack it came in, never unpacked (git's default below 100 objects): the
# remote then sends an appended session's delta as it came, where a loose (resolved)
# version made every pull's upload-pack search for it again, ~5x the blob (issue 9).  The
# disk is the same (index-pack completes the thin pack with its base, as large as the
# loose whole version was); only receive-pack reads it, so the others hold it unused.
BARE_SETTINGS = {
    "core.bigFileThreshold": str(BIG_FILE_THRESHOLD),
    "pack.window": "1",
    "core.looseCompression": "0",
    "receive.unpackLimit": "1",
}


def init_bare(path: Path, settings: Mapping[str, str] | None = None) -> None:
    """Create a bare repository whose branch is ours (the sync repo, the default remote),
    configured with ``BARE_SETTINGS`` and then ``settings`` (in their order)."""
    _init_configured(path, ["-b", BRANCH], {**BARE_SETTINGS, **(settings or {})})


def _init_configured(path: Path, options: Sequence[str], settings: Mapping[str, str]) -> None:
    """``git init --bare`` and the settings a new repository of ours starts with.

    One ``git config`` process a setting cost init ~35 processes; git 2.39 has no way to
    set several at once.  The repository is brand new, its config file the few lines git
    init just wrote, so the settings are written into it in one go, as ``git config``
    would have (``_config_text``: the same bytes), under git's own ``config.lock``.  A
    config this code does not recognise (a template's) gets the ``git config`` processes.
    """
    proc = subprocess.run(
        ["git", "init", "--bare", "-q", *options, str(path)],
        capture_output=True,
        env=_plain_env(),
    )
    if proc.returncode != 0:
        raise GitError(Git.describe_failure("git init", proc.stderr))
    config = path / "config"
    lock = path / "config.lock"
    try:
        with config.open(encoding="utf-8", newline="") as handle:  # its bytes, CRs kept
            text = _config_text(handle.read(), settings)
        if text is not None:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
                os.replace(lock, config)
            finally:
                lock.unlink(missing_ok=True)
            return
    except (OSError, UnicodeError):
        pass  # git config says why, below
    configure_bare(path, settings, defaults=False)


# What git init writes to a config file: section headers and ``<tab>name = value`` lines.
# (Compiled at init's first use, as above.)
_CONFIG_SECTION = r'\[([A-Za-z0-9-]+)(?: "((?:[^"\\\n]|\\.)*)")?\]\n'
_CONFIG_PAIR = r"\t([A-Za-z][A-Za-z0-9-]*) = [^\n]*\n"


def _config_text(text: str, settings: Mapping[str, str]) -> str | None:
    """``text``, a config file as git init wrote it, with ``settings`` set in it as
    ``git config NAME VALUE`` sets each in turn: an existing name's line replaced, a new
    name added at the end of its section, a new section at the end of the file; quoted
    as git quotes.  None if ``text`` holds anything else (comments, blank lines...)."""
    sections: list[tuple[tuple[str, str | None], list[str]]] = [((".", None), [])]
    for line in text.splitlines(keepends=True):
        if header := re.fullmatch(_CONFIG_SECTION, line):
            sub = header[2]
            sub = None if sub is None else re.sub(r"\\(.)", r"\1", sub)
            sections.append(((header[1].lower(), sub), [line]))
        elif re.fullmatch(_CONFIG_PAIR, line) and len(sections) > 1:
            sections[-1][1].append(line)
        else:
            return None
    for key, value in settings.items():
        section, _, rest = key.partition(".")
        sub, dot, name = rest.rpartition(".")
        place = (section.lower(), sub if dot else None)
        valid = re.fullmatch(_CONFIG_SECTION, f"[{section}]\n") and "\n" not in sub
        if not valid or (dot and not sub) or not re.fullmatch(_CONFIG_PAIR, f"\t{name} = \n"):
            return None  # a name git would refuse: let it say so
        pair = f"\t{name} = {_config_quoted(value)}\n"
        lines = next((lines for where, lines in reversed(sections) if where == place), None)
        if lines is None:
            quoted = "" if not dot else ' "' + re.sub(r'(["\\])', r"\\\1", sub) + '"'
            sections.append((place, [f"[{section}{quoted}]\n", pair]))
            continue
        same = [i for i, line in enumerate(lines) if i and _pair_name(line) == name.lower()]
        if len(same) > 1:
            return None  # several values: git config would refuse
        if same:
            lines[same[0]] = pair
        else:
            lines.append(pair)
    return "".join(line for _, lines in sections for line in lines)


def _pair_name(line: str) -> str:
    return line[1:].partition(" = ")[0].lower()


def _config_quoted(value: str) -> str:
    """``value`` as git config writes it (config.c, write_pair)."""
    quote = '"' if value[:1] == " " or value[-1:] == " " or any(c in value for c in ";#") else ""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return quote + escaped.replace("\n", "\\n").replace("\t", "\\t") + quote


def configure_bare(
    path: Path, overrides: Mapping[str, str] | None = None, *, defaults: bool = True
) -> None:
    """Give a bare repository of ours ``BARE_SETTINGS`` (made before they existed, too)
    and ``overrides`` (``defaults`` False: only those)."""
    for name, value in {**(BARE_SETTINGS if defaults else {}), **(overrides or {})}.items():
        proc = subprocess.run(
            ["git", f"--git-dir={path}", "config", name, value],
            capture_output=True,
            env=_plain_env(),
        )
        if proc.returncode != 0:
            raise GitError(Git.describe_failure("git config", proc.stderr))


def check_reachable(url: str, limits: Limits) -> None:
    """Ask ``url`` for its branches: raise, quoting why, if it cannot answer."""
    # Outside any repository: the caller's (a project the user stands in) would get the
    # remote helper's data (its GIT_DIR) otherwise.
    import tempfile  # here, not at start-up (_cat_blobs)

    outside = tempfile.gettempdir()
    proc = run_remote(
        ["git", "ls-remote", "--heads", "--", url],
        env={**_plain_env(), "GIT_CEILING_DIRECTORIES": str(Path(outside).parent)},
        cwd=outside,
        url=url,
        limits=limits,
        what="ls-remote",
    )
    if proc.returncode != 0:
        if b"git-claude-sync: " in proc.stderr:  # our remote helper said why
            raise GitError(Git.describe_failure(f"remote {url}", proc.stderr))
        raise GitError(
            Git.describe_failure(f"cannot reach the remote {url}: ls-remote", proc.stderr)
            + limits.hint(proc.stderr)
        )


def _plain_env() -> dict[str, str]:
    """Outside the sync repo: no GIT_* of the caller, never a prompt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0")
    return env


# A push's pack-objects copies a packed blob through small windows of its pack: a 157 MB
# blob's push held 12 MB instead of 158 (CallerRepo.pack_large_loose).
_PUSH_WINDOWS = _options(SMALL_PACK_WINDOWS)


class CallerRepo:
    """The repository a calling git runs us in (``GIT_DIR`` set): the remote helper's."""

    @staticmethod
    def run(args: Sequence[str], *, input: bytes | None = None, what: str | None = None) -> bytes:
        proc = subprocess.run(["git", *args], input=input, capture_output=True)
        if proc.returncode != 0:
            raise GitError(Git.describe_failure(what or f"git {args[0]}", proc.stderr))
        return proc.stdout

    @classmethod
    def rev_parse(cls, name: str) -> str:
        return cls.run(["rev-parse", "--verify", name]).decode().strip()

    @staticmethod
    def is_ancestor(old: str, new: str) -> bool:
        proc = subprocess.run(["git", "merge-base", "--is-ancestor", old, new], capture_output=True)
        return proc.returncode == 0

    @staticmethod
    def rev_exists(ref: str) -> bool:
        proc = subprocess.run(["git", "rev-parse", "-q", "--verify", ref], capture_output=True)
        return proc.returncode == 0

    @classmethod
    def missing_objects(cls, oids: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return []
        out = cls.run(
            ["cat-file", "--batch-check=%(objectname)"],
            input="".join(f"{o}\n" for o in wanted).encode(),
        ).decode()
        return [line.split()[0] for line in out.splitlines() if line.endswith(" missing")]

    @staticmethod
    def pack_objects_to(
        out: IO[bytes], positives: Sequence[str], negatives: Sequence[str], *, thin: bool
    ) -> None:
        """Write the pack of ``positives`` minus ``negatives`` to the file ``out`` (a pack
        can be as large as the largest file synced: never held here)."""
        args = [*_PUSH_WINDOWS, "pack-objects", "--revs", "--stdout", "--delta-base-offset", "-q"]
        if thin:
            args.append("--thin")
        revs = "".join(f"{p}\n" for p in positives) + "".join(f"^{n}\n" for n in negatives)
        proc = subprocess.run(
            ["git", *args], input=revs.encode(), stdout=out, stderr=subprocess.PIPE
        )
        if proc.returncode != 0:
            raise GitError(Git.describe_failure("pack-objects", proc.stderr))

    @classmethod
    def pack_large_loose(cls) -> None:
        """Move loose objects over ``BIG_FILE_THRESHOLD`` (a large file ``git add`` just
        stored) into a pack, for ``pack_objects_to`` to copy through small windows.

        git streams a loose object to a pack by mapping the whole file, and the mapped
        pages count as its memory: the push's pack-objects held a 157 MB file's blob
        beside the remote helper (a bucket's client: ~60 MB) and the CLI, 10 MB over the
        size + 100 MB of issue 9.  Run first, by the helper alone, it holds the same
        beside less.  Only memory is at stake: a failure leaves the objects loose."""
        git_dir = os.environ.get("GIT_DIR")
        if not git_dir:
            return
        objects = Path(git_dir) / "objects"
        large = []
        with contextlib.suppress(OSError):
            for folder in objects.glob("[0-9a-f][0-9a-f]"):
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_file() and entry.stat().st_size > BIG_FILE_THRESHOLD:
                            large.append(folder.name + entry.name)
        if large:
            with contextlib.suppress(GitError):
                cls.run(
                    ["pack-objects", "-q", str(objects / "pack" / "pack")],
                    input="".join(f"{oid}\n" for oid in large).encode(),
                )
                cls.run(["prune-packed", "-q"])

    @staticmethod
    def index_pack_from(args: Sequence[str], pack: IO[bytes]) -> None:
        """``git index-pack`` reading the pack from the open file ``pack``."""
        proc = subprocess.run(
            ["git", "index-pack", *args], stdin=pack, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        if proc.returncode != 0:
            raise GitError(Git.describe_failure("index-pack of a fetched pack", proc.stderr))

    @staticmethod
    def config_bool(name: str) -> bool | None:
        proc = subprocess.run(["git", "config", "--bool", name], capture_output=True)
        value = proc.stdout.decode().strip()
        return None if not value else value == "true"


# -- a git host as object storage (remote/git_store.py, docs/spec/git-host.md) ------------

# The hidden layout's URLs: claude-sync::git+<any URL git takes>.
HIDDEN_PREFIX = "claude-sync::git+"
# Author and committer of every commit the hidden layout puts on a host: nobody, never.
FIXED_IDENTITY = b"cs <cs@invalid> 1000000000 +0000"


def object_id(kind: bytes, body: bytes) -> str:
    """git's (SHA-1) id of an object of type ``kind`` with this content."""
    return hashlib.sha1(kind + b" %d\x00" % len(body) + body).hexdigest()


def fixed_commit(file_name: bytes, content: bytes, message: bytes) -> list[tuple[bytes, bytes]]:
    """The objects (type, content) of a parentless commit by ``FIXED_IDENTITY`` whose tree
    holds one file: its blob, tree and commit, in that order.  The same bytes give the
    same commit on every machine (docs/spec/git-host.md)."""
    return [(b"blob", content), *fixed_commit_of(file_name, object_id(b"blob", content), message)]


def fixed_commit_of(file_name: bytes, blob: str, message: bytes) -> list[tuple[bytes, bytes]]:
    """``fixed_commit``'s tree and commit, for a blob stored already (its id ``blob``)."""
    tree = b"100644 " + file_name + b"\x00" + bytes.fromhex(blob)
    commit = (
        b"tree " + object_id(b"tree", tree).encode() + b"\n"
        b"author " + FIXED_IDENTITY + b"\n"
        b"committer " + FIXED_IDENTITY + b"\n"
        b"\n" + message
    )
    return [(b"tree", tree), (b"commit", commit)]


def verify_copy(url: str, tip: str, limits: Limits) -> None:
    """Fetch ``url``'s branch into an empty repository and check that it holds ``tip``
    and everything reachable from it; raise, saying what is missing, if not."""
    import tempfile  # here, not at start-up (_cat_blobs)

    with tempfile.TemporaryDirectory(prefix="claude-sync-verify-") as scratch:
        env = _plain_env()
        env.update(GIT_DIR=str(Path(scratch) / "copy.git"), LC_ALL="C")
        init_bare(Path(env["GIT_DIR"]))
        proc = run_remote(
            ["git", "fetch", "--quiet", "--no-tags", url, f"+{LOCAL_REF}:{LOCAL_REF}"],
            env=env, cwd=scratch, url=url, limits=limits, what="fetch",
        )  # fmt: skip
        if proc.returncode != 0:
            raise GitError(Git.describe_failure(f"cannot read back {scrub(url)}", proc.stderr))
        checks = (
            ["merge-base", "--is-ancestor", tip, LOCAL_REF],
            ["rev-list", "--objects", "--quiet", LOCAL_REF],
        )
        for args in checks:
            check = subprocess.run(["git", *args], capture_output=True, env=env, cwd=scratch)
            if check.returncode != 0:
                raise GitError(
                    f"{scrub(url)} does not hold all of {tip[:12]} yet ({' '.join(args[:2])}: "
                    f"{cause(check.stderr)})"
                )


# Lines of ``push --porcelain`` for a ref whose compare-and-swap lost.
_LEASE_LOST = (
    "[rejected]",
    "failed to update ref",
    "cannot lock ref",
    "incorrect old value",
)


# Every git command on a scratch repository (hash-object, cat-file, and the push's and
# fetch's pack-objects and index-pack) maps packs through a few small windows: a sealed
# pack is one blob, the pages of a mapped window count as its memory, and windows stay
# mapped up to the limit (8 GiB by default: the push's pack-objects held the whole blob,
# issue 9).  The threshold again for a cache repository made before BARE_SETTINGS had it.
# A fetched pack is kept as it came: unpacked (git's default below 100 objects), a sealed
# pack landed as a loose object, which cat-file maps whole to read (150 MB for a 157 MB
# file's pull), where from a pack it streams through the windows.
# GIT_CONFIG_COUNT needs git 2.31; an older git ignores it and maps as before.
_HOST_BIG_FILES = {
    "core.bigFileThreshold": str(BIG_FILE_THRESHOLD),
    **SMALL_PACK_WINDOWS,
    "fetch.unpackLimit": "1",
}


def _config_env(settings: Mapping[str, str]) -> dict[str, str]:
    """``settings`` as git's ``GIT_CONFIG_COUNT``/``KEY_n``/``VALUE_n`` environment."""
    env = {"GIT_CONFIG_COUNT": str(len(settings))}
    for number, (name, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{number}"] = name
        env[f"GIT_CONFIG_VALUE_{number}"] = value
    return env


_HOST_BIG_FILES_ENV = _config_env(_HOST_BIG_FILES)


class HostRepo:
    """A scratch bare repository, and the git host it exchanges single refs with.

    The git-host store wraps each stored object in a commit here, pushes it to
    one ref of the host, and fetches such refs back; nothing here is the sync repo.
    """

    def __init__(self, path: Path, url: str, limits: Limits) -> None:
        self.path = path
        self.url = url
        self.limits = limits
        if not (path / "HEAD").exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Its blobs are sealed packs: a delta search (~5x a blob) would find nothing.  No
            # window at all is `* -delta` for every path, and written by git itself.
            _init_configured(path, [], {**BARE_SETTINGS, "pack.window": "0"})

    def _env(self) -> dict[str, str]:
        env = _plain_env()
        env.update(GIT_DIR=str(self.path), LC_ALL="C")
        env.update(_HOST_BIG_FILES_ENV)
        return env

    def run(self, args: Sequence[str], *, input: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["git", *args], input=input, capture_output=True, env=self._env(), cwd=self.path
        )
        if proc.returncode != 0:
            raise GitError(Git.describe_failure(f"git {args[0]}", proc.stderr))
        return proc.stdout

    def write_object(self, kind: str, data: bytes) -> str:
        """Store ``data`` as an object of type ``kind`` (exactly these bytes); its id."""
        args = ["hash-object", "-w", "--no-filters", "-t", kind, "--stdin"]
        return self.run(args, input=data).decode().strip()

    def read_blob(self, spec: str) -> bytes:
        """The blob ``spec`` names (``COMMIT:PATH``)."""
        return self.run(["cat-file", "blob", spec])

    def write_blob_from(self, path: Path) -> str:
        """Store the file at ``path`` as a blob (exactly its bytes, read by git: a large
        one is streamed into a pack); its id."""
        args = ["hash-object", "-w", "--no-filters", "-t", "blob", "--", str(path)]
        return self.run(args).decode().strip()

    def read_blob_to(self, spec: str, out: IO[bytes]) -> None:
        """Write the blob ``spec`` names to the file ``out`` (git streams a large one)."""
        proc = subprocess.run(
            ["git", "cat-file", "blob", spec], stdout=out, stderr=subprocess.PIPE,
            env=self._env(), cwd=self.path,
        )  # fmt: skip
        if proc.returncode != 0:
            raise GitError(Git.describe_failure("git cat-file", proc.stderr))

    def _remote(self, args: Sequence[str], what: str) -> subprocess.CompletedProcess[bytes]:
        return run_remote(
            ["git", *args], env=self._env(), cwd=self.path, url=self.url, limits=self.limits,
            what=what,
        )  # fmt: skip

    def _failed(self, what: str, proc: subprocess.CompletedProcess[bytes]) -> GitError:
        return GitError(
            Git.describe_failure(f"the git host {scrub(self.url)}: {what}", proc.stderr)
            + self.limits.hint(proc.stderr)
        )

    @staticmethod
    def _local(ref: str) -> str:
        return "refs/fetched/" + ref.removeprefix("refs/")

    def remember(self, ref: str, commit: str) -> None:
        """Note that the host's ``ref`` is at ``commit`` (written here): the next fetch of
        it then only compares ids."""
        self.run(["update-ref", self._local(ref), commit])

    def fetch_ref(self, ref: str) -> str | None:
        """Bring the commit at the host's ``ref`` here; its id, or None if there is no such ref."""
        return self.fetch_refs([ref]).get(ref)

    def fetch_refs(self, refs: Sequence[str]) -> dict[str, str]:
        """Bring the commits at the host's ``refs`` here, in one fetch: ref -> id.  Empty if
        one of them does not exist (no other is fetched then)."""
        specs = [f"+{ref}:{self._local(ref)}" for ref in refs]
        proc = self._remote(
            ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", self.url, *specs], "fetch"
        )
        if proc.returncode != 0:
            if b"couldn't find remote ref" in proc.stderr:
                return {}
            raise self._failed("fetch", proc)
        listed = self.run(["rev-parse", *(self._local(ref) for ref in refs)])
        return dict(zip(refs, listed.decode().split(), strict=True))

    def push_refs(
        self, updates: Mapping[str, str | None], leases: Mapping[str, str | None]
    ) -> bool:
        """Set (id) or delete (None) the host's refs, all or none (``--atomic``), each ref in
        ``leases`` only if the host still has it at that id (None: absent).  False if a
        lease did not hold; raises on any other failure."""
        args = ["push", "--porcelain", "--atomic", "--quiet"]
        args += [f"--force-with-lease={ref}:{old or ''}" for ref, old in sorted(leases.items())]
        args += [self.url, *(f"{new or ''}:{ref}" for ref, new in sorted(updates.items()))]
        proc = self._remote(args, "push")
        if proc.returncode == 0:
            return True
        # A race lost on the host itself (after the advertisement) is told on stderr.
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        if b"does not support --atomic" in proc.stderr:
            raise GitError(
                f"the git host {scrub(self.url)} does not support atomic pushes (git 2.4 or "
                "later on the host is needed for the hidden layout)"
            )
        if leases and any(sign in out for sign in _LEASE_LOST):
            return False
        raise self._failed("push", proc)


def remote_refs(url: str, limits: Limits, pattern: str | None = None) -> dict[str, str]:
    """The refs of the repository at ``url`` (all, or those matching ``pattern``): name -> id."""
    proc = run_remote(
        ["git", "ls-remote", "--refs", "--", url, *([pattern] if pattern else [])],
        env=_plain_env(), cwd=None, url=url, limits=limits, what="ls-remote",
    )  # fmt: skip
    if proc.returncode != 0:
        raise GitError(
            Git.describe_failure(f"cannot reach the remote {scrub(url)}: ls-remote", proc.stderr)
            + limits.hint(proc.stderr)
        )
    found = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        oid, _, ref = line.partition("\t")
        if ref:
            found[ref] = oid
    return found


def git_version() -> tuple[str, tuple[int, ...]] | None:
    """git's version as printed (``2.39.5``) and as numbers, or None when git will not run."""
    try:
        proc = subprocess.run(["git", "--version"], capture_output=True, env=_plain_env())
    except OSError:
        return None
    found = re.search(rb"(\d+(?:\.\d+)+)", proc.stdout)
    if proc.returncode != 0 or found is None:
        return None
    text = found.group(1).decode()
    return text, tuple(int(part) for part in text.split("."))
