"""The clean-up of appointments that can never sync: their start passed before they ever reached Cal.com.

Such an appointment stays "failed" or "pending" for ever otherwise, so it fills the board's queues and the
dashboard's open figures long after the customer's visit. The clean-up closes it for the record: status
``expired``, when and why, and an audit event. Nothing is deleted and nothing is said to Cal.com.

Only appointments known not to exist in Cal.com are closed: no ``calcom_booking_uid`` and no ``uncertain_request``.
One with a booking uid, or with a write that may have been committed without us seeing the answer, may well exist
in Cal.com; closing it here would hide a live booking, so it is left for a person (its detail page looks it up).

Every change goes through the write path's claim (``ops_ui.engine.claims``), like an agent's action or the sync
engine: an appointment someone holds right now, or that changed since its id was read, is skipped and picked up by
the next run. Running it twice closes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select

from ops_ui import queue_rules as rules
from ops_ui.audit import audit_event, snapshot
from ops_ui.engine.claims import BeingChanged, ClaimLost, StaleAppointment, claim, finish, release
from ops_ui.extensions import db
from ops_ui.formatting import local_time
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncStatus, User

ACTION = "expire"
BATCH_SIZE = 200
"""Ids read per statement; each appointment is then claimed and closed in a transaction of its own."""
TOUCHED = ("status", "sync_status")


def expirable(now: datetime, company_id: int | None) -> ColumnElement[bool]:
    """What the clean-up closes: scheduled, failed or pending, started before ``now``, and surely not in Cal.com.

    ``company_id`` None: every company.
    """
    conditions = [
        Appointment.status == AppointmentStatus.SCHEDULED,
        Appointment.sync_status.in_([SyncStatus.FAILED, SyncStatus.PENDING]),
        rules.started(now),
        Appointment.calcom_booking_uid.is_(None),
        Appointment.uncertain_request.is_(None),
    ]
    if company_id is not None:
        conditions.append(Appointment.company_id == company_id)
    return and_(*conditions)


def count_expirable(now: datetime, company_id: int | None) -> int:
    """How many the clean-up would close now: the preview an agent confirms."""
    return int(db.session.scalar(select(func.count(Appointment.id)).where(expirable(now, company_id))) or 0)


def expire_past_unsynced(now: datetime, actor: User | None, company_id: int | None = None) -> int:
    """Close every appointment that can never sync (see ``expirable``); returns how many were closed.

    ``actor`` None is the daily job (the audit trail names the sync engine). Ids are read in batches in id order
    after the last one seen, so appointments skipped because they are held by another writer do not stall the run;
    each is re-checked on its claimed, fresh row before it is changed.
    """
    closed = 0
    after = 0
    while batch := _ids(now, company_id, after):
        for appointment_id in batch:
            closed += _expire_one(appointment_id, now, actor, company_id)
        after = batch[-1]
    return closed


def closed_reason(appointment: Appointment) -> str:
    """The sentence stored with the appointment and its audit event, for the agent who finds it later."""
    start = local_time(appointment.starts_at, appointment.company.time_zone)
    reason = f"Never reached Cal.com: its start ({start}) passed before it was synced."
    if appointment.last_error_message:
        return f"{reason} Last error: {appointment.last_error_message}"
    if appointment.attempt_count == 0:
        return f"{reason} It was never sent."
    return f"{reason} No error was recorded."


def _ids(now: datetime, company_id: int | None, after: int) -> Sequence[int]:
    statement = (
        select(Appointment.id)
        .where(expirable(now, company_id), Appointment.id > after)
        .order_by(Appointment.id)
        .limit(BATCH_SIZE)
    )
    return db.session.scalars(statement).all()


def _still_expirable(appointment_id: int, now: datetime, company_id: int | None) -> bool:
    """The condition again, on the row as it is now that it is claimed (it may have changed since its id was read)."""
    statement = select(Appointment.id).where(Appointment.id == appointment_id, expirable(now, company_id))
    return db.session.scalar(statement) is not None


def _expire_one(appointment_id: int, now: datetime, actor: User | None, company_id: int | None) -> int:
    """1 when this appointment was closed, 0 when it was skipped (gone, held, changed meanwhile, no longer due)."""
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None:
        return 0
    try:
        held = claim(appointment, appointment.version, actor)
    except (BeingChanged, StaleAppointment):
        db.session.rollback()
        return 0
    if not _still_expirable(appointment_id, now, company_id):
        release(held)
        return 0

    def apply(row: Appointment) -> list[AuditEvent]:
        before = snapshot(row, *TOUCHED)
        reason = closed_reason(row)
        row.status = AppointmentStatus.EXPIRED
        row.closed_at = now
        row.closed_reason = reason
        row.next_retry_at = None
        return [audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=reason, at=now)]

    try:
        finish(held, apply)
    except ClaimLost:
        return 0
    return 1
