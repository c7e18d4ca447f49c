"""The audit trail: who changed an appointment, when, from what to what, and why."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, User

SYNC_ENGINE = "the sync engine"
FAILED_SUFFIX = "_failed"
"""Audit actions ending in this recorded an attempt that changed nothing; they never explain a version bump."""
CASE_PREFIX = "case_"
"""Audit actions starting with this changed who works on the case (``ops_ui.cases``), not the appointment; they never
explain a version bump either."""


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


def last_change(appointment: Appointment) -> tuple[str, datetime | None]:
    """Who made the newest change that touched the appointment, and when."""
    event = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.appointment_id == appointment.id,
            AuditEvent.action.not_like(f"%{FAILED_SUFFIX}"),
            AuditEvent.action.not_like(f"{CASE_PREFIX}%"),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        return SYNC_ENGINE, appointment.updated_at
    return (event.actor.name if event.actor else SYNC_ENGINE), event.at
