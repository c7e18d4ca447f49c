"""Move an appointment to a time Cal.com really has free.

The agent picks from ``free_slots`` (Cal.com's own availability, with the appointment's booking counted as free),
and ``reschedule`` changes the local appointment only after Cal.com confirmed the new time. Cal.com reschedules by
creating a NEW booking (new uid) and cancelling the old one; the new uid is what the appointment keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ops_ui.actions.results import ActionResult, calcom_sentence, invalid_input, record_refusal
from ops_ui.calcom.categories import ErrorCategory
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError
from ops_ui.calcom.types import Booking
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.booking import (
    ANSWER_MAY_BE_LOST,
    BookingFailure,
    create_booking_for,
    find_booking_for,
    mapping_for,
    mark_synced,
)
from ops_ui.engine.claims import audit_event, commit_outcome, load_for_action, snapshot
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.prechecks import precheck
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncOperation, User

ACTION = "reschedule"
DEFAULT_DAYS = 7
TOUCHED = ("starts_at", "ends_at", "calcom_booking_uid", "sync_status", "last_error_category")
_NO_PAST_CHECK = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FreeSlots:
    """Free start times in the company's time zone, or why Cal.com could not be asked / did not answer."""

    ok: bool
    slots: tuple[datetime, ...]
    time_zone: str
    first_day: date | None = None
    last_day: date | None = None
    message: str | None = None
    category: ErrorCategory | None = None

    def by_day(self) -> dict[date, list[datetime]]:
        days: dict[date, list[datetime]] = {}
        for slot in self.slots:
            days.setdefault(slot.date(), []).append(slot)
        return days


def free_slots(appointment: Appointment, *, days: int = DEFAULT_DAYS, now: datetime | None = None) -> FreeSlots:
    """Cal.com's free starts for the appointment's service and staff, from its original day (or today, if that has
    passed) for ``days`` days. The appointment's own booking is passed as ``bookingUidToReschedule`` so its current
    slot shows as free. The slots request is stored as a LOOKUP attempt, like every Cal.com call."""
    now = now or datetime.now(UTC)
    time_zone = appointment.company.time_zone
    zone = ZoneInfo(time_zone)
    mapping = mapping_for(appointment)
    if mapping is None:
        failure = precheck(appointment, mapping, _NO_PAST_CHECK)
        message = failure.message if failure else "No Cal.com event type for this appointment."
        category = failure.category if failure else ErrorCategory.NO_EVENT_TYPE
        return FreeSlots(False, (), time_zone, message=message, category=category)
    first = max(appointment.starts_at.astimezone(zone).date(), now.astimezone(zone).date())
    last = first + timedelta(days=max(1, days) - 1)
    recorder = AttemptRecorder(appointment, SyncOperation.LOOKUP)
    try:
        slots = calcom_client(on_exchange=recorder).get_slots(
            mapping.calcom_event_type_id,
            first,
            last,
            time_zone,
            booking_uid_to_reschedule=_active_uid(appointment),
        )
    except CalcomError as error:
        _store_attempts(recorder)
        failure = BookingFailure.from_error(error)
        return FreeSlots(False, (), time_zone, first, last, calcom_sentence(failure), failure.category)
    _store_attempts(recorder)
    starts = tuple(slot.start.astimezone(zone) for slot in slots if slot.start > now)
    return FreeSlots(True, starts, time_zone, first, last)


def reschedule(
    appointment_id: int,
    expected_version: int,
    actor: User,
    new_start: datetime,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Move the appointment to ``new_start`` in Cal.com first, then locally, in one transaction.

    With a Cal.com booking: Cal.com's reschedule (new uid recorded, old one cancelled by Cal.com). Without one (the
    sync failed): a booking is created at the new time — which also resolves the failed sync. If Cal.com refuses,
    times out or answers garbage, the appointment keeps its time, uid, status and version; only the attempts and a
    ``reschedule_failed`` audit event are stored.
    """
    now = now or datetime.now(UTC)
    appointment = load_for_action(appointment_id, expected_version, actor)
    if appointment.status is AppointmentStatus.CANCELLED:
        return ActionResult(False, ACTION, "The appointment is cancelled; it cannot be rescheduled.", appointment)
    if new_start.tzinfo is None or new_start.utcoffset() is None:
        raise ValueError("new_start must be an aware datetime")
    if new_start <= now:
        return invalid_input(
            ACTION, appointment, {"new_start": "That time has already passed; pick a time in the future."}
        )

    recorder = AttemptRecorder(appointment, SyncOperation.RESCHEDULE)
    client = calcom_client(on_exchange=recorder)
    uid = _active_uid(appointment)
    if uid is None:
        mapping = mapping_for(appointment)
        problem = precheck(appointment, mapping, _NO_PAST_CHECK)
        if problem is not None:
            return ActionResult(
                False, ACTION, f"Not sent to Cal.com: {problem.message}", appointment, category=problem.category
            )
        booking, failure = None, None
        if appointment.last_error_category in ANSWER_MAY_BE_LOST:
            booking, failure = find_booking_for(appointment, client, recorder)
        if booking is not None:
            uid = booking.uid  # an earlier sync did book after all: move that booking
        elif failure is None:
            booking, failure = create_booking_for(
                appointment,
                event_type_id=mapping.calcom_event_type_id,
                start=new_start,
                client=client,
                recorder=recorder,
            )
    if uid is not None:
        booking, failure = _reschedule_booking(client, recorder, uid, new_start, reason)

    if booking is None:
        assert failure is not None
        before = snapshot(appointment, *TOUCHED)
        note = f"Asked for {new_start.astimezone(UTC).isoformat()}: {failure.message}"
        return record_refusal(ACTION, appointment, actor, recorder.attempts, failure, before=before, note=note, at=now)

    def apply(row: Appointment) -> AuditEvent:
        before = snapshot(row, *TOUCHED)
        row.starts_at = booking.start.astimezone(UTC)
        row.ends_at = booking.end.astimezone(UTC)
        mark_synced(row, booking.uid)
        return audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=reason, at=now)

    fresh = commit_outcome(appointment, recorder.attempts, apply)
    local = booking.start.astimezone(ZoneInfo(fresh.company.time_zone))
    return ActionResult(
        True,
        ACTION,
        f"Rescheduled to {local:%a %d %b %Y, %H:%M}; Cal.com booking {booking.uid}.",
        fresh,
        booking_uid=booking.uid,
    )


def _active_uid(appointment: Appointment) -> str | None:
    """The uid of a live Cal.com booking for the appointment (the sync sets it only after Cal.com confirmed)."""
    if appointment.status is AppointmentStatus.CANCELLED:
        return None
    return appointment.calcom_booking_uid


def _reschedule_booking(
    client: CalcomClient, recorder: AttemptRecorder, uid: str, start: datetime, reason: str | None
) -> tuple[Booking | None, BookingFailure | None]:
    """Reschedule once; after a lost answer read the old booking — ``rescheduledToUid`` says whether it happened."""
    recorder.operation = SyncOperation.RESCHEDULE
    try:
        return client.reschedule_booking(uid, start, reason), None
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
    if failure.category not in ANSWER_MAY_BE_LOST:
        return None, failure
    recorder.operation = SyncOperation.LOOKUP
    try:
        old = client.get_booking(uid)
        if old.rescheduled_to_uid:
            return client.get_booking(old.rescheduled_to_uid), None
    except CalcomError as error:
        lookup = BookingFailure.from_error(error)
        message = (
            f"{failure.message}\n\nCal.com may have moved the booking; reading booking {uid} failed too: "
            f"{lookup.message}"
        )
        return None, BookingFailure(failure.category, message, failure.http_status, failure.reset_seconds)
    return None, failure


def _store_attempts(recorder: AttemptRecorder) -> None:
    db.session.add_all(recorder.attempts)
    db.session.commit()
