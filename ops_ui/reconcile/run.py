"""One reconciliation run: read Cal.com's bookings of the window, then the company's appointments and calls, compare,
store what is out of step.

Cal.com is read first and Sync Desk second, so a booking the engine makes meanwhile is either in the listing and
already held by its appointment, or held by an appointment under a claim (skipped: a write is in flight), never a
false orphan. Appointments under a claim or with an unanswered write are skipped for the same reason: the writer
that holds them, or the next one, settles them first.

Every call goes through ``calcom_client()`` and draws from the shared rate budget. A Cal.com failure ends the run
with its full error stored and no mismatches: a half-read Cal.com would report what it did not read as missing.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, or_, select

from ops_ui.actions.results import read_failure_sentence
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError, NotFoundError
from ops_ui.calcom.types import Booking
from ops_ui.company_time import company_zone
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.gateway import calcom_client
from ops_ui.extensions import db
from ops_ui.formatting import local_time
from ops_ui.health.metrics import desync_calls
from ops_ui.i18n import in_english
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    Company,
    Mismatch,
    MismatchKind,
    ReconciliationRun,
    SyncStatus,
    User,
    utcnow,
)
from ops_ui.reconcile.compare import (
    Finding,
    Resolved,
    appointment_finding,
    call_finding,
    is_live,
    metadata_appointment_id,
    orphan_findings,
    resolve,
    window_bounds,
)

log = logging.getLogger(__name__)

DAYS_BACK = 1
DAYS_AHEAD = 14
"""The default window (``RECONCILE_DAYS_BACK`` / ``RECONCILE_DAYS_AHEAD`` in the app's config override it)."""
PAGE_SIZE = 100
MAX_PAGES = 200
"""20,000 bookings in one window at most; beyond that the run ends with an error instead of reading for ever."""
RUN_DEADLINE_SECONDS = 600
"""All Cal.com calls of one run together (the rate budget may make it wait for the next window)."""
STALE_AFTER = timedelta(minutes=30)
"""A run requested longer ago and still unfinished was dropped (the worker died); a new one may be requested."""
CALL_LIMIT = 500
KEEPS_BOOKING = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW})
"""Appointments whose Cal.com booking stays theirs (Cal.com knows no "completed"); a cancelled or expired
appointment's live booking is an orphan."""


class TooManyBookings(Exception):
    pass


def request_run(company_id: int, actor: User | None, *, now: datetime | None = None) -> ReconciliationRun:
    """A run waiting for the job worker: a new one, or the company's run already waiting or running."""
    now = now or utcnow()
    waiting = unfinished_run(company_id, now)
    if waiting is not None:
        return waiting
    config = current_app.config
    start, end = window_bounds(
        now, int(config.get("RECONCILE_DAYS_BACK", DAYS_BACK)), int(config.get("RECONCILE_DAYS_AHEAD", DAYS_AHEAD))
    )
    run = ReconciliationRun(
        company_id=company_id,
        window_start=start,
        window_end=end,
        requested_at=now,
        requested_by_id=actor.id if actor else None,
        counts={},
    )
    db.session.add(run)
    db.session.commit()
    return run


def unfinished_run(company_id: int, now: datetime) -> ReconciliationRun | None:
    return db.session.scalars(
        select(ReconciliationRun)
        .where(
            ReconciliationRun.company_id == company_id,
            ReconciliationRun.finished_at.is_(None),
            ReconciliationRun.requested_at > now - STALE_AFTER,
        )
        .order_by(ReconciliationRun.id.desc())
        .limit(1)
    ).first()


def reconcile_company(company_id: int, actor: User | None = None) -> ReconciliationRun:
    """Request a run for the company and run it here and now (the hourly job, the CLI, tests)."""
    return execute_run(request_run(company_id, actor).id)


def reconcile_all() -> list[ReconciliationRun]:
    return [reconcile_company(company_id) for company_id in db.session.scalars(select(Company.id).order_by(Company.id))]


def execute_run(run_id: int) -> ReconciliationRun:
    """Run a requested run to its end; a run already finished, or started by another worker, is left to it."""
    run = db.session.get(ReconciliationRun, run_id)
    assert run is not None, f"reconciliation run {run_id} is gone"
    if run.finished_at is not None or run.started_at is not None:
        return run
    run.started_at = utcnow()
    db.session.commit()
    client = calcom_client(deadline=time.monotonic() + RUN_DEADLINE_SECONDS)
    try:
        findings = _compare(run, client)
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
        return _end(run, f"{in_english(read_failure_sentence(failure))}\n\n{failure.detail or failure.message}")
    except TooManyBookings as error:
        return _end(run, str(error))
    except Exception:
        db.session.rollback()
        log.exception("reconciliation run %s failed", run_id)
        _end(run, f"The run failed inside Sync Desk:\n\n{traceback.format_exc()}")
        raise
    for finding in findings:
        db.session.add(
            Mismatch(
                run_id=run.id,
                kind=finding.kind,
                appointment_id=finding.appointment_id,
                call_id=finding.call_id,
                booking_uid=finding.booking_uid,
                repair=finding.repair,
                detail=finding.detail,
            )
        )
    run.counts = {kind.value: sum(1 for f in findings if f.kind is kind) for kind in MismatchKind}
    return _end(run, None)


def _end(run: ReconciliationRun, error: str | None) -> ReconciliationRun:
    if error is not None:
        db.session.rollback()
    run.error = error
    run.finished_at = utcnow()
    db.session.commit()
    return run


class _Reader:
    """Cal.com's bookings of the window, and single bookings read once more when an appointment's uid is not among
    them (moved out of the window, or unknown to Cal.com)."""

    def __init__(self, client: CalcomClient, listed: Sequence[Booking]) -> None:
        self.client = client
        self.known = {booking.uid: booking for booking in listed}
        self.fetched: dict[str, Booking | None] = {}

    def fetch(self, uid: str) -> Booking | None:
        if uid not in self.fetched:
            try:
                self.fetched[uid] = self.client.get_booking(uid)
            except NotFoundError:
                self.fetched[uid] = None
        return self.fetched[uid]

    def resolve(self, uid: str) -> Resolved:
        return resolve(uid, self.known, self.fetch)


def _compare(run: ReconciliationRun, client: CalcomClient) -> list[Finding]:
    listed = list_window(client, run.window_start, run.window_end)
    run.bookings_seen = len(listed)
    reader = _Reader(client, listed)
    now = utcnow()
    zone = company_zone(db.session, run.company_id)
    examined = _synced_in_window(run, now)
    run.appointments_seen = len(examined)
    resolved = {row.id: reader.resolve(row.calcom_booking_uid or "") for row in examined}
    findings = [found for row in examined if (found := appointment_finding(row, resolved[row.id], zone))]
    owners = _owners(run.company_id, listed, now)
    resolved |= {
        row.id: reader.resolve(row.calcom_booking_uid)
        for row in owners.values()
        if row.id not in resolved and row.calcom_booking_uid and row.status in KEEPS_BOOKING
    }
    # A cancelled or expired appointment keeps no booking: its live booking is an orphan.
    rows = {row.id: row for row in examined} | owners
    claimed = {uid for row_id, found in resolved.items() if rows[row_id].status in KEEPS_BOOKING for uid in found.chain}

    def holds_live(row: Appointment) -> bool:
        found = resolved.get(row.id)
        return found is not None and found.booking is not None and is_live(found.booking)

    findings += orphan_findings(listed, claimed, owners, holds_live)
    findings += [
        call_finding(call, local_time(call.created_at, zone))
        for call in desync_calls(db.session, run.company_id, CALL_LIMIT)
    ]
    return findings


def list_window(client: CalcomClient, start: datetime, end: datetime) -> list[Booking]:
    """Every booking Cal.com has in the window, any status, paged in start order (``take``/``skip``)."""
    seen: dict[str, Booking] = {}
    for number in range(MAX_PAGES):
        page = client.list_bookings(
            after_start=start, before_end=end, sort_start="asc", take=PAGE_SIZE, skip=number * PAGE_SIZE
        )
        seen.update((booking.uid, booking) for booking in page.bookings)
        if not page.has_next_page or not page.bookings:
            return list(seen.values())
    raise TooManyBookings(
        f"Cal.com lists more than {MAX_PAGES * PAGE_SIZE} bookings in this window; choose a shorter window."
    )


def _not_held(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Neither under a writer's claim nor waiting for an unanswered write to be settled."""
    return (
        or_(Appointment.claim_token.is_(None), Appointment.claim_expires_at < now),
        Appointment.uncertain_request.is_(None),
    )


def _synced_in_window(run: ReconciliationRun, now: datetime) -> Sequence[Appointment]:
    """The company's appointments shown synced and scheduled whose time lies in the window."""
    return db.session.scalars(
        select(Appointment)
        .where(
            Appointment.company_id == run.company_id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.sync_status == SyncStatus.SYNCED,
            Appointment.calcom_booking_uid.is_not(None),
            Appointment.starts_at >= run.window_start,
            Appointment.ends_at <= run.window_end,
            *_not_held(now),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()


def _owners(company_id: int, listed: Sequence[Booking], now: datetime) -> dict[int, Appointment]:
    """The company's appointments whose id a live listed booking carries (other companies' are not ours to judge)."""
    ids = {metadata_appointment_id(booking) for booking in listed if is_live(booking)} - {None}
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Appointment).where(
            Appointment.id.in_(ids),
            Appointment.company_id == company_id,
            *_not_held(now),
        )
    ).all()
    return {row.id: row for row in rows}


def summary(run: ReconciliationRun) -> str:
    """One line for the job log."""
    if run.finished_at is None:
        return f"run {run.id}: still running elsewhere"
    if run.error:
        return f"run {run.id} (company {run.company_id}) failed: {run.error.splitlines()[0]}"
    found = ", ".join(f"{count} {kind}" for kind, count in run.counts.items() if count) or "nothing out of step"
    return f"run {run.id} (company {run.company_id}): {found}"
