"""Runs the syncs that are due: new appointments never tried, and technical failures whose back-off has passed.

Business failures are never picked up here; they wait on the review board for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select

from ops_ui import queue_rules as rules
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import SyncResult, sync_appointment
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus


def due_appointment_ids(now: datetime, limit: int) -> Sequence[int]:
    statement = (
        select(Appointment.id)
        .where(
            Appointment.status == AppointmentStatus.SCHEDULED,
            or_(rules.pending(), and_(rules.failed(), rules.technical_error(), Appointment.next_retry_at <= now)),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    return db.session.scalars(statement).all()


def sync_due(now: datetime | None = None, limit: int = 100) -> list[SyncResult]:
    """One pass; a scheduler (cron, systemd timer) runs it every minute. Stops early when Cal.com rate-limits."""
    now = now or datetime.now(UTC)
    results = []
    for appointment_id in due_appointment_ids(now, limit):
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None:
            continue
        result = sync_appointment(appointment, now=now)
        results.append(result)
        if result.category is ErrorCategory.RATE_LIMITED:
            break
    return results
