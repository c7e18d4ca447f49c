"""What the reconciliation page shows: per company, the latest finished run's mismatches by kind, and a newer run
still waiting or running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ops_ui.extensions import db
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import Company, Mismatch, MismatchKind, ReconciliationRun, User
from ops_ui.reconcile.run import STALE_AFTER

KIND_LABELS = {
    MismatchKind.BOOKING_CANCELLED: _l("Cancelled in Cal.com, booked here"),
    MismatchKind.BOOKING_MISSING: _l("Booking unknown to Cal.com"),
    MismatchKind.ORPHAN_BOOKING: _l("Orphan bookings in Cal.com"),
    MismatchKind.TIME_DIFFERS: _l("Time differs from Cal.com"),
    MismatchKind.HOST_DIFFERS: _l("Host differs from Cal.com"),
    MismatchKind.CALL_WITHOUT_APPOINTMENT: _l("Confirmed calls without appointment"),
}
"""The kinds in the order the page lists them: what a customer meets at the door first."""


@dataclass(frozen=True)
class CompanyRuns:
    company: Company
    shown: ReconciliationRun | None
    """The newest finished run, whose mismatches are listed."""
    pending: ReconciliationRun | None
    """A newer run waiting for the job worker or running."""
    groups: tuple[tuple[MismatchKind, tuple[Mismatch, ...]], ...]

    @property
    def found_count(self) -> int:
        return sum(len(rows) for _, rows in self.groups)

    @property
    def open_count(self) -> int:
        return sum(1 for _, rows in self.groups for row in rows if is_open(row))


def is_open(mismatch: Mismatch) -> bool:
    if mismatch.repaired_at is not None:
        return False
    return mismatch.call is None or mismatch.call.appointment_id is None


def companies_of(user: User) -> list[Company]:
    statement = select(Company).order_by(Company.id)
    if user.company_id is not None:
        statement = statement.where(Company.id == user.company_id)
    return list(db.session.scalars(statement))


def company_runs(user: User, now: datetime) -> list[CompanyRuns]:
    return [_company_runs(company, now) for company in companies_of(user)]


def _company_runs(company: Company, now: datetime) -> CompanyRuns:
    runs = ReconciliationRun.company_id == company.id
    shown = db.session.scalars(
        select(ReconciliationRun)
        .where(runs, ReconciliationRun.finished_at.is_not(None))
        .order_by(ReconciliationRun.id.desc())
        .limit(1)
    ).first()
    pending = db.session.scalars(
        select(ReconciliationRun)
        .where(
            runs,
            ReconciliationRun.finished_at.is_(None),
            ReconciliationRun.requested_at > now - STALE_AFTER,
            ReconciliationRun.id > (shown.id if shown else 0),
        )
        .order_by(ReconciliationRun.id.desc())
        .limit(1)
    ).first()
    return CompanyRuns(company, shown, pending, _groups(shown) if shown else ())


def _groups(run: ReconciliationRun) -> tuple[tuple[MismatchKind, tuple[Mismatch, ...]], ...]:
    rows = db.session.scalars(
        select(Mismatch)
        .where(Mismatch.run_id == run.id)
        .options(joinedload(Mismatch.call), joinedload(Mismatch.repaired_by))
        .order_by(Mismatch.id)
    ).all()
    return tuple((kind, found) for kind in KIND_LABELS if (found := tuple(row for row in rows if row.kind is kind)))


def visible_run(run_id: int, user: User) -> ReconciliationRun | None:
    run = db.session.get(ReconciliationRun, run_id)
    if run is None or (user.company_id is not None and run.company_id != user.company_id):
        return None
    return run


def visible_mismatch(mismatch_id: int, user: User) -> Mismatch | None:
    mismatch = db.session.get(Mismatch, mismatch_id, populate_existing=True)
    if mismatch is None or (user.company_id is not None and mismatch.run.company_id != user.company_id):
        return None
    return mismatch
