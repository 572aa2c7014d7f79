"""The tool's own settings file, ``~/.claude-sync/config.toml`` (per machine, never synced)."""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any

from git_claude_sync.errors import FatalError
from git_claude_sync.git import CONNECT_ENV, STALL_ENV, Limits
from git_claude_sync.records import dataclass, field

TEMPLATE = """\
# git-claude-sync settings for this machine (never synced).
# Paths are relative to the Claude directory.

# How commits from this machine are labelled (host name and a random suffix by default).
machine = {machine!r}

[sync]
# Top-level entries to sync besides the defaults, e.g. ["file-history", "tasks"].
include = []
# gitignore-style patterns never to sync, e.g. ["projects/-tmp-*/"].
exclude = []

[network]
# Seconds to wait for an ssh connection to open.
connect_timeout = {connect:g}
# Seconds the remote may send nothing before a push or pull gives up on it.
# Raise it for a slow link (or set CLAUDE_SYNC_STALL_TIMEOUT).
stall_timeout = {stall:g}

[hooks]
# Seconds a session start waits for its pull (so other machines' sessions are in the
# picker); past it the pull goes on in the background.  0: never wait.
start_wait = {start_wait:g}
"""

START_WAIT = 4.0
START_WAIT_MAX = 20.0  # well under the hook timeout Claude Code is given (settings_hooks)
START_WAIT_ENV = "CLAUDE_SYNC_START_WAIT"


@dataclass(frozen=True)
class Config:
    machine: str
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    network: Limits = field(default_factory=Limits)
    start_wait: float = START_WAIT  # [hooks] start_wait


def default_machine() -> str:
    # gethostname() is uname()'s node name; os has it without importing socket (start-up).
    return os.uname().nodename.split(".")[0] or "machine"


def new_machine_name() -> str:
    """The host name and a short random suffix: two VMs both called "vm" stay apart."""
    # os.urandom is what secrets.token_hex reads; importing secrets (random, string) cost
    # every command ~1.5 ms at start for this one call (issue 14).
    return f"{default_machine()}-{os.urandom(2).hex()}"


def write_default(path: Path) -> None:
    """Write the template once, with this machine's name chosen now (kept from then on)."""
    if not path.exists():
        text = TEMPLATE.format(
            machine=new_machine_name(),
            connect=Limits.connect,
            stall=Limits.stall,
            start_wait=START_WAIT,
        )
        path.write_text(text, encoding="utf-8")


def load(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(
            machine=default_machine(), network=_network({}, path), start_wait=_start_wait({}, path)
        )
    except UnicodeDecodeError as err:
        raise FatalError(f"{path} is not valid TOML: {err}") from None
    data = _as_written(text)
    if data is None:
        import tomllib  # only for a file changed since init: ~2 ms of every start

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise FatalError(f"{path} is not valid TOML: {err}") from None
    machine = data.get("machine", default_machine())
    sync = data.get("sync", {})
    if not isinstance(machine, str) or not machine.strip():
        raise FatalError(f"{path}: 'machine' must be a non-empty string")
    if not isinstance(sync, dict):
        raise FatalError(f"{path}: [sync] must be a table")
    lists = {}
    for name in ("include", "exclude"):
        value = sync.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise FatalError(f"{path}: sync.{name} must be a list of non-empty strings")
        lists[name] = value
    return Config(
        machine=machine.strip(),
        include=lists["include"],
        exclude=lists["exclude"],
        network=_network(data.get("network", {}), path),
        start_wait=_start_wait(data.get("hooks", {}), path),
    )


def _as_written(text: str) -> dict[str, Any] | None:
    """What tomllib reads from ``text`` if it is the file ``write_default`` writes today,
    byte for byte (only the machine's name differs, as a quoted string with no escapes);
    else None.  Most machines never edit it: no TOML parser at start-up for them."""
    start = text.find("\nmachine = '") + len("\nmachine = ")
    quoted = text[start : text.find("\n", start)]
    machine = quoted[1:-1]
    if start < len("\nmachine = ") or "\\" in quoted or repr(machine) != quoted:
        return None
    numbers = {"connect": Limits.connect, "stall": Limits.stall, "start_wait": START_WAIT}
    if text != TEMPLATE.format(machine=machine, **numbers):
        return None
    # The file says each number as format(n, "g"): TOML reads "30" as 30 and "0.5" as 0.5,
    # float() of the same text the same number to every use below (each takes float()).
    connect, stall, start_wait = (float(format(n, "g")) for n in numbers.values())
    return {
        "machine": machine,
        "sync": {"include": [], "exclude": []},
        "network": {"connect_timeout": connect, "stall_timeout": stall},
        "hooks": {"start_wait": start_wait},
    }


def _start_wait(table: object, path: Path) -> float:
    """``[hooks] start_wait`` (or ``CLAUDE_SYNC_START_WAIT``): 0 up to START_WAIT_MAX."""
    if not isinstance(table, dict):
        raise FatalError(f"{path}: [hooks] must be a table")
    where = START_WAIT_ENV if os.environ.get(START_WAIT_ENV) else f"{path}: hooks.start_wait"
    value = os.environ.get(START_WAIT_ENV) or table.get("start_wait", START_WAIT)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise FatalError(f"{where} must be a number of seconds, 0 or more")
    return min(float(value), START_WAIT_MAX)


def _seconds(value: object, where: str) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FatalError(f"{where} must be a number of seconds")
    if not (value > 0 and math.isfinite(value)):
        raise FatalError(f"{where} must be a positive number of seconds")
    return float(value)


def _network(table: object, path: Path) -> Limits:
    """``[network]`` of config.toml, each value overridden by its environment variable
    (``CLAUDE_SYNC_CONNECT_TIMEOUT``, ``CLAUDE_SYNC_STALL_TIMEOUT``)."""
    if not isinstance(table, dict):
        raise FatalError(f"{path}: [network] must be a table")
    values = {}
    for name, env, default in (
        ("connect_timeout", CONNECT_ENV, Limits.connect),
        ("stall_timeout", STALL_ENV, Limits.stall),
    ):
        if os.environ.get(env):
            values[name] = _seconds(os.environ[env], env)
        elif name in table:
            values[name] = _seconds(table[name], f"{path}: network.{name}")
        else:
            values[name] = default
    return Limits(
        connect=values["connect_timeout"],
        stall=values["stall_timeout"],
        config_file=str(path),
    )
