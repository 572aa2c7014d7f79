"""Fake machines: a home directory each, driving the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from git_claude_sync.git import FILTER_RELAY_PREFIX

BIN_DIR = str(Path(sys.executable).parent)
LAUNCHER = Path(__file__).resolve().parents[1] / "bin" / "git-claude-sync"


@dataclass
class Machine:
    home: Path

    @property
    def claude(self) -> Path:
        return self.home / ".claude"

    @property
    def tool_home(self) -> Path:
        return self.home / ".claude-sync"

    @property
    def key_file(self) -> Path:
        return self.tool_home / "key"

    @property
    def default_remote(self) -> Path:
        return self.tool_home / "remote.git"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
        env["HOME"] = str(self.home)
        env["PATH"] = BIN_DIR + os.pathsep + env.get("PATH", "")
        env.pop("XDG_CONFIG_HOME", None)
        env.update(extra)
        return env

    def launcher(self) -> list[str]:
        """How this machine starts the CLI (a subclass may wrap it)."""
        return ["git", "claude-sync"]

    def run(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        """``git claude-sync ARGS`` as this machine; asserts success unless ``check=False``."""
        proc = subprocess.run(
            [*self.launcher(), *args],
            capture_output=True,
            text=True,
            env=self.env(**extra),
            cwd=self.home,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"git claude-sync {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def git(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """Plain git on this machine's sync repo."""
        return subprocess.run(
            ["git", "--git-dir", str(self.tool_home / "repo.git"), *args],
            capture_output=True,
            env=self.env(),
            check=True,
        )

    def write(self, rel: str | bytes, data: bytes) -> Path:
        path = self.claude / os.fsdecode(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def files(self) -> dict[bytes, bytes]:
        """Every file under the Claude directory, by its path in the sync repo (bytes):
        a mapped project's files under its canonical name, which links to their folder."""
        projects = self.claude / "projects"
        canonical = {}
        if projects.is_dir():
            for entry in projects.iterdir():
                target = os.readlink(entry) if entry.is_symlink() else ""
                if target and "/" not in target:
                    canonical[os.fsencode(target)] = os.fsencode(entry.name)
        found = {}
        for path, data in self._real_files().items():
            parts = path.split(b"/", 2)
            if len(parts) == 3 and parts[0] == b"projects" and parts[1] in canonical:
                path = b"projects/" + canonical[parts[1]] + b"/" + parts[2]
            found[path] = data
        return found

    def _real_files(self) -> dict[bytes, bytes]:
        """Every file under the Claude directory, by relative path, links not followed."""
        found = {}
        for root, _dirs, names in os.walk(self.claude):
            for name in names:
                full = Path(root) / name
                if full.is_symlink():
                    continue
                found[os.fsencode(full.relative_to(self.claude))] = full.read_bytes()
        return found


def launcher_state(machine: Machine) -> str:
    """What the shell launcher looks at for its no-change fast path."""
    env = machine.env(
        GIT_DIR=str(machine.tool_home / "repo.git"), GIT_WORK_TREE=str(machine.claude)
    )
    return subprocess.run(
        ["git", "status", "--porcelain=v2", "--untracked-files=all"],
        capture_output=True,
        text=True,
        env=env,
        cwd=machine.claude,
        check=True,
    ).stdout


def launch(
    machine: Machine, *args: str, real: str = "/bin/false"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(LAUNCHER), *args],
        capture_output=True,
        text=True,
        env=machine.env(GIT_CLAUDE_SYNC_REAL=real),
        cwd=machine.home,
    )


def carry_metrics_next(machine: Machine) -> None:
    """As if the machine last carried its sync records long ago: its next commit carries
    them (engine/sync_metrics.CARRY_EVERY)."""
    path = machine.tool_home / "sync-metrics.json"
    data = json.loads(path.read_text())
    data["carried_at"] = 0
    path.write_text(json.dumps(data))


def filter_starts(trace: Path) -> int:
    """How many clean/smudge filters git started, by its ``GIT_TRACE`` file: the configured
    filter process, or the relay to the filter the CLI serves itself (filters/served_in_cli.py)."""
    text = trace.read_text() if trace.exists() else ""
    return sum(
        "run_command" in line and ("filters.process" in line or FILTER_RELAY_PREFIX in line)
        for line in text.splitlines()
    )


def filter_processes(trace: Path) -> int:
    """How many filter processes (a Python interpreter each) git started, by its trace."""
    text = trace.read_text() if trace.exists() else ""
    return sum("run_command" in line and "filters.process" in line for line in text.splitlines())


def git_plain(*args: str, cwd: Path | None = None, input: bytes | None = None) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", *args], capture_output=True, check=True, env=env, cwd=cwd, input=input
    ).stdout


def all_objects(bare: Path) -> bytes:
    """The raw content of every object in a repository, concatenated."""
    return git_plain("--git-dir", str(bare), "cat-file", "--batch-all-objects", "--batch")


def copy_corpus(dest: Path, corpus: Path, limit: int | None = None) -> int:
    """Copy the shared transcripts into ``dest/projects``; returns how many files."""
    source = corpus / "projects"
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = dest / "projects" / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            count += 1
            if limit and count >= limit:
                break
    return count


def sealed_commit(
    bare: Path, key_file: Path, tree: str, parent: str, subject: str, version: int = 2
) -> str:
    """A commit on ``bare`` sealed as another machine holding the key would make it
    (docs/spec/state.md; ``version`` 1: as versions before the compact seal did): for
    tests of what a key holder's content does."""
    from git_claude_sync.crypto import codec, keyfile, state_seal

    key = codec.Key(keyfile.decode(key_file.read_text(), key_file))
    raw_parent = git_plain("--git-dir", str(bare), "cat-file", "commit", parent)
    opened = state_seal.open_commit(key, raw_parent)
    state = state_seal.State(
        tree=tree,
        parents=(parent,),
        counter=state_seal.next_counter([opened.state.counter if opened else 0]),
        machine="another",
        time=1764390000,
        subject=f"claude-sync: {subject}",
    )
    raw = state_seal.commit_object(state, state_seal.seal(key, state, version))
    args = ["--git-dir", str(bare), "hash-object", "-t", "commit", "-w", "--stdin"]
    return git_plain(*args, input=raw).decode().strip()


def count_received(machine: Machine, where: Path) -> Path:
    """Everything the machine's pushes send, teed into a file as its remote receives it
    (``remote.origin.receivepack``; GIT_TRACE_PACKFILE does not trace pushes)."""
    capture = where / "received.bin"
    wrapper = where / "counting-receive-pack"
    wrapper.write_text(f'#!/bin/sh\ntee -a "{capture}" | git receive-pack "$@"\n')
    wrapper.chmod(0o755)
    machine.run("git", "config", "remote.origin.receivepack", str(wrapper))
    return capture
