"""Give an appointment to another staff member, in Cal.com first and then locally — at its time, or at a new one.

Cal.com can only hand a booking to another person in one case: a round-robin team event type whose hosts include
that person (``reassign``, same uid). Otherwise the new person needs a booking of their own event type; it is
created FIRST and the old booking is cancelled only after that succeeded, so the customer is never left without a
booking. If cancelling the old one then fails, the appointment still moves to the new booking (that booking exists
and is the one the customer should keep); the old uid is named loudly in the result's warning and in a
``cancel_old_booking_failed`` audit event, with the attempt stored, so a person cancels it by hand.

**Another colleague at another time** (``new_start``: a free time the reschedule or reassign panel offered) is the
same action, because no single Cal.com call moves a booking to another host's event type: Cal.com's reschedule
keeps the event type, and its reassign keeps the time (and exists only for round-robin types). The order is chosen
so that every moment in between leaves the customer with a live booking and the next writer able to finish it:

- with another event type: create the colleague's booking at the new time, THEN cancel the old one (as above).
  A lost answer to the create is looked up by our id in its metadata; if that fails too the appointment stays
  uncertain and the next action keeps the booking it records (the old one) and cancels the new one. A lost answer
  to the cancel leaves the appointment on the new booking, still marked uncertain, and the next action cancels the
  old one as a duplicate. Either way Cal.com ends with exactly one live booking.
- with a round-robin type holding both: reschedule (new time, new uid, same type), THEN reassign that booking to the
  colleague. Reassigning first would need the colleague free at the old time. If the reassign is refused, the
  appointment keeps the moved booking with the host Cal.com gave it, and says so; an unanswered reassign is settled
  by the next action, which takes the host from the booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ops_ui.actions.availability import (
    Availability,
    first_start_each,
    free_at,
    offering_staff,
    search_client,
    search_free_starts,
)
from ops_ui.actions.reschedule import first_search_day, start_problem
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
from ops_ui.engine.writes import Verdict, WriteOutcome, Writer, mark_synced
from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, EventTypeMapping, Staff, SyncOperation, User
from ops_ui.queue_rules import CLOSED_STATUSES

ACTION = "reassign"
TOUCHED = ("staff_id", "starts_at", "ends_at", "calcom_booking_uid", "sync_status", "last_error_category")


@dataclass(frozen=True)
class Option:
    """A staff member the appointment could go to.

    ``free`` means Cal.com's slots show this person's event type free for the whole appointment (see
    ``ops_ui.actions.availability``). For a round-robin team type that is "some host of the team is free", the best
    Cal.com's slots can say. A staff record with the same Cal.com user as the current one is the same person: listed
    (so duplicates are visible) but never free, and ``reassign`` refuses it. ``note`` explains a busy/unknown answer;
    ``next_free`` is a busy colleague's first free start (company zone), which the panel offers to take.
    """

    staff: Staff
    event_type_id: int
    free: bool
    same_person: bool = False
    note: str | None = None
    next_free: datetime | None = None


def reassign_options(appointment: Appointment, *, now: datetime | None = None) -> list[Option]:
    """The other active staff who offer the appointment's service, each marked free or busy at its time, and a busy
    colleague's next free time.

    One slots request per distinct event type for the appointment's day, then week by week for the busy ones until
    each has a free time (``ops_ui.actions.availability.search_free_starts``); all stored as LOOKUP attempts. A
    failed request marks its staff not free with Cal.com's message in ``note`` rather than failing the whole list.
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
        if appointment.starts_at > now:
            if event_type_id not in answers:
                answers[event_type_id] = _free_for(client, appointment, event_type_id)
            answer = answers[event_type_id]
            options.append(Option(staff, event_type_id, free=answer.free, note=answer.note))
        else:
            options.append(Option(staff, event_type_id, free=False, note="The appointment time has passed."))
    return _with_next_free(appointment, options, now)


def _with_next_free(appointment: Appointment, options: list[Option], now: datetime) -> list[Option]:
    """The busy colleagues' options with their first free time; one whose search Cal.com cut short says why."""
    busy = {option.event_type_id for option in options if not option.free and not option.same_person}
    if not busy:
        return options
    search = search_free_starts(
        search_client(appointment),
        busy,
        first_search_day(appointment, now),
        appointment.company.time_zone,
        first_start_each,
        now=now,
    )
    with_times = []
    for option in options:
        starts = search.found.get(option.event_type_id) if option.event_type_id in busy else None
        if starts:
            option = Option(option.staff, option.event_type_id, False, note=option.note, next_free=starts[0])
        elif starts is not None and search.stopped:
            note = f"{option.note} Could not look for a later free time: {search.stopped}"
            option = Option(option.staff, option.event_type_id, False, note=note)
        with_times.append(option)
    return with_times


def reassign(
    appointment_id: int,
    expected_version: int,
    actor: User,
    staff_id: int,
    *,
    new_start: datetime | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Move the appointment to ``staff_id`` (at ``new_start``, if given) once Cal.com confirmed the booking is theirs.

    The new staff must be free by Cal.com's slots, as the panel showed. No booking yet: create one for the new
    staff's event type (this also resolves a failed sync). A booking of a round-robin type that includes the new
    staff's Cal.com user: Cal.com's reassign (same uid), after its reschedule when the time changes. Any other
    booking: create the new one, then cancel the old one (see the module docstring for the order and for when that
    cancel fails). When Cal.com refuses, times out or answers garbage, the appointment keeps staff, time, uid and
    status.
    """
    now = now or datetime.now(UTC)
    if new_start is not None and (new_start.tzinfo is None or new_start.utcoffset() is None):
        raise ValueError("new_start must be an aware datetime")
    appointment = load_for_action(appointment_id, expected_version, actor)
    if new_start is not None and new_start.astimezone(UTC) == appointment.starts_at:
        new_start = None
    refusal = _refusal_before_asking(appointment, staff_id, new_start, now)
    if refusal is not None:
        return refusal
    new_staff, mapping, _ = _target(appointment, staff_id)
    assert new_staff is not None and mapping is not None

    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.REASSIGN)
    row = writer.appointment
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    start = new_start.astimezone(UTC) if new_start is not None else row.starts_at
    refusal = _refusal_after_asking(writer, new_staff, mapping, start)
    if refusal is not None:
        return refusal
    old_uid = row.calcom_booking_uid
    before = snapshot(row, *TOUCHED)
    move = _move_booking(writer, old_uid, new_staff, mapping, start, reason)
    outcome = move.outcome
    if not outcome.done:
        return store_refusal(
            writer, ACTION, actor, outcome, move.operation, before=before,
            after={"staff_id": new_staff.id, "starts_at": start.isoformat()}, note=_asked(new_staff, new_start),
        )  # fmt: skip
    booking = outcome.booking
    booking_uid = booking.uid if booking else old_uid
    assert booking_uid is not None
    warning = move.warning

    def apply(row: Appointment) -> list[AuditEvent]:
        if move.staff_changed:
            row.staff_id = new_staff.id
        if booking is not None:
            row.starts_at = booking.start.astimezone(UTC)
            row.ends_at = booking.end.astimezone(UTC)
        mark_synced(row, booking_uid)
        events = []
        if move.old_booking_left:
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
    if new_start is None:
        done = f"Reassigned to {new_staff.name}; {how}."
    else:
        local = fresh.starts_at.astimezone(ZoneInfo(fresh.company.time_zone))
        who = new_staff.name if move.staff_changed else fresh.staff.name if fresh.staff else "?"
        done = f"Moved to {local:%a %d %b %Y, %H:%M} with {who}; {how}."
    message = with_settlement(done, settlement)
    if warning:
        message = f"{message} {warning}"
    return ActionResult(True, ACTION, message, fresh, booking_uid=booking_uid, warning=warning)


def _asked(new_staff: Staff, new_start: datetime | None) -> str:
    if new_start is None:
        return f"To {new_staff.name}"
    return f"To {new_staff.name} at {new_start.astimezone(UTC).isoformat()}"


def _refusal_before_asking(
    appointment: Appointment, staff_id: int, new_start: datetime | None, now: datetime
) -> ActionResult | None:
    """Why the reassignment cannot even be tried (nothing is claimed or sent), or None."""
    if appointment.status in CLOSED_STATUSES:
        return ActionResult(
            False, ACTION, f"The appointment is {appointment.status.value}; it cannot be reassigned.", appointment
        )
    new_staff, mapping, problem = _target(appointment, staff_id)
    if problem or new_staff is None or mapping is None:
        return invalid_input(ACTION, appointment, {"staff_id": problem or "Choose a staff member."})
    if new_start is not None:
        problem = start_problem(new_start, now)
        return invalid_input(ACTION, appointment, {"start": problem}) if problem else None
    if appointment.starts_at <= now:
        return ActionResult(
            False,
            ACTION,
            "The appointment time has passed; Cal.com does not book the past. Reschedule it first.",
            appointment,
            category=ErrorCategory.PAST_APPOINTMENT,
        )
    return None


def _refusal_after_asking(
    writer: Writer, new_staff: Staff, mapping: EventTypeMapping, start: datetime
) -> ActionResult | None:
    """Why nothing is written after all (the claim ends): the colleague is busy, or a new booking lacks a contact."""
    row = writer.appointment
    availability = _free_for(writer.client, row, mapping.calcom_event_type_id, start)
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


@dataclass(frozen=True)
class _Move:
    """What the Cal.com writes of a reassignment did: ``outcome`` carries the booking the appointment keeps."""

    operation: SyncOperation
    outcome: WriteOutcome
    warning: str | None = None
    staff_changed: bool = True
    """False when only the time moved (Cal.com refused to hand a moved round-robin booking to the colleague)."""
    old_booking_left: bool = False
    """The old booking may still be live next to the new one."""


def _move_booking(
    writer: Writer, old_uid: str | None, new_staff: Staff, mapping: EventTypeMapping, start: datetime,
    reason: str | None,
) -> _Move:  # fmt: skip
    """The Cal.com writes that give the appointment to ``new_staff`` at ``start``, in the order the module explains."""
    if old_uid is None:
        return _Move(SyncOperation.CREATE, writer.create(mapping.calcom_event_type_id, start))
    if _round_robin_with(writer, old_uid, new_staff):
        return _hand_over_round_robin(writer, old_uid, new_staff, start, reason)
    created = writer.create(mapping.calcom_event_type_id, start, besides=old_uid)
    if not created.done or created.booking is None:
        return _Move(SyncOperation.CREATE, created)
    cancelled = writer.cancel(old_uid, f"Reassigned to {new_staff.name} (booking {created.booking.uid})")
    if cancelled.done:
        return _Move(SyncOperation.CREATE, created)
    if cancelled.verdict is Verdict.UNCERTAIN:
        warning = (
            f"Cal.com did not confirm that the old booking {old_uid} was cancelled; the next action on this "
            "appointment checks it and cancels it if it is still live."
        )
        return _Move(SyncOperation.CREATE, created, warning, old_booking_left=True)
    failure = cancelled.lookup_failure or cancelled.failure
    warning = (
        f"The old Cal.com booking {old_uid} could NOT be cancelled and still needs cancelling in Cal.com"
        f"{': ' + failure.message if failure else ''}"
    )
    return _Move(SyncOperation.CREATE, created, warning, old_booking_left=True)


def _hand_over_round_robin(writer: Writer, uid: str, new_staff: Staff, start: datetime, reason: str | None) -> _Move:
    """Reschedule the round-robin booking when the time changes, then reassign it (see the module docstring)."""
    assert new_staff.calcom_user_id is not None
    if start == writer.appointment.starts_at:
        return _Move(SyncOperation.REASSIGN, writer.reassign(uid, new_staff.calcom_user_id, reason))
    moved = writer.reschedule(uid, start, reason)
    if not moved.done or moved.booking is None:
        return _Move(SyncOperation.RESCHEDULE, moved)
    handed = writer.reassign(moved.booking.uid, new_staff.calcom_user_id, reason)
    if handed.done:
        return _Move(SyncOperation.REASSIGN, handed)
    failure = handed.lookup_failure or handed.failure
    warning = (
        f"The booking moved to the new time, but Cal.com did not hand it to {new_staff.name}"
        f"{': ' + failure.message if failure else ''}. It stays with its host; reassign it again."
    )
    return _Move(SyncOperation.REASSIGN, moved, warning, staff_changed=False)


def _free_for(
    client: CalcomClient, appointment: Appointment, event_type_id: int, start: datetime | None = None
) -> Availability:
    """Whether ``event_type_id`` is free for the appointment's length at ``start`` (default: its own time)."""
    start = start or appointment.starts_at
    end = start + (appointment.ends_at - appointment.starts_at)
    return free_at(client, event_type_id, start, end, appointment.company.time_zone)


def _candidates(appointment: Appointment) -> list[tuple[Staff, EventTypeMapping]]:
    return [(staff, mapping) for staff, mapping in offering_staff(appointment) if staff.id != appointment.staff_id]


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
