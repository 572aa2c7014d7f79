"""Plots as server-side SVG: time on x, one value on y, a series per machine.

Our own few lines instead of a chart library: the page must work offline
(nothing fetched), the figures are simple scatter-and-line plots, and an SVG
made here is plain markup a test can read (a ``circle`` per data point, its
value in ``data-value``).  templates/chart.svg.html draws what ``chart`` lays out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
COLOURS = ["#2b6cb0", "#c05621", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f", "#285e61"]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    at: float  # the moment (epoch seconds)
    value: float
    label: str  # what a tooltip says


@dataclass
class Series:
    name: str
    colour: str
    points: list[Point] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    unit: str
    series: list[Series]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def show_value(value: float, unit: str) -> str:
    if unit == "bytes":
        size = value
        for name in ("B", "KiB", "MiB", "GiB"):
            if size < 1024 or name == "GiB":
                return f"{size:.0f} {name}" if name == "B" else f"{size:.1f} {name}"
            size /= 1024
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    return f"{value:g}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10 if value >= 1 else 1.0
    for mult in (1, 2, 2.5, 5, 10):
        if value <= step * mult:
            return step * mult
    return value


def chart(title: str, unit: str, data: dict[str, list[tuple[float, float]]]) -> Chart:
    """``data``: series name -> (moment, value) pairs."""
    moments = [t for pairs in data.values() for t, _ in pairs]
    values = [v for pairs in data.values() for _, v in pairs]
    t0, t1 = (min(moments), max(moments)) if moments else (0.0, 1.0)
    if t1 - t0 < 1:
        t0, t1 = t0 - 30, t1 + 30
    top = _nice_max(max(values) if values else 1.0)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(t: float) -> float:
        return round(LEFT + (t - t0) / (t1 - t0) * inner_w, 1)

    def y_of(v: float) -> float:
        return round(TOP + inner_h - v / top * inner_h, 1)

    series = []
    for i, (name, pairs) in enumerate(sorted(data.items())):
        s = Series(name, COLOURS[i % len(COLOURS)])
        for t, v in sorted(pairs):
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
            label = f"{name}: {show_value(v, unit)} at {when}"
            s.points.append(Point(x_of(t), y_of(v), t, v, label))
        series.append(s)
    y_ticks = [(y_of(top * f), show_value(top * f, unit)) for f in (0, 0.25, 0.5, 0.75, 1)]
    span = t1 - t0
    fmt = "%H:%M:%S" if span < 3600 else "%m-%d %H:%M" if span < 7 * 86400 else "%Y-%m-%d"
    x_ticks = [
        (x_of(t0 + span * f), time.strftime(fmt, time.localtime(t0 + span * f)))
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    return Chart(title, unit, series, y_ticks, x_ticks)
