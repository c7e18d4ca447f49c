"""Correct a customer's contact details so Cal.com can take the booking.

The rules are the ones the sync pre-checks apply (``ops_ui.contact``), which mirror what Cal.com accepts: a real
e-mail or an international phone number, at least one of them. Anything else comes back as form errors and nothing
is saved. Saving does not call Cal.com; the UI calls ``retry_sync`` next with the version this returns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from email_validator import validate_email

from ops_ui.actions.results import ActionResult, invalid_input, unsettled, with_settlement
from ops_ui.actions.retry import retry_sync
from ops_ui.audit import audit_event
from ops_ui.contact import email_problem, normalise_phone, phone_problem
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.writes import Writer
from ops_ui.models import Appointment, AuditEvent, SyncOperation, User

ACTION = "contact_update"
NEED_ONE = "Give an e-mail or an international phone number: Cal.com needs at least one."


def contact_problems(email: str | None, phone: str | None) -> dict[str, str]:
    """Form errors (field → problem) for the entered contact; empty when both are usable or absent-but-one-given."""
    problems: dict[str, str] = {}
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
    now: datetime | None = None,
) -> ActionResult:
    """Save the customer's normalised e-mail and phone (an empty field clears it), with an audit event.

    The customer may have other appointments; the audit event is filed on the one the agent worked on, and that
    appointment's version moves on, so another screen still showing the old contact cannot act on it unawares.
    An anonymous caller id (``anonymous_…``) is refused like any other non-number.
    """
    now = now or datetime.now(UTC)
    appointment = load_for_action(appointment_id, expected_version, actor)
    email = (email or "").strip() or None
    phone = (phone or "").strip() or None
    problems = contact_problems(email, phone)
    if problems:
        return invalid_input(ACTION, appointment, problems)
    email = validate_email(email, check_deliverability=False).normalized if email else None
    phone = normalise_phone(phone) if phone else None
    customer = appointment.customer
    if (customer.email, customer.phone) == (email, phone):
        return ActionResult(True, ACTION, "The contact details were already like this.", appointment)

    def apply(row: Appointment) -> list[AuditEvent]:
        person = row.customer
        before = {"customer_id": person.id, "email": person.email, "phone": person.phone}
        person.email = email
        person.phone = phone
        row.updated_at = now  # the contact is part of what the agent saw: screens built on the old one are stale
        after = {"customer_id": person.id, "email": email, "phone": phone}
        return [audit_event(row, actor, ACTION, before=before, after=after, note=None, at=now)]

    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.LOOKUP)
    # Cal.com's bookings are found by the attendee's contact: settle an unanswered write before it changes.
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    appointment = writer.finish(apply)
    saved = ", ".join(part for part in (email, phone) if part)
    message = with_settlement(f"Contact saved for {customer.name}: {saved}.", settlement)
    return ActionResult(True, ACTION, message, appointment)


def update_contact_then_retry(
    appointment_id: int, expected_version: int, actor: User, email: str | None, phone: str | None
) -> ActionResult:
    """Save the contact and, if that worked, retry the sync at once with the saved version.

    The contact is saved either way; a failed retry is news about the sync (a warning), not a refusal of the edit.
    """
    saved = update_contact(appointment_id, expected_version, actor, email, phone)
    if not saved.ok:
        return saved
    retried = retry_sync(appointment_id, saved.appointment.version, actor)
    if retried.ok:
        return replace(retried, message=f"{saved.message} {retried.message}")
    return replace(saved, appointment=retried.appointment, warning=f"The retry failed: {retried.message}")
