"""The one place that creates Cal.com bookings for appointments.

An appointment is marked synced only after Cal.com confirmed the booking; every failure keeps its full text;
a create whose answer was lost is looked up before anything is declared, so a retry never double-books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ops_ui.calcom.categories import ErrorCategory
from ops_ui.calcom.classify import classify
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError, RateLimitedError
from ops_ui.calcom.types import Booking
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.claims import audit_event
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.prechecks import attendee_for, precheck
from ops_ui.engine.retry_policy import next_retry_at
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    EventTypeMapping,
    SyncAttempt,
    SyncOperation,
    SyncStatus,
    User,
)

METADATA_KEY = "syncDeskAppointmentId"
ANSWER_MAY_BE_LOST = frozenset(
    {ErrorCategory.TIMEOUT, ErrorCategory.CONNECTION, ErrorCategory.SERVER_ERROR, ErrorCategory.BAD_RESPONSE}
)
"""After these, Cal.com may have created the booking even though we never saw the answer."""


@dataclass(frozen=True)
class SyncResult:
    appointment_id: int
    synced: bool
    booking_uid: str | None = None
    category: ErrorCategory | None = None
    message: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class BookingFailure:
    """Why Cal.com did not give us a booking, in the words the appointment stores."""

    category: ErrorCategory
    message: str
    http_status: int | None = None
    reset_seconds: int | None = None

    @classmethod
    def from_error(cls, error: CalcomError) -> BookingFailure:
        reset = error.reset_seconds if isinstance(error, RateLimitedError) else None
        return cls(classify(error), error.message, error.status, reset)


def sync_appointment(
    appointment: Appointment,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Create the Cal.com booking for an appointment and record the outcome; never raises for Cal.com errors."""
    now = now or datetime.now(UTC)
    if appointment.calcom_booking_uid and appointment.sync_status is SyncStatus.SYNCED:
        return SyncResult(appointment.id, synced=True, booking_uid=appointment.calcom_booking_uid)
    if appointment.status is not AppointmentStatus.SCHEDULED:
        return SyncResult(appointment.id, False, message=f"The appointment is {appointment.status.value}; not booked.")

    mapping = mapping_for(appointment)
    failure = precheck(appointment, mapping, now)
    if failure:
        return _finish(appointment, [], BookingFailure(failure.category, failure.message), None, actor, now)

    recorder = AttemptRecorder(appointment, SyncOperation.CREATE, at=now)
    booking, outcome = _book_once(appointment, mapping, calcom_client(on_exchange=recorder), recorder)
    return _finish(appointment, recorder.attempts, outcome, booking, actor, now)


def _book_once(
    appointment: Appointment, mapping: EventTypeMapping, client: CalcomClient, recorder: AttemptRecorder
) -> tuple[Booking | None, BookingFailure | None]:
    """Look for an earlier booking when a previous answer was lost, then create at most one."""
    if appointment.last_error_category in ANSWER_MAY_BE_LOST:
        found, lookup_failure = find_booking_for(appointment, client, recorder)
        if found or lookup_failure:
            return found, lookup_failure
    return create_booking_for(
        appointment,
        event_type_id=mapping.calcom_event_type_id,
        start=appointment.starts_at,
        client=client,
        recorder=recorder,
    )


def create_booking_for(
    appointment: Appointment,
    *,
    event_type_id: int,
    start: datetime,
    client: CalcomClient,
    recorder: AttemptRecorder,
    exclude_uids: frozenset[str] = frozenset(),
) -> tuple[Booking | None, BookingFailure | None]:
    """Create one booking for ``appointment`` at ``start``; touches neither the appointment nor the session.

    The reusable booking step for sync, reschedule and reassign. When the answer is lost, the booking is looked
    up by our appointment id in its metadata (only on ``event_type_id``, skipping ``exclude_uids`` — e.g. the
    booking a reassignment is replacing) before a failure is declared, so a later retry never double-books.
    """
    recorder.operation = SyncOperation.CREATE
    try:
        booking = client.create_booking(
            event_type_id=event_type_id,
            start=start,
            attendee=attendee_for(appointment),
            metadata={METADATA_KEY: str(appointment.id)},
        )
        return booking, None
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
    if failure.category not in ANSWER_MAY_BE_LOST:
        return None, failure

    length = appointment.ends_at - appointment.starts_at
    found, lookup_failure = find_booking_for(
        appointment,
        client,
        recorder,
        start=start,
        end=start + length,
        event_type_id=event_type_id,
        exclude_uids=exclude_uids,
    )
    if found:
        return found, None
    if lookup_failure:
        message = (
            f"{failure.message}\n\nCal.com may have created the booking; looking it up failed too: "
            f"{lookup_failure.message}"
        )
        return None, BookingFailure(failure.category, message, failure.http_status, failure.reset_seconds)
    return None, failure


def find_booking_for(
    appointment: Appointment,
    client: CalcomClient,
    recorder: AttemptRecorder,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    event_type_id: int | None = None,
    exclude_uids: frozenset[str] = frozenset(),
) -> tuple[Booking | None, BookingFailure | None]:
    """Cal.com keeps our appointment id in the booking's metadata; match on it, not on time or name alone.

    ``start``/``end`` default to the appointment's own times: the window the booking was asked for.
    """
    recorder.operation = SyncOperation.LOOKUP
    start = start or appointment.starts_at
    end = end or appointment.ends_at
    attendee = attendee_for(appointment)
    try:
        page = client.list_bookings(
            attendee_email=attendee.email,
            attendee_name=None if attendee.email else attendee.name,
            after_start=start - timedelta(minutes=1),
            before_end=end + timedelta(days=1),
            status=["upcoming", "unconfirmed", "past"],
            take=250,
        )
    except CalcomError as error:
        return None, BookingFailure.from_error(error)
    for booking in page.bookings:
        if (
            booking.metadata.get(METADATA_KEY) == str(appointment.id)
            and booking.status != "cancelled"
            and booking.uid not in exclude_uids
            and (event_type_id is None or booking.event_type_id == event_type_id)
        ):
            return booking, None
    return None, None


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


def _finish(
    appointment: Appointment,
    attempts: list[SyncAttempt],
    failure: BookingFailure | None,
    booking: Booking | None,
    actor: User | None,
    now: datetime,
) -> SyncResult:
    """Store the outcome and the attempts in one transaction; Cal.com's answer wins over a concurrent edit."""
    appointment_id = appointment.id
    try:
        _apply(appointment, attempts, failure, booking, actor, now)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
        if _overtaken(appointment):
            return _keep_concurrent_outcome(appointment, attempts, booking, actor, now)
        _apply(appointment, attempts, failure, booking, actor, now)
        db.session.commit()
    if booking:
        return SyncResult(appointment_id, synced=True, booking_uid=booking.uid)
    return SyncResult(appointment_id, False, None, failure.category, failure.message, failure.http_status)


def _overtaken(appointment: Appointment) -> bool:
    """Someone cancelled the appointment, or another sync booked it, while this sync was talking to Cal.com."""
    synced = appointment.sync_status is SyncStatus.SYNCED and appointment.calcom_booking_uid is not None
    return appointment.status is not AppointmentStatus.SCHEDULED or synced


def _keep_concurrent_outcome(
    appointment: Appointment, attempts: list[SyncAttempt], booking: Booking | None, actor: User | None, now: datetime
) -> SyncResult:
    """Keep what the other writer decided; a booking this sync made is then surplus and is cancelled in Cal.com."""
    note = "A concurrent change won: " + (
        f"the appointment is {appointment.status.value}"
        if appointment.status is not AppointmentStatus.SCHEDULED
        else f"it was already booked as {appointment.calcom_booking_uid}"
    )
    if booking and booking.uid != appointment.calcom_booking_uid:
        recorder = AttemptRecorder(appointment, SyncOperation.CANCEL, at=now)
        try:
            calcom_client(on_exchange=recorder).cancel_booking(booking.uid, "Duplicate of the booking Sync Desk keeps")
            note += f"; the surplus booking {booking.uid} was cancelled in Cal.com."
        except CalcomError as error:
            note += f"; cancelling the surplus booking {booking.uid} in Cal.com failed, cancel it by hand: {error}"
        attempts = [*attempts, *recorder.attempts]
    db.session.add_all(attempts)
    db.session.add(audit_event(appointment, actor, "sync_discarded", before=None, after=None, note=note, at=now))
    db.session.commit()
    kept = appointment.sync_status is SyncStatus.SYNCED and appointment.status is AppointmentStatus.SCHEDULED
    return SyncResult(appointment.id, kept, appointment.calcom_booking_uid if kept else None, message=note)


def _apply(
    appointment: Appointment,
    attempts: list[SyncAttempt],
    failure: BookingFailure | None,
    booking: Booking | None,
    actor: User | None,
    now: datetime,
) -> None:
    before = {"sync_status": appointment.sync_status.value, "booking_uid": appointment.calcom_booking_uid}
    appointment.attempt_count += 1
    appointment.last_attempt_at = now
    if booking:
        mark_synced(appointment, booking.uid)
    else:
        appointment.sync_status = SyncStatus.FAILED
        appointment.last_error_category = failure.category
        appointment.last_error_message = failure.message
        appointment.last_error_status = failure.http_status
        appointment.next_retry_at = next_retry_at(
            failure.category, appointment.attempt_count, now, failure.reset_seconds
        )
        appointment.failed_since = appointment.failed_since or now
    after = {
        "sync_status": appointment.sync_status.value,
        "booking_uid": appointment.calcom_booking_uid,
        "error_category": failure.category.value if failure else None,
    }
    db.session.add_all(attempts)
    db.session.add(audit_event(appointment, actor, "sync", before=before, after=after, note=None, at=now))


def mark_synced(appointment: Appointment, booking_uid: str) -> None:
    """Cal.com confirmed a booking for the appointment: it agrees with Cal.com again, errors are history."""
    appointment.calcom_booking_uid = booking_uid
    appointment.sync_status = SyncStatus.SYNCED
    appointment.last_error_category = None
    appointment.last_error_message = None
    appointment.last_error_status = None
    appointment.next_retry_at = None
    appointment.failed_since = None
