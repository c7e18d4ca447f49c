"""Audit events of accounts and records (the admin area, password resets): who changed what, from what to what.

They share the ``audit_event`` table with appointment changes (``appointment_id`` None), so one log shows both.
"""

from __future__ import annotations

from typing import Any

from ops_ui.auth import clock
from ops_ui.extensions import db
from ops_ui.models import AuditEvent, User


def record(
    actor: User | None, action: str, subject: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    """Add the event to the session; the calling service commits it together with the change."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            action=action,
            before=before,
            after=after,
            note=subject,
            at=clock.now(),
        )
    )
