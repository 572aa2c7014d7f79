"""git's conventions: --help opens a man page, usage errors point to -h, completion works.

Every test runs the real CLI (or the real shells) with this checkout's .venv
first on PATH, as the user's shell would find it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from tests.machines import BIN_DIR, Machine

ROOT = Path(__file__).resolve().parents[2]
MAN_PAGE = ROOT / "docs" / "man" / "git-claude-sync.1"


def run(machine: Machine, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return machine.run(*args, check=False, **extra)


# -- the man page ------------------------------------------------------------------------------


def test_committed_man_page_is_generated_from_the_command_tree(machine_a: Machine) -> None:
    page = run(machine_a, "manpage")
    assert page.returncode == 0, page.stderr
    assert page.stdout == MAN_PAGE.read_text(), (
        "docs/man/git-claude-sync.1 is stale: regenerate it with "
        "'git claude-sync manpage > docs/man/git-claude-sync.1'"
    )
    # Every visible command is in it, under its own heading; hidden ones are not.
    for heading in ('.SS "push"', '.SS "key rotate"', '.SS "conflicts resolve"'):
        assert heading in page.stdout
    assert '.SS "hook"' not in page.stdout and '.SS "manpage"' not in page.stdout


def test_git_help_opens_the_installed_man_page(machine_a: Machine) -> None:
    installed = Path(BIN_DIR).parent / "share" / "man" / "man1" / "git-claude-sync.1"
    if not installed.exists():
        pytest.fail(f"{installed} missing: ./install.sh --dev installs it")
    if shutil.which("man") is None:
        pytest.skip("man is not installed (man-db): git help cannot show any page")
    # No MANPATH: man derives .venv/share/man from .venv/bin on PATH, as it does for
    # ~/.local/share/man from ~/.local/bin after ./install.sh.
    env = {"MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"}
    for args in (("--help",),):
        proc = subprocess.run(
            ["git", "claude-sync", *args],
            capture_output=True,
            text=True,
            env={k: v for k, v in machine_a.env(**env).items() if k != "MANPATH"},
        )
        assert proc.returncode == 0, proc.stderr
        assert "GIT-CLAUDE-SYNC(1)" in proc.stdout
        assert "key rotate" in proc.stdout and "--dry-run" in proc.stdout
    # -h keeps printing click's help, without man; so does --help after a command
    # (git turns only a first --help into 'git help').
    short = run(machine_a, "-h")
    assert short.returncode == 0 and short.stdout.startswith("Usage: git claude-sync")
    sub = run(machine_a, "push", "--help")
    assert sub.returncode == 0 and sub.stdout.startswith("Usage: git claude-sync push")


def test_the_wheel_carries_the_man_page(tmp_path: Path) -> None:
    """pip, pipx and uv installs put share/man/man1/git-claude-sync.1 beside bin/."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--disable-pip-version-check", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = ".data/data/share/man/man1/git-claude-sync.1"
        matches = [n for n in archive.namelist() if n.endswith(name)]
        assert matches, f"no {name} in {wheel.name}"
        assert archive.read(matches[0]) == MAN_PAGE.read_bytes()


def test_usage_errors_suggest_a_help_that_works(machine_a: Machine) -> None:
    for args, where in (
        (("push", "--bogus"), "push"),
        (("key", "bogus"), "key"),
        (("conflicts", "resolve"), "conflicts resolve"),
    ):
        proc = run(machine_a, *args)
        assert proc.returncode == 2
        assert f"Try 'git claude-sync {where} -h' for help." in proc.stderr
        assert "--help" not in proc.stderr
        assert "Traceback" not in proc.stderr


def test_top_level_help_does_not_cut_a_summary_at_eg(machine_a: Machine) -> None:
    proc = run(machine_a, "-h")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("  git  "))
    assert "e.g." not in line and line.rstrip().endswith(".")


# -- Ctrl-C ------------------------------------------------------------------------------------


def _family(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return found


def _wait_until_reading_stdin(pid: int, timeout: float = 60.0) -> None:
    """Until a Python process of the family sits in read(0, ...): imports are done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for member in _family(pid):
            try:
                syscall = Path(f"/proc/{member}/syscall").read_text()
                cmdline = Path(f"/proc/{member}/cmdline").read_bytes()
            except OSError:
                continue
            if syscall.startswith("0 0x0 ") and b"python" in cmdline:  # x86-64 read(0, ...)
                time.sleep(0.2)
                return
        time.sleep(0.1)
    time.sleep(2.0)  # no /proc/PID/syscall here (another kernel or arch): wait and hope


def _as_in_the_foreground() -> None:
    # A command a terminal runs in the foreground gets Ctrl-C; one started with SIGINT
    # ignored (a test run from a shell's background job or nohup: bash ignores SIGINT
    # and SIGQUIT for those) keeps ignoring it, as Python leaves an ignored signal
    # ignored.  Such a run found the CLI still reading, SigIgn 0x1001007, 30 s later.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Ctrl-C as a terminal sends it: SIGINT to the whole process group."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
        preexec_fn=_as_in_the_foreground,
    )
    _wait_until_reading_stdin(proc.pid)  # past start-up, even on a loaded machine
    # Its output read as it comes: a process that writes more than a pipe holds would
    # wait on it, and look like one that ignored the signal.
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    out: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda n=n, p=p: out.__setitem__(n, p.read()), daemon=True)
        for n, p in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    os.killpg(proc.pid, signal.SIGINT)
    # stdin stays open until it exits: closed at once (as communicate() does), its end
    # could reach a process not yet scheduled before the signal does, and the empty
    # passphrase it read then fail in its own words (seen at load 4.6 on 2 cores).
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{argv} still runs 30 s after Ctrl-C: {_where(proc.pid)}") from None
    for reader in readers:
        reader.join(timeout=10)
    proc.stdin.close()
    return code, out.get("err", b"").decode()


def _where(pid: int) -> str:
    """What a process that outlived its Ctrl-C is doing, for the failure's message."""
    said = []
    for member in _family(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text().splitlines()
            masks = " ".join(line for line in status if line.startswith(("SigIgn", "SigCgt")))
            syscall = Path(f"/proc/{member}/syscall").read_text().split()[:2]
            cmdline = Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        said.append(f"{member} {cmdline[:80]!r} syscall {syscall} {masks}")
    return "; ".join(said) or "gone"


def test_ctrl_c_exits_130_without_a_traceback(machine_a: Machine) -> None:
    machine_a.run("init")
    env = machine_a.env()
    # The CLI waiting for a passphrase on stdin: directly, and through git (which
    # dies of the signal itself, as the shell reports: 130).
    code, err = _interrupt(["git-claude-sync", "key", "export", "--passphrase-stdin"], env)
    assert code == 130 and "Traceback" not in err, err
    code, err = _interrupt(["git", "claude-sync", "key", "export", "--passphrase-stdin"], env)
    assert code in (130, -signal.SIGINT) and "Traceback" not in err, err
    # The filter process git starts, waiting for git's next file.
    module = "git_claude_sync.filters.process"
    filt = [sys.executable, "-m", module, "--key", str(machine_a.key_file)]
    code, err = _interrupt(filt, env)
    assert code == 130 and "Traceback" not in err, err


# -- completion --------------------------------------------------------------------------------


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (./install.sh --dev adds it as root with apt)")
    return found


def test_bash_completes_through_gits_completion(machine_a: Machine) -> None:
    bash = _shell("bash")
    git_completion = Path("/usr/share/bash-completion/completions/git")
    script = f"""
        eval "$(git claude-sync completion bash)"
        if [ -f {git_completion} ]; then
            . {git_completion}
            COMP_WORDS=(git claude-sync key ro); COMP_CWORD=3
            COMP_LINE="git claude-sync key ro"; COMP_POINT=${{#COMP_LINE}}
            __git_wrap__git_main; echo "git: ${{COMPREPLY[*]}}"
        fi
        words=(git claude-sync pu); cword=2; __git_cmd_idx=1; _git_claude_sync
        echo "sub: ${{COMPREPLY[*]}}"
        words=(git claude-sync push --o); cword=3; _git_claude_sync
        echo "opt: ${{COMPREPLY[*]}}"
        COMP_WORDS=(git-claude-sync sta); COMP_CWORD=1; __git_claude_sync_direct
        echo "direct: ${{COMPREPLY[*]}}"
    """
    out = subprocess.run(
        [bash, "--norc", "-c", script], capture_output=True, text=True, env=machine_a.env()
    )
    assert "sub: pull push" in out.stdout, out
    assert "opt: --ours" in out.stdout  # --theirs does not start with --o
    assert "direct: status" in out.stdout
    if git_completion.exists():
        assert "git: rotate" in out.stdout


def test_zsh_completes_through_gits_completion(machine_a: Machine) -> None:
    zsh = _shell("zsh")
    # _git calls _git-claude-sync with words from "claude-sync" on; compadd and
    # _describe work only inside a completion widget, so they print here instead.
    script = """
        compdef() { : }
        eval "$(git claude-sync completion zsh)"
        _describe() { print -l -- ${(P)${@[-1]}} }
        compadd() { print -l -- ${(P)${@[-1]}} }
        words=(claude-sync pu); CURRENT=2; _git-claude-sync
        words=(claude-sync push --th); CURRENT=3; _git-claude-sync
    """
    out = subprocess.run(
        [zsh, "-f", "-c", script], capture_output=True, text=True, env=machine_a.env()
    )
    lines = out.stdout.splitlines()
    assert any(ln.startswith("pull:Bring") for ln in lines), out
    assert any(ln.startswith("push:Commit") for ln in lines)
    assert any(ln.startswith("--theirs:") for ln in lines)


def test_fish_completes_git_claude_sync(machine_a: Machine) -> None:
    fish = _shell("fish")
    script = """
        git claude-sync completion fish | source
        complete -C "git claude-sync pu"
        complete -C "git-claude-sync key ro"
    """
    out = subprocess.run(
        [fish, "--no-config", "-c", script], capture_output=True, text=True, env=machine_a.env()
    )
    words = [ln.split("\t")[0] for ln in out.stdout.splitlines()]
    assert words == ["pull", "push", "rotate"], out


def test_completion_install_writes_where_the_shell_looks(machine_a: Machine) -> None:
    for shell, rel in (
        ("bash", ".local/share/bash-completion/completions/git-claude-sync"),
        ("fish", ".config/fish/conf.d/git-claude-sync.fish"),
        ("zsh", ".local/share/zsh/site-functions/_git-claude-sync"),
    ):
        proc = machine_a.run("completion", shell, "--install")
        path = machine_a.home / rel
        assert str(path) in proc.stdout
        assert path.read_text() == machine_a.run("completion", shell).stdout
    bad = run(machine_a, "completion", "tcsh")
    assert bad.returncode == 2 and "tcsh" in bad.stderr


def test_the_completion_variable_has_no_space(machine_a: Machine) -> None:
    proc = subprocess.run(
        ["git-claude-sync"],
        capture_output=True,
        text=True,
        env=machine_a.env(
            _GIT_CLAUDE_SYNC_COMPLETE="bash_complete", COMP_WORDS="x lo", COMP_CWORD="1"
        ),
    )
    assert proc.stdout.splitlines() == ["plain,log"], proc
    assert os.environ.get("_GIT CLAUDE_SYNC_COMPLETE") is None


# -- install.sh --uninstall --------------------------------------------------------------------


def test_install_sh_uninstall_removes_what_it_installed_and_keeps_the_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    local = home / ".local"
    made = {
        local / "bin" / "git-claude-sync": "#!/bin/sh\n# git-claude-sync launcher, installed\n",
        local / "share" / "man" / "man1" / "git-claude-sync.1": ".TH X\n",
        local / "share" / "bash-completion" / "completions" / "git-claude-sync": "x\n",
        home / ".config" / "fish" / "conf.d" / "git-claude-sync.fish": "x\n",
        local / "share" / "git-claude-sync" / "venv" / "bin" / "python": "x\n",
        home / ".claude-sync" / "key": "CLAUDE-SYNC-KEY-V1 00\n",
    }
    for path, text in made.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (local / "bin" / "git-remote-claude-sync").symlink_to("/nonexistent")
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    proc = subprocess.run(
        ["bash", str(ROOT / "install.sh"), "--uninstall"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "Kept ~/.claude-sync" in proc.stdout
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*") if not p.is_dir())
    assert left == [".claude-sync/key"]
    # A git-claude-sync that is not our launcher (pipx's, say) is not ours to remove.
    (local / "bin" / "git-claude-sync").write_text("#!/bin/sh\necho pipx\n")
    subprocess.run(
        ["bash", str(ROOT / "install.sh"), "--uninstall"], env=env, check=True, capture_output=True
    )
    assert (local / "bin" / "git-claude-sync").exists()
