"""The engine's booking step: create the Cal.com booking of an appointment that has none.

An appointment is marked synced only after Cal.com confirmed the booking; every failure keeps its full text. The
step runs inside a claim and books through the verified writes, so a sync never races an agent's action and a
create whose answer was lost is looked up instead of being sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ops_ui.audit import FAILED_SUFFIX, audit_event
from ops_ui.calcom.errors import RATE_LIMIT_RESET_FALLBACK_SECONDS
from ops_ui.categories import ErrorCategory
from ops_ui.engine.claims import BeingChanged, Claim, StaleAppointment, claim
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.prechecks import precheck
from ops_ui.engine.retry_policy import handover_reason, next_retry_at
from ops_ui.engine.writes import Settlement, Verdict, WriteOutcome, Writer, mark_synced
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    EventTypeMapping,
    SyncOperation,
    SyncStatus,
    User,
    utcnow,
)

DEFERRED = f"sync_deferred{FAILED_SUFFIX}"
"""Audit action of a sync put back for the rate limit; it changed nothing (hence the suffix)."""


@dataclass(frozen=True)
class SyncResult:
    appointment_id: int
    synced: bool
    booking_uid: str | None = None
    category: ErrorCategory | None = None
    message: str | None = None
    http_status: int | None = None
    failure: BookingFailure | None = None
    outcome: WriteOutcome | None = None
    """The verified write's verdict, when Cal.com was asked."""
    deferred: bool = False
    """Rate-limited: the appointment kept its state and waits for the next window (``next_retry_at``)."""


def sync_appointment(appointment: Appointment, *, actor: User | None = None, now: datetime | None = None) -> SyncResult:
    """The engine's own sync of one appointment; an appointment another writer holds is left to it."""
    try:
        held = claim(appointment, appointment.version, actor)
    except (BeingChanged, StaleAppointment) as busy:
        return SyncResult(busy.appointment.id, False, message=str(busy))
    return book_claimed(held, now=now)


def book_claimed(held: Claim, *, now: datetime | None = None) -> SyncResult:
    """Create the Cal.com booking of a claimed appointment and store the outcome; never raises for Cal.com errors.

    ``now`` is the moment the sync happens (the past, when demo history is replayed); attempts are stamped with it.
    Without it each attempt carries the moment of its own exchange (a request may wait for the rate budget).
    """
    row = held.appointment
    writer = Writer(held, SyncOperation.CREATE, at=now)
    now = now or utcnow()
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        assert settlement.failure is not None
        return _store(writer, WriteOutcome(Verdict.UNCERTAIN, failure=settlement.failure), now)
    if row.status is AppointmentStatus.CANCELLED and cancel_left(row):
        assert row.calcom_booking_uid is not None
        reason = f"Cancelled in Sync Desk: {row.cancellation_reason or 'no reason given'}"
        return _store(writer, writer.cancel(row.calcom_booking_uid, reason), now)
    nothing_to_book = _nothing_to_book(row, settlement)
    if nothing_to_book is not None:
        writer.finish(lambda row: [])
        return nothing_to_book

    mapping = mapping_for(row)
    problem = precheck(row, mapping, now)
    if problem is not None:
        return _store(writer, WriteOutcome(Verdict.NOT_DONE, failure=problem), now)
    assert mapping is not None
    return _store(writer, writer.create(mapping.calcom_event_type_id, row.starts_at), now)


def _nothing_to_book(row: Appointment, settlement: Settlement | None) -> SyncResult | None:
    """The result when there is nothing to book: the booking vanished (a person decides whether to book again),
    the appointment is not scheduled, or it is booked already."""
    if settlement is not None and settlement.booking_gone:
        return SyncResult(row.id, False, message=f"{settlement.note} Not booked again: a person decides.")
    if row.status is not AppointmentStatus.SCHEDULED:
        return SyncResult(row.id, False, message=f"The appointment is {row.status.value}; not booked.")
    if row.sync_status is SyncStatus.SYNCED and row.calcom_booking_uid:
        return SyncResult(row.id, True, booking_uid=row.calcom_booking_uid)
    return None


def cancel_left(appointment: Appointment) -> bool:
    """Cancelled here while Cal.com still holds its booking (Cal.com failed when it was cancelled): the engine
    cancels the booking, with the usual retries."""
    return appointment.calcom_booking_uid is not None and appointment.sync_status is not SyncStatus.SYNCED


def mapping_for(appointment: Appointment, staff_id: int | None = None) -> EventTypeMapping | None:
    """The event type that books the appointment's service with ``staff_id`` (default: its own staff)."""
    staff_id = appointment.staff_id if staff_id is None else staff_id
    if staff_id is None:
        return None
    return db.session.scalar(
        select(EventTypeMapping).where(
            EventTypeMapping.service_id == appointment.service_id,
            EventTypeMapping.staff_id == staff_id,
        )
    )


def _store(writer: Writer, outcome: WriteOutcome, now: datetime) -> SyncResult:
    """Store the outcome of the booking step with its audit event, ending the claim."""
    failure = _failure_of(outcome)
    if failure is not None and _rate_limited(outcome):
        return _defer(writer, failure, now)

    def apply(row: Appointment) -> list[AuditEvent]:
        before = {"sync_status": row.sync_status.value, "booking_uid": row.calcom_booking_uid}
        row.attempt_count += 1
        row.last_attempt_at = now
        if outcome.done and outcome.booking is not None:
            mark_synced(row, outcome.booking.uid)
        else:
            assert failure is not None
            record_failure(row, failure, now)
        after = {
            "sync_status": row.sync_status.value,
            "booking_uid": row.calcom_booking_uid,
            "error_category": failure.category.value if failure and not outcome.done else None,
        }
        return [audit_event(row, writer.claim.actor, "sync", before=before, after=after, note=None, at=now)]

    writer.finish(apply)
    if outcome.done and outcome.booking is not None:
        return SyncResult(writer.claim.appointment_id, True, booking_uid=outcome.booking.uid)
    assert failure is not None
    return _not_synced(writer.claim, failure, outcome=replace(outcome, failure=failure))


def _rate_limited(outcome: WriteOutcome) -> bool:
    """Refused for the rate limit (Cal.com's 429, or our own budget before sending): nothing was done."""
    failure = outcome.failure
    return (
        outcome.verdict is Verdict.NOT_DONE and failure is not None and failure.category is ErrorCategory.RATE_LIMITED
    )


def _defer(writer: Writer, failure: BookingFailure, now: datetime) -> SyncResult:
    """Put the appointment back for after the rate-limit window, as it was: a 429 is no failure of the appointment.

    Only ``next_retry_at`` moves, as bookkeeping (the version stays, so no agent's screen turns stale).
    """
    retry_at = now + timedelta(seconds=failure.reset_seconds or RATE_LIMIT_RESET_FALLBACK_SECONDS)
    note = f"Cal.com's rate limit: {failure.message}. Put back for {retry_at.isoformat(timespec='seconds')}."

    def apply(row: Appointment) -> list[AuditEvent]:
        return [audit_event(row, writer.claim.actor, DEFERRED, before=None, after=None, note=note, at=now)]

    writer.finish(apply, next_retry_at=retry_at)
    return _not_synced(writer.claim, failure, deferred=True)


def _not_synced(held: Claim, failure: BookingFailure, **details: Any) -> SyncResult:
    """The result of a booking step that ended without a booking, with Cal.com's (or our) words whole."""
    return SyncResult(
        held.appointment_id,
        False,
        category=failure.category,
        message=failure.message,
        http_status=failure.http_status,
        failure=failure,
        **details,
    )


def _failure_of(outcome: WriteOutcome) -> BookingFailure | None:
    """The failure an appointment stores; when the look-up failed too, its message says Cal.com may have booked."""
    failure = outcome.failure
    if failure is None or outcome.verdict is not Verdict.UNCERTAIN or outcome.lookup_failure is None:
        return failure
    message = (
        f"{failure.message}\n\nCal.com may have created the booking; looking it up failed too: "
        f"{outcome.lookup_failure.message}"
    )
    return replace(failure, message=message)


def record_failure(appointment: Appointment, failure: BookingFailure, now: datetime) -> None:
    """The appointment's sync failed: keep Cal.com's words whole and schedule the retry its category allows, or
    hand a technical failure that keeps failing over to a person."""
    appointment.sync_status = SyncStatus.FAILED
    appointment.last_error_category = failure.category
    appointment.last_error_message = failure.message
    appointment.last_error_status = failure.http_status
    appointment.failed_since = appointment.failed_since or now
    appointment.handover_reason = handover_reason(
        failure.category, appointment.attempt_count, appointment.starts_at, now
    )
    if appointment.handover_reason is None:
        appointment.next_retry_at = next_retry_at(
            failure.category, appointment.attempt_count, now, failure.reset_seconds
        )
    else:
        appointment.next_retry_at = None
