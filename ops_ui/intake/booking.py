"""``book_appointment``: checked at the door, booked through the engine's verified write, confirmed only when true.

In this order: the caller's contact (a usable e-mail or a real phone number; a withheld number is no phone), the
service, the start; the same customer, service and start booked already is answered with that appointment; a staff
member who is free at that time by Cal.com's slots (the one asked for, or the first free one who offers the
service). Then one local transaction makes the customer (if new), the appointment and the call's booking details;
the engine books it in Cal.com under its claim; only when Cal.com confirmed the booking is the call marked
``booking_confirmed`` and linked. Whatever fails is kept: the call keeps the full error, the appointment shows on
the review board with Cal.com's words, and the caller hears that it is not yet booked.

The new appointment is not due for the engine's own passes until the request's lease has run out, so the engine
does not race the caller's request; if that request's process dies, the engine books it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers

from ops_ui.actions.availability import free_at
from ops_ui.audit import audit_event, snapshot
from ops_ui.categories import ErrorCategory
from ops_ui.contact import email_problem, is_anonymous_phone, usable_phone
from ops_ui.customers import booked_already, find_customer
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.gateway import calcom_client
from ops_ui.extensions import db
from ops_ui.intake import calls
from ops_ui.intake.answers import CALENDAR_UNREACHABLE, Answer, Status, invalid
from ops_ui.intake.arguments import Refused, moment, service_named, staff_for, text
from ops_ui.intake.once import answer_once, lease_end
from ops_ui.intake.speech import spoken_moment
from ops_ui.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    Call,
    Company,
    Customer,
    EventTypeMapping,
    IntakeRequest,
    Service,
    Staff,
    SyncStatus,
)

FUNCTION = "book_appointment"
ACTION = "intake_booking"
"""Audit action of an appointment the phone agent made."""
HOME_REGION = "DE"
"""How a phone number said without a country code is read."""

NOT_YET = "wir melden uns bei Ihnen, sobald er fest eingetragen ist"


@dataclass(frozen=True)
class _Wish:
    """What the caller asked for, checked."""

    name: str
    email: str | None
    phone: str | None
    service: Service
    staff_name: str | None
    start: datetime
    end: datetime


def book_appointment(company: Company, call: Call, args: dict[str, Any], now: datetime) -> Answer:
    try:
        wish = _wish(company, call, args, now)
    except Refused as refused:
        status = Status.NEEDS_EMAIL if refused.field == "email" else Status.INVALID
        answer = invalid(refused.sentence, **{refused.field: refused.sentence})
        return Answer(status, answer.message, answer.data)
    return answer_once(call, FUNCTION, args, lambda row: _book(company, call, row, wish, now))


# --- at the door -------------------------------------------------------------------------------------------------


def _wish(company: Company, call: Call, args: dict[str, Any], now: datetime) -> _Wish:
    name = text(args, "name")
    if name is None:
        raise Refused("Auf welchen Namen darf ich den Termin eintragen?", "name")
    email, phone = _contact(args, call.caller_number)
    service = service_named(company.id, text(args, "service"))
    start = moment(args, "start", company.time_zone)
    if start is None:
        raise Refused("Für wann möchten Sie den Termin?", "start")
    if start <= now:
        raise Refused("Dieser Zeitpunkt liegt in der Vergangenheit. Für wann möchten Sie den Termin?", "start")
    end = start + timedelta(minutes=service.duration_minutes)
    return _Wish(name, email, phone, service, text(args, "staff"), start, end)


def _contact(args: dict[str, Any], caller_number: str | None) -> tuple[str | None, str | None]:
    """A usable e-mail and/or a real phone number: the one given, else the number the caller rings from."""
    email = text(args, "email", limit=320)
    if email is not None and email_problem(email) is not None:
        raise Refused("Diese E-Mail-Adresse scheint nicht zu stimmen. Können Sie sie bitte buchstabieren?", "email")
    given = text(args, "phone", limit=40)
    phone = _phone(given) if given is not None else None
    if given is not None and phone is None and email is None:
        raise Refused("Diese Telefonnummer kann ich nicht eintragen. Haben Sie eine E-Mail-Adresse?", "phone")
    if phone is None and usable_phone(caller_number):
        phone = _phone(caller_number)
    if email is None and phone is None:
        withheld = caller_number is None or is_anonymous_phone(caller_number)
        why = "Ihre Nummer wird nicht übertragen" if withheld else "Ihre Nummer kann ich nicht eintragen"
        raise Refused(f"{why}. Damit ich den Termin eintragen kann, brauche ich Ihre E-Mail-Adresse.", "email")
    return email, phone


def _phone(value: str | None) -> str | None:
    """In E.164 when it is a real number (``0151…`` is read as German), else None."""
    if not value or is_anonymous_phone(value):
        return None
    try:
        parsed = phonenumbers.parse(value, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# --- booking -----------------------------------------------------------------------------------------------------


def _book(company: Company, call: Call, row: IntakeRequest, wish: _Wish, now: datetime) -> Answer:
    if row.appointment_id is not None:  # taken over from a request whose process died: go on with its appointment
        return _sync_and_settle(call, row.appointment_id, company.time_zone)
    customer = find_customer(company.id, wish.email, wish.phone)
    booked = booked_already(customer.id, wish.service.id, wish.start) if customer is not None else None
    if booked is not None:
        _remember(row, booked.id)
        return _settle(call, booked.id, company.time_zone, repeated=True)
    choice = _free_staff(company, wish)
    if isinstance(choice, Answer):
        return choice
    appointment_id = _make(company, call, row, customer, wish, choice, now)
    return _sync_and_settle(call, appointment_id, company.time_zone)


def _sync_and_settle(call: Call, appointment_id: int, time_zone: str) -> Answer:
    """Book the appointment in Cal.com through the engine unless it is booked already, then answer."""
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    assert appointment is not None
    if appointment.sync_status is not SyncStatus.SYNCED and appointment.status is AppointmentStatus.SCHEDULED:
        sync_appointment(appointment)
    return _settle(call, appointment_id, time_zone)


def _free_staff(company: Company, wish: _Wish) -> tuple[Staff, EventTypeMapping] | Answer:
    """The staff member asked for, or the first who offers the service, when Cal.com's slots say they are free."""
    try:
        pairs = staff_for(company.id, wish.service, wish.staff_name)
    except Refused as refused:
        return invalid(refused.sentence, **{refused.field: refused.sentence})
    client = calcom_client()
    for staff, mapping in pairs:
        availability = free_at(client, mapping.calcom_event_type_id, wish.start, wish.end, company.time_zone)
        if availability.failure is not None:
            return CALENDAR_UNREACHABLE
        if availability.free:
            return staff, mapping
    who = wish.staff_name or "bei uns"
    when = spoken_moment(wish.start, company.time_zone)
    return Answer(
        Status.TAKEN,
        f"Am {when} ist {who} leider nicht frei. Soll ich nach einer anderen Zeit schauen?",
        {"start": wish.start.isoformat()},
    )


def _make(
    company: Company,
    call: Call,
    row: IntakeRequest,
    customer: Customer | None,
    wish: _Wish,
    choice: tuple[Staff, EventTypeMapping],
    now: datetime,
) -> int:
    """The local part, in one transaction: customer (if new), appointment, the call's details, the request's link."""
    staff, _ = choice
    if customer is None:
        customer = Customer(company_id=company.id, name=wish.name, email=wish.email, phone=wish.phone)
        db.session.add(customer)
    appointment = Appointment(
        company_id=company.id,
        customer=customer,
        service_id=wish.service.id,
        staff_id=staff.id,
        starts_at=wish.start,
        ends_at=wish.end,
        status=AppointmentStatus.SCHEDULED,
        sync_status=SyncStatus.PENDING,
        source=AppointmentSource.VOICE_AGENT,
        next_retry_at=lease_end(),
        created_at=now,
        updated_at=now,
    )
    db.session.add(appointment)
    db.session.flush()
    fresh_call = db.session.get(Call, call.id)
    assert fresh_call is not None
    fresh_call.booking_details = _details(wish, staff)
    row = db.session.get(IntakeRequest, row.id) or row
    row.appointment_id = appointment.id
    note = f"Booked by the phone agent in call {call.external_call_id}; Cal.com is asked next."
    after = snapshot(appointment, "status", "sync_status", "starts_at", "staff_id") | {"call_id": call.id}
    db.session.add(audit_event(appointment, None, ACTION, before=None, after=after, note=note, at=now))
    db.session.commit()
    return appointment.id


def _details(wish: _Wish, staff: Staff) -> dict[str, str | None]:
    """As the desync repair reads them (``ops_ui.actions.backfill``)."""
    return {
        "customer_name": wish.name,
        "customer_email": wish.email,
        "customer_phone": wish.phone,
        "service": wish.service.name,
        "staff": staff.name,
        "start": wish.start.isoformat(),
    }


def _remember(row: IntakeRequest, appointment_id: int) -> None:
    fresh = db.session.get(IntakeRequest, row.id) or row
    fresh.appointment_id = appointment_id
    db.session.commit()


# --- the answer --------------------------------------------------------------------------------------------------


def _settle(call: Call, appointment_id: int, time_zone: str, *, repeated: bool = False) -> Answer:
    """Confirm the call when Cal.com holds the booking; otherwise keep the full error with the call and say so."""
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    assert appointment is not None
    when = spoken_moment(appointment.starts_at, time_zone)
    staff = appointment.staff.name if appointment.staff is not None else "uns"
    data = {"appointment_id": appointment.id, "start": appointment.starts_at.isoformat(), "staff": staff}
    if appointment.sync_status is SyncStatus.SYNCED and appointment.calcom_booking_uid:
        calls.confirm(call.id, appointment.id)
        service = appointment.service.name
        if repeated:
            message = f"Diesen Termin haben Sie schon: {service} am {when} bei {staff}."
            return Answer(Status.ALREADY_BOOKED, message, data)
        return Answer(Status.BOOKED, f"Ihr Termin ist eingetragen: {service} am {when} bei {staff}.", data)
    calls.keep_error(call.id, _why_not(appointment))
    if appointment.last_error_category is ErrorCategory.HOST_CONFLICT:
        message = (
            f"Die Zeit am {when} ist leider gerade eben vergeben worden, ich konnte den Termin nicht fest "
            "eintragen. Wir melden uns bei Ihnen mit einem neuen Vorschlag."
        )
    else:
        message = f"Ich konnte den Termin am {when} leider noch nicht fest eintragen – {NOT_YET}."
    return Answer(Status.NOT_CONFIRMED, message, data)


def _why_not(appointment: Appointment) -> str:
    if appointment.last_error_message:
        return appointment.last_error_message
    if appointment.claim_token is not None:
        return f"Cal.com has not confirmed appointment #{appointment.id} yet: {appointment.claimed_by} is booking it."
    return f"Cal.com has not confirmed appointment #{appointment.id} yet; the sync engine books it."
