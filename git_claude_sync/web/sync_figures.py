"""What the sync page shows, from every machine's metrics (engine/sync_metrics.py).

Propagation delay: a commit made on machine A (its commit time) and applied by
machine B (B's record of the pull or push that brought it) took
``applied - made`` to travel.  Which machine made a commit comes from the
records of the push that sent it, never from commit messages (they name no
machine).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from git_claude_sync.engine.sync_metrics import MachineMetrics
from git_claude_sync.web.charts import Chart, chart, show_value


@dataclass(frozen=True)
class MachineRow:
    machine: str
    here: bool
    syncs: int
    last_sync: str
    median_push: str
    median_pull: str
    sent: str
    received: str


def _records(m: MachineMetrics, kind: str | None = None) -> list[dict[str, Any]]:
    return [r for r in m.records if kind is None or r.get("kind") == kind]


def origins(machines: list[MachineMetrics]) -> dict[str, str]:
    """Commit -> the machine that sent it first."""
    made: dict[str, str] = {}
    for m in machines:
        for record in _records(m, "push"):
            for commit in record.get("sent_commits", []):
                made.setdefault(str(commit), m.machine)
    return made


# The machine that made a commit no push record names yet (its records arrive
# with its next carrying commit), asked of the repo: None if it cannot tell.
Origin = Callable[[str], str | None]


def delays(
    machines: list[MachineMetrics], origin: Origin | None = None
) -> dict[str, list[tuple[float, float]]]:
    """'A → B' -> (applied at, seconds from commit to applied) for each commit B applied."""
    made = origins(machines)
    found: dict[str, list[tuple[float, float]]] = {}
    for m in machines:
        for record in m.records:
            at = float(record.get("at", 0))
            for item in record.get("applied", []):
                commit, committed = str(item[0]), float(item[1])
                source = made.get(commit) or (origin and origin(commit)) or "unknown machine"
                if source == m.machine:
                    continue
                found.setdefault(f"{source} → {m.machine}", []).append(
                    (at, max(0.0, at - committed))
                )
    return found


def figures(machines: list[MachineMetrics], origin: Origin | None = None) -> list[Chart]:
    durations: dict[str, list[tuple[float, float]]] = {}
    sent: dict[str, list[tuple[float, float]]] = {}
    received: dict[str, list[tuple[float, float]]] = {}
    for m in machines:
        for r in m.records:
            at = float(r.get("at", 0))
            durations.setdefault(f"{m.machine} {r.get('kind')}", []).append(
                (at, float(r.get("seconds", 0)))
            )
            if r.get("sent"):
                sent.setdefault(m.machine, []).append((at, float(r["sent"])))
            if r.get("received"):
                received.setdefault(m.machine, []).append((at, float(r["received"])))
    return [
        chart("Push and pull durations", "s", durations),
        chart("Bytes sent", "bytes", sent),
        chart("Bytes received", "bytes", received),
        chart(
            "Propagation delay: made on one machine → applied on another",
            "s",
            delays(machines, origin),
        ),
    ]


def _median(records: list[dict[str, Any]]) -> str:
    values = [float(r.get("seconds", 0)) for r in records]
    return show_value(statistics.median(values), "s") if values else "–"


def rows(machines: list[MachineMetrics]) -> list[MachineRow]:
    table = []
    for m in machines:
        last = max((float(r.get("at", 0)) for r in m.records), default=None)
        table.append(
            MachineRow(
                machine=m.machine,
                here=m.here,
                syncs=len(m.records),
                last_sync=time.strftime("%Y-%m-%d %H:%M", time.localtime(last))
                if last
                else "never",
                median_push=_median(_records(m, "push")),
                median_pull=_median(_records(m, "pull")),
                sent=show_value(sum(float(r.get("sent", 0)) for r in m.records), "bytes"),
                received=show_value(sum(float(r.get("received", 0)) for r in m.records), "bytes"),
            )
        )
    return table
