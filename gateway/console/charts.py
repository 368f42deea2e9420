"""Geometry for the dashboard's inline SVG column charts (drawn by templates/_charts.html).

Server-side, so a chart needs no script and reads the same in tests as in the browser: bars
in a fixed viewBox that scales to the card's width, a rounded top value for the axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT, BOTTOM = 1000.0, 220.0, 24.0  # viewBox; BOTTOM holds the x labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # index into the chart's series names (its colour)
    title: str  # the tooltip: "<label>: <value>"


@dataclass(frozen=True)
class Chart:
    series: list[str]
    bars: list[Bar]
    labels: list[tuple[float, str]]  # (x, text) under some columns
    top: float  # the axis maximum
    empty: bool
    width: float = WIDTH
    height: float = HEIGHT
    base: float = HEIGHT - BOTTOM


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def columns(
    labels: list[str], series: dict[str, list[float | None]], *, fmt=lambda v: f"{v:g}"
) -> Chart:
    """Grouped columns: one group per label, one bar per series; None and 0 draw no bar."""
    names = list(series)
    values = [v for vs in series.values() for v in vs if v is not None]
    top = nice_top(max(values, default=0))
    slot = WIDTH / max(len(labels), 1)
    bar_width = max(slot * 0.8 / max(len(names), 1), 1.0)
    base = HEIGHT - BOTTOM
    bars = []
    for i, label in enumerate(labels):
        for s, name in enumerate(names):
            value = series[name][i]
            if not value:
                continue
            height = (base - 8) * value / top
            x = i * slot + slot * 0.1 + s * bar_width
            title = f"{label} · {name}: {fmt(value)}"
            bars.append(
                Bar(
                    round(x, 1),
                    round(base - height, 1),
                    round(bar_width, 1),
                    round(height, 1),
                    s,
                    title,
                )
            )
    step = max(1, math.ceil(len(labels) / 8))  # at most ~8 labels fit under the bars
    marks = [(round(i * slot + slot / 2, 1), label) for i, label in enumerate(labels)][::step]
    return Chart(names, bars, marks, top, empty=not any(values))
