"""``git claude-sync hook EVENT``: what Claude Code runs (commands/install.py installs it).

It must never disturb a session: it writes nothing to stdout (SessionStart's stdout would
land in Claude's context), exits 0 whatever happens, and returns quickly, because Claude
Code kills slow hooks (SessionEnd ones especially).  The real work (``push`` or ``pull``)
therefore runs detached, in its own session, with its output appended to the hook log.  At
a session start the hook waits for that pull up to ``[hooks] start_wait`` seconds
(config.toml, default 4), so sessions from other machines are there when the user looks
for them; past that the pull carries on in the background.

Environment knobs, for tests and debugging:

* ``GIT_CLAUDE_SYNC_HOOK_FOREGROUND=1`` runs the work in the foreground and
  waits for it (still exit 0, still output to the log only).
* ``GIT_CLAUDE_SYNC_HOOK_ARGV`` (a JSON list of strings) replaces the work's
  argv; meant only for tests.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import time
from typing import Any

from git_claude_sync.claude import settings_hooks
from git_claude_sync.claude.settings_hooks import TURN_QUIET
from git_claude_sync.errors import FatalError
from git_claude_sync.machine.paths import Layout, current

FOREGROUND_ENV = "GIT_CLAUDE_SYNC_HOOK_FOREGROUND"
ARGV_ENV = "GIT_CLAUDE_SYNC_HOOK_ARGV"

#: What each hook event runs.  "turn-end" (Claude Code's Stop, after every turn)
#: pushes too, but debounced: see ``_turn_end``.
ACTIONS = {
    "session-end": "push",
    "session-start": "pull",
    "turn-end": "push",
    "scheduled": "push",  # the timer of 'git claude-sync schedule': waits for the push
}

#: GIT_CLAUDE_SYNC_TURN_QUIET overrides settings_hooks.TURN_QUIET (tests).
TURN_QUIET_ENV = "GIT_CLAUDE_SYNC_TURN_QUIET"
RUNNER_EVENT = "turn-runner"

_STDIN_LIMIT = 1 << 20
_STDIN_WAIT = 2.0


def run(event: str) -> int:
    """Entry point for Claude Code hooks: 'session-end' pushes, 'session-start' pulls,
    'turn-end' pushes once turns have gone quiet for a few seconds.

    Reads the hook's JSON from stdin, prints nothing, starts the sync detached
    and exits 0 at once, whatever happens.  Everything it has to say goes to
    ~/.claude-sync/sync.log.
    """
    try:
        if event == RUNNER_EVENT:
            _turn_runner(current())
        else:
            _run_hook(event)
    except Exception as err:  # a hook must never fail Claude Code
        _log_quietly(
            current(), f"{settings_hooks.ERROR_PREFIX}hook {_clean(event)} failed: {err!r}"
        )
    return 0


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _clean(value: object, limit: int = 80) -> str:
    """A single short token, safe to put in the log."""
    text = re.sub(r"[^A-Za-z0-9._:-]", "?", str(value))[:limit]
    return text or "-"


def _read_stdin() -> dict[str, Any]:
    """The hook's JSON input; {} for a terminal, empty or invalid input, or a silent writer."""
    try:
        stream = sys.stdin.buffer
        if stream.isatty():
            return {}
        data = _read_bounded(stream.fileno())
        payload = json.loads(data.decode("utf-8", "replace")) if data.strip() else {}
    except (OSError, ValueError, AttributeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _read_bounded(fd: int) -> bytes:
    """Read to EOF, but at most ``_STDIN_LIMIT`` bytes and about ``_STDIN_WAIT`` seconds."""
    if os.name != "posix":
        return os.read(fd, _STDIN_LIMIT)
    import select
    import time

    deadline = time.monotonic() + _STDIN_WAIT
    chunks: list[bytes] = []
    size = 0
    while size < _STDIN_LIMIT:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, _STDIN_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _open_log(layout: Layout) -> int:
    layout.log_file.parent.mkdir(parents=True, exist_ok=True)
    return os.open(layout.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def _log_quietly(layout: Layout, line: str) -> None:
    try:
        fd = _open_log(layout)
        try:
            os.write(fd, (line + "\n").encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass


def _work_argv(action: str) -> list[str]:
    override = os.environ.get(ARGV_ENV)
    if override:
        argv = json.loads(override)
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            raise ValueError(f"{ARGV_ENV} must be a JSON list of strings")
        return argv
    return [sys.executable, "-m", "git_claude_sync", action, "--quiet"]


def _run_hook(event: str) -> None:
    payload = _read_stdin()
    layout = current()
    session = _clean(payload.get("session_id", "-"))
    detail = payload.get("reason") if "reason" in payload else payload.get("source")
    label = f"{session}" + (f" ({_clean(detail)})" if detail is not None else "")

    def line(what: str) -> str:
        return settings_hooks.hook_log_line(_now(), _clean(event), label, what)

    action = ACTIONS.get(event)
    if action is None:
        _log_quietly(layout, line("unknown hook event; nothing done"))
        return
    if not layout.initialised():
        _log_quietly(layout, line(f"not initialised (no {layout.git_dir}); nothing done"))
        return
    if event == "turn-end":
        _turn_end(layout, line)
        return
    argv = _work_argv(action)
    # A timer's service ends when its process does, taking detached children with it.
    foreground = os.environ.get(FOREGROUND_ENV) == "1" or event == "scheduled"
    log_fd = _open_log(layout)
    try:
        where = "in the foreground" if foreground else "detached"
        started = f"started {action} --quiet {where}"
        if os.environ.get(ARGV_ENV):
            started += f" (argv from {ARGV_ENV})"
        os.write(log_fd, (line(started) + "\n").encode("utf-8", "replace"))
        options: dict[str, Any] = {
            "stdin": subprocess.DEVNULL,
            "stdout": log_fd,
            "stderr": log_fd,
            "close_fds": True,
            "cwd": layout.home,
        }
        try:
            if foreground:
                subprocess.run(argv, check=False, **options)
            else:
                work = subprocess.Popen(argv, start_new_session=True, **options)
                _wait_a_little(work, _wait_for(action, layout), log_fd)
        except OSError as err:
            message = (
                f"{settings_hooks.ERROR_PREFIX}could not start {action}: {err.strerror or err}\n"
            )
            os.write(log_fd, message.encode("utf-8", "replace"))
    finally:
        os.close(log_fd)


def _wait_for(action: str, layout: Layout) -> float:
    """Seconds to wait for the detached work: only a session start's pull waits."""
    if action != "pull":
        return 0.0
    # Here, not at the top: config brings git.py, ~15 ms of every hook (one after each turn).
    from git_claude_sync.machine import config

    try:
        return config.load(layout.config_file).start_wait
    except FatalError:
        return config.START_WAIT  # the pull itself reports the bad config in the log


def _wait_a_little(work: subprocess.Popen[bytes], budget: float, log_fd: int) -> None:
    """Wait up to ``budget`` seconds for the detached work; it goes on past it regardless.

    The note it logs is no hook line: the work's own lines, before or after it,
    stay the last run's (``settings_hooks.last_hook_failure``).
    """
    if budget <= 0:
        return
    started = time.monotonic()
    try:
        work.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        note = f"(the session start waited {budget:g} s; the pull goes on in the background)"
    else:
        took = time.monotonic() - started
        note = f"(the session start waited {took:.1f} s for the pull, exit {work.returncode})"
    os.write(log_fd, (note + "\n").encode("utf-8", "replace"))


# -- the per-turn push -------------------------------------------------------------------------
#
# Claude Code's Stop hook fires after every turn.  Each one touches turn.stamp and,
# unless a runner is already waiting, starts one detached.  The runner sleeps until
# turn.stamp is TURN_QUIET seconds old, pushes, and exits when no turn came during
# the push (else it goes round again).  So a burst of turns makes one push, a crash
# loses at most the turns of the last TURN_QUIET seconds plus one push's time, and
# nothing ever waits on the network inside Claude Code.


def _quiet_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(TURN_QUIET_ENV, TURN_QUIET)))
    except ValueError:
        return TURN_QUIET


def _runner_alive(layout: Layout) -> bool:
    try:
        pid = int(layout.turn_runner_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _claim_runner(layout: Layout) -> bool:
    """Become the one runner: write our pid, unless a live runner holds the file."""
    for _ in range(2):
        try:
            fd = os.open(layout.turn_runner_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if _runner_alive(layout):
                return False
            layout.turn_runner_file.unlink(missing_ok=True)  # a dead runner's
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        return True
    return False


def _turn_stamp(layout: Layout) -> float:
    try:
        return layout.turn_file.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _turn_end(layout: Layout, line: Any) -> None:
    layout.turn_file.touch()
    os.utime(layout.turn_file)
    if _runner_alive(layout):
        _log_quietly(layout, line("turn noted; a push is already pending"))
        return
    argv = [sys.executable, "-m", "git_claude_sync", "hook", RUNNER_EVENT]
    foreground = os.environ.get(FOREGROUND_ENV) == "1"
    _log_quietly(layout, line(f"turn noted; push after {_quiet_seconds():g} s of quiet"))
    options: dict[str, Any] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "close_fds": True,
        "cwd": layout.home,
    }
    if foreground:
        subprocess.run(argv, check=False, **options)
    else:
        subprocess.Popen(argv, start_new_session=True, **options)


def _turn_runner(layout: Layout) -> None:
    import time

    while _claim_runner(layout):
        try:
            while True:
                last = _turn_stamp(layout)
                wait = last + _quiet_seconds() - time.time()
                if wait > 0:
                    time.sleep(min(wait, 60.0))
                    continue
                log_fd = _open_log(layout)
                try:
                    line = settings_hooks.hook_log_line(_now(), "turn-end", "-", "push --quiet")
                    os.write(log_fd, (line + "\n").encode())
                    subprocess.run(
                        _work_argv("push"),
                        stdin=subprocess.DEVNULL,
                        stdout=log_fd,
                        stderr=log_fd,
                        cwd=layout.home,
                        check=False,
                    )
                finally:
                    os.close(log_fd)
                if _turn_stamp(layout) == last:
                    break
        finally:
            layout.turn_runner_file.unlink(missing_ok=True)
        if _turn_stamp(layout) == last:
            return  # no turn slipped in between the push and letting go
