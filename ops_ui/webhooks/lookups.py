"""What a delivery names, found in our data: the appointment holding a booking, an external booking, a host."""

from __future__ import annotations

from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, ExternalBooking, Staff

MOVING_ACTIONS = ("reschedule", "calcom_rescheduled")
"""Audit actions after which an appointment no longer holds the booking uid it had before."""


def appointment_holding(uid: str | None) -> Appointment | None:
    """The appointment whose Cal.com booking is ``uid`` (read fresh: another writer may just have changed it)."""
    if uid is None:
        return None
    statement = (
        select(Appointment)
        .where(Appointment.calcom_booking_uid == uid)
        .order_by(Appointment.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).first()


def appointment_moved_away_from(uid: str) -> Appointment | None:
    """The appointment that held ``uid`` until it was rescheduled (by an agent or by Cal.com) to a new booking."""
    statement = (
        select(AuditEvent.appointment_id)
        .where(
            AuditEvent.action.in_(MOVING_ACTIONS),
            AuditEvent.before["calcom_booking_uid"].as_string() == uid,
            AuditEvent.appointment_id.is_not(None),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    appointment_id = db.session.scalar(statement)
    return None if appointment_id is None else db.session.get(Appointment, appointment_id)


def external_booking(uid: str | None) -> ExternalBooking | None:
    if uid is None:
        return None
    return db.session.scalars(
        select(ExternalBooking).where(ExternalBooking.uid == uid).execution_options(populate_existing=True)
    ).first()


def external_booking_moved_away_from(uid: str) -> ExternalBooking | None:
    return db.session.scalars(select(ExternalBooking).where(ExternalBooking.rescheduled_from_uid == uid)).first()


def staff_for_organizer(organizer_id: int | None, company_id: int | None = None) -> Staff | None:
    """The staff member who is Cal.com user ``organizer_id`` (in ``company_id``, or in any company); active first.

    The same person may exist twice (duplicates are detected, not prevented); the oldest active record wins.
    """
    if organizer_id is None:
        return None
    statement = select(Staff).where(Staff.calcom_user_id == organizer_id)
    if company_id is not None:
        statement = statement.where(Staff.company_id == company_id)
    return db.session.scalars(statement.order_by(Staff.active.desc(), Staff.id).limit(1)).first()
