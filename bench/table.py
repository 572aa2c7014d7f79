"""The benchmarks' one table format: a step, ours, plain git's, the ratio, the target, met/missed.

Every figure the issue asks for is a ratio to plain git measured in the same run, so a row
carries both raw numbers and the target as a bound on their ratio; ``render`` lines them up.
Other bench scripts import it (``from table import Row, render`` with bench/ on ``sys.path``,
which running ``python bench/x.py`` gives).

    rows = [Row("push after a 2 KB append", 0.31, 0.33, seconds, at_most=1.0)]
    print(render(rows))
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


def seconds(x: float) -> str:
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def size(n: float) -> str:
    """Bytes, in KiB or MiB."""
    return f"{n / MIB:.1f} MiB" if abs(n) >= MIB else f"{n / 1024:.1f} KiB"


def text(x: float) -> str:
    return f"{x:g}"


@dataclass
class Row:
    """One step: our figure, plain git's, how to show them, and the bound on ours / plain."""

    step: str
    ours: float
    plain: float | None
    show: Callable[[float], str] = seconds
    at_most: float | None = None  # the target: ours <= at_most * plain
    note: str = ""  # e.g. "median of 3", "single run"

    @property
    def ratio(self) -> float | None:
        if self.plain is None or self.plain <= 0:
            return None
        return self.ours / self.plain

    @property
    def met(self) -> bool | None:
        """True / False against the target; None where there is no target or no ratio."""
        if self.at_most is None or self.ratio is None:
            return None
        return self.ratio <= self.at_most

    def cells(self) -> tuple[str, str, str, str, str]:
        ratio = self.ratio
        if self.at_most is None:
            target = ""
        else:
            target = f"<= {self.at_most:g}x: " + {True: "met", False: "MISSED", None: "-"}[self.met]
        return (
            self.step + (f" ({self.note})" if self.note else ""),
            self.show(self.ours),
            "-" if self.plain is None else self.show(self.plain),
            "-" if ratio is None else f"{ratio:.2f}x",
            target,
        )


HEADER = ("step", "git-claude-sync", "plain git", "ratio", "target")


def render(rows: Sequence[Row], header: Sequence[str] = HEADER) -> str:
    """The rows as an aligned text table (also valid Markdown-ish, with ' | ' separators)."""
    return grid([tuple(header), *(row.cells() for row in rows)])


def grid(cells: Sequence[Sequence[str]]) -> str:
    """Any table of strings, first row the header, columns padded to their widest cell."""
    columns = max(len(row) for row in cells)
    padded = [list(row) + [""] * (columns - len(row)) for row in cells]
    widths = [max(len(row[i]) for row in padded) for i in range(columns)]
    lines = [
        " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in padded
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def missed(rows: Sequence[Row]) -> list[str]:
    """The steps whose target was missed, for a summary line."""
    return [row.step for row in rows if row.met is False]


def box() -> str:
    """The CPUs and load average: timings are wall-clock on whatever else the box is doing."""
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


@contextlib.contextmanager
def scratch(prefix: str, keep: bool) -> Iterator[Path]:
    """A temporary directory outside the repository, removed afterwards unless ``keep``."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        if keep:
            print(f"\nkept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
