"""The per-quarter-hour attempt tally stays equal to the attempts it counts, and the trend read from it is exact."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.health.metrics import daily_attempts
from ops_ui.health.tally import quarter_of, rebuild_tally
from ops_ui.models import NO_COMPANY, SyncAttempt, SyncAttemptTally, SyncOperation
from tests.support.factories import make_company
from tests.support.statements import executions_run_by

NOW = datetime(2026, 11, 20, 12, 7, 30, tzinfo=UTC)


def _add_attempts(moments: list[tuple[datetime, bool, int | None]], batch: int = 7) -> None:
    for start in range(0, len(moments), batch):
        for at, succeeded, company_id in moments[start : start + batch]:
            db.session.add(
                SyncAttempt(
                    company_id=company_id,
                    operation=SyncOperation.CREATE,
                    method="POST",
                    path="/v2/bookings",
                    succeeded=succeeded,
                    at=at,
                )
            )
        db.session.commit()


def _random_attempts(companies: list[int | None], count: int = 400) -> list[tuple[datetime, bool, int | None]]:
    rng = random.Random(5)
    moments = [
        (NOW - timedelta(seconds=rng.randrange(0, 32 * 86400)), rng.random() < 0.8, rng.choice(companies))
        for _ in range(count)
    ]
    moments += [(NOW - timedelta(seconds=second), True, companies[0]) for second in (0, 1, 400)]  # current quarter
    moments.append((NOW + timedelta(seconds=1), True, companies[0]))  # after now: never counted
    return moments


def _tally() -> Counter[tuple[int, datetime, str]]:
    counts: Counter[tuple[int, datetime, str]] = Counter()
    for row in db.session.scalars(select(SyncAttemptTally)):
        counts[(row.company_id, row.quarter, "succeeded")] += row.succeeded
        counts[(row.company_id, row.quarter, "failed")] += row.failed
    return +counts


def _expected_tally(moments: list[tuple[datetime, bool, int | None]]) -> Counter[tuple[int, datetime, str]]:
    return Counter(
        (company_id or NO_COMPANY, quarter_of(at), "succeeded" if succeeded else "failed")
        for at, succeeded, company_id in moments
    )


def test_every_flush_adds_its_attempts_to_the_tally(app):
    first, second = make_company("Eins").id, make_company("Zwei").id
    moments = _random_attempts([first, second, None])

    _add_attempts(moments)

    assert _tally() == _expected_tally(moments)


@pytest.mark.parametrize("scope", ["all", "one company"])
def test_trend_from_the_tally_equals_counting_the_attempts(app, scope):
    first, second = make_company("Eins").id, make_company("Zwei").id
    moments = _random_attempts([first, second, None])
    _add_attempts(moments)
    company_id = first if scope == "one company" else None

    trend = daily_attempts(db.session, NOW, "Europe/Berlin", company_id)

    expected: Counter[tuple[object, bool]] = Counter(
        (at.astimezone(ZoneInfo("Europe/Berlin")).date(), succeeded)
        for at, succeeded, company in moments
        if at <= NOW and (company_id is None or company == company_id)
    )
    assert {day.date: (day.synced, day.failed) for day in trend} == {
        day.date: (expected[(day.date, True)], expected[(day.date, False)]) for day in trend
    }
    assert sum(day.synced + day.failed for day in trend) > 100


@pytest.mark.parametrize("scope", ["all", "one company"])
def test_each_day_of_the_trend_reads_only_its_own_quarter_hours(app, scope):
    """An SQLite file before its first ANALYZE: without an index that starts with the quarter hour, the planner
    reads the whole tally once per day of the trend."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan of SQLite without statistics")
    company_id = make_company("Eins").id if scope == "one company" else None

    with executions_run_by(app) as ran:
        daily_attempts(db.session, NOW, "Europe/Berlin", company_id)
    [(statement, parameters)] = [(sql, values) for sql, values in ran if "sync_attempt_tally" in sql]
    plan = [row[-1] for row in db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]

    reads = [step for step in plan if "sync_attempt_tally" in step]
    assert len(reads) == 30, plan
    assert all(step.startswith("SEARCH") for step in reads), reads


def test_recounting_bulk_loaded_attempts_gives_the_same_tally(app):
    moments = _random_attempts([make_company().id, None])
    _add_attempts(moments)
    kept = _tally()

    with db.engine.begin() as connection:
        rebuild_tally(connection)
    db.session.expire_all()

    assert _tally() == kept
