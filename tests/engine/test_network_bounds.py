"""The remote misbehaving: errors that name the cause, bounded waits on a remote
that never answers, a lock a hung run cannot hold for ever.

Real git, the real CLI, real (local) servers: a bare repository that is
missing or refuses what it receives, a TCP socket on 127.0.0.1 that accepts
and never answers, an ssh command that never returns.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.machines import Machine, git_plain


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# -- errors that quote their cause ---------------------------------------------------------


def test_a_missing_remote_says_it_is_not_a_repository(machine_a: Machine, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    git_plain("init", "--bare", "-q", str(remote))
    machine_a.run("init", "--git", str(remote))
    machine_a.write("CLAUDE.md", b"x\n")
    remote.rename(tmp_path / "gone.git")
    for command in ("push", "pull"):
        proc = machine_a.run(command, check=False)
        line = one_line(proc.stderr)
        assert proc.returncode == 1
        assert f"'{remote}' does not appear to be a git repository" in line, line
        assert "repository exists" not in line


def test_a_push_the_remote_refuses_on_fsck_says_so_and_why(pair: tuple[Machine, Machine]) -> None:
    """A host whose fsck rejects a ``.gitmodules`` it cannot parse (git 2.19's rule)."""
    a, _b = pair
    remote = a.default_remote
    git_plain("--git-dir", str(remote), "config", "receive.fsckObjects", "true")
    git_plain("--git-dir", str(remote), "config", "receive.fsck.gitmodulesParse", "error")
    a.write("commands/.gitmodules", b'[submodule "x"]\n\tpath = x\n')
    proc = a.run("push", check=False)
    line = one_line(proc.stderr)
    assert proc.returncode == 1
    assert "refused the push" in line, line
    assert "gitmodulesParse" in line, line
    assert "cannot reach" not in line


def test_a_push_a_hook_declines_quotes_the_remote(pair: tuple[Machine, Machine]) -> None:
    """Like GitHub refusing a file over its size limit: the remote's own words."""
    a, _b = pair
    hook = a.default_remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'error: File big.bin is 120 MB; this exceeds the 100 MB limit' >&2\n"
        "exit 1\n"
    )
    hook.chmod(0o755)
    a.write("CLAUDE.md", b"changed\n")
    proc = a.run("push", check=False)
    line = one_line(proc.stderr)
    assert proc.returncode == 1
    assert "refused the push" in line and "pre-receive hook declined" in line, line
    assert "this exceeds the 100 MB limit" in line, line


def test_a_remote_sending_a_tree_fsck_rejects_is_not_called_unreachable(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """A hostile remote: its tip holds a ``.git`` entry; our fetch's fsck refuses it."""
    a, b = pair
    remote = str(a.default_remote)
    blob = git_plain("--git-dir", remote, "hash-object", "-w", "--stdin", cwd=tmp_path, input=b"x")
    entry = b"100644 .GIT\0" + bytes.fromhex(blob.decode().strip())
    tree = git_plain(
        "--git-dir", remote, "hash-object", "-t", "tree", "-w", "--literally", "--stdin",
        input=entry,
    ).decode().strip()  # fmt: skip
    tip = git_plain("--git-dir", remote, "rev-parse", "main").decode().strip()
    commit = (
        git_plain("--git-dir", remote, "commit-tree", tree, "-p", tip, "-m", "evil")
        .decode()
        .strip()
    )
    git_plain("--git-dir", remote, "update-ref", "refs/heads/main", commit)
    before = b.files()
    proc = b.run("pull", check=False)
    line = one_line(proc.stderr)
    assert proc.returncode == 1
    assert "cannot reach" not in line, line
    assert "hasDotgit" in line and "integrity" in line, line
    assert b.files() == before


# -- a remote that never answers -------------------------------------------------------------

BOUND = 30.0  # seconds after which a run counts as hung (the limits below are 2-4 s)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """``127.0.0.1:PORT``: accepts TCP connections and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def run_bounded(
    machine: Machine, *args: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``git claude-sync ARGS``, killed with everything it started if it outlives ``BOUND``."""
    start = time.monotonic()
    proc = subprocess.Popen(
        ["git", "claude-sync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=machine.env(**extra),
        cwd=machine.home,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"git claude-sync {' '.join(args)} still ran after {BOUND:g} s")
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done, time.monotonic() - start


def hanging_ssh(tmp_path: Path, name: str = "ssh") -> Path:
    """An ssh that records its arguments and pid, then never returns."""
    script = tmp_path / "bin" / name
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{tmp_path}/ssh-args"\n'
        f'echo $$ > "{tmp_path}/ssh-pid"\n'
        "exec sleep 3600\n"
    )
    script.chmod(0o755)
    return script


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def set_remote(machine: Machine, url: str) -> None:
    machine.git("remote", "set-url", "origin", url)


def test_init_against_a_server_that_never_answers_stops(
    machine_a: Machine, silent_server: str
) -> None:
    url = f"http://{silent_server}/repo.git"
    proc, took = run_bounded(machine_a, "init", "--git", url, CLAUDE_SYNC_STALL_TIMEOUT="2")
    line = one_line(proc.stderr)
    assert proc.returncode == 1 and took < BOUND
    assert url in line and "2 s" in line and "CLAUDE_SYNC_STALL_TIMEOUT" in line, line
    assert not machine_a.tool_home.exists()


def test_push_to_an_http_server_that_never_answers_stops(
    pair: tuple[Machine, Machine], silent_server: str
) -> None:
    a, _b = pair
    (a.tool_home / "config.toml").write_text('machine = "a"\n[network]\nstall_timeout = 2\n')
    url = f"http://{silent_server}/repo.git"
    set_remote(a, url)
    a.write("CLAUDE.md", b"changed\n")
    proc, took = run_bounded(a, "push")
    line = one_line(proc.stderr)
    assert proc.returncode == 1 and took < BOUND
    assert url in line and "2 s" in line and "stall_timeout" in line, line


def test_push_over_an_ssh_command_that_never_returns_stops_and_kills_it(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    """The user's own GIT_SSH_COMMAND is left alone, and still cannot hang a run."""
    a, _b = pair
    set_remote(a, "ssh://git.example/repo.git")
    a.write("CLAUDE.md", b"changed\n")
    ssh = hanging_ssh(tmp_path, "my-ssh")
    proc, took = run_bounded(a, "push", GIT_SSH_COMMAND=str(ssh), CLAUDE_SYNC_STALL_TIMEOUT="2")
    line = one_line(proc.stderr)
    assert proc.returncode == 1 and took < BOUND
    assert "ssh://git.example/repo.git" in line and "2 s" in line, line
    assert "ConnectTimeout" not in (tmp_path / "ssh-args").read_text()
    pid = int((tmp_path / "ssh-pid").read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), "the hung ssh outlived the run"


def test_ssh_gets_connect_and_keepalive_limits_when_the_user_set_none(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    (a.tool_home / "config.toml").write_text(
        'machine = "a"\n[network]\nconnect_timeout = 7\nstall_timeout = 3\n'
    )
    set_remote(a, "git@git.example:repo.git")
    ssh = hanging_ssh(tmp_path)
    path = f"{ssh.parent}{os.pathsep}{a.env()['PATH']}"
    proc, took = run_bounded(a, "pull", PATH=path)
    assert proc.returncode == 1 and took < BOUND
    args = (tmp_path / "ssh-args").read_text()
    assert "ConnectTimeout=7" in args and "ServerAliveInterval=" in args, args
    assert "ServerAliveCountMax=" in args, args


def test_a_run_waiting_for_a_hung_one_is_bounded_and_says_who_holds_the_lock(
    pair: tuple[Machine, Machine], tmp_path: Path
) -> None:
    a, _b = pair
    set_remote(a, "ssh://git.example/repo.git")
    a.write("CLAUDE.md", b"changed\n")
    ssh = hanging_ssh(tmp_path, "my-ssh")
    env = a.env(GIT_SSH_COMMAND=str(ssh), CLAUDE_SYNC_STALL_TIMEOUT="4")
    hung = subprocess.Popen(
        ["git", "claude-sync", "push"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=a.home,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + BOUND
        while not (tmp_path / "ssh-pid").exists():  # it holds the lock, in its fetch
            assert time.monotonic() < deadline and hung.poll() is None, hung.communicate()
            time.sleep(0.05)
        waiting, took = run_bounded(a, "push", CLAUDE_SYNC_LOCK_WAIT="1")
        line = one_line(waiting.stderr)
        assert waiting.returncode == 1 and took < 4, (took, line)
        holder = int((a.tool_home / "sync.lock").read_text())  # the hung run, as it wrote
        assert alive(holder) and f"(pid {holder})" in line and "sync.lock" in line, line
        assert "CLAUDE_SYNC_LOCK_WAIT" in line, line
        _out, err = hung.communicate(timeout=BOUND)
        assert hung.returncode == 1 and "4 s" in err, err
    finally:
        if hung.poll() is None:
            os.killpg(hung.pid, signal.SIGKILL)
            hung.communicate()
    # The hung run was stopped: the next one gets the lock at once and stops on its own limit.
    again, took = run_bounded(a, "push", GIT_SSH_COMMAND=str(ssh), CLAUDE_SYNC_STALL_TIMEOUT="2")
    assert again.returncode == 1 and "2 s" in again.stderr and took < BOUND
