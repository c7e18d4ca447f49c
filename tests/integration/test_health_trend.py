"""Attempts land in the right Berlin day, also on DST change days, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask

from ops_ui.extensions import db
from ops_ui.health.metrics import daily_attempts
from ops_ui.models import SyncAttempt, SyncOperation
from tests.support.factories import make_company


def _attempts(*moments: tuple[datetime, bool]) -> None:
    for at, succeeded in moments:
        db.session.add(
            SyncAttempt(operation=SyncOperation.CREATE, method="POST", path="/v2/bookings", succeeded=succeeded, at=at)
        )
    db.session.commit()


def _by_date(now: datetime, company_id: int | None = None) -> dict[date, tuple[int, int]]:
    return {day.date: (day.synced, day.failed) for day in daily_attempts(db.session, now, "Europe/Berlin", company_id)}


def test_spring_forward_day_holds_its_23_hours_of_attempts(app: Flask) -> None:
    _attempts(
        (datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC), True),  # 23:59:59 CET on the 28th
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), True),  # 00:00 CET on the 29th
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), False),  # 03:30 CEST, just after the jump
        (datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC), True),  # 23:59:59 CEST on the 29th
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), False),  # 00:00 CEST on the 30th
    )
    counts = _by_date(datetime(2026, 3, 30, 10, tzinfo=UTC))
    assert counts[date(2026, 3, 28)] == (1, 0)
    assert counts[date(2026, 3, 29)] == (2, 1)
    assert counts[date(2026, 3, 30)] == (0, 1)


def test_fall_back_day_holds_its_25_hours_of_attempts(app: Flask) -> None:
    _attempts(
        (datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC), True),  # 23:59:59 CEST on the 24th
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), True),  # 00:00 CEST on the 25th
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), False),  # 02:30 CEST, first pass
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), False),  # 02:30 CET, second pass
        (datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC), True),  # 23:59:59 CET on the 25th
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), True),  # 00:00 CET on the 26th
    )
    counts = _by_date(datetime(2026, 10, 26, 10, tzinfo=UTC))
    assert counts[date(2026, 10, 24)] == (1, 0)
    assert counts[date(2026, 10, 25)] == (2, 2)
    assert counts[date(2026, 10, 26)] == (1, 0)


def test_window_starts_at_local_midnight_thirty_days_back_and_ends_now(app: Flask) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    _attempts(
        (datetime(2026, 10, 21, 21, 59, 59, tzinfo=UTC), True),  # 23:59:59 CEST on 21 Oct: a day too old
        (datetime(2026, 10, 21, 22, 0, tzinfo=UTC), False),  # 00:00 CEST on 22 Oct: the first day
        (now, True),
        (datetime(2026, 11, 20, 12, 0, 1, tzinfo=UTC), True),  # after now
    )
    counts = _by_date(now)
    assert len(counts) == 30
    assert counts[date(2026, 10, 22)] == (0, 1)
    assert counts[date(2026, 11, 20)] == (1, 0)
    assert sum(synced + failed for synced, failed in counts.values()) == 2


def test_company_scope_counts_only_attempts_of_its_appointments(app: Flask) -> None:
    company = make_company()
    _attempts((datetime(2026, 11, 20, 9, tzinfo=UTC), True))  # no appointment: belongs to no company
    assert _by_date(datetime(2026, 11, 20, 12, tzinfo=UTC))[date(2026, 11, 20)] == (1, 0)
    assert _by_date(datetime(2026, 11, 20, 12, tzinfo=UTC), company.id)[date(2026, 11, 20)] == (0, 0)
