"""The dashboard's "due now" counts exactly what the engine's pass picks up, kind by kind and per company."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ops_ui.categories import ErrorCategory
from ops_ui.engine.due import due_appointment_ids, due_count
from ops_ui.models import AppointmentStatus, SyncStatus, utcnow
from tests.support import factories


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
