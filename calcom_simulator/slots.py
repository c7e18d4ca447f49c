"""Slot maths: working hours in the host's zone, minus busy time, stepped like Cal.com's booker.

Pure functions over aware datetimes so they can be unit-tested without a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingHours:
    """One availability rule: ISO weekdays (1 = Monday) and a local start/end time."""

    days: tuple[int, ...]
    start: time
    end: time

    @classmethod
    def from_json(cls, rule: dict[str, Any]) -> WorkingHours:
        return cls(
            days=tuple(int(d) for d in rule["days"]),
            start=time.fromisoformat(rule["startTime"]),
            end=time.fromisoformat(rule["endTime"]) if rule["endTime"] != "24:00" else time(23, 59, 59),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "days": list(self.days),
            "startTime": self.start.strftime("%H:%M"),
            "endTime": self.end.strftime("%H:%M"),
        }


DEFAULT_WORKING_HOURS = [{"days": [1, 2, 3, 4, 5, 6], "startTime": "09:00", "endTime": "18:00"}]


def working_intervals(rules: Sequence[WorkingHours], zone: ZoneInfo, start: datetime, end: datetime) -> list[Interval]:
    """Working time overlapping ``[start, end]``, as aware intervals; local dates are walked in the host's zone."""
    intervals: list[Interval] = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for rule in rules:
            if day.isoweekday() in rule.days:
                opens = _local(day, rule.start, zone)
                closes = _local(day, rule.end, zone)
                if closes > opens and closes > start and opens < end:
                    intervals.append((opens, closes))
        day += timedelta(days=1)
    return sorted(intervals)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def is_free(candidate: Interval, busy: Iterable[Interval]) -> bool:
    return not any(overlaps(candidate, other) for other in busy)


def within_working_hours(candidate: Interval, rules: Sequence[WorkingHours], zone: ZoneInfo) -> bool:
    """A booking must fit entirely inside one working interval of the host."""
    return any(
        opens <= candidate[0] and candidate[1] <= closes
        for opens, closes in working_intervals(rules, zone, candidate[0], candidate[1])
    )


def free_slot_starts(
    rules: Sequence[WorkingHours],
    zone: ZoneInfo,
    busy: Sequence[Interval],
    *,
    range_start: datetime,
    range_end: datetime,
    length: timedelta,
    step: timedelta,
    earliest: datetime,
    latest: datetime | None = None,
) -> list[datetime]:
    """Slot starts aligned to each working interval's opening, every ``step``, that fit and do not collide.

    Starts lie in ``[range_start, range_end)``: like Cal.com's ``end``, ``range_end`` is exclusive, so a range ending
    at 12:00 does not offer a 12:00 start. ``earliest`` folds in "now" and the minimum notice; ``latest`` the booking
    window (``None`` = unlimited).
    """
    starts: list[datetime] = []
    for opens, closes in working_intervals(rules, zone, range_start, range_end):
        cursor = opens
        while cursor + length <= closes:
            candidate = (cursor, cursor + length)
            if (
                range_start <= cursor < range_end
                and cursor >= earliest
                and (latest is None or cursor <= latest)
                and is_free(candidate, busy)
            ):
                starts.append(cursor)
            cursor += step
    return starts


def group_by_local_date(starts: Iterable[datetime], zone: ZoneInfo) -> dict[str, list[datetime]]:
    """Cal.com keys slots by the date in the *requested* time zone, in chronological order."""
    grouped: dict[str, list[datetime]] = {}
    for start in sorted(set(starts)):
        local = start.astimezone(zone)
        grouped.setdefault(local.date().isoformat(), []).append(local)
    return grouped


def format_local(moment: datetime) -> str:
    """``2050-09-05T09:00:00.000+02:00``: milliseconds and the zone's offset, as the slots endpoint returns.

    For an IANA zone the offset is written even when it is ``+00:00``; only Cal.com's fixed UTC zone writes ``Z``
    (the caller uses ``iso_ms`` then).
    """
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + _offset(moment)


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"
