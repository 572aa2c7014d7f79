"""Every call to the git CLI goes through here.

The sync repo is a git dir in the tool's home whose work tree is the Claude
directory; each call names both explicitly, so the user's own repositories,
the current directory and ``GIT_*`` variables of the caller never interfere.
Transport goes through the git CLI on purpose: ssh-agent, ``~/.ssh/config``,
credential helpers and remote helpers then behave as in the user's own repos.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from git_claude_sync.errors import FatalError

BRANCH = "main"
REMOTE = "origin"
REMOTE_REF = f"refs/remotes/{REMOTE}/{BRANCH}"
LOCAL_REF = f"refs/heads/{BRANCH}"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

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
