"""Correct a customer's name and contact details so Cal.com can take the booking.

The rules are the ones the sync pre-checks apply (``ops_ui.contact``), which mirror what Cal.com accepts: a real
e-mail or an international phone number, at least one of them. Anything else comes back as form errors and nothing
is saved. Saving does not call Cal.com; the UI calls ``retry_sync`` next with the version this returns.

An anonymous caller id (``anonymous_…``, the phone agent's mark for a withheld number) is no phone number: it is
never offered as one, and a phone field left empty keeps it rather than erasing the fact that the caller withheld
their number.

**The name.** Cal.com's API has no call that edits a booking's attendee (CONTRACT §5: create, reschedule, cancel,
reassign; a reschedule copies the old attendee). So, as with the e-mail and the phone, the new name is saved here and
every booking made from now on carries it (the retry of a failed sync, a move to another colleague); a booking that
already exists keeps the old name in Cal.com, and the result says so. Cal.com's bookings are found by the attendee's
e-mail, or by name when there is none: renaming a customer without an e-mail who has a live booking would lose that
booking for every later look-up, so it is refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from email_validator import validate_email
from sqlalchemy import exists, select

from ops_ui.actions.results import ActionResult, Text, invalid_input, one_after_another, unsettled, with_settlement
from ops_ui.actions.retry import retry_sync
from ops_ui.audit import audit_event
from ops_ui.contact import email_problem, is_anonymous_phone, normalise_phone, phone_problem, usable_email
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.writes import Writer
from ops_ui.extensions import db
from ops_ui.i18n import Sentence, say
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, Customer, SyncOperation, User

ACTION = "contact_update"
NEED_ONE = say("Give an e-mail or an international phone number: Cal.com needs at least one.")
NAME_LENGTH = 200
"""The customer name column's length; Cal.com takes any non-empty name."""
CONTROL_CHARACTERS = frozenset(chr(code) for code in range(32)) | {chr(127)}
NAME_FOUND_BY = say(
    "Cal.com cannot rename the attendee of a booking, and finds this customer's bookings by name (there is no "
    "e-mail): keep the name while the booking exists."
)


def name_problem(name: str) -> Sentence | None:
    """Why ``name`` cannot be the customer's (and the Cal.com attendee's) name, or None."""
    if not name.strip():
        return say("Give the customer's name.")
    if len(name.strip()) > NAME_LENGTH:
        return say("The name may have at most %(limit)s characters.", limit=NAME_LENGTH)
    if not CONTROL_CHARACTERS.isdisjoint(name):
        return say("Remove the invisible control characters (line breaks, tabs) from the name.")
    return None


def contact_problems(email: str | None, phone: str | None) -> dict[str, Text]:
    """Form errors (field → problem) for the entered contact; empty when both are usable or absent-but-one-given."""
    problems: dict[str, Text] = {}
    if email and (problem := email_problem(email)):
        problems["email"] = problem
    if phone and (problem := phone_problem(phone)):
        problems["phone"] = problem
    if not email and not phone:
        problems["email"] = NEED_ONE
    return problems


def update_contact(
    appointment_id: int,
    expected_version: int,
    actor: User,
    email: str | None,
    phone: str | None,
    *,
    name: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Save the customer's normalised e-mail and phone (an empty field clears it, except that it keeps an anonymous
    caller id) and, when given, their name, with an audit event.

    The customer may have other appointments; the audit event is filed on the one the agent worked on, and that
    appointment's version moves on, so another screen still showing the old contact cannot act on it unawares.
    An anonymous caller id entered as the phone is refused like any other non-number.
    """
    now = now or datetime.now(UTC)
    appointment = load_for_action(appointment_id, expected_version, actor)
    customer = appointment.customer
    email, phone = _entered(email), _entered(phone)
    name = customer.name if name is None else name.strip()
    problems = _form_problems(customer, name, email, phone)
    if problems:
        return invalid_input(ACTION, appointment, problems)
    email = validate_email(email, check_deliverability=False).normalized if email else None
    phone = normalise_phone(phone) if phone else _kept_caller_id(customer)
    if (customer.name, customer.email, customer.phone) == (name, email, phone):
        return ActionResult(True, ACTION, say("The contact details were already like this."), appointment)
    renamed_in_calcom_too = name == customer.name or appointment.calcom_booking_uid is None

    def apply(row: Appointment) -> list[AuditEvent]:
        person = row.customer
        before = {"customer_id": person.id, "name": person.name, "email": person.email, "phone": person.phone}
        person.name = name
        person.email = email
        person.phone = phone
        row.updated_at = now  # the contact is part of what the agent saw: screens built on the old one are stale
        after = {"customer_id": person.id, "name": name, "email": email, "phone": phone}
        return [audit_event(row, actor, ACTION, before=before, after=after, note=None, at=now)]

    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.LOOKUP)
    # Cal.com's bookings are found by the attendee's contact: settle an unanswered write before it changes.
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    old_name = customer.name
    appointment = writer.finish(apply)
    message = with_settlement(
        say("Contact saved for %(name)s: %(saved)s.", name=name, saved=_shown_contact(email, phone)), settlement
    )
    warning = None if renamed_in_calcom_too else _old_name_kept(appointment, old_name)
    if warning is not None:
        message = one_after_another(message, warning)
    return ActionResult(True, ACTION, message, appointment, warning=warning)


def _entered(value: str | None) -> str | None:
    """A form field's text without surrounding blanks; None when nothing is left."""
    return (value or "").strip() or None


def _form_problems(customer: Customer, name: str, email: str | None, phone: str | None) -> dict[str, Text]:
    """Form errors (field → problem) for the entered name and contact of ``customer``; empty when all can be saved."""
    problems = contact_problems(email, phone)
    if problem := name_problem(name):
        problems["name"] = problem
    elif name != customer.name and not usable_email(email) and _has_live_booking(customer):
        problems["name"] = NAME_FOUND_BY
    return problems


def _shown_contact(email: str | None, phone: str | None) -> str:
    """The saved e-mail and phone as the agent reads them; an anonymous caller id is no contact and is left out."""
    return ", ".join(part for part in (email, phone) if part and not is_anonymous_phone(part))


def _old_name_kept(appointment: Appointment, old_name: str) -> Sentence:
    """The warning that the existing Cal.com booking keeps the customer's old name."""
    return say(
        "Cal.com's booking %(uid)s keeps the name %(name)s: Cal.com cannot rename an attendee. Bookings made from "
        "now on carry the new name.",
        uid=appointment.calcom_booking_uid,
        name=repr(old_name),
    )


def _kept_caller_id(customer: Customer) -> str | None:
    """An empty phone field keeps the anonymous caller id (it says the number was withheld); it clears a number."""
    return customer.phone if is_anonymous_phone(customer.phone) else None


def _has_live_booking(customer: Customer) -> bool:
    """Whether any of the customer's appointments holds a Cal.com booking (found by the attendee's name or e-mail)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Appointment.customer_id == customer.id,
                    Appointment.status == AppointmentStatus.SCHEDULED,
                    Appointment.calcom_booking_uid.is_not(None),
                )
            )
        )
    )


def update_contact_then_retry(
    appointment_id: int,
    expected_version: int,
    actor: User,
    email: str | None,
    phone: str | None,
    *,
    name: str | None = None,
) -> ActionResult:
    """Save the contact and, if that worked, retry the sync at once with the saved version.

    The contact is saved either way; a failed retry is news about the sync (a warning), not a refusal of the edit.
    """
    saved = update_contact(appointment_id, expected_version, actor, email, phone, name=name)
    if not saved.ok:
        return saved
    retried = retry_sync(appointment_id, saved.appointment.version, actor)
    if retried.ok:
        message = one_after_another(saved.message, retried.message)
        return replace(retried, message=message, warning=saved.warning or retried.warning)
    warning = say("The retry failed: %(reason)s", reason=retried.message)
    return replace(saved, appointment=retried.appointment, warning=warning)
