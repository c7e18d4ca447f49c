"""``cancel_appointment``: the caller cancels their own booking, through the same cancel as the agents' action.

The caller's appointments are the upcoming ones booked in this call, or of the customer with the number the caller
rings from or the e-mail they give. One of them (the one at ``start``, when given) is cancelled in Cal.com first
and then here; several without a start are listed so the caller can say which.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from ops_ui.actions.cancel import cancel_loaded, cancellation_reason
from ops_ui.contact import normalise_phone, usable_phone
from ops_ui.engine.claims import BeingChanged, StaleAppointment
from ops_ui.extensions import db
from ops_ui.i18n import in_english
from ops_ui.intake import calls
from ops_ui.intake.answers import Answer, Status, invalid
from ops_ui.intake.arguments import Refused, moment, text
from ops_ui.intake.once import answer_once
from ops_ui.intake.speech import spoken_list, spoken_moment
from ops_ui.models import Appointment, AppointmentStatus, Call, Company, Customer, IntakeRequest, SyncStatus

FUNCTION = "cancel_appointment"
REASON_CODE = "customer_request"


def cancel_appointment(company: Company, call: Call, args: dict[str, Any], now: datetime) -> Answer:
    try:
        start = moment(args, "start", company.time_zone)
        email = text(args, "email", limit=320)
        words = text(args, "reason", limit=500)
    except Refused as refused:
        return invalid(refused.sentence, **{refused.field: refused.sentence})
    return answer_once(call, FUNCTION, args, lambda row: _cancel(company, call, start, email, words, now))


def _cancel(
    company: Company, call: Call, start: datetime | None, email: str | None, words: str | None, now: datetime
) -> Answer:
    found = _callers_appointments(company, call, email, start, now)
    if not found:
        return Answer(Status.NOT_FOUND, "Ich finde leider keinen kommenden Termin für Sie. Auf welchen Namen lief er?")
    if len(found) > 1:
        times = [spoken_moment(appointment.starts_at, company.time_zone) for appointment in found]
        message = f"Sie haben mehrere Termine: {spoken_list(times)}. Welchen möchten Sie absagen?"
        return Answer(Status.WHICH_ONE, message, {"starts": [a.starts_at.isoformat() for a in found]})
    appointment = found[0]
    when = spoken_moment(appointment.starts_at, company.time_zone)
    said = f"am Telefon (Anruf {call.external_call_id})" + (f": {words}" if words else "")
    data = {"appointment_id": appointment.id, "start": appointment.starts_at.isoformat()}
    try:
        reason = cancellation_reason(REASON_CODE, said)
        result = cancel_loaded(appointment, appointment.version, None, reason, now=now, finish_later=True)
    except (BeingChanged, StaleAppointment) as busy:
        calls.keep_error(call.id, f"Cancelling appointment #{appointment.id} waits: {busy}")
        return Answer(Status.NOT_CANCELLED, _not_cancelled(when), data)
    if result.ok and result.appointment.sync_status is SyncStatus.SYNCED:
        return Answer(Status.CANCELLED, f"Ihr Termin am {when} ist abgesagt.", data)
    if result.ok:  # cancelled here; Cal.com's booking follows when the engine gets through
        calls.keep_error(
            call.id, f"Appointment #{appointment.id} is cancelled; Cal.com is not yet: {in_english(result.message)}"
        )
        return Answer(Status.CANCEL_NOTED, f"Ihre Absage für den Termin am {when} ist notiert.", data)
    calls.keep_error(
        call.id, f"Cancelling appointment #{appointment.id} failed: {result.detail or in_english(result.message)}"
    )
    return Answer(Status.NOT_CANCELLED, _not_cancelled(when), data)


def _not_cancelled(when: str) -> str:
    return f"Ich konnte den Termin am {when} gerade nicht absagen – wir melden uns bei Ihnen, sobald er abgesagt ist."


def _callers_appointments(
    company: Company, call: Call, email: str | None, start: datetime | None, now: datetime
) -> Sequence[Appointment]:
    booked_in_call = select(IntakeRequest.appointment_id).where(
        IntakeRequest.call_id == call.id, IntakeRequest.appointment_id.is_not(None)
    )
    theirs = [Appointment.id.in_(booked_in_call), Appointment.id == call.appointment_id]
    if usable_phone(call.caller_number):
        theirs.append(Customer.phone.in_({call.caller_number, normalise_phone(call.caller_number)}))
    if email:
        theirs.append(func.lower(Customer.email) == email.lower())
    statement = (
        select(Appointment)
        .join(Customer, Customer.id == Appointment.customer_id)
        .where(Appointment.company_id == company.id, Appointment.status == AppointmentStatus.SCHEDULED)
        .where(Appointment.starts_at > now, or_(*theirs))
        .order_by(Appointment.starts_at)
        .limit(10)
    )
    if start is not None:
        statement = statement.where(Appointment.starts_at == start)
    return db.session.scalars(statement).all()
