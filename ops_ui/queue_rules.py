"""When an open appointment counts as stuck, critical, ancient or past, and which errors are technical.

The health dashboard counts with these conditions and the review board filters with them, so a figure and the rows
behind its link cannot drift apart: change a rule here and both follow. Each function returns one SQL condition on
``Appointment``; the sync status a figure combines it with stays with the caller (the board picks it from the
``sync_status`` filter, the dashboard counts failed and pending in a pass each).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select

from ops_ui.categories import BUSINESS_CATEGORIES, ErrorCategory
from ops_ui.models import Appointment, AppointmentStatus, Company, SyncStatus, UTCDateTime

CRITICAL_WITHIN_HOURS = 48
"""A failed appointment starting sooner than this is critical: the customer may turn up unannounced. Two days: a
salon needs a working day to reach the customer."""
STUCK_AFTER_MINUTES = 15
"""A pending appointment whose planned send is this much past is stuck: the engine should have sent it."""
ANCIENT_AFTER_DAYS = 7
"""A failure older than this is ancient: nobody is working on it."""
STUCK_AFTER = timedelta(minutes=STUCK_AFTER_MINUTES)
CRITICAL_WINDOW = timedelta(hours=CRITICAL_WITHIN_HOURS)
ANCIENT_AFTER = timedelta(days=ANCIENT_AFTER_DAYS)
TECHNICAL_CATEGORIES = frozenset(ErrorCategory) - BUSINESS_CATEGORIES


CLOSED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED)
"""Nothing is left to do whatever the sync status: a cancelled appointment agrees with Cal.com, an expired one
(closed by the clean-up, ``ops_ui.engine.cleanup``) can never reach it. Completed and no-show appointments are not
closed: one that never synced still counts, as before."""


def is_open(appointment: Appointment) -> bool:
    """Something is left to do: not closed, and not known to agree with Cal.com (unsynced, or uncertain).

    The one definition of "open": the board shows open appointments with their actions, a resolved one without.
    """
    if appointment.status in CLOSED_STATUSES:
        return False
    return appointment.sync_status is not SyncStatus.SYNCED or appointment.uncertain_request is not None


def not_closed() -> ColumnElement[bool]:
    """The status half of ``is_open`` in SQL: neither cancelled nor expired."""
    return Appointment.status.not_in(CLOSED_STATUSES)


def failed() -> ColumnElement[bool]:
    return Appointment.sync_status == SyncStatus.FAILED


def pending() -> ColumnElement[bool]:
    return Appointment.sync_status == SyncStatus.PENDING


def overdue(now: datetime) -> ColumnElement[bool]:
    """What makes a pending appointment stuck: the moment it should have been sent is ``STUCK_AFTER`` past.

    That moment is the planned retry, else the last attempt (pending without a retry planned), else the creation
    (never attempted). An appointment waiting for a retry planned in an hour is not stuck; one whose retry time
    passed that long ago without an attempt is.
    """
    due = func.coalesce(
        Appointment.next_retry_at, Appointment.last_attempt_at, Appointment.created_at, type_=UTCDateTime()
    )
    return due < now - STUCK_AFTER


def starts_soon(now: datetime) -> ColumnElement[bool]:
    """What makes a failed appointment critical: it starts within ``CRITICAL_WINDOW`` (and has not started)."""
    return and_(not_started(now), Appointment.starts_at < now + CRITICAL_WINDOW)


def started(now: datetime) -> ColumnElement[bool]:
    """What makes a failed appointment past: its start has passed, so it can never sync as it is."""
    return Appointment.starts_at < now


def not_started(now: datetime) -> ColumnElement[bool]:
    return Appointment.starts_at >= now


def long_failing(now: datetime) -> ColumnElement[bool]:
    """What makes a failed appointment ancient: failing for longer than ``ANCIENT_AFTER``, or its start has passed."""
    return or_(Appointment.failed_since < now - ANCIENT_AFTER, started(now))


def business_error() -> ColumnElement[bool]:
    """A refusal a retry repeats: a person must change something."""
    return Appointment.last_error_category.in_(_sorted(BUSINESS_CATEGORIES))


def technical_error() -> ColumnElement[bool]:
    """A failure a retry may clear (timeout, rate limit, server error …)."""
    return Appointment.last_error_category.in_(_sorted(TECHNICAL_CATEGORIES))


def handed_over() -> ColumnElement[bool]:
    """A technical failure the engine stopped retrying (``ops_ui.engine.retry_policy.handover_reason``)."""
    return Appointment.handover_reason.is_not(None)


def needs_person() -> ColumnElement[bool]:
    """The dashboard's "manual review" and the board's "needs a person": business errors, and technical failures
    handed over."""
    return or_(business_error(), handed_over())


def waits_for_retry() -> ColumnElement[bool]:
    """A technical failure the engine retries by itself at a due pass after its back-off."""
    return and_(technical_error(), ~handed_over())


def of_any_company() -> ColumnElement[bool]:
    """True of every appointment, in a form an index can use: with ``company_id IN (every company)``, a condition on
    the sync status and the error category enters ``ix_appointment_health`` (sync status, company, category, …) at
    each company. Without it, SQLite reads every failed appointment to find the few technical ones. The earliest
    retry over all companies at a million appointments: 0.5 ms instead of 6.8 ms with 3 companies, 2.2 ms instead of
    5.2 ms with 3,000 (each company is entered, with or without failures)."""
    return Appointment.company_id.in_(select(Company.id))


def _sorted(categories: frozenset[ErrorCategory]) -> list[ErrorCategory]:
    """A stable order, so the same filter always renders the same SQL."""
    return sorted(categories, key=lambda category: category.value)
