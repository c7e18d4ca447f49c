"""Sessions that can end: the cookie is signed, but whether it still counts is decided on the server.

Every session carries the user's ``session_generation`` from its sign-in, when it signed in and when it was last
used. A request whose generation is older than the user's (sign-out, deactivation, a new password, "sign out
everywhere"), whose sign-in is older than the lifetime, or that comes after the idle time is anonymous again.
"""

from __future__ import annotations

from flask import current_app, session

from ops_ui.auth import clock
from ops_ui.models import User

GENERATION = "_sd_generation"
SIGNED_IN_AT = "_sd_signed_in_at"
SEEN_AT = "_sd_seen_at"
TOUCH_EVERY_SECONDS = 30
"""The last-used time is written back at most this often, so not every request re-sends the cookie."""


def start_session(user: User) -> None:
    """Stamp a fresh session (after ``login_user``) with the user's generation and the sign-in time."""
    moment = clock.now().timestamp()
    session.permanent = True
    session[GENERATION] = user.session_generation
    session[SIGNED_IN_AT] = moment
    session[SEEN_AT] = moment


def _seconds(name: str) -> float | None:
    value = session.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def session_is_current(user: User) -> bool:
    """True while this session may act for ``user``; keeps the idle clock running as a side effect."""
    signed_in_at, seen_at = _seconds(SIGNED_IN_AT), _seconds(SEEN_AT)
    if session.get(GENERATION) != user.session_generation or signed_in_at is None or seen_at is None:
        return False
    moment = clock.now().timestamp()
    lifetime = float(current_app.config["SESSION_LIFETIME_HOURS"]) * 3600
    idle = float(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    if moment - signed_in_at > lifetime or moment - seen_at > idle:
        return False
    if moment - seen_at > TOUCH_EVERY_SECONDS:
        session[SEEN_AT] = moment
    return True
