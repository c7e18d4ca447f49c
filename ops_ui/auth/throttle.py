"""Login throttling, counted from the login records in the app database.

Three counters over the recent failures (``LOGIN_THROTTLE_WINDOW_SECONDS``, 15 minutes by default):

- one account from one address: strict (5 free failures, then a wait that doubles, up to 15 minutes);
- one address, any accounts: broad (20 free failures, then the same growth) — password spraying;
- one account, any address: mild (50 free failures, waits of at most a minute), and never for an address the
  account signed in from before — an attack from elsewhere does not lock the real user out at their own desk.

A wait starts at the last failure; a successful sign-in clears the strict counter. Throttled attempts are
recorded but do not count, so hammering a locked door does not make the wait longer. The records live in the app
database, so every gunicorn worker and every machine sees the same counts without another server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, select

from ops_ui.extensions import db
from ops_ui.models import LoginEvent, User

SIGNED_IN = "signed in"
WRONG_CREDENTIALS = "wrong credentials"
THROTTLED = "throttled"
KNOWN_ADDRESS_DAYS = 90


@dataclass(frozen=True)
class Rule:
    free_failures: int
    longest_wait_seconds: int
    first_wait_seconds: int = 1

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after the last of ``failures``: 0 until the free ones are used up, then doubling."""
        if failures < self.free_failures:
            return 0
        doublings = min(failures - self.free_failures, 30)
        return min(self.first_wait_seconds * (1 << doublings), self.longest_wait_seconds)


PAIR = Rule(free_failures=5, longest_wait_seconds=900)
ADDRESS = Rule(free_failures=20, longest_wait_seconds=900)
ACCOUNT = Rule(free_failures=50, longest_wait_seconds=60)


def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=float(current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"]))


def _remaining(rule: Rule, where: ColumnElement[bool], now: datetime) -> float:
    """Seconds still to wait under ``rule`` for the failures matching ``where`` within the window."""
    count: int
    last: datetime | None
    count, last = db.session.execute(
        select(func.count(LoginEvent.id), func.max(LoginEvent.at)).where(
            where, LoginEvent.outcome == WRONG_CREDENTIALS, LoginEvent.at >= _window_start(now)
        )
    ).one()
    if not count or last is None:
        return 0.0
    last_at = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
    return max(0.0, (last_at + timedelta(seconds=rule.wait_after(count)) - now).total_seconds())


def _last_success(email: str, address: str) -> datetime | None:
    moment: datetime | None = db.session.scalar(
        select(func.max(LoginEvent.at)).where(
            LoginEvent.email == email, LoginEvent.address == address, LoginEvent.succeeded.is_(True)
        )
    )
    return moment


def seconds_to_wait(email: str, address: str, now: datetime) -> int:
    """How long this account must wait before trying again from this address (0: go ahead)."""
    last_success = _last_success(email, address)
    pair = and_(LoginEvent.email == email, LoginEvent.address == address)
    if last_success is not None:
        pair = and_(pair, LoginEvent.at > last_success)
    waits = [_remaining(PAIR, pair, now), _remaining(ADDRESS, LoginEvent.address == address, now)]
    known = last_success is not None and last_success >= now - timedelta(days=KNOWN_ADDRESS_DAYS)
    if not known:
        waits.append(_remaining(ACCOUNT, LoginEvent.email == email, now))
    return int(-(-max(waits) // 1))


def record_attempt(email: str, address: str, user: User | None, outcome: str, now: datetime) -> None:
    """Store one sign-in attempt (never the password) and commit it: a failure must count even if nothing follows."""
    db.session.add(
        LoginEvent(
            at=now,
            email=email[:320],
            address=address[:64],
            user_id=user.id if user else None,
            succeeded=outcome == SIGNED_IN,
            outcome=outcome,
        )
    )
    db.session.commit()
