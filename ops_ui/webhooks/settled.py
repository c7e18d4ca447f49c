"""What became of one delivery: its outcome, a sentence for people, and what it names."""

from __future__ import annotations

from dataclasses import dataclass

from ops_ui.models import DeliveryOutcome


@dataclass(frozen=True)
class Settled:
    outcome: DeliveryOutcome
    note: str | None = None
    appointment_id: int | None = None
    company_id: int | None = None
