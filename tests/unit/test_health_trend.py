"""Local day boundaries of the trend (DST days included) and the geometry of its chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from ops_ui.company_time import local_midnight
from ops_ui.health.chart import nice_ceiling, trend_chart
from ops_ui.health.trend import DayCount, last_days

BERLIN = ZoneInfo("Europe/Berlin")


def test_thirty_days_end_with_the_local_today_not_the_utc_one() -> None:
    # 23:30 UTC on 20 Nov is already 21 Nov in Berlin.
    days = last_days(datetime(2026, 11, 20, 23, 30, tzinfo=UTC), BERLIN)
    assert len(days) == 30
    assert days[-1].date == date(2026, 11, 21)
    assert days[0].date == date(2026, 10, 23)
    assert days[-1].start == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def test_days_are_contiguous_with_no_gap_or_overlap() -> None:
    days = last_days(datetime(2026, 4, 10, 12, tzinfo=UTC), BERLIN)
    for earlier, later in pairwise(days):
        assert earlier.end == later.start
        assert later.date - earlier.date == timedelta(days=1)


def test_spring_forward_day_has_23_hours() -> None:
    days = {day.date: day for day in last_days(datetime(2026, 3, 30, 10, tzinfo=UTC), BERLIN)}
    change = days[date(2026, 3, 29)]
    assert change.start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # midnight CET
    assert change.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # midnight CEST
    assert change.hours == 23
    assert days[date(2026, 3, 28)].hours == 24
    assert days[date(2026, 3, 30)].hours == 24


def test_fall_back_day_has_25_hours() -> None:
    days = {day.date: day for day in last_days(datetime(2026, 10, 26, 10, tzinfo=UTC), BERLIN)}
    change = days[date(2026, 10, 25)]
    assert change.start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # midnight CEST
    assert change.end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # midnight CET
    assert change.hours == 25


def test_utc_days_are_plain_24_hours() -> None:
    days = last_days(datetime(2026, 3, 30, 10, tzinfo=UTC), ZoneInfo("UTC"))
    assert {day.hours for day in days} == {24}
    assert local_midnight(date(2026, 3, 29), ZoneInfo("UTC")) == datetime(2026, 3, 29, tzinfo=UTC)


def test_day_without_attempts_has_no_rate_rather_than_zero() -> None:
    assert DayCount(date(2026, 1, 1), 0, 0).rate is None
    assert DayCount(date(2026, 1, 1), 0, 4).rate == 0
    assert DayCount(date(2026, 1, 1), 3, 1).rate == 0.75


def test_count_scale_rounds_up_to_a_readable_top() -> None:
    assert [nice_ceiling(value) for value in (0, 1, 3, 7, 10, 11, 180, 4_321)] == [1, 1, 5, 10, 10, 20, 200, 5_000]


def test_chart_stacks_failed_on_synced_and_breaks_the_rate_line_on_empty_days() -> None:
    start = date(2026, 11, 1)
    days = [
        DayCount(start, 8, 2),
        DayCount(start + timedelta(days=1), 0, 0),
        DayCount(start + timedelta(days=2), 5, 5),
        DayCount(start + timedelta(days=3), 10, 0),
    ]
    chart = trend_chart(days)
    full = chart.plot_bottom - chart.plot_top  # top of the scale is 10
    first = chart.bars[0]
    assert first.synced_height == round(full * 0.8, 2)
    assert first.failed_height == round(full * 0.2, 2)
    assert first.failed_y + first.failed_height == first.synced_y
    assert chart.bars[1].synced_height == 0 and chart.bars[1].failed_height == 0
    assert chart.bars[1].title == "2026-11-02: 0 synced, 0 failed, no attempts"
    assert len(chart.rate_segments) == 2 and len(chart.rate_points) == 3
    assert chart.rate_points[2][1] == chart.plot_top  # 100 % at the top
    assert [tick.label for tick in chart.count_ticks] == ["0", "2", "5", "7", "10"]
    assert chart.bars[0].label == "01.11" and chart.bars[-1].label == "04.11"
