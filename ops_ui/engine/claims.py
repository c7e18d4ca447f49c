"""One writer per appointment: a claim taken before any Cal.com write and ended when its outcome is stored.

The claim is one conditional ``UPDATE … SET claim_token = ? WHERE id = ? AND version = ? AND (no claim OR an expired
one)``, so checking the agent's screen and taking the appointment are a single atomic step on SQLite and PostgreSQL
alike. A second writer that arrives meanwhile changes nothing and hears who holds it (``BeingChanged``), before it
has said a word to Cal.com. Every later write of the claim holder is fenced by its token in the same transaction
(``UPDATE … WHERE claim_token = ?`` must hit the row), so a writer whose claim expired and was taken over cannot
overwrite the newer writer (``ClaimLost``). The version moves on only when the outcome changes the appointment: an
action that changed nothing leaves other agents' screens current.

A claim outlives its process only when the process died; it expires ``CLAIM_GRACE_SECONDS`` after the action's
deadline. Whatever that process may have sent is recorded before it was sent (``uncertain_request``, see
``ops_ui.engine.writes``), so the next writer looks it up in Cal.com first.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Update, func, or_, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from ops_ui.audit import SYNC_ENGINE, last_change
from ops_ui.categories import ErrorCategory
from ops_ui.engine.deadline import deadline_in
from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, SyncStatus, User, utcnow

CLAIM_GRACE_SECONDS = 30
"""Time after the deadline for storing the outcome; a claim older than deadline + grace belongs to a dead process."""
CLAIMED_COLUMNS = [column.key for column in sa_inspect(Appointment).column_attrs]
"""What the claim reads back as it takes the row. The customer, service, staff member and company stay as this
transaction loaded them: the version the claim matched means the row still names the same ones."""


class AppointmentNotFound(LookupError):
    """No such appointment, or one in another company (not revealed as existing)."""

    def __init__(self, appointment_id: int) -> None:
        super().__init__(f"Appointment {appointment_id} not found")
        self.appointment_id = appointment_id


class NotAllowed(PermissionError):
    """The user may look but not act (managers), or is inactive."""


class StaleAppointment(Exception):
    """The appointment changed since the agent's screen was rendered; nothing was done.

    ``appointment`` is the current state to re-render; ``changed_by`` the name of whoever changed it last (a user,
    or "the sync engine"); ``changed_at`` when (UTC, aware).
    """

    def __init__(
        self, appointment: Appointment, expected_version: int, changed_by: str, changed_at: datetime | None
    ) -> None:
        self.appointment = appointment
        self.expected_version = expected_version
        self.current_version = appointment.version
        self.changed_by = changed_by
        self.changed_at = changed_at
        when = changed_at.isoformat(timespec="seconds") if changed_at else "an unknown time"
        super().__init__(f"Appointment {appointment.id} was changed by {changed_by} at {when}")


class BeingChanged(Exception):
    """Another writer holds the appointment right now; nothing was done and Cal.com was not asked."""

    def __init__(self, appointment: Appointment) -> None:
        self.appointment = appointment
        self.holder = appointment.claimed_by or SYNC_ENGINE
        super().__init__(f"Appointment {appointment.id} is being changed by {self.holder} right now")

    @property
    def sentence(self) -> str:
        """What the agent reads: the engine syncs, a person changes."""
        if self.holder == SYNC_ENGINE:
            return "Being synced right now by the sync engine"
        return f"Being changed by {self.holder} right now"


class ClaimLost(Exception):
    """This writer's claim expired and another writer took the appointment over; its outcome was not stored."""


class OutcomeNotStored(Exception):
    """Storing the outcome failed here after Cal.com may have acted; the appointment stays marked for a look-up."""

    def __init__(self, appointment_id: int, error: Exception) -> None:
        self.appointment_id = appointment_id
        self.error = error
        super().__init__(f"Appointment {appointment_id}: the outcome could not be stored: {error}")


@dataclass
class Claim:
    """The right to write one appointment to Cal.com until ``deadline`` (a ``time.monotonic()`` instant)."""

    appointment: Appointment
    token: str
    actor: User | None
    deadline: float
    appointment_id: int = field(init=False)
    """Read as the claim is taken: a commit may leave ``appointment`` expired, and its id would load it again."""

    def __post_init__(self) -> None:
        self.appointment_id = self.appointment.id


def load_for_action(appointment_id: int, expected_version: int, actor: User) -> Appointment:
    """The appointment an agent wants to act on, if they may and their screen was current (no claim yet).

    The version is checked here so a stale screen hears who changed what before anything else; ``claim`` checks it
    again, atomically. The row as this transaction already holds it will do (the board's view loaded it fresh a
    moment ago): the claim's own check is the one that counts.
    """
    if not actor.is_active or not actor.can_act:
        raise NotAllowed(f"{actor.name} may not change appointments")
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or (actor.company_id is not None and appointment.company_id != actor.company_id):
        raise AppointmentNotFound(appointment_id)
    if appointment.version != expected_version:
        changed_by, changed_at = last_change(appointment)
        raise StaleAppointment(appointment, expected_version, changed_by, changed_at)
    return appointment


def claim(appointment: Appointment, expected_version: int, actor: User | None) -> Claim:
    """Claim the appointment for a writer whose view of it was ``expected_version`` (``actor`` None: the engine)."""
    seconds = float(current_app.config["ACTION_DEADLINE_SECONDS"])
    deadline = deadline_in(seconds)
    now = utcnow()
    token = secrets.token_hex(16)
    appointment_id = appointment.id
    db.session.expire(appointment, CLAIMED_COLUMNS)
    taken = db.session.scalars(
        update(Appointment)
        .where(
            Appointment.id == appointment_id,
            Appointment.version == expected_version,
            or_(Appointment.claim_token.is_(None), Appointment.claim_expires_at < now),
        )
        .values(
            claim_token=token,
            claimed_by=actor.name if actor else SYNC_ENGINE,
            claim_expires_at=now + timedelta(seconds=seconds + CLAIM_GRACE_SECONDS),
        )
        .returning(Appointment)
        .execution_options(synchronize_session=False)
    ).first()
    _commit_keeping_loaded()
    if taken is not None:
        return Claim(taken, token, actor, deadline)
    fresh = db.session.get(Appointment, appointment_id, populate_existing=True)
    assert fresh is not None
    if fresh.claim_token is not None and fresh.claim_expires_at is not None and fresh.claim_expires_at >= now:
        raise BeingChanged(fresh)
    changed_by, changed_at = last_change(fresh)
    raise StaleAppointment(fresh, expected_version, changed_by, changed_at)


def finish(claim: Claim, apply: Callable[[Appointment], Iterable[AuditEvent]], **bookkeeping: object) -> Appointment:
    """Store the outcome and end the claim in one transaction; returns the stored row, read again on first use.

    ``apply`` changes the claimed row and returns the audit events that describe it; ``bookkeeping`` columns are
    written with the claim's end and do not move the version on (nothing an agent sees as a change). If storing
    fails (the database refuses a value, the connection drops), the claim still ends, and a Cal.com write recorded
    as possibly done stays recorded, so the next writer's look-up repairs the appointment — never silently.
    """
    row = claim.appointment
    try:
        db.session.add_all(list(apply(row)))
        _fence(claim, claim_token=None, claimed_by=None, claim_expires_at=None, **bookkeeping)
        db.session.commit()
    except (ClaimLost, StaleDataError):
        db.session.rollback()
        raise ClaimLost(
            f"Appointment {claim.appointment_id} was taken over by another writer; this outcome was not stored"
        ) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        release(claim)
        _flag_unstored_outcome(claim, error)
        raise OutcomeNotStored(claim.appointment_id, error) from error
    return row


def commit_fenced(claim: Claim) -> None:
    """Commit what the holder changed so far, keeping the claim, if the claim is still its own."""
    try:
        _fence(claim)
        _commit_keeping_loaded()
    except (ClaimLost, StaleDataError):
        db.session.rollback()
        raise ClaimLost(f"Appointment {claim.appointment_id} was taken over by another writer") from None
    db.session.expire(claim.appointment)


def fenced_update(claim: Claim, **values: object) -> None:
    """Change columns of the claimed row only while the claim is still ours (the fence before a Cal.com write)."""
    try:
        _fence(claim, **values)
    except ClaimLost:
        db.session.rollback()
        raise
    _commit_keeping_loaded()
    db.session.expire(claim.appointment, [*values, "updated_at"])


def release(claim: Claim) -> None:
    """End the claim without storing an outcome (nothing was changed, or storing it failed)."""
    db.session.rollback()
    db.session.execute(
        update(Appointment)
        .where(Appointment.id == claim.appointment_id, Appointment.claim_token == claim.token)
        .values(claim_token=None, claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _flag_unstored_outcome(claim: Claim, error: SQLAlchemyError) -> None:
    """Put an appointment whose Cal.com write may have happened on the board, since its outcome is not stored."""
    db.session.execute(
        update(Appointment)
        .where(Appointment.id == claim.appointment_id, Appointment.uncertain_request.is_not(None))
        .values(
            sync_status=SyncStatus.FAILED,
            last_error_category=ErrorCategory.UNKNOWN,
            last_error_message=(
                f"Storing the outcome here failed ({type(error).__name__}) after Cal.com was asked; the next action "
                "checks in Cal.com what happened and repairs the appointment."
            ),
            failed_since=func.coalesce(Appointment.failed_since, utcnow()),
            next_retry_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _commit_keeping_loaded() -> None:
    """Commit without expiring everything the session holds. A claim's statements change the claimed row alone, and
    their callers expire what they changed of it; the agent, the customer and the staff member loaded for the action
    are as they were, and reloading them after every step of a claim would only repeat the same reads."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def _fence(claim: Claim, **values: object) -> None:
    """An UPDATE that must hit the claimed row by its token, in the caller's transaction; else ``ClaimLost``."""
    changed = _changed_rows(
        update(Appointment)
        .where(Appointment.id == claim.appointment_id, Appointment.claim_token == claim.token)
        .values(**(values or {"claim_token": claim.token}))
        .execution_options(synchronize_session=False)
    )
    if changed != 1:
        raise ClaimLost(f"Appointment {claim.appointment_id} was taken over by another writer")


def _changed_rows(statement: Update) -> int:
    result = cast("CursorResult[Any]", db.session.execute(statement))
    return result.rowcount
