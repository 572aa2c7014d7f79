"""Helpers for tests that drive several fake machines at once: set-up, a full sync
round, and the checks every such test makes on the Claude directories."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from git_claude_sync.claude import file_kinds
from git_claude_sync.crypto import codec, keyfile
from tests.machines import Machine, git_plain

TEMP_SUFFIX = b".claude-sync-tmp"


def make_fleet(
    root: Path, count: int, first_files: dict[str, bytes] | None = None
) -> list[Machine]:
    """``count`` machines syncing through the first one's default remote, as ``pair`` does."""
    machines = []
    for i in range(count):
        home = root / f"m{i}"
        home.mkdir()
        machines.append(Machine(home))
    first = machines[0]
    for rel, data in (first_files or {"settings.json": b'{"model": "opus"}\n'}).items():
        first.write(rel, data)
    first.run("init")
    (first.tool_home / "config.toml").write_text('machine = "m0"\n')
    first.run("push")
    for i, other in enumerate(machines[1:], start=1):
        other.run("init", "--git", str(first.default_remote), "--key", str(first.key_file))
        (other.tool_home / "config.toml").write_text(f'machine = "m{i}"\n')
    return machines


def popen(machine: Machine, *args: str, new_session: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["git", "claude-sync", *args],
        env=machine.env(),
        cwd=machine.home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
    )


def head(machine: Machine) -> str:
    return machine.git("rev-parse", "refs/heads/main").stdout.decode().strip()


def remote_head(remote: Path) -> str:
    return git_plain("--git-dir", str(remote), "rev-parse", "refs/heads/main").decode().strip()


def full_sync(machines: list[Machine], remote: Path, passes: int = 4) -> list[str]:
    """Every machine pushes, then every machine pulls, until all sit on the remote's tip.

    Returns the stderr of every command (warnings such as stored conflicts)."""
    stderr: list[str] = []
    for _ in range(passes):
        for command in ("push", "pull"):
            for machine in machines:
                proc = machine.run(command, check=False)
                # 3: done, but conflict copies wait for a person (conflict_copies.py).
                assert proc.returncode in (0, 3), f"{command} exited {proc.returncode}: {proc}"
                stderr.append(proc.stderr)
        tip = remote_head(remote)
        if all(head(m) == tip for m in machines):
            return stderr
    raise AssertionError(f"no stable state after {passes} full sync passes")


def temp_files(machine: Machine) -> list[Path]:
    return [p for p in machine.claude.rglob("*") if p.name.endswith(TEMP_SUFFIX.decode())]


def torn_files(files: dict[bytes, bytes]) -> list[str]:
    """Append-only files that end mid-line or hold a line that is not complete JSON."""
    bad = []
    for path, data in files.items():
        if not file_kinds.is_append_only(path) or not data:
            continue
        if not data.endswith(b"\n"):
            bad.append(f"{path!r} ends mid-line: {data[-60:]!r}")
            continue
        for line in data.splitlines():
            try:
                json.loads(line)
            except ValueError:
                bad.append(f"{path!r} holds a line that is not JSON: {line[:80]!r}")
                break
    return bad


def fsck(git_dir: Path) -> None:
    proc = subprocess.run(
        ["git", "--git-dir", str(git_dir), "fsck", "--strict", "--no-progress"],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )
    assert proc.returncode == 0 and not proc.stderr.strip(), (
        f"git fsck {git_dir}: exit {proc.returncode}\n{proc.stdout.decode()}{proc.stderr.decode()}"
    )


def load_key(machine: Machine) -> codec.Key:
    return keyfile.load(machine.key_file)


def head_files(machine: Machine) -> dict[bytes, bytes]:
    """The plaintext of every file in the sync repo's HEAD: the state that is synced."""
    key = load_key(machine)
    listing = machine.git("ls-tree", "-r", "-z", "HEAD").stdout
    entries = [record.split(b"\t", 1) for record in listing.split(b"\0") if record]
    # The machines' sync records (engine/sync_metrics.py) are the tool's own, never files.
    entries = [e for e in entries if not e[1].startswith(b".claude-sync/metrics/")]
    oids = [meta.split()[2].decode() for meta, _path in entries]
    batch = subprocess.run(
        ["git", "--git-dir", str(machine.tool_home / "repo.git"), "cat-file", "--batch"],
        input="".join(oid + "\n" for oid in oids).encode(),
        capture_output=True,
        env=machine.env(),
        check=True,
    ).stdout
    files = {}
    for (_meta, path), oid in zip(entries, oids, strict=True):
        header, _, batch = batch.partition(b"\n")
        size = int(header.split()[2])
        assert header.startswith(oid.encode()), header
        files[path] = key.decrypt(path, batch[:size])
        batch = batch[size + 1 :]
    return files


def committed_versions(machine: Machine, path: str, ref: str = "--all") -> list[bytes]:
    """The plaintext of every version of ``path`` committed in the sync repo."""
    key = load_key(machine)
    out = machine.git("log", "--format=%H", ref, "--", path).stdout.decode().split()
    versions = []
    for commit in out:
        listing = machine.git("ls-tree", commit, "--", path).stdout
        if not listing:
            continue  # the commit deleted it
        blob = machine.git("cat-file", "blob", f"{commit}:{path}").stdout
        versions.append(key.decrypt(path.encode(), blob))
    return versions
