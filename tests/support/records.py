"""What the database holds about an appointment, read fresh.

Requests are served by an app instance of their own, and services commit in the test's session: a row the test
session already holds would show what it saw before. Everything here reloads from the database
(``populate_existing``), so a check after a request sees what the request left behind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, Customer, SyncAttempt


def fresh(appointment_id: int) -> Appointment:
    row = db.session.get(Appointment, appointment_id, populate_existing=True)
    assert row is not None, f"appointment {appointment_id} is gone"
    return row


def state_of(appointment_id: int) -> dict[str, Any]:
    """What the failure rule protects: status, times, staff, uid, version, sync fields, and the customer's contact.

    Take it before a request and compare after: a snapshot, never the live object (which would compare to itself).
    """
    row = fresh(appointment_id)
    customer = db.session.get(Customer, row.customer_id, populate_existing=True)
    assert customer is not None
    return {
        "status": row.status,
        "sync_status": row.sync_status,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "staff_id": row.staff_id,
        "calcom_booking_uid": row.calcom_booking_uid,
        "version": row.version,
        "last_error_category": row.last_error_category,
        "attempt_count": row.attempt_count,
        "cancellation_reason": row.cancellation_reason,
        "email": customer.email,
        "phone": customer.phone,
    }


def attempts(appointment_id: int) -> list[SyncAttempt]:
    return list(
        db.session.scalars(
            select(SyncAttempt).where(SyncAttempt.appointment_id == appointment_id).order_by(SyncAttempt.id)
        )
    )


def audits(appointment_id: int, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.appointment_id == appointment_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def appointment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))
