"""Is a delivery really from Cal.com? ``X-Cal-Signature-256`` is the HMAC-SHA256 of the raw body with our secret."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Cal-Signature-256"
NO_SECRET_PROVIDED = "no-secret-provided"
"""What Cal.com sends for a webhook without a secret; it proves nothing and is never accepted."""


def expected_signature(raw_body: bytes, secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of the untouched body bytes, as Cal.com computes it."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def signature_problem(raw_body: bytes, header: str | None, secret: str | None) -> str | None:
    """Why the delivery cannot be trusted, or None when it carries our secret's signature of exactly these bytes.

    Checked on the bytes as received, before any JSON parsing (re-serialised JSON would not match), in constant
    time so the comparison does not reveal how much of a forged signature was right.
    """
    if not secret:
        return "The Cal.com webhook secret is not configured (CALCOM_WEBHOOK_SECRET); every delivery is refused."
    if not header:
        return f"No {SIGNATURE_HEADER} header."
    if header == NO_SECRET_PROVIDED:
        return f"{SIGNATURE_HEADER} says {NO_SECRET_PROVIDED}: the Cal.com webhook has no secret."
    if not hmac.compare_digest(expected_signature(raw_body, secret).encode(), header.encode()):
        return f"{SIGNATURE_HEADER} does not match the body signed with our secret."
    return None
