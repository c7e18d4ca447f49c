"""Move an appointment to a time Cal.com really has free.

The agent picks from ``free_slots`` (Cal.com's own availability, with the appointment's booking counted as free),
and ``reschedule`` changes the local appointment only after Cal.com confirmed the new time. Cal.com reschedules by
creating a NEW booking (new uid) and cancelling the old one; the new uid is what the appointment keeps.

``next_free_times`` looks further: the first free times of everyone who offers the service, weeks ahead if need be,
each naming its staff member. Taking another colleague's time is ``reassign`` with a new start (it moves and
reassigns in one action; see ``ops_ui.actions.reassign``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ops_ui.actions.availability import (
    Offer,
    first_starts,
    offering_staff,
    search_client,
    search_free_starts,
)
from ops_ui.actions.results import (
    ActionResult,
    Text,
    invalid_input,
    read_failure_sentence,
    store_refusal,
    unsettled,
    with_settlement,
)
from ops_ui.audit import audit_event, snapshot
from ops_ui.calcom.errors import CalcomError
from ops_ui.categories import ErrorCategory
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.booking import mapping_for
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.prechecks import precheck
from ops_ui.engine.writes import Verdict, WriteOutcome, Writer, mark_synced
from ops_ui.formatting import LocalTime
from ops_ui.i18n import Sentence, say
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, EventTypeMapping, Staff, SyncOperation, User
from ops_ui.queue_rules import CLOSED_STATUSES
from ops_ui.status_labels import status_word

ACTION = "reschedule"
DEFAULT_DAYS = 7
NEXT_FREE_COUNT = 5
LATEST_DAYS_AHEAD = 366
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
    message: Text | None = None
    category: ErrorCategory | None = None

    def by_day(self) -> dict[date, list[datetime]]:
        days: dict[date, list[datetime]] = {}
        for slot in self.slots:
            days.setdefault(slot.date(), []).append(slot)
        return days


@dataclass(frozen=True)
class NextFree:
    """The first free times across everyone who offers the service, how far Cal.com was searched, and why the search
    ended early (None when it did not)."""

    offers: tuple[Offer, ...]
    searched_until: date | None
    stopped: Sentence | None = None


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
        message = failure.message if failure else say("No Cal.com event type for this appointment.")
        category = failure.category if failure else ErrorCategory.NO_EVENT_TYPE
        return FreeSlots(False, (), time_zone, message=message, category=category)
    first = first_search_day(appointment, now)
    last = first + timedelta(days=max(1, days) - 1)
    try:
        slots = calcom_client(on_exchange=AttemptRecorder(appointment, SyncOperation.LOOKUP)).get_slots(
            mapping.calcom_event_type_id,
            first,
            last,
            time_zone,
            booking_uid_to_reschedule=_active_uid(appointment),
        )
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
        return FreeSlots(False, (), time_zone, first, last, read_failure_sentence(failure), failure.category)
    starts = tuple(slot.start.astimezone(zone) for slot in slots if slot.start > now)
    return FreeSlots(True, starts, time_zone, first, last)


def next_free_times(
    appointment: Appointment, own: FreeSlots, *, count: int = NEXT_FREE_COUNT, now: datetime | None = None
) -> NextFree:
    """The first ``count`` free times of every active staff member offering the service, from ``own``'s first day.

    ``own`` is the panel's own-staff list (``free_slots``): its week is not asked for again. Staff records of the
    same Cal.com user as the appointment's staff are the same person and offer nothing of their own.
    """
    now = now or datetime.now(UTC)
    candidates = _offering_people(appointment)
    if not candidates:
        return NextFree((), None)
    first = own.first_day or first_search_day(appointment, now)
    own_mapping = _own_mapping(appointment, candidates)
    known = {own_mapping.calcom_event_type_id: own.slots} if own.ok and own_mapping is not None else None
    uid = _active_uid(appointment)
    search = search_free_starts(
        search_client(appointment),
        {mapping.calcom_event_type_id for _, mapping in candidates},
        first,
        appointment.company.time_zone,
        first_starts(count),
        now=now,
        reschedule_uids={own_mapping.calcom_event_type_id: uid} if own_mapping is not None and uid else None,
        known=known,
    )
    offers = _earliest_first(appointment, candidates, search.found)
    return NextFree(tuple(offers[:count]), search.searched_until, search.stopped)


def _offering_people(appointment: Appointment) -> list[tuple[Staff, EventTypeMapping]]:
    """Everyone offering the service, with their event type; another staff record of the same Cal.com user as the
    appointment's staff is the same person and is left out."""
    current = appointment.staff
    return [
        (staff, mapping)
        for staff, mapping in offering_staff(appointment)
        if staff.id == appointment.staff_id
        or current is None
        or current.calcom_user_id is None
        or staff.calcom_user_id != current.calcom_user_id
    ]


def _own_mapping(appointment: Appointment, candidates: list[tuple[Staff, EventTypeMapping]]) -> EventTypeMapping | None:
    """The appointment's own staff's event type among ``candidates``, if they offer the service."""
    return next((mapping for staff, mapping in candidates if staff.id == appointment.staff_id), None)


def _earliest_first(
    appointment: Appointment,
    candidates: list[tuple[Staff, EventTypeMapping]],
    found: dict[int, list[datetime]],
) -> list[Offer]:
    """Every found start as an offer of its staff member, earliest first; at the same time the own staff first."""
    offers = [
        Offer(staff, start, own=staff.id == appointment.staff_id)
        for staff, mapping in candidates
        for start in found[mapping.calcom_event_type_id]
    ]
    offers.sort(key=lambda offer: (offer.start, not offer.own, offer.staff.name, offer.staff.id))
    return offers


def first_search_day(appointment: Appointment, now: datetime) -> date:
    """Free times are searched from the appointment's own day, or today once that has passed (company zone)."""
    zone = ZoneInfo(appointment.company.time_zone)
    return max(appointment.starts_at.astimezone(zone).date(), now.astimezone(zone).date())


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
    times out or answers garbage, the appointment keeps its time, uid and status; the attempts and a
    ``reschedule_failed`` audit event are stored.
    """
    now = now or datetime.now(UTC)
    if new_start.tzinfo is None or new_start.utcoffset() is None:
        raise ValueError("new_start must be an aware datetime")
    appointment = load_for_action(appointment_id, expected_version, actor)
    refusal = _refusal_before_asking(appointment, new_start, now)
    if refusal is not None:
        return refusal

    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.RESCHEDULE)
    row = writer.appointment
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    before = snapshot(row, *TOUCHED)
    operation, outcome = _move(writer, new_start, reason)
    if not outcome.done or outcome.booking is None:
        note = f"Asked for {new_start.astimezone(UTC).isoformat()}"
        return store_refusal(writer, ACTION, actor, outcome, operation, before=before, note=note)
    booking = outcome.booking

    def apply(row: Appointment) -> list[AuditEvent]:
        row.starts_at = booking.start.astimezone(UTC)
        row.ends_at = booking.end.astimezone(UTC)
        mark_synced(row, booking.uid)
        return [audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=reason, at=now)]

    fresh = writer.finish(apply)
    when = LocalTime(booking.start, fresh.company.time_zone)
    message = say("Rescheduled to %(when)s; Cal.com booking %(uid)s.", when=when, uid=booking.uid)
    return ActionResult(True, ACTION, with_settlement(message, settlement), fresh, booking_uid=booking.uid)


def _refusal_before_asking(appointment: Appointment, new_start: datetime, now: datetime) -> ActionResult | None:
    """Why the move cannot even be tried (nothing is claimed or sent), or None."""
    if appointment.status in CLOSED_STATUSES:
        status = status_word(appointment.status)
        message = say("The appointment is %(status)s; it cannot be rescheduled.", status=status)
        return ActionResult(False, ACTION, message, appointment)
    problem = start_problem(new_start, now)
    if problem:
        return invalid_input(ACTION, appointment, {"new_start": problem})
    if _active_uid(appointment) is None and appointment.uncertain_request is None:
        missing = precheck(appointment, mapping_for(appointment), _NO_PAST_CHECK)
        if missing is not None:
            message = say("Not sent to Cal.com: %(reason)s", reason=missing.message)
            return ActionResult(False, ACTION, message, appointment, category=missing.category)
    return None


def _move(writer: Writer, new_start: datetime, reason: str | None) -> tuple[SyncOperation, WriteOutcome]:
    """Cal.com's reschedule of the live booking; without one, a new booking at the new time."""
    row = writer.appointment
    uid = _active_uid(row)
    if uid is not None:
        return SyncOperation.RESCHEDULE, writer.reschedule(uid, new_start, reason)
    mapping = mapping_for(row)
    if mapping is None:
        failure = BookingFailure(ErrorCategory.NO_EVENT_TYPE, "No Cal.com event type for this appointment.")
        return SyncOperation.CREATE, WriteOutcome(Verdict.NOT_DONE, failure=failure)
    return SyncOperation.CREATE, writer.create(mapping.calcom_event_type_id, new_start)


def start_problem(new_start: datetime, now: datetime) -> Sentence | None:
    """Why ``new_start`` cannot be booked at all (past, or more than a year ahead), or None."""
    if new_start <= now:
        return say("That time has already passed; pick a time in the future.")
    if new_start > now + timedelta(days=LATEST_DAYS_AHEAD):
        return say("That time is more than a year ahead; pick one of the free times.")
    return None


def _active_uid(appointment: Appointment) -> str | None:
    """The uid of a live Cal.com booking for the appointment (the sync sets it only after Cal.com confirmed)."""
    if appointment.status is AppointmentStatus.CANCELLED:
        return None
    return appointment.calcom_booking_uid
