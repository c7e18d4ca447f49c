"""The team's work for the dashboard: actions and resolutions per person, and how long failures wait for them.

Read from the audit trail, in a fixed number of statements whatever the team's size (grouped or listed once, never
asked per person):

- an *action* is an audit event under a person's name on an appointment (reschedule, reassign, cancel, a retry's
  sync, a contact change, a repair …), a refused one included: trying is work too. Events that record nothing the
  person chose (a skipped bulk item, a sync put back for the rate limit, the check of an earlier unanswered write,
  the old booking a reassignment could not cancel) are not counted;
- a *resolution* is such an event that took a failed appointment out of the queue: its ``before`` says failed, its
  ``after`` says synced or cancelled;
- the *time to resolve* runs from the first failure of the streak the resolution ended (the first failed call to
  Cal.com, or a failure recorded without a call: a pre-check) to the resolving event.

Windows end at ``now`` and exclude their start (``now - window < at <= now``), like the dashboard's other figures.
Scope: a company's figures count events on that company's appointments, whoever made them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, type_coerce
from sqlalchemy.orm import aliased

from ops_ui.health.metrics import DbSession, count_if
from ops_ui.models import Appointment, AuditEvent, SyncAttempt, User, UTCDateTime

DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
NOT_COUNTED_ACTIONS = frozenset(
    {
        "bulk_retry_skipped_failed",  # ops_ui.actions.bulk_retry.SKIPPED_ACTION: nothing was sent
        "sync_deferred_failed",  # ops_ui.engine.booking.DEFERRED: put back for the rate limit, nothing changed
        "settle_unanswered",  # ops_ui.engine.writes: the check that opens another action, not a choice of its own
        "cancel_old_booking_failed",  # ops_ui.actions.reassign: the second event of one reassignment
    }
)
"""Audit actions under a person's name that are not actions of theirs (see the module docstring)."""


@dataclass(frozen=True)
class AgentWork:
    """One person's row of the team table."""

    user_id: int
    name: str
    actions_day: int
    actions_week: int
    resolved_day: int
    resolved_week: int
    median_to_resolve: timedelta | None
    """Over their resolutions of the last 7 days whose failure start is known; None when there is none."""


@dataclass(frozen=True)
class TeamFigures:
    agents: Sequence[AgentWork]
    median_to_resolve: timedelta | None
    """Over every resolution of the last 7 days whose failure start is known."""
    resolutions_timed: int


@dataclass(frozen=True)
class _Resolution:
    actor_id: int
    appointment_id: int
    at: datetime
    failure_start: datetime | None
    """None when no failure was recorded before it (nothing to time)."""


def _json_text(column: Any, key: str) -> ColumnElement[str]:
    """One key of a JSON column as text (``->>`` on PostgreSQL, ``JSON_EXTRACT`` on SQLite)."""
    text: ColumnElement[str] = column[key].as_string()
    return text


def resolving() -> tuple[ColumnElement[bool], ...]:
    """A person's event that took a failed appointment out of the queue (synced, or cancelled)."""
    return (
        AuditEvent.actor_id.is_not(None),
        _json_text(AuditEvent.before, "sync_status") == "failed",
        or_(
            _json_text(AuditEvent.after, "sync_status") == "synced",
            _json_text(AuditEvent.after, "status") == "cancelled",
        ),
    )


def _in_window(since: datetime, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return AuditEvent.at > since, AuditEvent.at <= now


def _scoped(statement: Select[Any], company_id: int | None) -> Select[Any]:
    """Events on appointments of the company (of any company: events on an appointment at all)."""
    if company_id is None:
        return statement.where(AuditEvent.appointment_id.is_not(None))
    return statement.join(Appointment, Appointment.id == AuditEvent.appointment_id).where(
        Appointment.company_id == company_id
    )


def _actions(session: DbSession, now: datetime, company_id: int | None) -> list[tuple[int, str, int, int]]:
    """(user id, name, actions in 24 h, actions in 7 days) for everyone who acted in the last 7 days."""
    statement = (
        select(User.id, User.name, count_if(AuditEvent.at > now - DAY), func.count(AuditEvent.id))
        .join(User, User.id == AuditEvent.actor_id)
        .where(*_in_window(now - WEEK, now), AuditEvent.action.not_in(sorted(NOT_COUNTED_ACTIONS)))
        .group_by(User.id, User.name)
    )
    return [(int(a), str(b), int(c), int(d)) for a, b, c, d in session.execute(_scoped(statement, company_id))]


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SYNCED_EVENT = aliased(AuditEvent)
FAILING_EVENT = aliased(AuditEvent)
"""Other events of the resolved appointment, for the correlated look-ups of the failure streak it ended."""


def _streak_start(resolution: type[AuditEvent]) -> tuple[ColumnElement[datetime], ColumnElement[datetime]]:
    """When the failure streak a resolving event ended began: the first failed call to Cal.com, and the first event
    that recorded a failure (a pre-check calls nobody), after the latest return to synced before the resolution.
    Each a correlated look-up through the (appointment, moment) index of its table."""
    synced, failing = SYNCED_EVENT, FAILING_EVENT
    returned_to_synced = (
        select(func.max(synced.at))
        .where(
            synced.appointment_id == resolution.appointment_id,
            synced.at < resolution.at,
            _json_text(synced.after, "sync_status") == "synced",
        )
        .correlate(resolution)
        .scalar_subquery()
    )
    since = func.coalesce(returned_to_synced, literal(EARLIEST, UTCDateTime()), type_=UTCDateTime())
    first_failed_call = (
        select(func.min(SyncAttempt.at))
        .where(
            SyncAttempt.appointment_id == resolution.appointment_id,
            SyncAttempt.succeeded.is_(False),
            SyncAttempt.at > since,
            SyncAttempt.at <= resolution.at,
        )
        .correlate(resolution)
        .scalar_subquery()
    )
    first_failing_event = (
        select(func.min(failing.at))
        .where(
            failing.appointment_id == resolution.appointment_id,
            failing.id != resolution.id,
            failing.at > since,
            failing.at <= resolution.at,
            _json_text(failing.after, "sync_status") == "failed",
        )
        .correlate(resolution)
        .scalar_subquery()
    )
    return first_failed_call, first_failing_event


def _resolutions(session: DbSession, now: datetime, company_id: int | None) -> list[_Resolution]:
    """Every resolution of the last 7 days with the start of the failure it ended, in one statement."""
    first_failed_call, first_failing_event = _streak_start(AuditEvent)
    statement = select(
        AuditEvent.actor_id,
        AuditEvent.appointment_id,
        AuditEvent.at,
        type_coerce(first_failed_call, UTCDateTime()),
        type_coerce(first_failing_event, UTCDateTime()),
    ).where(*_in_window(now - WEEK, now), *resolving())
    resolutions = []
    for actor_id, appointment_id, at, failed_call, failing_event in session.execute(_scoped(statement, company_id)):
        starts = [moment for moment in (failed_call, failing_event) if moment is not None]
        resolutions.append(_Resolution(actor_id, appointment_id, at, min(starts) if starts else None))
    return resolutions


def team_figures(session: DbSession, now: datetime, company_id: int | None) -> TeamFigures:
    """The team table and the overall median time to resolve, for one moment and one scope."""
    actions = _actions(session, now, company_id)
    resolutions = _resolutions(session, now, company_id)
    resolved_day: dict[int, set[int]] = defaultdict(set)
    resolved_week: dict[int, set[int]] = defaultdict(set)
    waits: dict[int, list[timedelta]] = defaultdict(list)
    for resolution in resolutions:
        resolved_week[resolution.actor_id].add(resolution.appointment_id)
        if resolution.at > now - DAY:
            resolved_day[resolution.actor_id].add(resolution.appointment_id)
        if resolution.failure_start is not None:
            waits[resolution.actor_id].append(resolution.at - resolution.failure_start)
    agents = [
        AgentWork(
            user_id=user_id,
            name=name,
            actions_day=day,
            actions_week=week,
            resolved_day=len(resolved_day[user_id]),
            resolved_week=len(resolved_week[user_id]),
            median_to_resolve=_median(waits[user_id]),
        )
        for user_id, name, day, week in actions
    ]
    agents.sort(key=lambda agent: (-agent.actions_week, agent.name, agent.user_id))
    every_wait = [wait for person in waits.values() for wait in person]
    return TeamFigures(agents, _median(every_wait), len(every_wait))


def whole_minutes(wait: timedelta | None) -> int | None:
    """A wait as whole minutes, for JSON and CSV (a decimal point would be a date to German Excel)."""
    return None if wait is None else round(wait.total_seconds() / 60)


def _median(waits: Sequence[timedelta]) -> timedelta | None:
    if not waits:
        return None
    return timedelta(seconds=statistics.median(wait.total_seconds() for wait in waits))
