"""Calendar days in a company's time zone, as UTC ranges the database can compare against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ops_ui.company_time import local_midnight

TREND_DAYS = 30


@dataclass(frozen=True)
class Day:
    """One local calendar day and the UTC instants that bound it: ``start <= at < end``."""

    date: date
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def last_days(now: datetime, zone: ZoneInfo, count: int = TREND_DAYS) -> list[Day]:
    """The ``count`` local days ending with today (the day ``now`` falls on in ``zone``), oldest first."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=count - 1)
    dates = [first + timedelta(days=offset) for offset in range(count + 1)]
    bounds = [local_midnight(day, zone) for day in dates]
    return [Day(dates[index], bounds[index], bounds[index + 1]) for index in range(count)]


@dataclass(frozen=True)
class DayCount:
    """Sync attempts of one local day: how many reached Cal.com and how many failed."""

    date: date
    synced: int
    failed: int

    @property
    def total(self) -> int:
        return self.synced + self.failed

    @property
    def rate(self) -> float | None:
        """Share of attempts that succeeded; None on a day without attempts (not 0 %, nothing was tried)."""
        return self.synced / self.total if self.total else None
