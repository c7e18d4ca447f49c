"""Desync repair: the appointment behind every call the voice agent confirmed to the caller without making one.

Each confirmed call without an appointment (``ops_ui.health.metrics.desync_conditions``) is rebuilt from the
booking details the agent stored with it (customer name, phone, e-mail, service, staff, start):

- the customer is found in the call's company by e-mail or phone, or made; an anonymous caller id
  (``anonymous_<digits>_<hex>``) is no phone — it stays the call's caller number only — and no e-mail is ever
  invented: such an appointment fails the engine's contact pre-check and waits on the board for a person;
- an appointment of that customer for the same service and start that exists already (not cancelled) gets the call
  linked, instead of a duplicate;
- a booking Cal.com already holds for the call (the same event type or host, the same start, the caller as
  attendee; seen in an external booking Sync Desk kept from a webhook, or found in Cal.com) gets an appointment
  recorded as synced with that booking, instead of a second booking;
- otherwise the appointment is made pending and the sync engine books it (its due pass runs every minute). Nothing
  here writes to Cal.com: the one write path stays the engine's.

Details that are missing or broken skip the call with the reason; it stays on the desync list for a person. Each
call is one transaction, linked by a conditional ``UPDATE … WHERE appointment_id IS NULL``: a second run, or one
running at the same time, finds the call taken and rolls its own work back, so one call never gets two
appointments.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from sqlalchemy import exists, func, select, true, update
from sqlalchemy.exc import SQLAlchemyError

from ops_ui.audit import audit_event, snapshot
from ops_ui.calcom.errors import CalcomError
from ops_ui.calcom.types import Booking
from ops_ui.company_time import company_zone
from ops_ui.contact import is_anonymous_phone, is_placeholder_email, usable_email
from ops_ui.customers import booked_already, find_customer
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.writes import LIVE_STATUSES, METADATA_KEY
from ops_ui.extensions import db
from ops_ui.formatting import local_time
from ops_ui.health.metrics import desync_conditions
from ops_ui.i18n import Sentence, in_english, say
from ops_ui.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    Call,
    Customer,
    EventTypeMapping,
    ExternalBooking,
    Service,
    Staff,
    SyncStatus,
    User,
    utcnow,
)

ACTION = "backfill"
"""Audit action of an appointment made from a call."""
LINK_ACTION = "backfill_link"
"""Audit action of a call linked to an appointment that existed already."""
BATCH_SIZE = 200
COMMAND_LINE = "flask sync backfill"
"""Who the audit trail names when no user ran it."""
AUDITED_FIELDS = ("status", "sync_status", "starts_at", "staff_id", "calcom_booking_uid")


class Outcome(enum.Enum):
    CREATED = "created"
    """A new pending appointment; the sync engine books it."""
    LINKED_BOOKING = "linked to an existing Cal.com booking"
    """A new appointment recording the booking Cal.com already held for the call (synced)."""
    LINKED_APPOINTMENT = "linked to an existing appointment"
    """The same customer, service and start existed already: the call now points at it."""
    SKIPPED = "skipped"
    ERROR = "error"


WORDS = {
    Outcome.CREATED: say("created"),
    Outcome.LINKED_BOOKING: say("linked to an existing Cal.com booking"),
    Outcome.LINKED_APPOINTMENT: say("linked to an existing appointment"),
    Outcome.SKIPPED: say("skipped"),
    Outcome.ERROR: say("error"),
}
"""What became of one call, worded when shown."""
_COUNTED = WORDS | {Outcome.ERROR: say("errors")}


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call (or would become of it, in a dry run)."""

    call_id: int
    external_call_id: str
    outcome: Outcome
    reason: Sentence | None = None
    """Why it was skipped, or the full text of the error; worded when shown."""
    appointment_id: int | None = None
    """None in a dry run (nothing was made)."""
    booking_uid: str | None = None

    @property
    def word(self) -> Sentence:
        return WORDS[self.outcome]


@dataclass(frozen=True)
class BackfillReport:
    dry_run: bool
    outcomes: tuple[CallOutcome, ...] = ()
    left: int = 0
    """Calls not reached because the run's time was up; the next run takes them."""
    counts: dict[Outcome, int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        counts = dict.fromkeys(Outcome, 0)
        for item in self.outcomes:
            counts[item.outcome] += 1
        object.__setattr__(self, "counts", counts)

    @property
    def created(self) -> int:
        return self.counts[Outcome.CREATED]

    @property
    def linked_booking(self) -> int:
        return self.counts[Outcome.LINKED_BOOKING]

    @property
    def linked_appointment(self) -> int:
        return self.counts[Outcome.LINKED_APPOINTMENT]

    @property
    def linked(self) -> int:
        """Calls that got an appointment without a new Cal.com booking being needed."""
        return self.linked_booking + self.linked_appointment

    @property
    def skipped(self) -> int:
        return self.counts[Outcome.SKIPPED]

    @property
    def errors(self) -> int:
        return self.counts[Outcome.ERROR]

    def of(self, outcome: Outcome) -> list[CallOutcome]:
        return [item for item in self.outcomes if item.outcome is outcome]

    @property
    def notes(self) -> list[CallOutcome]:
        """The calls a person must read about: skipped (why) and errors (the whole text)."""
        return [item for item in self.outcomes if item.outcome in (Outcome.SKIPPED, Outcome.ERROR)]

    def summary(self) -> Sentence:
        """What was (or would be) done, worded when shown."""
        head = say("Confirmed calls without appointment: %(calls)s", calls=len(self.outcomes))
        if self.dry_run:
            head = say("%(head)s (dry run, nothing changed)", head=head)
        counted = [
            say("%(outcome)s %(count)s", outcome=_COUNTED[outcome], count=count)
            for outcome, count in self.counts.items()
        ]
        parts = reduce(lambda left, right: say("%(left)s, %(right)s", left=left, right=right), counted)
        if self.left:
            return say(
                "%(head)s — %(parts)s; %(left)s not reached, run it again.", head=head, parts=parts, left=self.left
            )
        return say("%(head)s — %(parts)s.", head=head, parts=parts)

    def sentence(self) -> str:
        """One line for a toast, in the reader's language."""
        return str(self.summary())

    def lines(self) -> list[str]:
        """The report, in English (a command's output): the sentence, then one line per call that needs reading."""
        lines = [in_english(self.summary())]
        for item in self.outcomes:
            where = f" -> appointment #{item.appointment_id}" if item.appointment_id else ""
            booking = f" (Cal.com booking {item.booking_uid})" if item.booking_uid else ""
            why = f": {in_english(item.reason)}" if item.reason else ""
            lines.append(f"  {item.outcome.value}: call {item.external_call_id}{where}{booking}{why}")
        return lines


class _Skip(Exception):
    """The call cannot be rebuilt as it is; ``reason`` says why (for the report and the person)."""

    def __init__(self, reason: Sentence) -> None:
        super().__init__(in_english(reason))
        self.reason = reason


@dataclass(frozen=True)
class _Details:
    """The call's booking details, checked and resolved against the company's data."""

    name: str | None
    email: str | None
    phone: str | None
    service: Service
    staff: Staff | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Found:
    uid: str
    start: datetime
    end: datetime
    where: str


@dataclass(frozen=True)
class _Plan:
    details: _Details
    customer: Customer | None
    """The existing customer; None: one is made from the details."""
    duplicate: Appointment | None = None
    booking: _Found | None = None


# --- the run -------------------------------------------------------------------------------------------------


def backfill_calls(
    actor: User | None,
    company_id: int | None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    stop_at: float | None = None,
) -> BackfillReport:
    """Repair every desync call of ``company_id`` (None: every company), oldest call first.

    ``dry_run`` decides and reports without changing anything (Cal.com is only read). ``stop_at`` (a
    ``time.monotonic()`` instant) ends the run early, so a web request stays within its deadline; the calls not
    reached are counted in ``left``.
    """
    now = now or utcnow()
    outcomes: list[CallOutcome] = []
    after = 0
    while batch := _desync_ids(company_id, after):
        for index, call_id in enumerate(batch):
            if stop_at is not None and time.monotonic() >= stop_at:
                left = len(batch) - index + len(_desync_ids(company_id, batch[-1], limit=None))
                return BackfillReport(dry_run, tuple(outcomes), left)
            outcomes.append(backfill_call(call_id, actor, dry_run=dry_run, now=now))
        after = batch[-1]
    return BackfillReport(dry_run, tuple(outcomes))


def _desync_ids(company_id: int | None, after: int, limit: int | None = BATCH_SIZE) -> Sequence[int]:
    statement = select(Call.id).where(*desync_conditions(), Call.id > after).order_by(Call.id).limit(limit)
    if company_id is not None:
        statement = statement.where(Call.company_id == company_id)
    return db.session.scalars(statement).all()


def backfill_call(
    call_id: int, actor: User | None, *, dry_run: bool = False, now: datetime | None = None
) -> CallOutcome:
    """Rebuild the appointment of one confirmed call (see the module's description); one transaction."""
    now = now or utcnow()
    call = db.session.get(Call, call_id, populate_existing=True)
    if call is None:
        return CallOutcome(call_id, f"#{call_id}", Outcome.SKIPPED, say("The call no longer exists."))
    try:
        plan = _plan(call, now)
    except _Skip as skip:
        return CallOutcome(call.id, call.external_call_id, Outcome.SKIPPED, skip.reason)
    except CalcomError as error:
        detail = BookingFailure.from_error(error).detail or str(error)
        reason = say("Looking for an existing booking in Cal.com failed; nothing was made: %(detail)s", detail=detail)
        return CallOutcome(call.id, call.external_call_id, Outcome.ERROR, reason)
    if dry_run:
        return _would(call, plan)
    try:
        return _apply(call, plan, actor, now)
    except SQLAlchemyError as error:
        db.session.rollback()
        return CallOutcome(
            call.id,
            call.external_call_id,
            Outcome.ERROR,
            say("Storing failed, nothing was kept: %(error)s", error=error),
        )


def _would(call: Call, plan: _Plan) -> CallOutcome:
    if plan.duplicate is not None:
        return CallOutcome(call.id, call.external_call_id, Outcome.LINKED_APPOINTMENT, None, plan.duplicate.id)
    if plan.booking is not None:
        return CallOutcome(call.id, call.external_call_id, Outcome.LINKED_BOOKING, None, None, plan.booking.uid)
    return CallOutcome(call.id, call.external_call_id, Outcome.CREATED)


# --- deciding ------------------------------------------------------------------------------------------------


def _plan(call: Call, now: datetime) -> _Plan:
    if call.appointment_id is not None:
        raise _Skip(say("Already linked to appointment #%(id)s.", id=call.appointment_id))
    if not call.booking_confirmed:
        raise _Skip(say("The call did not confirm a booking."))
    details = _details(call, now)
    customer = find_customer(call.company_id, details.email, details.phone)
    if customer is None and not details.name:
        raise _Skip(say("The booking details name no customer, and none matches their e-mail or phone."))
    duplicate = booked_already(customer.id, details.service.id, details.start) if customer is not None else None
    if duplicate is not None:
        return _Plan(details, customer, duplicate=duplicate)
    return _Plan(details, customer, booking=_existing_booking(call.company_id, details, customer))


def _details(call: Call, now: datetime) -> _Details:
    raw = call.booking_details
    if raw is None:
        raise _Skip(say("No booking details are stored with the call."))
    if not isinstance(raw, dict):
        raise _Skip(say("The booking details are not an object: %(value)s.", value=repr(raw)))
    service = _service(call.company_id, _text(raw, "service", required=True))
    staff_name = _text(raw, "staff")
    staff = _staff(call.company_id, staff_name) if staff_name else None
    start = _start(_text(raw, "start", required=True), now, company_zone(db.session, call.company_id))
    email = _text(raw, "customer_email")
    phone = _text(raw, "customer_phone") or call.caller_number
    return _Details(
        name=_text(raw, "customer_name"),
        email=None if email is None or is_placeholder_email(email) else email,
        phone=None if phone is None or is_anonymous_phone(phone) else phone.strip(),
        service=service,
        staff=staff,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
    )


def _text(raw: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise _Skip(say("The booking details' %(key)s is %(value)s, not text.", key=repr(key), value=repr(value)))
    text = value.strip() if value else None
    if required and not text:
        raise _Skip(say("The booking details have no %(key)s.", key=repr(key)))
    return text


def _service(company_id: int, name: str | None) -> Service:
    found = db.session.scalars(
        select(Service)
        .where(Service.company_id == company_id, func.lower(Service.name) == (name or "").lower())
        .order_by(Service.id)
        .limit(1)
    ).first()
    if found is None:
        raise _Skip(say("The company has no service %(name)s.", name=repr(name)))
    return found


def _staff(company_id: int, name: str) -> Staff:
    """The staff member of that name; the same person may exist twice: the oldest active record wins."""
    found = db.session.scalars(
        select(Staff)
        .where(Staff.company_id == company_id, func.lower(Staff.name) == name.lower())
        .order_by(Staff.active.desc(), Staff.id)
        .limit(1)
    ).first()
    if found is None:
        raise _Skip(say("The company has no staff member %(name)s.", name=repr(name)))
    if not found.active:
        raise _Skip(
            say("%(name)s is no longer active; a person must choose who takes the appointment.", name=found.name)
        )
    return found


def _start(value: str | None, now: datetime, time_zone: str) -> datetime:
    try:
        start = datetime.fromisoformat(value or "")
    except ValueError:
        raise _Skip(say("The start %(value)s is not a date and time.", value=repr(value))) from None
    if start.tzinfo is None:
        raise _Skip(say("The start %(value)s has no UTC offset, so the moment is unknown.", value=repr(value)))
    if start <= now:
        raise _Skip(
            say(
                "The start (%(start)s) has passed: Cal.com does not book the past; a person decides what becomes of "
                "this call.",
                start=local_time(start, time_zone),
            )
        )
    return start


def _existing_booking(company_id: int, details: _Details, customer: Customer | None) -> _Found | None:
    """A live booking Cal.com holds for the caller at that start, with that host, that no appointment holds."""
    if details.staff is None:
        return None
    email = details.email if usable_email(details.email) else None
    if email is None and customer is not None and usable_email(customer.email):
        email = customer.email
    name = details.name or (customer.name if customer is not None else None)
    return _external_booking(company_id, details, email, name) or _calcom_booking(details, email, name)


def _external_booking(company_id: int, details: _Details, email: str | None, name: str | None) -> _Found | None:
    assert details.staff is not None
    staff = details.staff
    hosts = (
        select(Staff.id).where(Staff.company_id == company_id, Staff.calcom_user_id == staff.calcom_user_id)
        if staff.calcom_user_id is not None
        else select(Staff.id).where(Staff.id == staff.id)
    )
    attendee = [func.lower(ExternalBooking.attendee_email) == email.lower()] if email else []
    if name:
        attendee.append(func.lower(ExternalBooking.attendee_name) == name.lower())
    if not attendee:
        return None
    row = db.session.scalars(
        select(ExternalBooking)
        .where(
            ExternalBooking.company_id == company_id,
            ExternalBooking.staff_id.in_(hosts),
            ExternalBooking.starts_at >= details.start,
            ExternalBooking.starts_at < details.end,
            ExternalBooking.status != "cancelled",
            attendee[0] if len(attendee) == 1 else attendee[0] | attendee[1],
            ~exists().where(Appointment.calcom_booking_uid == ExternalBooking.uid),
        )
        .order_by(ExternalBooking.id)
        .limit(1)
    ).first()
    return None if row is None else _Found(row.uid, row.starts_at, row.ends_at, "an external booking")


def _calcom_booking(details: _Details, email: str | None, name: str | None) -> _Found | None:
    mapping = _mapping(details)
    if mapping is None or (email is None and name is None):
        return None
    page = calcom_client().list_bookings(
        attendee_email=email,
        attendee_name=None if email else name,
        event_type_id=mapping.calcom_event_type_id,
        after_start=details.start,
        before_end=details.end,
        status=list(LIVE_STATUSES),
        take=50,
    )
    for booking in sorted(page.bookings, key=lambda booking: booking.id):
        if _is_the_callers(booking, details, email, name) and not _held(booking.uid):
            return _Found(booking.uid, booking.start, booking.end, "Cal.com")
    return None


def _mapping(details: _Details) -> EventTypeMapping | None:
    assert details.staff is not None
    return db.session.scalars(
        select(EventTypeMapping).where(
            EventTypeMapping.service_id == details.service.id, EventTypeMapping.staff_id == details.staff.id
        )
    ).first()


def _is_the_callers(booking: Booking, details: _Details, email: str | None, name: str | None) -> bool:
    """Live, at the call's start, made for the caller, and not one of ours (ours carry an appointment id)."""
    if booking.status == "cancelled" or METADATA_KEY in booking.metadata:
        return False
    if not details.start <= booking.start < details.end:
        return False
    for attendee in booking.attendees:
        if email and (attendee.email or "").lower() == email.lower():
            return True
        if not email and name and attendee.name.lower() == name.lower():
            return True
    return False


def _held(uid: str) -> bool:
    return bool(db.session.scalar(select(exists().where(Appointment.calcom_booking_uid == uid))))


# --- storing -------------------------------------------------------------------------------------------------


def _apply(call: Call, plan: _Plan, actor: User | None, now: datetime) -> CallOutcome:
    """Make (or pick) the appointment and link the call, in one transaction; rolled back when the call was taken."""
    if plan.duplicate is not None:
        appointment, outcome, action = plan.duplicate, Outcome.LINKED_APPOINTMENT, LINK_ACTION
    else:
        customer = plan.customer or _new_customer(call, plan.details)
        appointment = _new_appointment(call, plan, customer, now)
        outcome = Outcome.LINKED_BOOKING if plan.booking is not None else Outcome.CREATED
        action = ACTION
    if not _link(call.id, appointment.id):
        db.session.rollback()
        taken = db.session.get(Call, call.id, populate_existing=True)
        if taken is not None and taken.appointment_id:
            reason = say(
                "Linked meanwhile to appointment #%(id)s by another run; nothing was made.", id=taken.appointment_id
            )
        else:
            reason = say("Linked meanwhile to an appointment by another run; nothing was made.")
        return CallOutcome(call.id, call.external_call_id, Outcome.SKIPPED, reason)
    after = snapshot(appointment, *AUDITED_FIELDS) | {"call_id": call.id, "external_call_id": call.external_call_id}
    note = _note(call, plan, actor)
    db.session.add(audit_event(appointment, actor, action, before=None, after=after, note=note, at=now))
    db.session.commit()
    uid = plan.booking.uid if plan.booking is not None and plan.duplicate is None else None
    return CallOutcome(call.id, call.external_call_id, outcome, None, appointment.id, uid)


def _new_customer(call: Call, details: _Details) -> Customer:
    """Only what the caller gave: no e-mail is made up, and a caller id is no phone."""
    assert details.name
    customer = Customer(company_id=call.company_id, name=details.name, email=details.email, phone=details.phone)
    db.session.add(customer)
    return customer


def _new_appointment(call: Call, plan: _Plan, customer: Customer, now: datetime) -> Appointment:
    details, booking = plan.details, plan.booking
    appointment = Appointment(
        company_id=call.company_id,
        customer=customer,
        service_id=details.service.id,
        staff_id=details.staff.id if details.staff is not None else None,
        starts_at=booking.start if booking is not None else details.start,
        ends_at=booking.end if booking is not None else details.end,
        status=AppointmentStatus.SCHEDULED,
        sync_status=SyncStatus.SYNCED if booking is not None else SyncStatus.PENDING,
        calcom_booking_uid=booking.uid if booking is not None else None,
        source=AppointmentSource.BACKFILL,
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def _link(call_id: int, appointment_id: int) -> bool:
    """Point the call at the appointment unless another run did first (the guard against two appointments)."""
    result = db.session.execute(
        update(Call)
        .where(Call.id == call_id, Call.appointment_id.is_(None), Call.booking_confirmed == true())
        .values(appointment_id=appointment_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _note(call: Call, plan: _Plan, actor: User | None) -> str:
    who = actor.name if actor is not None else COMMAND_LINE
    confirmed = local_time(call.created_at, company_zone(db.session, call.company_id))
    source = f"call {call.external_call_id} (#{call.id}), confirmed to the caller on {confirmed}"
    if plan.duplicate is not None:
        return f"Linked to {source}: the same customer, service and start existed already. By {who}."
    if plan.booking is not None:
        return (
            f"Made from {source}, by {who}. Cal.com already held booking {plan.booking.uid} for it (found in "
            f"{plan.booking.where}); linked instead of booking again."
        )
    return f"Made from {source}, by {who}. Pending: the sync engine books it in Cal.com."
