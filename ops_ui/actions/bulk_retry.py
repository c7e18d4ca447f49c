"""Retry many appointments at once: "Retry selected" and "Retry all in view" on the board.

A run stores one item per appointment and queues one job per item; the workers retry them through the engine's own
step (``sync_appointment``: the claim, the verified write, the shared rate budget), on behalf of the agent who
started it. An item the rate limit refuses goes back on the queue for after the window and stays waiting; it is
never counted as failed. Business failures whose input did not change since Cal.com refused them are skipped unless
the agent asked to include them (the single retry's warning rule). Cancelling a run skips what has not started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from ops_ui.actions.retry import repeat_failure_ids
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import SyncResult, sync_appointment
from ops_ui.engine.claims import NotAllowed
from ops_ui.extensions import db
from ops_ui.jobs.queue import app_context, huey
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    BulkItemOutcome,
    BulkRun,
    BulkRunItem,
    BulkRunState,
    User,
    utcnow,
)
from ops_ui.queue_rules import is_open

RUN_ACTION = "bulk_retry"
ID_BATCH = 1000
"""Ids per ``IN (…)``: far below SQLite's and PostgreSQL's limits on bound parameters."""
SKIPPED_ACTION = "bulk_retry_skipped_failed"
"""Audit action of an item a run did not send; it changed nothing (the ``_failed`` suffix says so)."""


@dataclass(frozen=True)
class Progress:
    run: BulkRun
    done: int
    synced: int
    skipped: int
    failed_by_category: list[tuple[str, int]]

    @property
    def failed(self) -> int:
        return sum(count for _, count in self.failed_by_category)

    @property
    def percent(self) -> int:
        return 100 if not self.run.total else round(100 * self.done / self.run.total)

    @property
    def finished(self) -> bool:
        return self.run.state is not BulkRunState.RUNNING


def start_bulk_retry(actor: User, appointment_ids: Sequence[int], *, include_unchanged: bool) -> BulkRun:
    """Store the run and queue its items; only appointments the actor may see and that are still open count."""
    if not actor.is_active or not actor.can_act:
        raise NotAllowed(f"{actor.name} may not retry appointments")
    appointments = sorted(
        (row for row in _visible(actor, appointment_ids) if is_open(row)), key=lambda row: (row.starts_at, row.id)
    )
    run = BulkRun(
        company_id=actor.company_id,
        started_by_id=actor.id,
        include_unchanged=include_unchanged,
        total=len(appointments),
        state=BulkRunState.RUNNING if appointments else BulkRunState.DONE,
        finished_at=None if appointments else utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    items = [BulkRunItem(run_id=run.id, appointment_id=row.id) for row in appointments]
    db.session.add_all(items)
    db.session.add(
        AuditEvent(
            actor_id=actor.id,
            action=RUN_ACTION,
            note=f"Bulk retry #{run.id} of {len(items)} appointments"
            + (", unchanged business failures included" if include_unchanged else ""),
            at=run.started_at,
        )
    )
    db.session.commit()
    for item in items:
        retry_item_job(item.id)
    return run


def _visible(actor: User, appointment_ids: Sequence[int]) -> list[Appointment]:
    """The appointments of ``appointment_ids`` the actor may see, read in batches (a view may hold many thousands)."""
    wanted = sorted(set(appointment_ids))
    rows: list[Appointment] = []
    for start in range(0, len(wanted), ID_BATCH):
        statement = select(Appointment).where(Appointment.id.in_(wanted[start : start + ID_BATCH]))
        if actor.company_id is not None:
            statement = statement.where(Appointment.company_id == actor.company_id)
        rows.extend(db.session.scalars(statement))
    return rows


def cancel_bulk_run(run: BulkRun, actor: User) -> None:
    """Stop the run: items not yet started are skipped when their job comes up."""
    if not actor.is_active or not actor.can_act:
        raise NotAllowed(f"{actor.name} may not cancel a bulk retry")
    db.session.execute(
        update(BulkRun)
        .where(BulkRun.id == run.id, BulkRun.state == BulkRunState.RUNNING)
        .values(state=BulkRunState.CANCELLED, finished_at=utcnow())
    )
    db.session.add(AuditEvent(actor_id=actor.id, action=f"{RUN_ACTION}_cancel", note=f"Bulk retry #{run.id} cancelled"))
    db.session.commit()


def progress(run: BulkRun) -> Progress:
    rows = db.session.execute(
        select(BulkRunItem.outcome, BulkRunItem.error_category, func.count())
        .where(BulkRunItem.run_id == run.id, BulkRunItem.outcome.is_not(None))
        .group_by(BulkRunItem.outcome, BulkRunItem.error_category)
    ).all()
    counts = {outcome: 0 for outcome in BulkItemOutcome}
    failed: dict[str, int] = {}
    for outcome, category, count in rows:
        counts[outcome] += count
        if outcome is BulkItemOutcome.FAILED:
            label = str((category or ErrorCategory.UNKNOWN).label)  # worded for the page that asks
            failed[label] = failed.get(label, 0) + count
    done = sum(counts.values())
    return Progress(run, done, counts[BulkItemOutcome.SYNCED], counts[BulkItemOutcome.SKIPPED], sorted(failed.items()))


def remaining_ids(run: BulkRun) -> list[int]:
    """The run's appointments that are still open (for the summary's link to the board)."""
    rows = db.session.scalars(
        select(Appointment)
        .join(BulkRunItem, BulkRunItem.appointment_id == Appointment.id)
        .where(BulkRunItem.run_id == run.id)
    )
    return [row.id for row in rows if is_open(row)]


# --- the job -------------------------------------------------------------------------------------------------


@huey.task(name="bulk-retry-item")
def retry_item_job(item_id: int) -> None:
    with app_context():
        wait = retry_item(item_id)
    if wait is not None:
        retry_item_job.schedule((item_id,), delay=wait)


def retry_item(item_id: int) -> int | None:
    """Retry one item; returns the seconds to wait when the rate limit put it back, else None (it is done)."""
    item = db.session.get(BulkRunItem, item_id)
    if item is None or item.outcome is not None:
        return None
    run = db.session.get(BulkRun, item.run_id)
    appointment = db.session.get(Appointment, item.appointment_id)
    assert run is not None and appointment is not None
    if run.state is not BulkRunState.CANCELLED and _synced_meanwhile(appointment):
        _record(item, BulkItemOutcome.SYNCED, note="Synced meanwhile by the sync engine")
        return None
    reason = _skip_reason(run, appointment)
    if reason is not None:
        db.session.add(
            AuditEvent(actor_id=run.started_by_id, appointment_id=appointment.id, action=SKIPPED_ACTION, note=reason)
        )
        _record(item, BulkItemOutcome.SKIPPED, note=reason)
        return None
    result = sync_appointment(appointment, actor=run.started_by)
    if result.deferred:
        return result.failure.reset_seconds if result.failure and result.failure.reset_seconds else 60
    _record(item, *_outcome_of(result))
    return None


def _synced_meanwhile(appointment: Appointment) -> bool:
    """The engine's due pass (or another agent) synced it while the item waited: the run's aim is reached."""
    return appointment.status is AppointmentStatus.SCHEDULED and not is_open(appointment)


def _skip_reason(run: BulkRun, appointment: Appointment) -> str | None:
    if run.state is BulkRunState.CANCELLED:
        return f"Bulk retry #{run.id} was cancelled before this appointment was tried"
    if not is_open(appointment):
        return f"Nothing left to retry: {appointment.status.value} meanwhile"
    if not run.include_unchanged and appointment.id in repeat_failure_ids([appointment]):
        return "Skipped: Cal.com refused this for a business reason and nothing was changed since"
    return None


def _outcome_of(result: SyncResult) -> tuple[BulkItemOutcome, ErrorCategory | None, str | None]:
    if result.synced:
        return BulkItemOutcome.SYNCED, None, None
    if result.category is None:  # another writer held it, or nothing was left to book
        return BulkItemOutcome.SKIPPED, None, result.message
    return BulkItemOutcome.FAILED, result.category, result.message


def _record(
    item: BulkRunItem, outcome: BulkItemOutcome, category: ErrorCategory | None = None, note: str | None = None
) -> None:
    """Store the item's outcome (once: a repeated job finds it set), then close the run if it was the last one.

    The run is closed in a transaction of its own, after the item's commit: of two workers finishing the last two
    items at once, the later one then sees both.
    """
    db.session.execute(
        update(BulkRunItem)
        .where(BulkRunItem.id == item.id, BulkRunItem.outcome.is_(None))
        .values(outcome=outcome, error_category=category, note=note, done_at=utcnow())
    )
    db.session.commit()
    waiting = select(BulkRunItem.id).where(BulkRunItem.run_id == item.run_id, BulkRunItem.outcome.is_(None))
    db.session.execute(
        update(BulkRun)
        .where(BulkRun.id == item.run_id, BulkRun.state == BulkRunState.RUNNING, ~waiting.exists())
        .values(state=BulkRunState.DONE, finished_at=utcnow())
    )
    db.session.commit()
