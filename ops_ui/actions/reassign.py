"""Give an appointment to another staff member, in Cal.com first and then locally.

Cal.com can only hand a booking to another person in one case: a round-robin team event type whose hosts include
that person (``reassign``, same uid). Otherwise the new person needs a booking of their own event type; it is
created FIRST and the old booking is cancelled only after that succeeded, so the customer is never left without a
booking. If cancelling the old one then fails, the appointment still moves to the new booking (that booking exists
and is the one the customer should keep); the old uid is named loudly in the result's warning and in a
``cancel_old_booking_failed`` audit event, with the attempt stored, so a person cancels it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ops_ui.actions.cancel import cancel_calcom_booking
from ops_ui.actions.results import ActionResult, invalid_input, record_refusal
from ops_ui.calcom.categories import ErrorCategory
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.booking import ANSWER_MAY_BE_LOST, BookingFailure, create_booking_for, find_booking_for, mark_synced
from ops_ui.engine.claims import audit_event, commit_outcome, load_for_action, snapshot
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.prechecks import contact_failure
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, EventTypeMapping, Staff, SyncOperation, User

ACTION = "reassign"
TOUCHED = ("staff_id", "calcom_booking_uid", "sync_status", "last_error_category")


@dataclass(frozen=True)
class Option:
    """A staff member the appointment could go to.

    ``free`` means Cal.com offers the appointment's exact start for this person's event type that day. For a
    round-robin team type that is "some host of the team is free", the best Cal.com's slots can say. A staff record
    with the same Cal.com user as the current one is the same person: listed (so duplicates are visible) but never
    free, and ``reassign`` refuses it. ``note`` explains a busy/unknown answer.
    """

    staff: Staff
    event_type_id: int
    free: bool
    same_person: bool = False
    note: str | None = None


def reassign_options(appointment: Appointment, *, now: datetime | None = None) -> list[Option]:
    """The other active staff who offer the appointment's service, each marked free or busy at its time.

    One slots request per distinct event type (stored as LOOKUP attempts); a failed request marks its staff not
    free with Cal.com's message in ``note`` rather than failing the whole list.
    """
    now = now or datetime.now(UTC)
    current_user = appointment.staff.calcom_user_id if appointment.staff else None
    time_zone = appointment.company.time_zone
    day = appointment.starts_at.astimezone(ZoneInfo(time_zone)).date()
    recorder = AttemptRecorder(appointment, SyncOperation.LOOKUP)
    client = calcom_client(on_exchange=recorder)
    answers: dict[int, tuple[bool, str | None]] = {}
    options: list[Option] = []
    for staff, mapping in _candidates(appointment):
        event_type_id = mapping.calcom_event_type_id
        if current_user is not None and staff.calcom_user_id == current_user:
            note = f"Same Cal.com user as {appointment.staff.name}: the same person, already holding this time."
            options.append(Option(staff, event_type_id, free=False, same_person=True, note=note))
            continue
        if appointment.starts_at <= now:
            options.append(Option(staff, event_type_id, free=False, note="The appointment time has passed."))
            continue
        if event_type_id not in answers:
            answers[event_type_id] = _offers_start(client, event_type_id, day, appointment.starts_at, time_zone)
        free, note = answers[event_type_id]
        options.append(Option(staff, event_type_id, free=free, note=note))
    if recorder.attempts:
        db.session.add_all(recorder.attempts)
        db.session.commit()
    return options


def reassign(
    appointment_id: int,
    expected_version: int,
    actor: User,
    staff_id: int,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Move the appointment to ``staff_id`` once Cal.com confirmed the booking is theirs.

    No booking yet: create one for the new staff's event type (this also resolves a failed sync). A booking of a
    round-robin type that includes the new staff's Cal.com user: Cal.com's reassign (same uid). Any other booking:
    create the new one, then cancel the old one (see the module docstring for when that cancel fails). When Cal.com
    refuses, times out or answers garbage, the appointment keeps staff, uid, status and version.
    """
    now = now or datetime.now(UTC)
    appointment = load_for_action(appointment_id, expected_version, actor)
    if appointment.status is AppointmentStatus.CANCELLED:
        return ActionResult(False, ACTION, "The appointment is cancelled; it cannot be reassigned.", appointment)
    new_staff, mapping, problem = _target(appointment, staff_id)
    if problem or new_staff is None or mapping is None:
        return invalid_input(ACTION, appointment, {"staff_id": problem or "Choose a staff member."})
    if appointment.starts_at <= now:
        return ActionResult(
            False,
            ACTION,
            "The appointment time has passed; Cal.com does not book the past. Reschedule it first.",
            appointment,
            category=ErrorCategory.PAST_APPOINTMENT,
        )

    recorder = AttemptRecorder(appointment, SyncOperation.REASSIGN)
    client = calcom_client(on_exchange=recorder)
    uid = appointment.calcom_booking_uid
    booking_uid: str | None = None
    failure: BookingFailure | None = None
    warning: str | None = None
    if uid is None and appointment.last_error_category in ANSWER_MAY_BE_LOST:
        found, failure = find_booking_for(appointment, client, recorder)
        uid = found.uid if found else None
    if failure is None and uid is None:
        missing_contact = contact_failure(appointment.customer)
        if missing_contact:
            return ActionResult(
                False,
                ACTION,
                f"Not sent to Cal.com: {missing_contact.message}",
                appointment,
                category=missing_contact.category,
            )
        booking, failure = create_booking_for(
            appointment,
            event_type_id=mapping.calcom_event_type_id,
            start=appointment.starts_at,
            client=client,
            recorder=recorder,
        )
        booking_uid = booking.uid if booking else None
    elif failure is None:
        round_robin, failure = _round_robin_with(client, recorder, uid, new_staff)
        if failure is None and round_robin:
            failure = _reassign_booking(client, recorder, uid, new_staff, reason)
            booking_uid = None if failure else uid
        elif failure is None:
            booking, failure = create_booking_for(
                appointment,
                event_type_id=mapping.calcom_event_type_id,
                start=appointment.starts_at,
                client=client,
                recorder=recorder,
                exclude_uids=frozenset({uid}),
            )
            if booking is not None:
                booking_uid = booking.uid
                cancel_failure = cancel_calcom_booking(
                    client, recorder, uid, f"Reassigned to {new_staff.name} (booking {booking.uid})"
                )
                if cancel_failure is not None:
                    warning = (
                        f"The old Cal.com booking {uid} could NOT be cancelled and still needs cancelling in "
                        f"Cal.com: {cancel_failure.message}"
                    )

    if booking_uid is None:
        assert failure is not None
        return record_refusal(
            ACTION,
            appointment,
            actor,
            recorder.attempts,
            failure,
            before=snapshot(appointment, *TOUCHED),
            after={"staff_id": new_staff.id},
            note=f"To {new_staff.name}: {failure.message}",
            at=now,
        )

    def apply(row: Appointment) -> AuditEvent:
        before = snapshot(row, *TOUCHED)
        row.staff_id = new_staff.id
        mark_synced(row, booking_uid)
        if warning:
            db.session.add(
                audit_event(
                    row, actor, "cancel_old_booking_failed", before={"calcom_booking_uid": uid}, after=None,
                    note=warning, at=now,
                )
            )  # fmt: skip
        note = "\n".join(text for text in (reason, warning) if text) or None
        return audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=note, at=now)

    fresh = commit_outcome(appointment, recorder.attempts, apply)
    same = booking_uid == uid
    how = f"Cal.com booking {booking_uid} reassigned" if same else f"new Cal.com booking {booking_uid}"
    message = f"Reassigned to {new_staff.name}; {how}."
    if warning:
        message = f"{message} {warning}"
    return ActionResult(True, ACTION, message, fresh, booking_uid=booking_uid, warning=warning)


def _candidates(appointment: Appointment) -> list[tuple[Staff, EventTypeMapping]]:
    rows = db.session.execute(
        select(Staff, EventTypeMapping)
        .join(EventTypeMapping, EventTypeMapping.staff_id == Staff.id)
        .where(
            EventTypeMapping.service_id == appointment.service_id,
            Staff.company_id == appointment.company_id,
            Staff.active.is_(True),
            Staff.id != appointment.staff_id if appointment.staff_id is not None else Staff.id.is_not(None),
        )
        .order_by(Staff.name, Staff.id)
    )
    return [(staff, mapping) for staff, mapping in rows]


def _target(appointment: Appointment, staff_id: int) -> tuple[Staff | None, EventTypeMapping | None, str | None]:
    """The new staff and their event type for the service, or why they cannot take the appointment."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.company_id != appointment.company_id:
        return staff, None, "Choose a staff member of this company."
    if staff.id == appointment.staff_id:
        return staff, None, f"{staff.name} already has this appointment."
    if not staff.active:
        return staff, None, f"{staff.name} is no longer active."
    current = appointment.staff
    if current is not None and current.calcom_user_id is not None and current.calcom_user_id == staff.calcom_user_id:
        return staff, None, f"{staff.name} is the same Cal.com user as {current.name}; nothing would change."
    mapping = db.session.scalar(
        select(EventTypeMapping).where(
            EventTypeMapping.service_id == appointment.service_id, EventTypeMapping.staff_id == staff.id
        )
    )
    if mapping is None:
        return staff, None, f"{staff.name} does not offer {appointment.service.name} in Cal.com."
    return staff, mapping, None


def _offers_start(
    client: CalcomClient, event_type_id: int, day: date, start: datetime, time_zone: str
) -> tuple[bool, str | None]:
    try:
        slots = client.get_slots(event_type_id, day, day, time_zone)
    except CalcomError as error:
        return False, f"Could not ask Cal.com: {error.message}"
    if any(slot.start == start for slot in slots):
        return True, None
    return False, "Cal.com does not offer this time."


def _round_robin_with(
    client: CalcomClient, recorder: AttemptRecorder, uid: str, staff: Staff
) -> tuple[bool, BookingFailure | None]:
    """Whether Cal.com can hand booking ``uid`` to ``staff`` (its event type is round-robin with them as host)."""
    if staff.calcom_user_id is None:
        return False, None
    recorder.operation = SyncOperation.LOOKUP
    try:
        booking = client.get_booking(uid)
        if booking.event_type_id is None:
            return False, None
        event_type = client.get_event_type(booking.event_type_id)
    except CalcomError as error:
        return False, BookingFailure.from_error(error)
    return event_type.is_round_robin and staff.calcom_user_id in event_type.host_ids, None


def _reassign_booking(
    client: CalcomClient, recorder: AttemptRecorder, uid: str, staff: Staff, reason: str | None
) -> BookingFailure | None:
    """Reassign once; after a lost answer read the booking — its host says whether it happened."""
    recorder.operation = SyncOperation.REASSIGN
    assert staff.calcom_user_id is not None
    try:
        client.reassign_booking(uid, staff.calcom_user_id, reason)
        return None
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
    if failure.category not in ANSWER_MAY_BE_LOST:
        return failure
    recorder.operation = SyncOperation.LOOKUP
    try:
        booking = client.get_booking(uid)
    except CalcomError as error:
        lookup = BookingFailure.from_error(error)
        message = f"{failure.message}\n\nReading booking {uid} to check failed too: {lookup.message}"
        return BookingFailure(failure.category, message, failure.http_status, failure.reset_seconds)
    return None if staff.calcom_user_id in booking.host_ids else failure
