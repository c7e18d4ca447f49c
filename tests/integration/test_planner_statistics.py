"""SQLite's planner gets the statistics nothing in SQLite gathers by itself: the hourly job leaves them, and with
them the board's slot-holder look-up starts from the page's rows instead of every synced appointment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, select

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.jobs.tasks import planner_statistics
from ops_ui.models import Appointment, SyncStatus
from ops_ui.review.slot_holders import slot_holders
from tests.support.factories import (
    make_appointment,
    make_company,
    make_customer,
    make_service,
    make_staff,
    next_weekday_at,
)


def _salon_with_conflicts() -> list[Appointment]:
    company = make_company()
    customer, service = make_customer(company), make_service(company, duration_minutes=30)
    staff = [make_staff(company, f"Stylist {number}") for number in range(3)]
    start = next_weekday_at(8)
    for slot in range(60):
        make_appointment(customer, service, staff[slot % 3], start + timedelta(minutes=30 * slot), SyncStatus.SYNCED)
    return [
        make_appointment(
            customer,
            service,
            staff[number],
            start + timedelta(hours=number),
            SyncStatus.FAILED,
            last_error_category=ErrorCategory.HOST_CONFLICT,
        )
        for number in range(3)
    ]


def _plan_of_slot_holders(page: list[Appointment]) -> list[str]:
    ran: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        ran.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert slot_holders(page), "the synced appointments hold the conflicted slots"
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    [(statement, parameters)] = [(sql, values) for sql, values in ran if "external_booking" in sql]
    return [row[-1] for row in db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def _how_others_are_read(plan: list[str]) -> str:
    """The step of the own-appointment half (after the union) that reads the other appointments."""
    own_half = plan[plan.index("UNION ALL") :]
    return next(step for step in own_half if "appointment_1" in step)


@pytest.fixture
def without_statistics(app: Flask) -> Iterator[None]:
    """The shared test database as a salon's was before: no statistics, and none left for the tests after this."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its own statistics")

    def forget() -> None:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM sqlite_stat1")

    forget()
    yield
    db.session.remove()
    forget()


@pytest.mark.usefixtures("without_statistics")
def test_after_the_hourly_job_what_holds_a_slot_is_looked_up_from_the_page() -> None:
    page = _salon_with_conflicts()
    guessed = _plan_of_slot_holders(page)

    assert planner_statistics.call_local() == "statistics refreshed"
    db.session.remove()
    page = list(db.session.scalars(select(Appointment).where(Appointment.id.in_([row.id for row in page]))))
    planned = _plan_of_slot_holders(page)

    assert _how_others_are_read(guessed).startswith("SEARCH appointment_1 USING INDEX ix_appointment_queue ")
    assert "(staff_id=?" in _how_others_are_read(planned), planned
    stats = db.session.connection().exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'appointment'")
    assert stats.scalar_one() > 0


def test_postgresql_is_left_to_its_autovacuum(app) -> None:
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite is analyzed by the job")
    assert planner_statistics.call_local() == "left to postgresql's autovacuum"
