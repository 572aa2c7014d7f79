"""The real Claude Code, run as a fake machine (tests/machines.py) against the fake API.

The version is pinned in ``tests/claude_code/VERSION``; ``./install.sh --dev``
installs it into ``.venv/claude-code/``.  To try another version, see
``tests/claude_code/README.md``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.claude_code.fake_api import FakeAnthropic
from tests.machines import Machine

ROOT = Path(__file__).resolve().parents[2]
VERSION = (Path(__file__).with_name("VERSION")).read_text().strip()
INSTALL_DIR = ROOT / ".venv" / "claude-code"
# A dummy key: Claude Code asks once whether to use a key from the environment and
# remembers the answer by its last 20 characters (customApiKeyResponses.approved).
API_KEY = "sk-ant-api03-fake-key-for-tests-only-" + "0123456789abcdefghij"
REPLY = re.compile(r"I see (\d+) messages")


def claude_binary() -> Path | None:
    """The pinned Claude Code (``$CLAUDE_CODE_BIN`` overrides), or None when not installed."""
    override = os.environ.get("CLAUDE_CODE_BIN")
    if override:
        return Path(override)
    path = INSTALL_DIR / "node_modules" / ".bin" / "claude"
    return path if path.exists() else None


class Claude:
    """``claude`` on one machine: its HOME, its ``~/.claude.json``, the fake API."""

    def __init__(self, binary: Path, machine: Machine, api: FakeAnthropic) -> None:
        self.binary = binary
        self.machine = machine
        self.api = api
        self.state = machine.home / ".claude.json"

    def env(self) -> dict[str, str]:
        env = self.machine.env(
            ANTHROPIC_BASE_URL=self.api.url,
            ANTHROPIC_API_KEY=API_KEY,
            DISABLE_TELEMETRY="1",
            DISABLE_AUTOUPDATER="1",
            DISABLE_ERROR_REPORTING="1",
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
            TERM="xterm-256color",
        )
        for name in list(env):  # a developer's own settings (a token, a model) stay out
            if name.startswith("ANTHROPIC_") and name not in (
                "ANTHROPIC_BASE_URL",
                "ANTHROPIC_API_KEY",
            ):
                del env[name]
        return env

    def trust(self, *dirs: Path) -> None:
        """What the first run's dialogs would leave in ``~/.claude.json``."""
        try:
            state = json.loads(self.state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            state = {}
        state["hasCompletedOnboarding"] = True
        state.setdefault("customApiKeyResponses", {"approved": [], "rejected": []})
        approved = state["customApiKeyResponses"].setdefault("approved", [])
        if API_KEY[-20:] not in approved:
            approved.append(API_KEY[-20:])
        projects = state.setdefault("projects", {})
        for folder in dirs:
            for path in {str(folder), os.path.realpath(folder)}:
                entry = projects.setdefault(path, {})
                entry["hasTrustDialogAccepted"] = True
                entry["hasCompletedProjectOnboarding"] = True
        self.state.write_text(json.dumps(state, indent=2), encoding="utf-8")

    def run(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``claude ARGS`` in ``cwd``, non-interactively; asserts success unless told."""
        cwd.mkdir(parents=True, exist_ok=True)
        self.trust(cwd)
        proc = subprocess.run(
            [str(self.binary), *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"claude {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def ask(self, cwd: Path, prompt: str, *args: str) -> int:
        """``claude -p ARGS PROMPT``: the number of messages the API was sent."""
        proc = self.run(cwd, "-p", *args, prompt)
        match = REPLY.search(proc.stdout)
        assert match, f"no answer from the fake API: {proc.stdout!r} {proc.stderr!r}"
        return int(match.group(1))

    def sent(self, prompt: str, earlier: str) -> bool:
        """Whether the request that carried ``prompt`` also carried ``earlier`` (a past turn)."""
        for request in self.api.message_requests():
            text = json.dumps(request.messages)
            if prompt in text:
                return earlier in text
        return False

    def tmux(self, cwd: Path, *args: str) -> Tmux:
        """``claude ARGS`` interactively, in a tmux server of its own."""
        cwd.mkdir(parents=True, exist_ok=True)
        self.trust(cwd)
        return Tmux(f"claude-sync-test-{os.getpid()}-{time.monotonic_ns()}", self).start(cwd, *args)


class Tmux:
    """An interactive ``claude`` in a detached tmux session: type, wait for the screen."""

    def __init__(self, socket: str, claude: Claude) -> None:
        self.socket = socket  # a server name (-L): a socket path may be too long
        self.claude = claude

    def _tmux(self, *args: str) -> str:
        tmux = shutil.which("tmux")
        assert tmux, "tmux is not installed (./install.sh --dev installs it)"
        return subprocess.run(
            [tmux, "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=self.claude.env(),
            check=True,
        ).stdout

    def start(self, cwd: Path, *args: str) -> Tmux:
        command = " ".join(_quote(a) for a in [str(self.claude.binary), *args])
        self._tmux("new-session", "-d", "-x", "150", "-y", "45", "-c", str(cwd), command)
        return self

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-l", text)

    def wait(self, test: Callable[[str], bool] | str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if test in screen if isinstance(test, str) else test(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {test!r}; the screen:\n{screen}")

    def ready(self) -> str:
        """Wait for the input prompt."""
        return self.wait("? for shortcuts")

    def enter(self, text: str) -> None:
        """Type ``text`` at the prompt (waiting until it shows) and press Enter."""
        self.type(text)
        self.wait(text)
        self.keys("Enter")

    def answer(self, prompt: str) -> int:
        """Wait for the fake API's answer to ``prompt`` on the screen: its message count."""

        def after(screen: str) -> re.Match[str] | None:
            return REPLY.search(screen, screen.rfind(prompt)) if prompt in screen else None

        match = after(self.wait(lambda screen: after(screen) is not None))
        assert match is not None
        return int(match.group(1))

    def running(self) -> bool:
        tmux = shutil.which("tmux") or "tmux"
        has = [tmux, "-L", self.socket, "has-session"]
        return subprocess.run(has, capture_output=True, check=False).returncode == 0

    def exit(self, timeout: float = 20) -> None:
        """``/exit``, and wait until Claude Code has ended (its hooks run)."""
        self.enter("/exit")
        deadline = time.monotonic() + timeout
        while self.running():
            assert time.monotonic() < deadline, "claude did not exit after /exit"
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"
