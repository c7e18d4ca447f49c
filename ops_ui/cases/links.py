"""Links out of Sync Desk: a customer's phone number to dial, a booking in Cal.com's web app."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import current_app

from ops_ui.contact import is_anonymous_phone

NOT_DIALLED = re.compile(r"[^0-9+]")


def tel_href(phone: str | None) -> str | None:
    """``tel:`` and the number's digits (and a leading +); None for an anonymous caller id or no digits at all."""
    if not phone or is_anonymous_phone(phone):
        return None
    digits = NOT_DIALLED.sub("", phone.strip())
    number = digits[:1] + digits[1:].replace("+", "")
    return f"tel:{number}" if number.strip("+") else None


def booking_url(uid: str) -> str:
    """The booking's page in Cal.com's web app (``CALCOM_WEB_URL``); the uid is one path segment, quoted."""
    base = str(current_app.config["CALCOM_WEB_URL"]).rstrip("/")
    return f"{base}/booking/{quote(uid, safe='')}"
