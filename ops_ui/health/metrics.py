"""The dashboard's figures: a handful of aggregate queries, pure functions of (session, now, company scope).

Every headline figure is defined here once, together with the review-board filter that lists exactly the
appointments it counts. The conditions themselves (stuck, critical, ancient, past) live in ``ops_ui.queue_rules``,
which the board filters with too, so the number on the dashboard and the rows behind its link cannot drift apart.

Scope: ``company_id`` limits every figure to one company; ``None`` aggregates all companies (users without a
company: admins of the whole platform). The trend then uses the time zone of the first company (lowest id), or UTC
when there is none — salons of one platform normally share one zone, and a day cut in one zone is easier to read
than one mixing several.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, joinedload, scoped_session

from ops_ui import queue_rules as rules
from ops_ui.categories import ErrorCategory
from ops_ui.company_time import company_zone
from ops_ui.health.tally import quarter_of
from ops_ui.health.trend import DayCount, last_days
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    Call,
    Mismatch,
    ReconciliationRun,
    Service,
    Staff,
    SyncAttempt,
    SyncAttemptTally,
    SyncStatus,
)

DbSession = Session | scoped_session[Any]
"""A session, or Flask-SQLAlchemy's scoped one that stands for the current request's."""

RECENT_WINDOW = timedelta(hours=24)
HEADLINE_COUNTS = ("failed", "pending", "stuck", "critical", "manual_review", "technical", "ancient", "past")
"""The appointment counters ``open_counts`` returns, each with a board filter in ``BOARD_FILTERS``."""


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
    closed_by_cleanup: int
    """Expired by the clean-up within ``RECENT_WINDOW``; these left every other figure."""
    failed_from: date | None = None
    """Local day of the earliest start among failed appointments, when it has passed; see ``board_filter``."""
    by_category: Sequence[Breakdown] = field(default_factory=list)
    by_staff: Sequence[Breakdown] = field(default_factory=list)
    by_service: Sequence[Breakdown] = field(default_factory=list)
    trend: Sequence[DayCount] = field(default_factory=list)
    reconciliation_open: int | None = None
    """Open mismatches of each company's latest finished reconciliation run; None when none has run yet."""


DEFINITIONS: dict[str, str] = {
    "recent_success": _l(
        "Appointments created in the last 24 hours whose sync has been attempted at least once: "
        "how many are synced now."
    ),
    "attempt_success": _l("Every call to Cal.com in the last 24 hours (first tries and retries): how many succeeded."),
    "failed": _l("Appointments whose sync failed, not counting cancelled ones or those closed by the clean-up."),
    "pending": _l(
        "Appointments not yet sent to Cal.com or waiting for a retry, not counting cancelled ones or those "
        "closed by the clean-up."
    ),
    "stuck": _l(
        "Pending appointments whose planned send (the retry time, else the last attempt, else the creation) "
        "is more than %(minutes)s minutes past.",
        minutes=rules.STUCK_AFTER_MINUTES,
    ),
    "critical": _l(
        "Failed appointments starting within the next %(hours)s hours (not already started).",
        hours=rules.CRITICAL_WITHIN_HOURS,
    ),
    "manual_review": _l(
        "Failed appointments a person must act on: a business error (conflict, bad data, past date …) "
        "that a retry repeats, or a technical failure the engine handed over (failed 5 times in a row, or starting "
        "within 24 hours after its automatic retry failed too)."
    ),
    "technical": _l(
        "Failed appointments with a technical error (timeout, server error, lost answer) that the sync "
        "engine retries by itself: its due pass runs every minute and takes each one when its back-off has passed."
    ),
    "ancient": _l(
        "Failed appointments that have been failing for more than %(days)s days, or whose start has already passed.",
        days=rules.ANCIENT_AFTER_DAYS,
    ),
    "past": _l("Failed appointments whose start has already passed: they can never sync as they are."),
    "closed_by_cleanup": _l(
        "Past appointments that never reached Cal.com, closed by the clean-up in the last 24 hours. "
        "They are kept for the record (status expired) and counted in no other figure."
    ),
    "engine": _l(
        "The sync engine's job worker: when it last started a due pass (every minute), how many appointments "
        "are due now, the Cal.com requests of this minute's rate budget in use by every process, and the jobs "
        "waiting in the queue. Red when no pass started for 3 minutes: nothing syncs or retries by itself then."
    ),
    "desync": _l("Calls where the voice agent told the caller the booking was confirmed, but no appointment exists."),
    "reconciliation_open": _l(
        "Mismatches between calls, appointments and Cal.com's bookings that the latest "
        "reconciliation run found and nobody has repaired yet (a confirmed call that has an appointment by now is not "
        "counted)."
    ),
    "trend": _l("Calls to Cal.com per day over the last 30 days, synced and failed, with the share that succeeded."),
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
"""Review-board query parameters selecting exactly the appointments a figure counts (see ``board_filter``)."""

_WHOLE_FAILED_SET = frozenset({"failed", "manual_review", "technical"})


def board_filter(figure: str, failed_from: date | None) -> dict[str, str]:
    """The board parameters for a headline figure.

    The board's plain failed view hides appointments whose start has passed (it is the queue of what can still be
    saved); the dashboard counts them too. When such appointments exist, ``from`` (a local date, the day of the
    earliest failed start) turns that default off, so the board lists exactly the counted rows.
    """
    params = dict(BOARD_FILTERS[figure])
    if figure in _WHOLE_FAILED_SET and failed_from is not None:
        params["from"] = failed_from.isoformat()
    return params


def breakdown_filter(dimension: str, key: str | int, failed_from: date | None) -> dict[str, str]:
    """Board filter for one row of a breakdown table (failed appointments of that category, staff or service)."""
    params = {"sync_status": "failed", dimension: str(key)}
    if failed_from is not None:
        params["from"] = failed_from.isoformat()
    return params


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``count(*) FILTER (WHERE condition)``: a row that fails the condition skips the aggregate step, where a sum of
    ``CASE`` adds a zero for it (the open counts: 13 ms instead of 15 ms over all companies at a million)."""
    return func.count().filter(condition)


def _scoped(statement: Select[Any], column: Any, company_id: int | None) -> Select[Any]:
    return statement if company_id is None else statement.where(column == company_id)


# --- Queries -----------------------------------------------------------------------------------------------------


def open_counts(
    session: DbSession, now: datetime, company_id: int | None
) -> tuple[dict[str, int], list[Breakdown], datetime | None]:
    """All headline appointment counters and the failed-by-category table, in two passes over the open appointments
    (neither cancelled nor expired): the failed ones grouped by company and category, each group carrying its flag
    counts, then the pending ones counted.

    Each pass evaluates only the conditions of its own figures; one pass over both evaluated every condition on
    every row (over all companies at a million appointments, run in turns: 16.6 ms for the two, 21.3 ms for one).

    ``ix_appointment_health`` covers every column read, and grouping in its column order lets SQLite count while it
    reads the index instead of sorting every failed row first.
    """
    counts = dict.fromkeys(HEADLINE_COUNTS, 0)
    failed_by_category: dict[ErrorCategory | None, int] = {}
    earliest_failed: datetime | None = None
    for category, count, critical, ancient, past, handed, earliest in session.execute(
        _scoped(failed_groups(now), Appointment.company_id, company_id)
    ):
        counts["failed"] += int(count)
        counts["critical"] += int(critical)
        counts["ancient"] += int(ancient)
        counts["past"] += int(past)
        if earliest is not None:
            earliest = earliest if earliest.tzinfo else earliest.replace(tzinfo=UTC)
            earliest_failed = earliest if earliest_failed is None else min(earliest_failed, earliest)
        if category is not None and category.is_business:
            counts["manual_review"] += int(count)
        elif category is not None:
            counts["manual_review"] += int(handed)
            counts["technical"] += int(count) - int(handed)
        failed_by_category[category] = failed_by_category.get(category, 0) + int(count)
    pending = _scoped(pending_counts(now), Appointment.company_id, company_id)
    counts["pending"], counts["stuck"] = session.execute(pending).one()
    by_category = [
        Breakdown(
            key=category.value if category else None,
            label=category.label if category else "No category",
            count=count,
            kind=("business" if category.is_business else "technical") if category else None,
        )
        for category, count in failed_by_category.items()
    ]
    kind_order = {"business": 0, "technical": 1, None: 2}
    by_category.sort(key=lambda row: (kind_order[row.kind], -row.count, row.label))
    return counts, by_category, earliest_failed


def failed_groups(now: datetime) -> Select[Any]:
    """Failed appointments per company and category: how many, how many start within the critical window, have been
    failing long or have started, how many were handed over, and the earliest start.

    ``count(*)``, as in every count of ``ix_appointment_health``: a PostgreSQL index holds no row id, so ``count(id)``
    sends each failed row back to the table (45 ms instead of 7 ms over all companies at a million appointments).
    """
    return (
        select(
            Appointment.last_error_category,
            func.count(),
            count_if(rules.starts_soon(now)),
            count_if(rules.long_failing(now)),
            count_if(rules.started(now)),
            count_if(rules.handed_over()),
            func.min(Appointment.starts_at),
        )
        .where(rules.failed(), rules.not_closed())
        .group_by(Appointment.company_id, Appointment.last_error_category)
    )


def pending_counts(now: datetime) -> Select[Any]:
    """Pending appointments (not closed): how many, and how many are stuck."""
    return select(func.count(), count_if(rules.overdue(now))).where(rules.pending(), rules.not_closed())


def recent_success(session: DbSession, now: datetime, company_id: int | None) -> Ratio:
    """Appointments created in the last 24 h (``now - 24 h < created_at <= now``) with at least one attempt:
    how many are synced now."""
    statement = select(count_if(Appointment.sync_status == SyncStatus.SYNCED), func.count(Appointment.id)).where(
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


def attempt_success(session: DbSession, now: datetime, company_id: int | None) -> Ratio:
    """Raw sync attempts in the last 24 h (``now - 24 h < at <= now``): how many succeeded.

    A scoped user counts the attempts of their company's appointments; the aggregate view counts every attempt.
    """
    succeeded, total = session.execute(_scoped(attempt_counts(now), SyncAttempt.company_id, company_id)).one()
    return Ratio(int(succeeded), int(total))


def attempt_counts(now: datetime) -> Select[Any]:
    """Attempts of the last 24 h and how many succeeded, from the attempts' (company,) moment and outcome index."""
    return select(count_if(SyncAttempt.succeeded == true()), func.count()).where(
        SyncAttempt.at > now - RECENT_WINDOW, SyncAttempt.at <= now
    )


def closed_by_cleanup(session: DbSession, now: datetime, company_id: int | None) -> int:
    """Appointments the clean-up closed in the last 24 h (``now - 24 h < closed_at <= now``)."""
    statement = select(func.count(Appointment.id)).where(
        Appointment.status == AppointmentStatus.EXPIRED,
        Appointment.closed_at > now - RECENT_WINDOW,
        Appointment.closed_at <= now,
    )
    return int(session.scalar(_scoped(statement, Appointment.company_id, company_id)) or 0)


def desync_count(session: DbSession, company_id: int | None) -> int:
    statement = select(func.count(Call.id)).where(*desync_conditions())
    return int(session.scalar(_scoped(statement, Call.company_id, company_id)) or 0)


def desync_conditions() -> tuple[ColumnElement[bool], ...]:
    """A call the voice agent confirmed to the caller, with no appointment behind it."""
    return (Call.booking_confirmed == true(), Call.appointment_id.is_(None))


def failed_by_staff_and_service(session: DbSession, company_id: int | None) -> tuple[list[Breakdown], list[Breakdown]]:
    """Failed appointments (not closed) per staff member and per service: one grouped pass, names looked up after.

    ``count(*)``, not ``count(id)``: SQLite sorts the failed appointments by staff and service for the grouping, and
    without the id each sorted entry is smaller (10.1 ms instead of 11.9 ms at a million appointments)."""
    per_staff: dict[int | None, int] = {}
    per_service: dict[int, int] = {}
    statement = _scoped(failed_per_staff_and_service(), Appointment.company_id, company_id)
    for staff_id, service_id, count in session.execute(statement):
        per_staff[staff_id] = per_staff.get(staff_id, 0) + int(count)
        per_service[service_id] = per_service.get(service_id, 0) + int(count)
    staff_names = _names(session, Staff, [key for key in per_staff if key is not None])
    service_names = _names(session, Service, list(per_service))
    by_staff = [
        Breakdown(key, staff_names.get(key, f"Staff {key}") if key is not None else "No staff", count)
        for key, count in per_staff.items()
    ]
    by_service = [Breakdown(key, service_names.get(key, f"Service {key}"), count) for key, count in per_service.items()]
    for rows in (by_staff, by_service):
        rows.sort(key=lambda row: (-row.count, row.label, row.key or 0))
    return by_staff, by_service


def failed_per_staff_and_service() -> Select[Any]:
    return (
        select(Appointment.staff_id, Appointment.service_id, func.count())
        .where(rules.failed(), rules.not_closed())
        .group_by(Appointment.staff_id, Appointment.service_id)
    )


def _names(session: DbSession, model: type[Staff] | type[Service], ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).tuples().all())


def daily_attempts(session: DbSession, now: datetime, time_zone: str, company_id: int | None) -> list[DayCount]:
    """Sync attempts per local day over the last 30 days, up to ``now``: succeeded and failed.

    One statement: per day, a range sum over ``sync_attempt_tally`` (whole quarter hours: a few hundred rows instead
    of hundreds of thousands of attempts), plus the quarter hour ``now`` falls in, counted from the attempts
    themselves so the figure ends exactly at ``now``.
    """
    days = last_days(now, ZoneInfo(time_zone))
    current_quarter = quarter_of(now)
    bounds: dict[str, Any] = {"quarter": current_quarter, "now": now, "company_id": company_id}
    for index, day in enumerate(days):
        bounds |= {f"start_{index}": day.start, f"end_{index}": min(day.end, current_quarter)}
    synced, failed = [0] * len(days), [0] * len(days)
    for index, succeeded, not_succeeded in session.execute(_trend_statement(len(days), company_id is not None), bounds):
        synced[index] += int(succeeded)
        failed[index] += int(not_succeeded)
    return [DayCount(day.date, synced=synced[i], failed=failed[i]) for i, day in enumerate(days)]


@cache
def _trend_statement(days: int, one_company: bool) -> CompoundSelect[Any]:
    """The trend's statement for ``days`` days, built once: each request binds its own day bounds (``start_<i>``,
    ``end_<i>``), its quarter hour, ``now`` and the company. Building its 31 selects anew took longer than running
    them."""
    parts = []
    for index in range(days):
        part = select(
            literal(index, Integer).label("day"),
            func.coalesce(func.sum(SyncAttemptTally.succeeded), 0),
            func.coalesce(func.sum(SyncAttemptTally.failed), 0),
        ).where(
            SyncAttemptTally.quarter >= bindparam(f"start_{index}"),
            SyncAttemptTally.quarter < bindparam(f"end_{index}"),
        )
        if one_company:
            part = part.where(SyncAttemptTally.company_id == bindparam("company_id"))
        parts.append(part)
    latest = select(
        literal(days - 1, Integer).label("day"),
        count_if(SyncAttempt.succeeded == true()),
        count_if(SyncAttempt.succeeded == false()),
    ).where(SyncAttempt.at >= bindparam("quarter"), SyncAttempt.at <= bindparam("now"))
    if one_company:
        latest = latest.where(SyncAttempt.company_id == bindparam("company_id"))
    return union_all(*parts, latest)


def health_figures(session: DbSession, now: datetime, company_id: int | None) -> HealthFigures:
    """Everything the dashboard shows, for one moment and one scope."""
    time_zone = company_zone(session, company_id)
    counts, by_category, earliest_failed = open_counts(session, now, company_id)
    failed_from = None
    if earliest_failed is not None and earliest_failed < now:
        failed_from = earliest_failed.astimezone(ZoneInfo(time_zone)).date()
    by_staff, by_service = failed_by_staff_and_service(session, company_id)
    return HealthFigures(
        now=now,
        time_zone=time_zone,
        company_id=company_id,
        recent_success=recent_success(session, now, company_id),
        attempt_success=attempt_success(session, now, company_id),
        desync=desync_count(session, company_id),
        closed_by_cleanup=closed_by_cleanup(session, now, company_id),
        failed_from=failed_from,
        by_category=by_category,
        by_staff=by_staff,
        by_service=by_service,
        trend=daily_attempts(session, now, time_zone, company_id),
        reconciliation_open=reconciliation_open(session, company_id),
        **counts,
    )


def latest_finished_runs(company_id: int | None) -> Select[Any]:
    """The id of each company's newest finished reconciliation run (of one company, or of all)."""
    statement = (
        select(func.max(ReconciliationRun.id).label("run_id"))
        .where(ReconciliationRun.finished_at.is_not(None))
        .group_by(ReconciliationRun.company_id)
    )
    return _scoped(statement, ReconciliationRun.company_id, company_id)


def open_mismatches() -> tuple[ColumnElement[bool], ...]:
    """Not repaired, and not a confirmed call that has an appointment by now (the backfill repaired it)."""
    return (Mismatch.repaired_at.is_(None), or_(Mismatch.call_id.is_(None), Call.appointment_id.is_(None)))


def reconciliation_open(session: DbSession, company_id: int | None) -> int | None:
    """Open mismatches of the latest finished reconciliation runs; None when no run has finished."""
    runs = latest_finished_runs(company_id).subquery()
    if session.scalar(select(func.count()).select_from(runs)) == 0:
        return None
    statement = (
        select(func.count(Mismatch.id))
        .outerjoin(Call, Call.id == Mismatch.call_id)
        .where(Mismatch.run_id.in_(select(runs.c.run_id)), *open_mismatches())
    )
    return int(session.scalar(statement) or 0)


# --- The rows behind the two figures the review board cannot filter by ------------------------------------------


def desync_calls(session: DbSession, company_id: int | None, limit: int) -> Sequence[Call]:
    """Confirmed calls without an appointment, newest first: the callers who heard "booked" and are not."""
    statement = select(Call).where(*desync_conditions()).order_by(Call.created_at.desc(), Call.id.desc()).limit(limit)
    return session.scalars(_scoped(statement, Call.company_id, company_id)).all()


def recent_appointments(session: DbSession, now: datetime, company_id: int | None, limit: int) -> Sequence[Appointment]:
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
