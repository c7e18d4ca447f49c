"""The dashboard's figures: a handful of aggregate queries, pure functions of (session, now, company scope).

Every headline figure is defined here once, together with the review-board filter that lists exactly the
appointments it counts, so the number on the dashboard and the rows behind its link cannot drift apart.

Scope: ``company_id`` limits every figure to one company; ``None`` aggregates all companies (users without a
company: admins of the whole platform). The trend then uses the time zone of the first company (lowest id), or UTC
when there is none — salons of one platform normally share one zone, and a day cut in one zone is easier to read
than one mixing several.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.orm import Session, joinedload

from ops_ui.calcom.categories import BUSINESS_CATEGORIES, ErrorCategory
from ops_ui.formatting import zone
from ops_ui.health.trend import DayCount, last_days
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    Call,
    Company,
    Service,
    Staff,
    SyncAttempt,
    SyncStatus,
    UTCDateTime,
)

RECENT_WINDOW = timedelta(hours=24)
STUCK_AFTER = timedelta(minutes=15)
CRITICAL_WINDOW = timedelta(hours=48)
ANCIENT_AFTER = timedelta(days=7)
TECHNICAL_CATEGORIES = frozenset(ErrorCategory) - BUSINESS_CATEGORIES


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        """None when nothing was counted: "no data" is not 0 % and not 100 %."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Breakdown:
    """One row of a breakdown table: a key for the board filter, a label to show, failed appointments."""

    key: str | int | None
    label: str
    count: int
    kind: str | None = None


@dataclass(frozen=True)
class HealthFigures:
    now: datetime
    time_zone: str
    company_id: int | None
    recent_success: Ratio
    attempt_success: Ratio
    failed: int
    pending: int
    stuck: int
    critical: int
    manual_review: int
    technical: int
    ancient: int
    past: int
    desync: int
    by_category: Sequence[Breakdown] = field(default_factory=list)
    by_staff: Sequence[Breakdown] = field(default_factory=list)
    by_service: Sequence[Breakdown] = field(default_factory=list)
    trend: Sequence[DayCount] = field(default_factory=list)


DEFINITIONS: dict[str, str] = {
    "recent_success": "Appointments created in the last 24 hours whose sync has been attempted at least once: "
    "how many are synced now.",
    "attempt_success": "Every call to Cal.com in the last 24 hours (first tries and retries): how many succeeded.",
    "failed": "Appointments whose sync failed, not counting cancelled ones.",
    "pending": "Appointments not yet sent to Cal.com or waiting for a retry, not counting cancelled ones.",
    "stuck": "Pending appointments whose planned send (the retry time, else the last attempt, else the creation) "
    "is more than 15 minutes past.",
    "critical": "Failed appointments starting within the next 48 hours (not already started).",
    "manual_review": "Failed appointments with a business error (conflict, bad data, past date …): "
    "a retry fails the same way, a person must act.",
    "technical": "Failed appointments with a technical error (timeout, rate limit, server error): "
    "the automatic retry should clear them.",
    "ancient": "Failed appointments that have been failing for more than 7 days, or whose start has already passed.",
    "past": "Failed appointments whose start has already passed: they can never sync as they are.",
    "desync": "Calls where the voice agent told the caller the booking was confirmed, but no appointment exists.",
    "trend": "Calls to Cal.com per day over the last 30 days, synced and failed, with the share that succeeded.",
}
"""What each figure counts, in words; shown as help text on the page and sent with the JSON."""

BOARD_FILTERS: dict[str, dict[str, str]] = {
    "failed": {"sync_status": "failed"},
    "pending": {"sync_status": "pending"},
    "stuck": {"sync_status": "stuck"},
    "critical": {"sync_status": "failed", "critical": "1"},
    "manual_review": {"sync_status": "failed", "kind": "business"},
    "technical": {"sync_status": "failed", "kind": "technical"},
    "ancient": {"sync_status": "failed", "ancient": "1"},
    "past": {"sync_status": "failed", "past": "1"},
}
"""Review-board query parameters selecting exactly the appointments a figure counts."""


def breakdown_filter(dimension: str, key: str | int) -> dict[str, str]:
    """Board filter for one row of a breakdown table (failed appointments of that category, staff or service)."""
    return {"sync_status": "failed", dimension: str(key)}


# --- The conditions; each figure is one of these, and its board filter must select the same rows. ---------------


def _not_cancelled() -> ColumnElement[bool]:
    return Appointment.status != AppointmentStatus.CANCELLED


def _failed() -> ColumnElement[bool]:
    return Appointment.sync_status == SyncStatus.FAILED


def _pending() -> ColumnElement[bool]:
    return Appointment.sync_status == SyncStatus.PENDING


def _stuck(now: datetime) -> ColumnElement[bool]:
    """Pending, and the moment it should have been sent is more than 15 minutes past.

    That moment is the planned retry, else the last attempt (pending without a retry planned), else the creation
    (never attempted). An appointment waiting for a retry planned in an hour is not stuck; one whose retry time
    passed 15 minutes ago without an attempt is.
    """
    due = func.coalesce(
        Appointment.next_retry_at, Appointment.last_attempt_at, Appointment.created_at, type_=UTCDateTime()
    )
    return and_(_pending(), due < now - STUCK_AFTER)


def _critical(now: datetime) -> ColumnElement[bool]:
    """Failed and starting within the next 48 hours (not already started)."""
    return and_(_failed(), Appointment.starts_at >= now, Appointment.starts_at < now + CRITICAL_WINDOW)


def _business() -> ColumnElement[bool]:
    return and_(_failed(), Appointment.last_error_category.in_(sorted(BUSINESS_CATEGORIES, key=lambda c: c.value)))


def _technical() -> ColumnElement[bool]:
    return and_(_failed(), Appointment.last_error_category.in_(sorted(TECHNICAL_CATEGORIES, key=lambda c: c.value)))


def _past(now: datetime) -> ColumnElement[bool]:
    return and_(_failed(), Appointment.starts_at < now)


def _ancient(now: datetime) -> ColumnElement[bool]:
    """Failed for more than 7 days, or for an appointment whose start has passed (it can never sync as it is)."""
    return and_(_failed(), or_(Appointment.failed_since < now - ANCIENT_AFTER, Appointment.starts_at < now))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _scoped(statement: Select[Any], column: Any, company_id: int | None) -> Select[Any]:
    return statement if company_id is None else statement.where(column == company_id)


# --- Queries -----------------------------------------------------------------------------------------------------


def reporting_zone(session: Session, company_id: int | None) -> str:
    """The time zone days are cut in: the company's own, or the first company's when several are aggregated."""
    statement = select(Company.time_zone).order_by(Company.id).limit(1)
    if company_id is not None:
        statement = statement.where(Company.id == company_id)
    name = session.scalar(statement)
    return zone(name).key


def open_counts(session: Session, now: datetime, company_id: int | None) -> dict[str, int]:
    """All appointment counters in one pass over the failed and pending, not cancelled, appointments."""
    statement = select(
        _count_if(_failed()).label("failed"),
        _count_if(_pending()).label("pending"),
        _count_if(_stuck(now)).label("stuck"),
        _count_if(_critical(now)).label("critical"),
        _count_if(_business()).label("manual_review"),
        _count_if(_technical()).label("technical"),
        _count_if(_ancient(now)).label("ancient"),
        _count_if(_past(now)).label("past"),
    ).where(Appointment.sync_status.in_([SyncStatus.FAILED, SyncStatus.PENDING]), _not_cancelled())
    row = session.execute(_scoped(statement, Appointment.company_id, company_id)).one()
    return {key: int(value) for key, value in row._mapping.items()}


def recent_success(session: Session, now: datetime, company_id: int | None) -> Ratio:
    """Appointments created in the last 24 h (``now - 24 h < created_at <= now``) with at least one attempt:
    how many are synced now."""
    statement = select(_count_if(Appointment.sync_status == SyncStatus.SYNCED), func.count(Appointment.id)).where(
        *recent_attempted(now)
    )
    synced, attempted = session.execute(_scoped(statement, Appointment.company_id, company_id)).one()
    return Ratio(int(synced), int(attempted))


def recent_attempted(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Appointment.created_at > now - RECENT_WINDOW,
        Appointment.created_at <= now,
        Appointment.attempt_count > 0,
    )


def attempt_success(session: Session, now: datetime, company_id: int | None) -> Ratio:
    """Raw sync attempts in the last 24 h (``now - 24 h < at <= now``): how many succeeded.

    A scoped user counts the attempts of their company's appointments; the aggregate view counts every attempt.
    """
    statement = select(_count_if(SyncAttempt.succeeded == true()), func.count(SyncAttempt.id)).where(
        SyncAttempt.at > now - RECENT_WINDOW, SyncAttempt.at <= now
    )
    if company_id is not None:
        statement = statement.join(Appointment, Appointment.id == SyncAttempt.appointment_id).where(
            Appointment.company_id == company_id
        )
    succeeded, total = session.execute(statement).one()
    return Ratio(int(succeeded), int(total))


def desync_count(session: Session, company_id: int | None) -> int:
    statement = select(func.count(Call.id)).where(*desync_conditions())
    return int(session.scalar(_scoped(statement, Call.company_id, company_id)) or 0)


def desync_conditions() -> tuple[ColumnElement[bool], ...]:
    """A call the voice agent confirmed to the caller, with no appointment behind it."""
    return (Call.booking_confirmed == true(), Call.appointment_id.is_(None))


def _failed_open() -> tuple[ColumnElement[bool], ...]:
    return (_failed(), _not_cancelled())


def failed_by_category(session: Session, company_id: int | None) -> list[Breakdown]:
    statement = (
        select(Appointment.last_error_category, func.count(Appointment.id))
        .where(*_failed_open())
        .group_by(Appointment.last_error_category)
    )
    rows = session.execute(_scoped(statement, Appointment.company_id, company_id)).all()
    result = [
        Breakdown(
            key=category.value if category else None,
            label=category.label if category else "No category",
            count=int(count),
            kind=("business" if category.is_business else "technical") if category else None,
        )
        for category, count in rows
    ]
    kind_order = {"business": 0, "technical": 1, None: 2}
    return sorted(result, key=lambda row: (kind_order[row.kind], -row.count, row.label))


def failed_by_staff(session: Session, company_id: int | None) -> list[Breakdown]:
    statement = (
        select(Appointment.staff_id, Staff.name, func.count(Appointment.id).label("n"))
        .outerjoin(Staff, Staff.id == Appointment.staff_id)
        .where(*_failed_open())
        .group_by(Appointment.staff_id, Staff.name)
    )
    rows = session.execute(_scoped(statement, Appointment.company_id, company_id)).all()
    result = [Breakdown(staff_id, name or "No staff", int(count)) for staff_id, name, count in rows]
    return sorted(result, key=lambda row: (-row.count, row.label, row.key or 0))


def failed_by_service(session: Session, company_id: int | None) -> list[Breakdown]:
    statement = (
        select(Appointment.service_id, Service.name, func.count(Appointment.id))
        .join(Service, Service.id == Appointment.service_id)
        .where(*_failed_open())
        .group_by(Appointment.service_id, Service.name)
    )
    rows = session.execute(_scoped(statement, Appointment.company_id, company_id)).all()
    result = [Breakdown(service_id, name, int(count)) for service_id, name, count in rows]
    return sorted(result, key=lambda row: (-row.count, row.label, row.key or 0))


def daily_attempts(session: Session, now: datetime, time_zone: str, company_id: int | None) -> list[DayCount]:
    """Sync attempts per local day over the last 30 days, up to ``now``: succeeded and failed.

    One query: each attempt is put in its day by a CASE over the UTC day boundaries computed in Python.
    """
    days = last_days(now, ZoneInfo(time_zone))
    bucket = case(*[(SyncAttempt.at < day.end, index) for index, day in enumerate(days)], else_=None)
    inner = select(bucket.label("day"), SyncAttempt.succeeded.label("succeeded")).where(
        SyncAttempt.at >= days[0].start, SyncAttempt.at <= now
    )
    if company_id is not None:
        inner = inner.join(Appointment, Appointment.id == SyncAttempt.appointment_id).where(
            Appointment.company_id == company_id
        )
    sub = inner.subquery()
    statement = select(sub.c.day, _count_if(sub.c.succeeded == true()), func.count()).group_by(sub.c.day)
    totals: dict[int, tuple[int, int]] = {
        int(day): (int(succeeded), int(count))
        for day, succeeded, count in session.execute(statement)
        if day is not None
    }
    result = []
    for index, day in enumerate(days):
        succeeded, count = totals.get(index, (0, 0))
        result.append(DayCount(day.date, synced=succeeded, failed=count - succeeded))
    return result


def health_figures(session: Session, now: datetime, company_id: int | None) -> HealthFigures:
    """Everything the dashboard shows, for one moment and one scope."""
    time_zone = reporting_zone(session, company_id)
    counts = open_counts(session, now, company_id)
    return HealthFigures(
        now=now,
        time_zone=time_zone,
        company_id=company_id,
        recent_success=recent_success(session, now, company_id),
        attempt_success=attempt_success(session, now, company_id),
        desync=desync_count(session, company_id),
        by_category=failed_by_category(session, company_id),
        by_staff=failed_by_staff(session, company_id),
        by_service=failed_by_service(session, company_id),
        trend=daily_attempts(session, now, time_zone, company_id),
        **counts,
    )


# --- The rows behind the two figures the review board cannot filter by ------------------------------------------


def desync_calls(session: Session, company_id: int | None, limit: int) -> Sequence[Call]:
    """Confirmed calls without an appointment, newest first: the callers who heard "booked" and are not."""
    statement = select(Call).where(*desync_conditions()).order_by(Call.created_at.desc(), Call.id.desc()).limit(limit)
    return session.scalars(_scoped(statement, Call.company_id, company_id)).all()


def recent_appointments(session: Session, now: datetime, company_id: int | None, limit: int) -> Sequence[Appointment]:
    """The appointments the 24-hour success rate counts, those not synced first, then newest first."""
    not_synced_first = case((Appointment.sync_status == SyncStatus.SYNCED, 1), else_=0)
    statement = (
        select(Appointment)
        .where(*recent_attempted(now))
        .options(joinedload(Appointment.customer), joinedload(Appointment.service), joinedload(Appointment.staff))
        .order_by(not_synced_first, Appointment.created_at.desc(), Appointment.id.desc())
        .limit(limit)
    )
    return session.scalars(_scoped(statement, Appointment.company_id, company_id)).unique().all()
