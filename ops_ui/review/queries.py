"""Read-only queries of the review board, scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ops_ui.auth.permissions import scope_to_user
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus, User

PAGE_SIZE = 100


def failed_appointments(user: User, limit: int = PAGE_SIZE) -> Sequence[Appointment]:
    """Appointments whose sync failed and that still matter (not cancelled), soonest start first.

    Customer, service, staff and company come in the same query: one row needs all four.
    """
    statement = (
        select(Appointment)
        .where(Appointment.sync_status == SyncStatus.FAILED, Appointment.status != AppointmentStatus.CANCELLED)
        .options(
            joinedload(Appointment.customer),
            joinedload(Appointment.service),
            joinedload(Appointment.staff),
            joinedload(Appointment.company),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    return db.session.scalars(scope_to_user(statement, Appointment.company_id, user)).all()
