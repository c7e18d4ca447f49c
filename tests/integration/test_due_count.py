"""The dashboard's "due now" counts exactly what the engine's pass picks up, kind by kind and per company."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from ops_ui.categories import ErrorCategory
from ops_ui.engine.due import due_appointment_ids, due_count
from ops_ui.extensions import db
from ops_ui.health.engine_status import engine_status
from ops_ui.models import AppointmentStatus, SyncStatus, utcnow
from tests.support import factories
from tests.support.statements import executions_run_by


def test_due_now_counts_every_kind_the_engine_picks_up_and_nothing_else(app: Flask) -> None:
    now = utcnow()
    past = now - timedelta(minutes=5)
    technical = {"last_error_category": ErrorCategory.SERVER_ERROR, "next_retry_at": past}
    kinds = {
        "new": {},
        "retry due": technical,
        "cancel left": technical | {"status": AppointmentStatus.CANCELLED, "calcom_booking_uid": "left-live"},
        "unanswered": {"uncertain_request": "POST /v2/bookings", "uncertain_since": now - timedelta(minutes=10)},
    }
    not_due = {
        "retry later": technical | {"next_retry_at": now + timedelta(hours=1)},
        "needs a person": {"last_error_category": ErrorCategory.HOST_CONFLICT},
        "cancelled in step": {"status": AppointmentStatus.CANCELLED},
        "just unanswered": {"uncertain_request": "POST /v2/bookings", "uncertain_since": now},
    }
    companies = []
    for name in ("Salon Eins", "Salon Zwei"):
        company = factories.make_company(name)
        service = factories.make_service(company)
        staff = factories.make_staff(company)
        customer = factories.make_customer(company)
        for fields in kinds.values():
            status = SyncStatus.PENDING if not fields else SyncStatus.FAILED
            status = SyncStatus.SYNCED if "uncertain_request" in fields else status  # a move whose answer was lost
            factories.make_appointment(customer, service, staff, sync_status=status, **fields)
        for label, fields in not_due.items():
            status = SyncStatus.SYNCED if label in ("cancelled in step", "just unanswered") else SyncStatus.FAILED
            factories.make_appointment(customer, service, staff, sync_status=status, **fields)
        companies.append(company)

    assert due_count(now) == len(due_appointment_ids(now, 100)) == 2 * len(kinds)
    assert due_count(now, companies[0].id) == len(kinds)


def test_retries_over_all_companies_are_looked_up_at_each_companys_technical_failures(app: Flask) -> None:
    """On SQLite, the engine's due pass and the dashboard's due count and next retry enter the health index at each
    company and error category; reading every failed appointment for the few technical ones grew with the backlog."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan of SQLite")
    now = utcnow()
    with executions_run_by(app) as ran:
        due_appointment_ids(now, 100)
        engine_status(now, None, app.config)
    retries = [(sql, values) for sql, values in ran if "next_retry_at" in sql and "last_error_category" in sql]
    assert len(retries) == 3, "the due pass, the due count and the next retry"
    seek = "ix_appointment_health (sync_status=? AND company_id=? AND last_error_category=?)"
    for statement, parameters in retries:
        plan = [
            row[-1] for row in db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
        assert any(seek in step for step in plan), plan
