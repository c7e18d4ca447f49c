"""Is the sync engine running? Its last pass, what is due now, the Cal.com rate budget in use, the job queue.

The dashboard's "Sync engine" tile and ``/healthz`` read this; a worker that has not started a pass for
``SILENT_AFTER`` is reported as silent (the due pass runs every minute).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ops_ui import queue_rules as rules
from ops_ui.engine.due import due_count, last_pass
from ops_ui.engine.gateway import rate_budget
from ops_ui.extensions import db
from ops_ui.jobs.queue import queue_length
from ops_ui.models import Appointment

SILENT_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class EngineStatus:
    now: datetime
    last_pass_at: datetime | None
    due_now: int
    budget_used: int
    """Cal.com requests counted in the API key's current rate-limit window, by every process."""
    queue_length: int
    next_retry_at: datetime | None
    """The earliest planned retry of a technical failure waiting for one."""

    @property
    def seconds_since_pass(self) -> int | None:
        return None if self.last_pass_at is None else max(0, int((self.now - self.last_pass_at).total_seconds()))

    @property
    def silent(self) -> bool:
        return self.last_pass_at is None or self.now - self.last_pass_at > SILENT_AFTER

    def as_json(self) -> dict[str, Any]:
        return {
            "last_pass_at": self.last_pass_at.isoformat() if self.last_pass_at else None,
            "seconds_since_pass": self.seconds_since_pass,
            "silent": self.silent,
            "due_now": self.due_now,
            "rate_budget_used": self.budget_used,
            "queue_length": self.queue_length,
            "next_retry_at": self.next_retry_at.isoformat() if self.next_retry_at else None,
        }


def engine_status(now: datetime, company_id: int | None, config: Mapping[str, Any]) -> EngineStatus:
    latest = last_pass()
    in_scope = rules.of_any_company() if company_id is None else Appointment.company_id == company_id
    waiting = select(func.min(Appointment.next_retry_at)).where(
        rules.failed(), rules.not_closed(), rules.waits_for_retry(), in_scope
    )
    return EngineStatus(
        now=now,
        last_pass_at=latest.started_at if latest else None,
        due_now=due_count(now, company_id),
        budget_used=rate_budget(config).used_in_window(),
        queue_length=queue_length(),
        next_retry_at=db.session.scalar(waiting),
    )
