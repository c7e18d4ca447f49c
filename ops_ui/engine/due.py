"""The engine's due pass: new appointments never tried, technical failures whose back-off has passed, and writes
whose answer was lost, looked up again.

Business failures and technical failures handed over to a person are never picked up here; they wait on the
review board. The job queue runs a pass every minute (``ops_ui.jobs.tasks``); each pass is recorded
(``EnginePass``), so the dashboard can tell a working engine from a silent one.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, union

from ops_ui import queue_rules as rules
from ops_ui.engine.booking import SyncResult, sync_appointment
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, EnginePass, utcnow

PASS_SECONDS = 50.0
"""A pass stops taking new appointments after this long, so it ends before the next minute's pass is due."""
UNSETTLED_AFTER = timedelta(minutes=1)
"""A write whose answer was lost is looked up by the engine once it is this old (an agent's own look-up first)."""


@dataclass(frozen=True)
class PassSummary:
    tried: int
    synced: int
    failed: int
    deferred: int
    """Put back for after Cal.com's rate-limit window."""

    def sentence(self) -> str:
        if not self.tried:
            return "0 appointments tried: none due"
        return f"{self.tried} appointments tried: synced {self.synced}, failed {self.failed}, deferred {self.deferred}"


def _retry_due(now: datetime) -> ColumnElement[bool]:
    return or_(Appointment.next_retry_at.is_(None), Appointment.next_retry_at <= now)


def due_terms(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """What the engine picks up at ``now``, as separate conditions that each start with an indexed column (the sync
    status, or when a write went unanswered): new appointments, technical failures whose back-off has passed (to
    book again, or a cancellation Cal.com has not taken yet), and unanswered writes to settle.

    The retries are one term, entered at each company's technical failures (``queue_rules.of_any_company``). At a
    million appointments, the due pass's statement took 10 ms with a term each for booking again and cancelling, 5 ms
    with one term reading every failed appointment, and 2.8 ms now."""
    scheduled = Appointment.status == AppointmentStatus.SCHEDULED
    to_book = and_(rules.pending(), scheduled, _retry_due(now))
    cancel_not_taken = and_(
        Appointment.status == AppointmentStatus.CANCELLED, Appointment.calcom_booking_uid.is_not(None)
    )
    to_retry = and_(
        rules.failed(),
        rules.waits_for_retry(),
        rules.of_any_company(),
        Appointment.next_retry_at <= now,
        or_(scheduled, cancel_not_taken),
    )
    unsettled = and_(
        Appointment.uncertain_since < now - UNSETTLED_AFTER, Appointment.uncertain_request.is_not(None), _retry_due(now)
    )
    return to_book, to_retry, unsettled


def due_condition(now: datetime) -> ColumnElement[bool]:
    """``due_terms`` as one condition; the dashboard counts "due now" with the same terms (``due_count``)."""
    return or_(*due_terms(now))


def due_appointment_ids(now: datetime, limit: int) -> Sequence[int]:
    statement = (
        select(Appointment.id).where(due_condition(now)).order_by(Appointment.starts_at, Appointment.id).limit(limit)
    )
    return db.session.scalars(statement).all()


def due_count(now: datetime, company_id: int | None = None) -> int:
    """Counted as a union of ``due_terms``, each read from an index: one OR over them makes the database read every
    row (200 ms against 16 ms at a million appointments on SQLite)."""
    in_company = [] if company_id is None else [Appointment.company_id == company_id]
    due = union(*(select(Appointment.id).where(term, *in_company) for term in due_terms(now))).subquery()
    return int(db.session.scalar(select(func.count()).select_from(due)) or 0)


def sync_due(now: datetime | None = None, limit: int = 500, seconds: float = PASS_SECONDS) -> list[SyncResult]:
    """One pass over what is due at ``now`` (default: the current time), soonest start first.

    Stops after ``seconds``, and as soon as the rate limit defers one: the rest waits for the next window.
    """
    stop_at = time.monotonic() + seconds
    results = []
    for appointment_id in due_appointment_ids(now or utcnow(), limit):
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None:
            continue
        result = sync_appointment(appointment, now=now)
        results.append(result)
        if result.deferred or time.monotonic() >= stop_at:
            break
    return results


def run_due_pass(now: datetime | None = None, limit: int = 500, seconds: float = PASS_SECONDS) -> PassSummary:
    """A recorded pass: its start is stored first, so a pass that hangs or dies still shows when it began."""
    record = EnginePass(started_at=utcnow(), tried=0, synced=0, failed=0, deferred=0)
    db.session.add(record)
    db.session.commit()
    results = sync_due(now, limit, seconds)
    outcomes = Counter(_outcome(result) for result in results)
    summary = PassSummary(len(results), outcomes["synced"], outcomes["failed"], outcomes["deferred"])
    record.finished_at = utcnow()
    record.tried, record.synced, record.failed, record.deferred = (
        summary.tried,
        summary.synced,
        summary.failed,
        summary.deferred,
    )
    db.session.commit()
    return summary


def pass_running(now: datetime) -> bool:
    """A pass began less than a pass's length ago and has not finished (one that died stops counting then)."""
    latest = last_pass()
    return (
        latest is not None
        and latest.finished_at is None
        and latest.started_at > now - timedelta(seconds=PASS_SECONDS + 10)
    )


def last_pass() -> EnginePass | None:
    return db.session.scalars(select(EnginePass).order_by(EnginePass.started_at.desc()).limit(1)).first()


def _outcome(result: SyncResult) -> str:
    if result.synced:
        return "synced"
    if result.deferred:
        return "deferred"
    return "failed" if result.category else "skipped"
