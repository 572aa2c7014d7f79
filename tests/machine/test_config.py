"""config.toml as init wrote it is read without tomllib, to the very Config tomllib gives
(machine/config._as_written); any other text still goes through tomllib."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from git_claude_sync.machine import config


def through_tomllib(path: Path) -> config.Config:
    """What load() returns when the text takes the tomllib path."""
    real = config._as_written
    config._as_written = lambda text: None  # type: ignore[assignment]
    try:
        return config.load(path)
    finally:
        config._as_written = real


@pytest.mark.parametrize("name", ["laptop-1a2b", "Sam's Mac", 'a "b"', "naïve-ü", "x\\y", " ", ""])
def test_a_file_as_written_reads_as_tomllib_reads_it(tmp_path: Path, name: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        config.TEMPLATE.format(
            machine=name,
            connect=config.Limits.connect,
            stall=config.Limits.stall,
            start_wait=config.START_WAIT,
        ),
        encoding="utf-8",
    )
    data = config._as_written(path.read_text(encoding="utf-8"))
    assert (data is not None) == ("'" not in name and "\\" not in name)
    if data is not None:  # numbers compare equal whether TOML said 30 or 30.0
        assert data == tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        expected = through_tomllib(path)
    except config.FatalError as err:
        with pytest.raises(config.FatalError, match="'machine' must be"):
            config.load(path)
        assert "'machine' must be" in str(err)
        return
    assert config.load(path) == expected


def test_the_default_file_is_read_without_tomllib(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config.write_default(path)
    assert config._as_written(path.read_text(encoding="utf-8")) is not None
    code = (
        "import sys; from pathlib import Path; from git_claude_sync.machine import config; "
        f"config.load(Path({str(path)!r})); print('tomllib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("exclude = []", 'exclude = ["projects/-tmp-*/"]'),
        lambda t: t.replace("stall_timeout = 120", "stall_timeout = 300"),
        lambda t: t.replace("start_wait = 4", "start_wait = 0"),
        lambda t: t + "\n[hooks2]\n",
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace("# Paths", "#  Paths"),
        lambda t: t.replace("machine = '", 'machine = "').replace("'\n\n[sync]", '"\n\n[sync]'),
    ],
)
def test_any_change_goes_through_tomllib(tmp_path: Path, edit: object) -> None:
    path = tmp_path / "config.toml"
    config.write_default(path)
    text = edit(path.read_text(encoding="utf-8"))  # type: ignore[operator]
    path.write_text(text, encoding="utf-8", newline="")
    assert config._as_written(text) is None
    assert config.load(path) == through_tomllib(path)


def test_environment_overrides_apply_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    config.write_default(path)
    monkeypatch.setenv("CLAUDE_SYNC_STALL_TIMEOUT", "7")
    monkeypatch.setenv(config.START_WAIT_ENV, "2.5")
    loaded = config.load(path)
    assert loaded == through_tomllib(path)
    assert loaded.network.stall == 7.0 and loaded.start_wait == 2.5
