"""The web page's fixtures: a running ``git claude-sync ui`` and a headless Chromium.

Chromium is Debian's (``apt-get install chromium``, done by ``./install.sh --dev``
as root), driven by Playwright; Playwright never downloads a browser here.
``--screenshots DIR`` (or ``$CLAUDE_SYNC_SCREENSHOTS``) saves a picture of each page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.machines import Machine

CHROMIUM = "/usr/bin/chromium"
# Flags that work on a closed network: nothing reaches out at start-up.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Page:
    """A running ``git claude-sync ui``."""

    url: str  # with the token
    port: int
    token: str
    process: subprocess.Popen[str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_ui(machine: Machine) -> Page:
    process = subprocess.Popen(
        [*machine.launcher(), "ui", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=machine.env(),
        cwd=machine.home,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
    if found is None:
        process.kill()
        errors = process.stderr.read() if process.stderr else ""
        raise AssertionError(f"no address printed: {line!r} {errors}")
    return Page(found.group(0), int(found.group(1)), found.group(2), process)


def stop_ui(page: Page) -> None:
    page.process.terminate()
    try:
        page.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        page.process.kill()
        page.process.wait()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path | None:
    where = request.config.getoption("--screenshots") or os.environ.get("CLAUDE_SYNC_SCREENSHOTS")
    if not where:
        return None
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path
