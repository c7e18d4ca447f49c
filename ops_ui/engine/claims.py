"""Optimistic locking for review-board actions: an agent acts on what their screen showed, or not at all.

Two layers. ``load_for_action`` compares the version the agent's screen was rendered from with the stored one and
refuses with ``StaleAppointment`` (who changed it, when, and the current state) so the UI can answer 409 and show
the fresh row. Between that check and the commit a Cal.com call can take seconds; the ORM's ``version_id_col``
catches a change made meanwhile (``StaleDataError`` at flush), and ``commit_outcome`` then re-applies Cal.com's
confirmed outcome on the fresh row and says so in the audit note — Cal.com already changed, so dropping its answer
would leave the two systems apart, and applying it blindly over the other change would hide that change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, SyncAttempt, User

SYNC_ENGINE = "the sync engine"
FAILED_SUFFIX = "_failed"
"""Audit actions ending in this recorded an attempt that changed nothing; they never explain a version bump."""


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


def load_for_action(appointment_id: int, expected_version: int, actor: User) -> Appointment:
    """The appointment to act on, after checking the actor may act on it and the screen was current."""
    if not actor.is_active or not actor.can_act:
        raise NotAllowed(f"{actor.name} may not change appointments")
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None or (actor.company_id is not None and appointment.company_id != actor.company_id):
        raise AppointmentNotFound(appointment_id)
    if appointment.version != expected_version:
        changed_by, changed_at = last_change(appointment)
        raise StaleAppointment(appointment, expected_version, changed_by, changed_at)
    return appointment


def last_change(appointment: Appointment) -> tuple[str, datetime | None]:
    """Who made the newest change that touched the appointment, and when."""
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.appointment_id == appointment.id, AuditEvent.action.not_like(f"%{FAILED_SUFFIX}"))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        return SYNC_ENGINE, appointment.updated_at
    return (event.actor.name if event.actor else SYNC_ENGINE), event.at


def commit_outcome(
    appointment: Appointment,
    attempts: Iterable[SyncAttempt],
    apply: Callable[[Appointment], AuditEvent],
) -> Appointment:
    """Apply a confirmed outcome with its attempts and audit event in one transaction; returns the fresh row.

    ``apply`` changes the appointment and returns the audit event describing before → after; it is called again
    on the freshly loaded row if another writer committed in between (see the module docstring).
    """
    appointment_id = appointment.id
    version = appointment.version
    attempts = list(attempts)
    try:
        db.session.add_all(attempts)
        db.session.add(apply(appointment))
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
        changed_by, _ = last_change(appointment)
        audit = apply(appointment)
        concurrent = (
            f"Applied what Cal.com confirmed over a concurrent change by {changed_by}"
            f" (version {version} → {appointment.version})."
        )
        audit.note = f"{audit.note}\n{concurrent}" if audit.note else concurrent
        db.session.add_all(attempts)
        db.session.add(audit)
        db.session.commit()
    return appointment


def snapshot(appointment: Appointment, *names: str) -> dict[str, Any]:
    """JSON-safe values of the named appointment fields, for an audit event's before/after."""
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(appointment, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, enum.Enum):
            value = value.value
        values[name] = value
    return values


def audit_event(
    appointment: Appointment,
    actor: User | None,
    action: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str | None,
    at: datetime,
) -> AuditEvent:
    """``actor`` None is the sync engine acting on its own."""
    return AuditEvent(
        actor_id=actor.id if actor else None,
        appointment_id=appointment.id,
        action=action,
        before=before,
        after=after,
        note=note,
        at=at,
    )
