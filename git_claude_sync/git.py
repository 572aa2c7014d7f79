"""Every call to the git CLI goes through here.

The sync repo is a git dir in the tool's home whose work tree is the Claude
directory; each call names both explicitly, so the user's own repositories,
the current directory and ``GIT_*`` variables of the caller never interfere.
Transport goes through the git CLI on purpose: ssh-agent, ``~/.ssh/config``,
credential helpers and remote helpers then behave as in the user's own repos.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from git_claude_sync.errors import FatalError

if TYPE_CHECKING:
    import pygit2

BRANCH = "main"
REMOTE = "origin"
REMOTE_REF = f"refs/remotes/{REMOTE}/{BRANCH}"
LOCAL_REF = f"refs/heads/{BRANCH}"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# Scratch indexes are named index.temp-<purpose>.<pid>; a run killed while
# holding one leaves it behind for the next run to remove (machine/lock.py).
TEMP_INDEX_GLOB = "index.temp-*"

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


def scrub(text: str) -> str:
    return _URL_SECRET.sub(r"\1***@", text)


class GitError(FatalError):
    """A git command failed; the message is git's own last line, scrubbed."""


@dataclass(frozen=True)
class Git:
    git_dir: Path
    work_tree: Path
    index_file: Path | None = None  # another index, for dry runs and merges

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
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
        proc = subprocess.run(
            ["git", *args],
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture_stderr else None,
            cwd=self.work_tree,
            env=self.env(env),
        )
        if check and proc.returncode != 0:
            raise GitError(self.describe_failure(what or f"git {args[0]}", proc.stderr or b""))
        return proc

    def out(self, args: Sequence[str], **kwargs: object) -> str:
        return self.run(args, **kwargs).stdout.decode("utf-8", "surrogateescape")  # type: ignore[arg-type]

    @staticmethod
    def describe_failure(what: str, stderr: bytes) -> str:
        """One line from git's stderr: our filter's own reason if it gave one."""
        lines = [
            line.strip()
            for line in stderr.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.startswith(("hint:", "warning:"))
        ]
        ours = [line for line in lines if line.startswith("git-claude-sync: ")]
        if ours:
            # Every file our filter refused, not only the first.
            reasons = [line.removeprefix("git-claude-sync: ") for line in ours]
            more = f" (and {len(reasons) - 10} more)" if len(reasons) > 10 else ""
            return f"{what} failed: {'; '.join(reasons[:10])}{more}"
        detail = scrub(lines[-1]) if lines else "no message"
        return f"{what} failed: {detail}"

    # -- questions -------------------------------------------------------

    def rev(self, ref: str) -> str | None:
        proc = self.run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def merge_base(self, a: str, b: str) -> str | None:
        proc = self.run(["merge-base", a, b], check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.run(["merge-base", "--is-ancestor", a, b], check=False).returncode == 0

    def tree_of(self, commit: str | None) -> str:
        if commit is None:
            return EMPTY_TREE
        return self.out(["rev-parse", f"{commit}^{{tree}}"]).strip()

    def ls_tree(self, treeish: str) -> dict[bytes, tuple[str, str]]:
        """Map path -> (mode, blob id) for every file in a tree."""
        out = self.run(["ls-tree", "-r", "-z", "--full-tree", treeish]).stdout
        entries: dict[bytes, tuple[str, str]] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, path = record.split(b"\t", 1)
            mode, _type, oid = meta.decode().split()
            entries[path] = (mode, oid)
        return entries

    def changed_paths(self, a: str, b: str) -> list[bytes]:
        """Paths whose content differs between two tree-ishes."""
        out = self.run(["diff", "--no-renames", "--name-only", "-z", a, b, "--"]).stdout
        return [p for p in out.split(b"\0") if p]

    def staged_status(self) -> list[tuple[str, bytes]]:
        """(A|M|D|T, path) for every change between HEAD (or nothing) and the index."""
        head = self.rev("HEAD") or EMPTY_TREE
        out = self.run(
            ["diff-index", "--cached", "--no-renames", "--name-status", "-z", head, "--"]
        ).stdout
        fields = [f for f in out.split(b"\0")]
        changes = []
        for i in range(0, len(fields) - 1, 2):
            if fields[i]:
                changes.append((fields[i].decode()[0], fields[i + 1]))
        return changes

    def read_blobs(self, oids: Iterable[str]) -> dict[str, bytes]:
        """Raw stored bytes of many blobs, read in one ``git cat-file --batch``."""
        return dict(self.iter_blobs(oids))

    def iter_blobs(self, oids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(id, raw stored bytes) of each blob in turn: memory for one blob at a time."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.work_tree,
            env=self.env(),
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
                data = stdout.read(size)
                stdout.read(1)  # the newline after each object
                yield oid, data
        finally:
            proc.kill()
            proc.wait()
            writer.join()

    def objects_to_send(self, tip: str, remote_tip: str | None) -> list[tuple[str, bytes]]:
        """(blob id, path) of every blob reachable from ``tip`` and not from ``remote_tip``."""
        args = ["rev-list", "--objects", tip]
        if remote_tip:
            args.append(f"^{remote_tip}")
        out = self.run(args).stdout
        listed = []
        for line in out.split(b"\n"):
            if b" " in line:
                oid, path = line.split(b" ", 1)
                listed.append((oid.decode(), path))
        if not listed:
            return []
        check = self.run(
            ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
            input=b"".join(oid.encode() + b"\n" for oid, _ in listed),
        ).stdout.decode()
        kinds = dict(line.split() for line in check.splitlines())
        return [(oid, path) for oid, path in listed if kinds.get(oid) == "blob"]

    def remote_url(self) -> str | None:
        proc = self.run(["config", "--get", f"remote.{REMOTE}.url"], check=False)
        return proc.stdout.decode().strip() or None

    def config_get(self, key: str) -> str | None:
        proc = self.run(["config", "--get", key], check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def config_set(self, key: str, value: str) -> None:
        self.run(["config", key, value])

    # -- the index --------------------------------------------------------

    def pending_paths(self) -> list[bytes]:
        """Files in the work tree that are untracked or modified (not ignored)."""
        out = self.run(["ls-files", "-z", "--others", "--modified", "--exclude-standard"]).stdout
        return [name for name in out.split(b"\0") if name]

    def add_all(self, *, renormalize: bool = False, progress: bool = False) -> None:
        """``git add -A`` of the work tree (through our clean filter: this encrypts)."""
        env = {"GIT_CLAUDE_SYNC_PROGRESS": "1"} if progress else {}
        if renormalize:
            self.run(["add", "--renormalize", "--", "."], env=env, what="encrypting")
        if progress:
            proc = self.run(["add", "-A", "--", "."], env=env, check=False, capture_stderr=False)
            if proc.returncode != 0:
                raise GitError("encrypting failed (see the lines above)")
        else:
            self.run(["add", "-A", "--", "."], what="encrypting")

    def index_entries(self) -> dict[bytes, tuple[str, str]]:
        """Map path -> (mode, blob id) of every index entry (stage 0)."""
        out = self.run(["ls-files", "-s", "-z"]).stdout
        entries: dict[bytes, tuple[str, str]] = {}
        for record in out.split(b"\0"):
            if record:
                meta, path = record.split(b"\t", 1)
                mode, oid, _stage = meta.decode().split()
                entries[path] = (mode, oid)
        return entries

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
        """Index entries under ``under`` marked skip-worktree."""
        out = self.run(["ls-files", "-v", "-z", "--", under.decode()]).stdout
        return {record[2:] for record in out.split(b"\0") if record[:2] == b"S "}

    def set_skip_worktree(self, paths: Sequence[bytes], on: bool) -> None:
        if paths:
            flag = "--skip-worktree" if on else "--no-skip-worktree"
            self.run(
                ["update-index", flag, "-z", "--stdin"], input=b"".join(p + b"\0" for p in paths)
            )

    def read_tree(self, treeish: str | None) -> None:
        """Make the index ``treeish``'s tree (None: empty)."""
        self.run(["read-tree", treeish if treeish else "--empty"])

    def update_index(self, changes: Mapping[bytes, tuple[str, str] | None]) -> None:
        """Set index entries: path -> (mode, blob id), or None to remove the path."""
        if not changes:
            return
        records = []
        for path, entry in changes.items():
            if entry is None:
                records.append(b"0 " + b"0" * 40 + b"\t" + path + b"\0")
            else:
                records.append(f"{entry[0]} {entry[1]}\t".encode() + path + b"\0")
        self.run(["update-index", "-z", "--index-info"], input=b"".join(records))

    def refresh_index(self) -> None:
        """Re-stat the work tree so ``git status`` does not re-read unchanged files."""
        self.run(["update-index", "-q", "--refresh"], check=False)

    def write_tree(self) -> str:
        return self.out(["write-tree"]).strip()

    @contextlib.contextmanager
    def temp_index(self, purpose: str, *, copy_index: bool = False) -> Iterator[Git]:
        """This repo with a scratch index (empty, or a copy of the real one), removed after."""
        scratch = self.git_dir / f"index.temp-{purpose}.{os.getpid()}"
        real = self.index_file or self.git_dir / "index"
        try:
            if copy_index and real.exists():
                scratch.write_bytes(real.read_bytes())
            yield dataclasses.replace(self, index_file=scratch)
        finally:
            scratch.unlink(missing_ok=True)

    def tree_with(self, base: str | None, changes: Mapping[bytes, tuple[str, str] | None]) -> str:
        """Id of ``base``'s tree (None: empty) with ``changes`` applied (in a scratch index)."""
        with self.temp_index("tree") as temp:
            temp.read_tree(base)
            temp.update_index(changes)
            return temp.write_tree()

    # -- objects and refs --------------------------------------------------

    def store_blob(self, data: bytes) -> str:
        """Write bytes as a blob exactly as given (no filter); its id."""
        return self.out(["hash-object", "-w", "--no-filters", "--stdin"], input=data).strip()

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

    def update_ref(
        self, ref: str, new: str, old: str | None = None, *, create: bool = False
    ) -> None:
        """Point ``ref`` at ``new``, if it still points at ``old`` (or, ``create``, at nothing)."""
        args = ["update-ref", ref, new]
        if old is not None:
            args.append(old)
        elif create:
            args.append("")
        self.run(args, what=f"moving {ref}")

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
        args = ["log", "--format=%x01%H %P%x00%at%x00%an%x00%s", "--raw", "-z"]
        args += ["--no-renames", "--no-abbrev"]
        if limit is not None:
            args.append(f"-n{limit}")
        if since is not None:
            args.append(f"--since={int(since)}")
        out = self.run([*args, ref, "--", *paths]).stdout
        entries = []
        for chunk in out.split(b"\x01")[1:]:
            ids, at, author, rest = chunk.split(b"\0", 3)
            subject, _, records = rest.partition(b"\0")
            commit, *parents = ids.decode().split()
            entry = LogEntry(
                commit, parents, float(at), author.decode("utf-8", "replace"), subject.decode(), []
            )
            fields = records.lstrip(b"\n").split(b"\0")
            for i in range(0, len(fields) - 1, 2):
                meta = fields[i].split()
                if fields[i].startswith(b":") and len(meta) >= 4:
                    entry.changes.append((meta[2].decode(), meta[3].decode(), fields[i + 1]))
            entries.append(entry)
        return entries

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
        listed = self.run(["config", "--local", "--list", "-z"]).stdout.decode("utf-8", "replace")
        return dict(item.split("\n", 1) for item in listed.split("\0") if "\n" in item)

    # -- the remote ----------------------------------------------------------

    def add_remote(self, url: str) -> None:
        self.run(["remote", "add", REMOTE, url])

    def fetch_branch(self) -> str | None:
        """Fetch the remote's branch into REMOTE_REF; its tip, or None if it has none yet."""
        url = self.remote_url() or "?"
        proc = self.run(
            ["fetch", "--quiet", "--no-tags", "--prune", REMOTE, f"+{LOCAL_REF}:{REMOTE_REF}"],
            check=False,
        )
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            if f"couldn't find remote ref {LOCAL_REF}" in stderr:
                return None
            raise GitError(
                self.describe_failure(f"cannot reach the remote {url}: fetch", proc.stderr)
            )
        return self.rev(REMOTE_REF)

    def push_branch(self, commit: str, *, progress: bool = False) -> bool:
        """Send ``commit`` as the remote's branch; False if the remote moved meanwhile."""
        url = self.remote_url() or "?"
        args = ["push", "--porcelain", REMOTE, f"{commit}:{LOCAL_REF}"]
        if progress:
            args.insert(1, "--progress")
        proc = self.run(args, check=False, capture_stderr=not progress)
        out = proc.stdout.decode("utf-8", "replace")
        if proc.returncode == 0:
            return True
        if any(sign in out for sign in _REMOTE_MOVED):
            return False
        raise GitError(self.describe_failure(f"cannot push to {url}", proc.stderr or out.encode()))

    def passthrough(self, args: Sequence[str]) -> int:
        """Plain ``git ARGS`` on the sync repo, on the user's terminal; its exit code."""
        return subprocess.call(["git", *args], env=self.env(), cwd=self.work_tree)

    # -- pygit2 --------------------------------------------------------------

    def index_blobs(self) -> IndexBlobs:
        return IndexBlobs(self.git_dir)


@dataclass
class LogEntry:
    """One commit of ``Git.log``, with the files it changed."""

    commit: str
    parents: list[str]
    at: float
    author: str
    subject: str
    changes: list[tuple[str, str, bytes]]  # (old blob id, new blob id, path); zeros: none


class IndexBlobs:
    """The blobs the sync repo's index holds, read lazily, again only if the index changed.

    For the clean filter's stable ciphertext: read in process (pygit2), since
    the filter runs once per file git adds.
    """

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self._repo: pygit2.Repository | None = None
        self._index: pygit2.Index | None = None
        self._stamp: tuple[int, int] | None = None

    def _load(self) -> tuple[pygit2.Repository, pygit2.Index]:
        import pygit2

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
        import pygit2

        try:
            repo, index = self._load()
            entry = index[os.fsdecode(path)]
            return bytes(repo.odb.read(entry.id)[1])
        except (KeyError, ValueError, UnicodeError, pygit2.GitError):
            return None


def init_bare(path: Path) -> None:
    """Create a bare repository whose branch is ours (the sync repo, the default remote)."""
    proc = subprocess.run(
        ["git", "init", "--bare", "-q", "-b", BRANCH, str(path)],
        capture_output=True,
        env=_plain_env(),
    )
    if proc.returncode != 0:
        raise GitError(Git.describe_failure("git init", proc.stderr))


def check_reachable(url: str) -> None:
    """Ask ``url`` for its branches: raise, quoting why, if it cannot answer."""
    proc = subprocess.run(
        ["git", "ls-remote", "--heads", url], capture_output=True, env=_plain_env()
    )
    if proc.returncode != 0:
        if b"git-claude-sync: " in proc.stderr:  # our remote helper said why
            raise GitError(Git.describe_failure(f"remote {url}", proc.stderr))
        raise GitError(
            Git.describe_failure(f"cannot reach the remote {url}: ls-remote", proc.stderr)
        )


def _plain_env() -> dict[str, str]:
    """Outside the sync repo: no GIT_* of the caller, never a prompt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0")
    return env


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

    @classmethod
    def pack_objects(
        cls, positives: Sequence[str], negatives: Sequence[str], *, thin: bool
    ) -> bytes:
        args = ["pack-objects", "--revs", "--stdout", "--delta-base-offset", "-q"]
        if thin:
            args.append("--thin")
        revs = "".join(f"{p}\n" for p in positives) + "".join(f"^{n}\n" for n in negatives)
        return cls.run(args, input=revs.encode(), what="pack-objects")

    @classmethod
    def index_pack(cls, args: Sequence[str], pack: bytes) -> None:
        cls.run(["index-pack", *args], input=pack, what="index-pack of a fetched pack")

    @staticmethod
    def config_bool(name: str) -> bool | None:
        proc = subprocess.run(["git", "config", "--bool", name], capture_output=True)
        value = proc.stdout.decode().strip()
        return None if not value else value == "true"
