"""Geometry of the trend chart, drawn as inline SVG by the server: no JavaScript library, works without scripts.

Stacked bars show synced (bottom) and failed (top) attempts per day against the left scale; a line shows the
day's success rate against the right scale (0–100 %). Days without attempts have no point on the line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ops_ui.health.trend import DayCount

WIDTH = 720
HEIGHT = 220
MARGIN_LEFT = 44
MARGIN_RIGHT = 44
MARGIN_TOP = 12
MARGIN_BOTTOM = 28


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    synced_y: float
    synced_height: float
    failed_y: float
    failed_height: float
    title: str
    label: str | None


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    bars: Sequence[Bar]
    count_ticks: Sequence[Tick]
    rate_ticks: Sequence[Tick]
    rate_segments: Sequence[str]
    """SVG ``points`` strings: the rate line is broken where a day had no attempts."""
    rate_points: Sequence[tuple[float, float]]
    """One dot per day with attempts, so a lone day between empty ones is still visible."""


def nice_ceiling(value: int) -> int:
    """A round top for the count scale (1, 2, 5 × 10ⁿ), so the gridlines carry readable numbers."""
    if value <= 0:
        return 1
    magnitude = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def trend_chart(days: Sequence[DayCount], width: int = WIDTH, height: int = HEIGHT) -> Chart:
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM
    plot_height = bottom - top
    top_count = nice_ceiling(max((day.total for day in days), default=0))
    slot = (right - left) / max(len(days), 1)
    bar_width = max(slot * 0.7, 1.0)

    def y_count(value: int) -> float:
        return bottom - plot_height * value / top_count

    bars: list[Bar] = []
    segments: list[str] = []
    points: list[tuple[float, float]] = []
    current: list[str] = []
    for index, day in enumerate(days):
        x = left + slot * index + (slot - bar_width) / 2
        synced_top = y_count(day.synced)
        failed_top = y_count(day.total)
        rate = "no attempts" if day.rate is None else f"{day.rate:.0%} succeeded"
        bars.append(
            Bar(
                x=round(x, 2),
                width=round(bar_width, 2),
                synced_y=round(synced_top, 2),
                synced_height=round(bottom - synced_top, 2),
                failed_y=round(failed_top, 2),
                failed_height=round(synced_top - failed_top, 2),
                title=f"{day.date.isoformat()}: {day.synced} synced, {day.failed} failed, {rate}",
                label=f"{day.date.day:02d}.{day.date.month:02d}" if index % 5 == 0 or index == len(days) - 1 else None,
            )
        )
        if day.rate is None:
            if current:
                segments.append(" ".join(current))
                current = []
            continue
        cx = x + bar_width / 2
        cy = bottom - plot_height * day.rate
        points.append((round(cx, 2), round(cy, 2)))
        current.append(f"{cx:.2f},{cy:.2f}")
    if current:
        segments.append(" ".join(current))

    count_ticks = [Tick(round(y_count(top_count * step // 4), 2), str(top_count * step // 4)) for step in range(5)]
    rate_ticks = [Tick(round(bottom - plot_height * step / 4, 2), f"{step * 25} %") for step in range(5)]
    return Chart(width, height, left, right, top, bottom, bars, count_ticks, rate_ticks, segments, points)
