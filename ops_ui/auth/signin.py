"""One sign-in attempt: throttle first, then the password, and a record of it either way."""

from __future__ import annotations

from dataclasses import dataclass

from ops_ui.auth import clock
from ops_ui.auth.service import authenticate, find_user_by_email, normalise_email
from ops_ui.auth.throttle import SIGNED_IN, THROTTLED, WRONG_CREDENTIALS, record_attempt, seconds_to_wait
from ops_ui.extensions import db
from ops_ui.models import User


@dataclass(frozen=True)
class SignIn:
    user: User | None
    wait_seconds: int = 0
    """Above 0: refused by the throttle without looking at the password."""


def attempt_sign_in(email: str, password: str, address: str) -> SignIn:
    """The account for these credentials if the throttle lets this address try; the attempt is recorded."""
    email = normalise_email(email)
    moment = clock.now()
    wait = seconds_to_wait(email, address, moment)
    if wait:
        record_attempt(email, address, find_user_by_email(email), THROTTLED, moment)
        return SignIn(None, wait)
    user = authenticate(email, password)
    record_attempt(email, address, user or find_user_by_email(email), SIGNED_IN if user else WRONG_CREDENTIALS, moment)
    return SignIn(user)


def end_sessions(user: User) -> None:
    """End every session of ``user`` on every device (sign-out, deactivation, a new password)."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.commit()
