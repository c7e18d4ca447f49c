"""Checks that fail an appointment locally, before Cal.com is asked, when it cannot possibly book."""

from __future__ import annotations

from datetime import datetime

from ops_ui.calcom.types import Attendee
from ops_ui.categories import ErrorCategory
from ops_ui.contact import is_anonymous_phone, normalise_phone, usable_email, usable_phone
from ops_ui.engine.failures import BookingFailure
from ops_ui.models import Appointment, Customer, EventTypeMapping

LOCAL_CATEGORIES = frozenset(
    {ErrorCategory.NO_STAFF, ErrorCategory.NO_EVENT_TYPE, ErrorCategory.PAST_APPOINTMENT, ErrorCategory.MISSING_CONTACT}
)
"""Failures decided here, before Cal.com was asked."""


def precheck(appointment: Appointment, mapping: EventTypeMapping | None, now: datetime) -> BookingFailure | None:
    if appointment.staff is None:
        return BookingFailure(
            ErrorCategory.NO_STAFF, "No staff member is assigned, so no Cal.com event type can be chosen."
        )
    if mapping is None:
        return BookingFailure(
            ErrorCategory.NO_EVENT_TYPE,
            f"{appointment.staff.name} has no Cal.com event type for {appointment.service.name}.",
        )
    if appointment.starts_at <= now:
        return BookingFailure(
            ErrorCategory.PAST_APPOINTMENT,
            f"The appointment started at {appointment.starts_at.isoformat()}; Cal.com does not book the past.",
        )
    return contact_failure(appointment.customer)


def contact_failure(customer: Customer) -> BookingFailure | None:
    """Cal.com needs an e-mail or an international phone number; placeholders and caller ids are neither."""
    if usable_email(customer.email) or usable_phone(customer.phone):
        return None
    return BookingFailure(ErrorCategory.MISSING_CONTACT, _missing_contact_message(customer.email, customer.phone))


def _missing_contact_message(email: str | None, phone: str | None) -> str:
    email_part = f"the e-mail {email!r} is not usable" if email else "there is no e-mail"
    if not phone:
        phone_part = "there is no phone number"
    elif is_anonymous_phone(phone):
        phone_part = f"the phone {phone!r} is an anonymous caller id"
    else:
        phone_part = f"the phone {phone!r} is not in international format"
    return f"Cal.com needs an e-mail or a phone number: {email_part} and {phone_part}."


def attendee_for(appointment: Appointment) -> Attendee:
    """Send only contact data Cal.com accepts; an anonymous caller id would fail the whole booking."""
    customer = appointment.customer
    return Attendee(
        name=customer.name,
        time_zone=appointment.company.time_zone,
        email=customer.email if usable_email(customer.email) else None,
        phone_number=normalise_phone(customer.phone) if usable_phone(customer.phone) else None,
    )
