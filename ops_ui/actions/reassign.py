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
    Text,
    invalid_input,
    one_after_another,
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
from ops_ui.formatting import LocalTime
from ops_ui.i18n import Sentence, in_english, say
from ops_ui.models import Appointment, AuditEvent, EventTypeMapping, Staff, SyncOperation, User
from ops_ui.queue_rules import CLOSED_STATUSES
from ops_ui.status_labels import status_word

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
    note: Text | None = None
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
            note = say("Same Cal.com user as %(name)s: the same person, already holding this time.", name=current.name)
            options.append(Option(staff, event_type_id, free=False, same_person=True, note=note))
            continue
        if appointment.starts_at > now:
            if event_type_id not in answers:
                answers[event_type_id] = _free_for(client, appointment, event_type_id)
            answer = answers[event_type_id]
            options.append(Option(staff, event_type_id, free=answer.free, note=answer.note))
        else:
            options.append(Option(staff, event_type_id, free=False, note=say("The appointment time has passed.")))
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
            cut_short = say("Could not look for a later free time: %(reason)s", reason=search.stopped)
            note = one_after_another(option.note, cut_short) if option.note else cut_short
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
    _require_aware(new_start)
    appointment = load_for_action(appointment_id, expected_version, actor)
    new_start = _changed_start(appointment, new_start)
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
    stored_warning = in_english(warning) if warning else None  # audit notes are records: English

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
                    note=stored_warning, at=now,
                )
            )  # fmt: skip
        note = "\n".join(text for text in (reason, stored_warning) if text) or None
        events.append(audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=note, at=now))
        return events

    fresh = writer.finish(apply)
    message = with_settlement(
        _done(fresh, _holder(fresh, new_staff, move), moved=new_start is not None, same_uid=booking_uid == old_uid),
        settlement,
    )
    if warning:
        message = one_after_another(message, warning)
    return ActionResult(True, ACTION, message, fresh, booking_uid=booking_uid, warning=warning)


def _require_aware(new_start: datetime | None) -> None:
    """A new start must say its time zone: a naive one is a programming error, not an agent's."""
    if new_start is not None and (new_start.tzinfo is None or new_start.utcoffset() is None):
        raise ValueError("new_start must be an aware datetime")


def _changed_start(appointment: Appointment, new_start: datetime | None) -> datetime | None:
    """``new_start`` when it moves the appointment; None when there is none or it is the appointment's own time."""
    if new_start is not None and new_start.astimezone(UTC) == appointment.starts_at:
        return None
    return new_start


def _holder(fresh: Appointment, new_staff: Staff, move: _Move) -> str:
    """Who holds the appointment now: the colleague, or its staff when Cal.com kept the moved booking with them."""
    if move.staff_changed:
        return new_staff.name
    return fresh.staff.name if fresh.staff else "?"


def _done(fresh: Appointment, who: str, *, moved: bool, same_uid: bool) -> Sentence:
    """What the agent reads after a reassignment: to whom (and when, if the time moved), and which booking holds it."""
    uid = fresh.calcom_booking_uid
    how = (
        say("Cal.com booking %(uid)s reassigned", uid=uid) if same_uid else say("new Cal.com booking %(uid)s", uid=uid)
    )
    if not moved:
        return say("Reassigned to %(name)s; %(how)s.", name=who, how=how)
    when = LocalTime(fresh.starts_at, fresh.company.time_zone)
    return say("Moved to %(when)s with %(name)s; %(how)s.", when=when, name=who, how=how)


def _asked(new_staff: Staff, new_start: datetime | None) -> str:
    if new_start is None:
        return f"To {new_staff.name}"
    return f"To {new_staff.name} at {new_start.astimezone(UTC).isoformat()}"


def _refusal_before_asking(
    appointment: Appointment, staff_id: int, new_start: datetime | None, now: datetime
) -> ActionResult | None:
    """Why the reassignment cannot even be tried (nothing is claimed or sent), or None."""
    if appointment.status in CLOSED_STATUSES:
        status = status_word(appointment.status)
        message = say("The appointment is %(status)s; it cannot be reassigned.", status=status)
        return ActionResult(False, ACTION, message, appointment)
    new_staff, mapping, problem = _target(appointment, staff_id)
    if problem or new_staff is None or mapping is None:
        return invalid_input(ACTION, appointment, {"staff_id": problem or say("Choose a staff member.")})
    if new_start is not None:
        problem = start_problem(new_start, now)
        return invalid_input(ACTION, appointment, {"start": problem}) if problem else None
    if appointment.starts_at <= now:
        return ActionResult(
            False,
            ACTION,
            say("The appointment time has passed; Cal.com does not book the past. Reschedule it first."),
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
        message = say(
            "Could not check whether %(name)s is free: %(reason)s",
            name=new_staff.name,
            reason=read_failure_sentence(failure),
        )
        return ActionResult(False, ACTION, message, fresh, category=failure.category, detail=failure.detail)
    if not availability.free:
        fresh = writer.finish(lambda row: [])
        busy = say(
            "%(name)s is not free at this time in Cal.com: %(reason)s", name=new_staff.name, reason=availability.note
        )
        return invalid_input(ACTION, fresh, {"staff_id": busy})
    missing = contact_failure(row.customer) if row.calcom_booking_uid is None else None
    if missing is not None:
        fresh = writer.finish(lambda row: [])
        message = say("Not sent to Cal.com: %(reason)s", reason=missing.message)
        return ActionResult(False, ACTION, message, fresh, category=missing.category)
    return None


@dataclass(frozen=True)
class _Move:
    """What the Cal.com writes of a reassignment did: ``outcome`` carries the booking the appointment keeps."""

    operation: SyncOperation
    outcome: WriteOutcome
    warning: Sentence | None = None
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
        warning = say(
            "Cal.com did not confirm that the old booking %(uid)s was cancelled; the next action on this appointment "
            "checks it and cancels it if it is still live.",
            uid=old_uid,
        )
        return _Move(SyncOperation.CREATE, created, warning, old_booking_left=True)
    failure = cancelled.lookup_failure or cancelled.failure
    warning = (
        say(
            "The old Cal.com booking %(uid)s could NOT be cancelled and still needs cancelling in Cal.com: %(reason)s",
            uid=old_uid,
            reason=failure.message,
        )
        if failure
        else say(
            "The old Cal.com booking %(uid)s could NOT be cancelled and still needs cancelling in Cal.com", uid=old_uid
        )
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
        say(
            "The booking moved to the new time, but Cal.com did not hand it to %(name)s: %(reason)s. It stays with its "
            "host; reassign it again.",
            name=new_staff.name,
            reason=failure.message,
        )
        if failure
        else say(
            "The booking moved to the new time, but Cal.com did not hand it to %(name)s. It stays with its host; "
            "reassign it again.",
            name=new_staff.name,
        )
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


def _target(appointment: Appointment, staff_id: int) -> tuple[Staff | None, EventTypeMapping | None, Sentence | None]:
    """The new staff and their event type for the service, or why they cannot take the appointment."""
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.company_id != appointment.company_id:
        return staff, None, say("Choose a staff member of this company.")
    if staff.id == appointment.staff_id:
        return staff, None, say("%(name)s already has this appointment.", name=staff.name)
    if not staff.active:
        return staff, None, say("%(name)s is no longer active.", name=staff.name)
    current = appointment.staff
    if current is not None and current.calcom_user_id is not None and current.calcom_user_id == staff.calcom_user_id:
        return (
            staff,
            None,
            say(
                "%(name)s is the same Cal.com user as %(current)s; nothing would change.",
                name=staff.name,
                current=current.name,
            ),
        )
    mapping = db.session.scalar(
        select(EventTypeMapping).where(
            EventTypeMapping.service_id == appointment.service_id, EventTypeMapping.staff_id == staff.id
        )
    )
    if mapping is None:
        return (
            staff,
            None,
            say("%(name)s does not offer %(service)s in Cal.com.", name=staff.name, service=appointment.service.name),
        )
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
