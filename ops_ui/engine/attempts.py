"""Turns every HTTP exchange with Cal.com into a SyncAttempt row at once, so nothing said by Cal.com is lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ops_ui.calcom.classify import classify
from ops_ui.calcom.types import Exchange
from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncAttempt, SyncOperation, utcnow


class AttemptRecorder:
    """Passed to the client as ``on_exchange``; stores each exchange in a transaction of its own.

    Stored as it happens, not with the action's outcome: a process killed (or a commit that fails) after Cal.com
    answered still leaves the answer on record for the person and the look-up that follow.
    """

    def __init__(self, appointment: Appointment, operation: SyncOperation, at: datetime | None = None) -> None:
        self.appointment_id = appointment.id
        self.company_id = appointment.company_id
        self.operation = operation
        self.at = at
        """Fixed time for every attempt (replaying history); None means the moment of each exchange."""

    def __call__(self, exchange: Exchange) -> None:
        error = exchange.error
        attempt = SyncAttempt(
            appointment_id=self.appointment_id,
            company_id=self.company_id,
            operation=self.operation,
            method=exchange.method,
            path=exchange.path,
            request_body=exchange.request_body,
            response_status=exchange.status,
            response_body=exchange.response_body,
            succeeded=error is None,
            error_category=classify(error) if error else None,
            error_message=error.message if error else None,
            latency_ms=exchange.latency_ms,
            request_id=exchange.request_id,
            at=self.at or utcnow(),
        )
        with Session(db.engine) as session:
            session.add(attempt)
            session.commit()
