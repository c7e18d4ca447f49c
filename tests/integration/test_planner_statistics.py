"""SQLite's planner gets the statistics nothing in SQLite gathers by itself: the hourly job leaves them for every
index of the appointments (what they change at a million appointments: ``ops_ui.planner_statistics``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import inspect

from ops_ui.extensions import db
from ops_ui.jobs.tasks import planner_statistics
from ops_ui.models import SyncStatus
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff


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


def _analyzed_indexes() -> set[str]:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT idx FROM sqlite_stat1 WHERE tbl = 'appointment'")
        return {name for (name,) in rows}


@pytest.mark.usefixtures("without_statistics")
def test_the_hourly_job_leaves_statistics_for_every_index_of_the_appointments() -> None:
    company = make_company()
    customer, service, staff = make_customer(company), make_service(company), make_staff(company)
    for status in (SyncStatus.SYNCED, SyncStatus.FAILED, SyncStatus.PENDING):
        make_appointment(customer, service, staff, sync_status=status)
    assert _analyzed_indexes() == set()

    assert planner_statistics.call_local() == "statistics refreshed"

    indexes = {index["name"] for index in inspect(db.engine).get_indexes("appointment")}
    assert {"ix_appointment_queue", "ix_appointment_staff_slot", "ix_appointment_health"} <= indexes
    assert indexes <= _analyzed_indexes()


def test_postgresql_is_left_to_its_autovacuum(app: Flask) -> None:
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite is analyzed by the job")
    assert planner_statistics.call_local() == "left to postgresql's autovacuum"
