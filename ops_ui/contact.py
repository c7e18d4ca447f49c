"""Rules for customer contact data, shared by the sync pre-checks and the contact form.

Cal.com needs an attendee e-mail or an international phone number. The voice agent stores
anonymous callers as ``anonymous_<digits>_<hex>`` and some callers got placeholder e-mails;
neither reaches a person, so neither counts as a usable contact.
"""

from __future__ import annotations

import re
from typing import TypeGuard

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ops_ui.i18n import Sentence, say

ANONYMOUS_PHONE = re.compile(r"^anonymous_\d+_[0-9a-f]+$", re.IGNORECASE)
PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "placeholder.local", "noemail.invalid"})
PLACEHOLDER_LOCAL_PARTS = ("anonymous", "noreply", "no-reply", "placeholder", "unknown")


def is_anonymous_phone(phone: str | None) -> bool:
    return phone is not None and bool(ANONYMOUS_PHONE.match(phone.strip()))


def is_placeholder_email(email: str | None) -> bool:
    if not email or "@" not in email:
        return False
    local, _, domain = email.strip().lower().rpartition("@")
    return (
        domain in PLACEHOLDER_DOMAINS
        or domain.endswith((".invalid", ".local"))
        or local.startswith(PLACEHOLDER_LOCAL_PARTS)
    )


def email_problem(email: str) -> str | Sentence | None:
    """Why an e-mail cannot be used for a booking (the validator's own English words for a malformed one), or None
    when it can."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    if is_placeholder_email(email):
        return say("This is a placeholder address, not the customer's e-mail.")
    return None


def phone_problem(phone: str) -> Sentence | None:
    """Why a phone number cannot be used for a booking, or None when it can."""
    if is_anonymous_phone(phone):
        return say("This is an anonymous caller id, not a phone number.")
    if not phone.strip().startswith("+"):
        return say("Use the international format, starting with + and the country code.")
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException as exc:
        return say("Not a phone number: %(reason)s", reason=exc)
    if not phonenumbers.is_valid_number(parsed):
        return say("Not a valid phone number.")
    return None


def normalise_phone(phone: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone, None), phonenumbers.PhoneNumberFormat.E164)


def usable_email(email: str | None) -> TypeGuard[str]:
    return bool(email) and email is not None and email_problem(email) is None


def usable_phone(phone: str | None) -> TypeGuard[str]:
    return bool(phone) and phone is not None and phone_problem(phone) is None
