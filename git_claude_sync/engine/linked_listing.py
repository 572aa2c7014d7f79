"""The files under linked folders, with their stat data, listed by find(1) beside the CLI.

Staging a linked folder (odd_paths.stage_links) compares the stat data of every file
under it with what it was at the last staging: ~10k files at 1 GiB, ~100 ms of
``os.stat`` and Python on the critical path of every push.  GNU find does that walk in
C, in a process of its own, on the other core, while the CLI maps project folders, lists
the index and surveys the odd paths: it is started as a sync begins (``start``), over
the folders ``linked-roots`` named at the last staging, and staging takes its answer
(``Early.take``) for the roots it still stages through a link.  A push or a pull
begins it before the CLI has even imported the engine (``begin``, from entry.py), and
the transaction claims it (``claim``) if the index is as it was when find started:
else another sync ran meanwhile (this one waited for its lock) and what find saw may
be older than the index.

Its answer is taken only whole and plain: find exited 0 (no unreadable folder, no
loop), and met no link that leads nowhere and no folder never to be walked into (each
of those is a record saying so).  Otherwise, with no GNU find, and for a root that is
not a folder, staging walks in Python as before, and says what it skipped and why.

A file's signature is find's ``%s %T@ %C@ %i %D %m``: size, modification and change
times to the nanosecond, inode, device, permission bits.  ``signature`` gives an
``os.stat`` result the same way, and ``take`` checks one file both ways before trusting
the rest: a find that printed times otherwise would make every file look changed.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from git_claude_sync.claude.selection import LOCAL_ANYWHERE, NEVER
from git_claude_sync.machine.files import TEMP_SUFFIX
from git_claude_sync.machine.paths import Layout

Signature = bytes
# Names never synced, not even through a link (nor walked into).
NEVER_NAMES = frozenset(os.fsencode(name) for name in (*NEVER, *LOCAL_ANYWHERE))
_ODD = b"!"  # the signature of a record that sends the whole answer back: see above
_FILE = "%p\\0%s %T@ %C@ %i %D %m\\0"
_ODD_RECORD = "%p\\0!\\0"


def signature(st: os.stat_result) -> Signature:
    """``os.stat``'s answer as find prints it for a file (``_FILE``)."""
    mtime, ctime = divmod(st.st_mtime_ns, 10**9), divmod(st.st_ctime_ns, 10**9)
    return b"%d %d.%09d0 %d.%09d0 %d %d %o" % (
        st.st_size, *mtime, *ctime, st.st_ino, st.st_dev, st.st_mode & 0o7777,
    )  # fmt: skip


def executable(sig: Signature) -> bool:
    """Whether the permission bits that end ``sig`` let anyone execute the file."""
    return int(sig[sig.rindex(b" ") + 1 :], 8) & 0o111 != 0


def modified_s(sig: Signature) -> float:
    """The modification time in ``sig``, in seconds."""
    return float(sig.split(b" ", 2)[1])


class Early:
    """finds running over ``roots`` since ``started`` (a wall-clock time)."""

    def __init__(
        self,
        procs: list[subprocess.Popen[bytes]],
        roots: set[bytes],
        started: float,
        where: tuple[Path, Path, tuple[int, ...]],
    ) -> None:
        self.roots = roots
        self.started = started
        self.where = where  # Claude directory, tool home, the index's stat then
        self._procs = procs
        self._out: list[bytes] = []
        # Read as it comes: a pipe holds 64 KiB, and find would wait on it for the CLI.
        self._readers = [
            threading.Thread(target=self._drain, args=(p,), daemon=True) for p in procs
        ]
        for reader in self._readers:
            reader.start()

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self._out.append(proc.stdout.read())

    def take(self, claude_dir: Path) -> dict[bytes, Signature] | None:
        """Every file under the roots (path relative to ``claude_dir``) -> its signature;
        None if the answer is not to be trusted whole (the module's docstring)."""
        for reader in self._readers:
            reader.join()
        if any(proc.wait() != 0 for proc in self._procs) or len(self._out) < len(self._procs):
            return None
        # Each path begins "./" (find's starting points: see ``_find``), and follows a NUL
        # but the first: taken off in one pass, not sliced 10k times.
        fields = (b"\0" + b"".join(self._out)).replace(b"\0./", b"\0")[1:].split(b"\0")
        files = dict(zip(fields[0:-1:2], fields[1::2], strict=True))
        if _ODD in files.values():
            return None
        return files if _as_python_says(os.fsencode(claude_dir), files) else None

    def close(self) -> None:
        """Stop find if it still runs (the sync ended before staging took its answer)."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for reader in self._readers:
            reader.join()


def _as_python_says(root_dir: bytes, files: dict[bytes, Signature]) -> bool:
    """Whether find printed a file's signature as ``signature`` gives it: any of the first
    three files agreeing will do (one may have changed since find looked)."""
    for number, (path, sig) in enumerate(files.items()):
        if number == 3:
            break
        try:
            if signature(os.stat(root_dir + b"/" + path)) == sig:
                return True
        except OSError:
            continue
    return not files  # no file at all: nothing to misread


def forbidden(claude_dir: Path, tool_home: Path) -> list[tuple[Path, str]]:
    """Folders never walked into, and why: the Claude directory and every folder holding
    it (a link to ~ would sync the whole home), the tool's home (the key)."""
    holders = [claude_dir, *Path(os.path.realpath(claude_dir)).parents]
    return [(p, "a link to a folder holding the Claude directory") for p in holders] + [
        (tool_home, "a link to git-claude-sync's own folder")
    ]


def start(claude_dir: Path, tool_home: Path) -> Early | None:
    """find over the roots the last staging staged through a link (``linked-roots``);
    None where there is nothing to start or no GNU find."""
    layout = Layout(home=tool_home, claude_dir=claude_dir)
    try:
        roots = [root for root in layout.linked_roots_file.read_bytes().split(b"\n") if root]
    except OSError:
        return None
    names = [b".git", *sorted(NEVER_NAMES), b"*" + TEMP_SUFFIX.encode()]
    folders = [folder for folder, _why in forbidden(claude_dir, tool_home)]
    where = (claude_dir, tool_home, _index_stat(layout))
    return _find(claude_dir, roots, names, folders, where)


_begun: list[Early] = []


def begin(layout: Layout) -> None:
    """``start`` as a push or a pull begins, for the transaction to ``claim``."""
    early = start(layout.claude_dir, layout.home)
    if early is not None:
        _begun.append(early)
        atexit.register(early.close)  # a command that ended before staging


def claim(claude_dir: Path, tool_home: Path) -> Early | None:
    """What ``begin`` started for this Claude directory, if the index is still as it was
    then (the module's docstring); else None, and find stopped."""
    while _begun:
        early = _begun.pop()
        layout = Layout(home=tool_home, claude_dir=claude_dir)
        if early.where == (claude_dir, tool_home, _index_stat(layout)):
            return early
        early.close()
    return None


def _index_stat(layout: Layout) -> tuple[int, ...]:
    try:
        st = os.stat(layout.git_dir / "index")
    except OSError:
        return ()
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _find(
    claude_dir: Path,
    roots: Iterable[bytes],
    skipped_names: Sequence[bytes],
    forbidden: Sequence[Path],
    where: tuple[Path, Path, tuple[int, ...]],
) -> Early | None:
    """find over those of ``roots`` (relative to ``claude_dir``) that are folders, every
    entry named in ``skipped_names`` (``*`` a wildcard) pruned unlisted, a folder in
    ``forbidden`` an odd record."""
    if sys.platform == "darwin":  # BSD find: no -printf
        return None
    root_dir = os.fsencode(claude_dir)
    folders = {root for root in roots if os.path.isdir(root_dir + b"/" + root)}
    if not folders or any(root.startswith(b"-") for root in folders):
        return None
    names: list[bytes] = []
    for name in skipped_names:
        names += [b"-o", b"-name", name]
    odd: list[bytes] = []
    for folder in forbidden:
        if folder.exists():
            odd += [b"-o", b"-samefile", os.fsencode(folder)]
    if odd:
        odd = [b"-o", b"(", *odd[1:], b")", b"-printf", _ODD_RECORD.encode(), b"-prune"]
    # Two finds over alternate roots: on two cores each half runs beside the other while
    # the CLI waits on git, as the launcher's own finds do (bin/git-claude-sync).  Niced:
    # they only have to be done by staging, and should not slow the CLI on the way there.
    ordered = sorted(folders)
    started = time.time()
    procs: list[subprocess.Popen[bytes]] = []
    for part in (ordered[0::2], ordered[1::2]):
        if not part:
            continue
        command = [
            b"nice", b"-n", b"10",
            b"find", b"-L", *(b"./" + root for root in part), b"-mindepth", b"1",
            b"(", *names[1:], b")", b"-prune", *odd,
            b"-o", b"-type", b"f", b"-printf", _FILE.encode(),
            b"-o", b"-type", b"l", b"-printf", _ODD_RECORD.encode(),
        ]  # fmt: skip
        try:
            procs.append(
                subprocess.Popen(
                    command,
                    cwd=claude_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "LC_ALL": "C"},
                )
            )
        except OSError:
            for proc in procs:
                proc.kill()
                proc.wait()
            return None
    return Early(procs, folders, started, where)
