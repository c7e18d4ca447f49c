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
from datetime import UTC, datetime

from sqlalchemy import select

from ops_ui.actions.availability import Availability, free_at
from ops_ui.actions.results import (
    ActionResult,
    invalid_input,
    read_failure_sentence,
    store_refusal,
    unsettled,
    with_settlement,
)
from ops_ui.audit import audit_event, snapshot
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError
from ops_ui.categories import ErrorCategory
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.prechecks import contact_failure
from ops_ui.engine.writes import WriteOutcome, Writer, mark_synced
from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, EventTypeMapping, Staff, SyncOperation, User
from ops_ui.queue_rules import CLOSED_STATUSES

ACTION = "reassign"
TOUCHED = ("staff_id", "calcom_booking_uid", "sync_status", "last_error_category")


@dataclass(frozen=True)
class Option:
    """A staff member the appointment could go to.

    ``free`` means Cal.com's slots show this person's event type free for the whole appointment (see
    ``ops_ui.actions.availability``). For a round-robin team type that is "some host of the team is free", the best
    Cal.com's slots can say. A staff record with the same Cal.com user as the current one is the same person: listed
    (so duplicates are visible) but never free, and ``reassign`` refuses it. ``note`` explains a busy/unknown answer.
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
    current = appointment.staff
    current_user = current.calcom_user_id if current else None
    client = calcom_client(on_exchange=AttemptRecorder(appointment, SyncOperation.LOOKUP))
    answers: dict[int, Availability] = {}
    options: list[Option] = []
    for staff, mapping in _candidates(appointment):
        event_type_id = mapping.calcom_event_type_id
        if current is not None and current_user is not None and staff.calcom_user_id == current_user:
            note = f"Same Cal.com user as {current.name}: the same person, already holding this time."
            options.append(Option(staff, event_type_id, free=False, same_person=True, note=note))
            continue
        if appointment.starts_at <= now:
            options.append(Option(staff, event_type_id, free=False, note="The appointment time has passed."))
            continue
        if event_type_id not in answers:
            answers[event_type_id] = _free_for(client, appointment, event_type_id)
        answer = answers[event_type_id]
        options.append(Option(staff, event_type_id, free=answer.free, note=answer.note))
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

    The new staff must be free by Cal.com's slots, as the panel showed. No booking yet: create one for the new
    staff's event type (this also resolves a failed sync). A booking of a round-robin type that includes the new
    staff's Cal.com user: Cal.com's reassign (same uid). Any other booking: create the new one, then cancel the old
    one (see the module docstring for when that cancel fails). When Cal.com refuses, times out or answers garbage,
    the appointment keeps staff, uid and status.
    """
    now = now or datetime.now(UTC)
    appointment = load_for_action(appointment_id, expected_version, actor)
    refusal = _refusal_before_asking(appointment, staff_id, now)
    if refusal is not None:
        return refusal
    new_staff, mapping, _ = _target(appointment, staff_id)
    assert new_staff is not None and mapping is not None

    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.REASSIGN)
    row = writer.appointment
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    refusal = _refusal_after_asking(writer, new_staff, mapping)
    if refusal is not None:
        return refusal
    old_uid = row.calcom_booking_uid
    operation, outcome, warning = _move_booking(writer, old_uid, new_staff, mapping, reason)
    if not outcome.done:
        before = snapshot(row, *TOUCHED)
        return store_refusal(
            writer, ACTION, actor, outcome, operation, before=before, after={"staff_id": new_staff.id},
            note=f"To {new_staff.name}",
        )  # fmt: skip
    booking_uid = outcome.booking.uid if outcome.booking else old_uid
    assert booking_uid is not None

    def apply(row: Appointment) -> list[AuditEvent]:
        before = snapshot(row, *TOUCHED)
        row.staff_id = new_staff.id
        mark_synced(row, booking_uid)
        events = []
        if warning:
            events.append(
                audit_event(
                    row, actor, "cancel_old_booking_failed", before={"calcom_booking_uid": old_uid}, after=None,
                    note=warning, at=now,
                )
            )  # fmt: skip
        note = "\n".join(text for text in (reason, warning) if text) or None
        events.append(audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=note, at=now))
        return events

    fresh = writer.finish(apply)
    how = (
        f"Cal.com booking {booking_uid} reassigned" if booking_uid == old_uid else f"new Cal.com booking {booking_uid}"
    )
    message = with_settlement(f"Reassigned to {new_staff.name}; {how}.", settlement)
    if warning:
        message = f"{message} {warning}"
    return ActionResult(True, ACTION, message, fresh, booking_uid=booking_uid, warning=warning)


def _refusal_before_asking(appointment: Appointment, staff_id: int, now: datetime) -> ActionResult | None:
    """Why the reassignment cannot even be tried (nothing is claimed or sent), or None."""
    if appointment.status in CLOSED_STATUSES:
        return ActionResult(
            False, ACTION, f"The appointment is {appointment.status.value}; it cannot be reassigned.", appointment
        )
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
    return None


def _refusal_after_asking(writer: Writer, new_staff: Staff, mapping: EventTypeMapping) -> ActionResult | None:
    """Why nothing is written after all (the claim ends): the colleague is busy, or a new booking lacks a contact."""
    row = writer.appointment
    availability = _free_for(writer.client, row, mapping.calcom_event_type_id)
    if availability.failure is not None:
        fresh = writer.finish(lambda row: [])
        failure = availability.failure
        message = f"Could not check whether {new_staff.name} is free: {read_failure_sentence(failure)}"
        return ActionResult(False, ACTION, message, fresh, category=failure.category, detail=failure.detail)
    if not availability.free:
        fresh = writer.finish(lambda row: [])
        busy = f"{new_staff.name} is not free at this time in Cal.com: {availability.note}"
        return invalid_input(ACTION, fresh, {"staff_id": busy})
    missing = contact_failure(row.customer) if row.calcom_booking_uid is None else None
    if missing is not None:
        fresh = writer.finish(lambda row: [])
        return ActionResult(False, ACTION, f"Not sent to Cal.com: {missing.message}", fresh, category=missing.category)
    return None


def _move_booking(
    writer: Writer, old_uid: str | None, new_staff: Staff, mapping: EventTypeMapping, reason: str | None
) -> tuple[SyncOperation, WriteOutcome, str | None]:
    """The Cal.com writes that give the appointment to ``new_staff``; a warning when the old booking stays live."""
    row = writer.appointment
    if old_uid is None:
        return SyncOperation.CREATE, writer.create(mapping.calcom_event_type_id, row.starts_at), None
    if _round_robin_with(writer, old_uid, new_staff):
        assert new_staff.calcom_user_id is not None
        return SyncOperation.REASSIGN, writer.reassign(old_uid, new_staff.calcom_user_id, reason), None
    created = writer.create(mapping.calcom_event_type_id, row.starts_at, besides=old_uid)
    if not created.done or created.booking is None:
        return SyncOperation.CREATE, created, None
    cancelled = writer.cancel(old_uid, f"Reassigned to {new_staff.name} (booking {created.booking.uid})")
    if cancelled.done:
        return SyncOperation.CREATE, created, None
    failure = cancelled.lookup_failure or cancelled.failure
    warning = (
        f"The old Cal.com booking {old_uid} could NOT be cancelled and still needs cancelling in Cal.com"
        f"{': ' + failure.message if failure else ''}"
    )
    return SyncOperation.CREATE, created, warning


def _free_for(client: CalcomClient, appointment: Appointment, event_type_id: int) -> Availability:
    return free_at(
        client,
        event_type_id,
        appointment.starts_at,
        appointment.ends_at,
        appointment.company.time_zone,
    )


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


def _round_robin_with(writer: Writer, uid: str, staff: Staff) -> bool:
    """Whether Cal.com can hand booking ``uid`` to ``staff`` (its event type is round-robin with them as host).

    A failed look-up counts as "no": the create-then-cancel path is verified on its own.
    """
    if staff.calcom_user_id is None:
        return False
    writer.recorder.operation = SyncOperation.LOOKUP
    try:
        booking = writer.client.get_booking(uid)
        if booking.event_type_id is None:
            return False
        event_type = writer.client.get_event_type(booking.event_type_id)
    except CalcomError:
        return False
    return event_type.is_round_robin and staff.calcom_user_id in event_type.host_ids
