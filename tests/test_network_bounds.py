"""The remote misbehaving: errors that name the cause, bounded waits on a remote
that never answers, a lock a hung run cannot hold for ever.

Real git, the real CLI, real (local) servers: a bare repository that is
missing or refuses what it receives, a TCP socket on 127.0.0.1 that accepts
and never answers, an ssh command that never returns.
"""

from __future__ import annotations

from pathlib import Path

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
