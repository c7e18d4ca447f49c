"""One-time password reset links: an admin makes one, the account's owner uses it once within a day."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ops_ui.auth import clock
from ops_ui.auth.audit_trail import record
from ops_ui.auth.service import MIN_PASSWORD_LENGTH, WeakPasswordError
from ops_ui.extensions import db
from ops_ui.i18n import say
from ops_ui.models import User

RESET_LINK_HOURS = 24
TOKEN_MAX = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_reset_token(user: User) -> str:
    """Set a fresh token on ``user`` (only its hash is stored) and return it; the caller commits."""
    token = secrets.token_urlsafe(32)
    user.reset_token_hash = _hash(token)
    user.reset_expires_at = clock.now() + timedelta(hours=RESET_LINK_HOURS)
    return token


def user_for_reset_token(token: str) -> User | None:
    """The account a reset link belongs to, while the link is unused and in time."""
    if not token or len(token) > TOKEN_MAX or not token.isascii():
        return None
    user = db.session.scalars(select(User).where(User.reset_token_hash == _hash(token))).first()
    if user is None or user.reset_expires_at is None or user.reset_expires_at < clock.now() or not user.active:
        return None
    return user


def set_password_with_link(user: User, password: str, action: str = "user.password_set") -> None:
    """The owner chooses a password (through the link, or on the account page); the link is used up and every
    session of the account ends, on every device."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(say("The password must have at least %(count)s characters.", count=MIN_PASSWORD_LENGTH))
    user.password_hash = generate_password_hash(password)
    user.reset_token_hash = None
    user.reset_expires_at = None
    user.session_generation += 1
    record(user, action, f"user {user.id} ({user.email})", None, None)
    db.session.commit()
