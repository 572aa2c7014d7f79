from __future__ import annotations

from pathlib import Path

import pytest

from tests.machines import Machine

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simulation", "the random multi-machine simulation")
    group.addoption("--sim-steps", type=int, help="steps to simulate (default: a short run)")
    group.addoption("--sim-seed", type=int, help="seed to replay (default: a fresh one, printed)")
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        help="save a screenshot of each page of 'git claude-sync ui' into DIR (tests/web; "
        "or set $CLAUDE_SYNC_SCREENSHOTS)",
    )


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "projects").is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def machine_a(tmp_path: Path) -> Machine:
    (tmp_path / "a").mkdir()
    return Machine(tmp_path / "a")


@pytest.fixture
def machine_b(tmp_path: Path) -> Machine:
    (tmp_path / "b").mkdir()
    return Machine(tmp_path / "b")


@pytest.fixture
def pair(machine_a: Machine, machine_b: Machine) -> tuple[Machine, Machine]:
    """Two machines syncing through A's embedded default remote; A has pushed once."""
    machine_a.write("settings.json", b'{"model": "opus"}\n')
    machine_a.run("init")
    machine_a.run("push")
    machine_b.run("init", "--git", str(machine_a.default_remote), "--key", str(machine_a.key_file))
    return machine_a, machine_b
