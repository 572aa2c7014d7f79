from __future__ import annotations

import compileall
import os
import re
import sys
from pathlib import Path

import pytest

from tests.machines import Machine
from tests.prepared import PreparedPairs, copy_homes

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"

# Every process a test starts runs as on a user's machine, where Python's standard streams
# are buffered: the 2-core box sets PYTHONUNBUFFERED=1, which hid a filter process that
# answered git's handshake into its buffer and then waited for git (every push hung).
os.environ.pop("PYTHONUNBUFFERED", None)

# pytest keeps each test module's assert-rewritten code in __pycache__ only where bytecode
# may be written: under PYTHONDONTWRITEBYTECODE=1 (the 2-core box) every worker rewrote and
# compiled every test module again on every run, ~1.5 s of CPU each (collection: 2.2 s
# against 0.6-0.8 s).  This process only; the processes the tests start keep the variable.
sys.dont_write_bytecode = False

# The test helpers' own modules (tests/machines.py, tests/remote/inject/sitecustomize.py
# that every CLI and remote helper started with injecting() imports at start-up, ...); test
# modules are compiled by pytest's rewriting instead.
_NOT_TEST_MODULES = re.compile(r"(^|/)test_[^/]*\.py$")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Byte-compile the package once, before any test starts the CLI.

    The suite starts the CLI and the filter process thousands of times, each a new
    interpreter; where PYTHONDONTWRITEBYTECODE is set (it is on the 2-core box) or the
    editable checkout has no __pycache__ yet, each of them compiled every module it
    imports from source again: about 50 ms of CPU per run.  py_compile writes the files
    whatever that variable says; stale ones are recompiled as usual (source mtime).
    """
    for folder in ("git_claude_sync", "filters"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    compileall.compile_dir(ROOT / "tests", quiet=1, rx=_NOT_TEST_MODULES)


#: Modules holding the suite's longest tests (15-60 s each on the 2-core box), longest
#: first.  They run before the rest: xdist deals tests out in collection order (one at a
#: time, --maxschedchunk=1 in pyproject.toml), and one of them starting last would keep a
#: worker busy long after the others ran out of work.
LONGEST_FIRST = (
    "tests/end_to_end/test_simulation.py",
    "tests/remote/test_gcs.py",
    "tests/end_to_end/test_live_append.py",
    "tests/remote/test_rotation.py",
    "tests/claude_code/test_folders.py",
    "tests/remote/test_git_host.py",
    "tests/engine/test_data_safety.py",
    "tests/end_to_end/test_faults.py",
    "tests/engine/test_streaming.py",
    "tests/remote/test_s3.py",
    "tests/test_spec_vectors.py",
    "tests/test_static.py",
    "tests/end_to_end/test_session_start.py",
    "tests/end_to_end/test_session_times.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


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


@pytest.fixture(scope="session")
def pair_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The homes of ``pair``, built once per worker (tests/prepared.py); never run again."""
    root = tmp_path_factory.mktemp("pair-template")
    a, b = Machine(root / "a"), Machine(root / "b")
    a.home.mkdir()
    b.home.mkdir()
    a.write("settings.json", b'{"model": "opus"}\n')
    a.run("init")
    a.run("push")
    b.run("init", "--git", str(a.default_remote), "--key", str(a.key_file))
    return root


@pytest.fixture
def pair(machine_a: Machine, machine_b: Machine, pair_template: Path) -> tuple[Machine, Machine]:
    """Two machines syncing through A's embedded default remote; A has pushed once."""
    assert machine_a.home.parent == machine_b.home.parent
    copy_homes(pair_template, machine_a.home.parent)
    return machine_a, machine_b


@pytest.fixture(scope="session")
def prepared_pairs(tmp_path_factory: pytest.TempPathFactory, pair_template: Path) -> PreparedPairs:
    """A module's own starting state of ``pair``, built once per worker and copied."""
    return PreparedPairs(tmp_path_factory, pair_template)
