"""Fixtures for the tests against the real Claude Code (see README.md here)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.claude_code.client import VERSION, Claude, claude_binary
from tests.claude_code.fake_api import FakeAnthropic
from tests.machines import Machine

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "claude_code: drives the real Claude Code (deselect: -m 'not claude_code')"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.claude_code)


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    binary = claude_binary()
    if binary is None:
        pytest.skip(f"Claude Code {VERSION} is not installed: run ./install.sh --dev")
    if "CLAUDE_CODE_BIN" not in os.environ:
        found = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
        assert found.startswith(VERSION + " "), (
            f"{binary} is {found.strip()!r}, tests/claude_code/VERSION pins {VERSION}: "
            "run ./install.sh --dev"
        )
    return binary


@pytest.fixture
def api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def mac(tmp_path: Path) -> Machine:
    """A Mac-like home: .../Users/alice."""
    home = tmp_path / "Users" / "alice"
    home.mkdir(parents=True)
    return Machine(home)


@pytest.fixture
def linux(tmp_path: Path) -> Machine:
    """A Linux-like home: .../home/alice."""
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    return Machine(home)


@pytest.fixture
def claude_mac(claude_bin: Path, mac: Machine, api: FakeAnthropic) -> Claude:
    return Claude(claude_bin, mac, api)


@pytest.fixture
def claude_linux(claude_bin: Path, linux: Machine, api: FakeAnthropic) -> Claude:
    return Claude(claude_bin, linux, api)


@pytest.fixture
def claude_at(claude_bin: Path, api: FakeAnthropic, tmp_path: Path) -> Callable[[str], Claude]:
    """A machine whose home is ``tmp_path / RELATIVE`` (made unless it exists), with claude."""

    def make(relative: str) -> Claude:
        home = tmp_path / relative
        home.mkdir(parents=True, exist_ok=True)
        return Claude(claude_bin, Machine(home), api)

    return make
