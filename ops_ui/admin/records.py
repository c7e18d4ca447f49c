"""The audit log across appointments and the admin area, and the login records: read-only queries with filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, or_, select
from werkzeug.datastructures import MultiDict

from ops_ui.company_time import FIRST_YEAR, LAST_YEAR
from ops_ui.extensions import db
from ops_ui.i18n import Sentence, say
from ops_ui.models import Appointment, AuditEvent, LoginEvent, User
from ops_ui.review.filters import CONTROL, is_id

PAGE_SIZE = 200
TEXT_MAX = 64


@dataclass(frozen=True)
class LogFilters:
    actor_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: dict[str, Sentence] = field(default_factory=dict)


def _text(args: MultiDict[str, str], name: str, errors: dict[str, Sentence]) -> str:
    value = (args.get(name) or "").strip()
    if CONTROL.search(value) or len(value) > TEXT_MAX:
        errors[name] = say("Use at most %(count)s plain characters.", count=TEXT_MAX)
        return ""
    return value


def _day(args: MultiDict[str, str], name: str, errors: dict[str, Sentence]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[name] = say(
            "Use a date like 2026-11-24, between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR
        )
        return None
    return day


def parse_log_filters(args: MultiDict[str, str]) -> LogFilters:
    """Who (``actor``), what (``action``: its beginning, like ``user.`` or ``reschedule``), when (``from``/``to``)."""
    errors: dict[str, Sentence] = {}
    raw_actor = (args.get("actor") or "").strip()
    actor_id = int(raw_actor) if is_id(raw_actor) else None
    if raw_actor and actor_id is None:
        errors["actor"] = say("Choose a person from the list.")
    return LogFilters(
        actor_id=actor_id,
        action=_text(args, "action", errors),
        date_from=_day(args, "from", errors),
        date_to=_day(args, "to", errors),
        errors=errors,
    )


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _scoped(statement: Select[tuple[AuditEvent]], viewer: User) -> Select[tuple[AuditEvent]]:
    """A user bound to a company sees the events of its appointments and of its own people."""
    if viewer.company_id is None:
        return statement
    mine_appointments = select(Appointment.id).where(Appointment.company_id == viewer.company_id)
    mine_people = select(User.id).where(User.company_id == viewer.company_id)
    return statement.where(or_(AuditEvent.appointment_id.in_(mine_appointments), AuditEvent.actor_id.in_(mine_people)))


def audit_events(viewer: User, filters: LogFilters) -> Sequence[AuditEvent]:
    statement = select(AuditEvent)
    if filters.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        escaped = filters.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(AuditEvent.action.like(f"{escaped}%", escape="\\"))
    if filters.date_from:
        statement = statement.where(AuditEvent.at >= _moment(filters.date_from))
    if filters.date_to:
        statement = statement.where(AuditEvent.at < _moment(filters.date_to) + timedelta(days=1))
    statement = _scoped(statement, viewer).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(PAGE_SIZE)
    return db.session.scalars(statement).all()


def actors(viewer: User) -> Sequence[User]:
    statement = select(User).order_by(User.name, User.email)
    if viewer.company_id is not None:
        statement = statement.where(User.company_id == viewer.company_id)
    return db.session.scalars(statement).all()


def login_events(viewer: User, email: str = "") -> Sequence[LoginEvent]:
    """The newest sign-in attempts; an admin bound to a company sees those naming its people's accounts."""
    statement = select(LoginEvent)
    if email:
        statement = statement.where(LoginEvent.email == email.lower())
    if viewer.company_id is not None:
        statement = statement.where(LoginEvent.user_id.in_(select(User.id).where(User.company_id == viewer.company_id)))
    return db.session.scalars(statement.order_by(LoginEvent.at.desc(), LoginEvent.id.desc()).limit(PAGE_SIZE)).all()
