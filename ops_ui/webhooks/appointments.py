"""A delivery applied to the appointment it names, the way every writer changes an appointment: claim, change,
audit and end the claim in one transaction (``engine.claims``). The actor is None like the engine's own writes;
the audit note names Cal.com and the delivery.

Another writer holding the appointment (an agent's action, the engine's sync) wins: nothing is applied and the
delivery is answered 503, so Cal.com delivers it again once that writer is done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ops_ui.audit import audit_event, snapshot
from ops_ui.engine.claims import BeingChanged, ClaimLost, OutcomeNotStored, StaleAppointment, claim, finish
from ops_ui.engine.writes import mark_in_step
from ops_ui.models import Appointment, AuditEvent, DeliveryOutcome, WebhookDelivery
from ops_ui.webhooks.changes import Change, Plan, plan_changes
from ops_ui.webhooks.lookups import staff_for_organizer
from ops_ui.webhooks.payload import CalcomEvent
from ops_ui.webhooks.settled import Settled

IN_STEP_FIELDS = ("sync_status", "last_error_category")
RETRY_LATER = "nothing applied; Cal.com delivers it again."

Record = Callable[[Settled], None]
"""Writes a delivery's outcome into the session (no commit), so it is stored with the change it describes."""


def settle_on_appointment(
    delivery: WebhookDelivery,
    event: CalcomEvent,
    appointment: Appointment,
    record: Record,
    now: datetime,
    *,
    quiet: DeliveryOutcome | None = None,
) -> Settled:
    """Apply what ``event`` changes on ``appointment``; ``quiet`` is the outcome when it changes nothing."""
    organizer = staff_for_organizer(event.organizer_id, appointment.company_id)
    plan = plan_changes(event, appointment, organizer, quiet=quiet)
    if not plan.changes:
        return _unchanged(plan, appointment)
    # Read before the claim: after its commit the delivery would reload mid-change, flushing (and versioning) twice.
    source = f"Cal.com webhook {delivery.trigger} (delivery #{delivery.id})"
    try:
        # The version the plan was made from: if anyone changed the appointment since, nothing is applied.
        held = claim(appointment, appointment.version, None)
    except (BeingChanged, StaleAppointment) as busy:
        return _retry(appointment, busy)
    applied = Settled(
        DeliveryOutcome.APPLIED,
        _note(plan, " ".join(f"{change.sentence[:1].upper()}{change.sentence[1:]}." for change in plan.changes)),
        appointment.id,
        appointment.company_id,
    )

    def apply(row: Appointment) -> list[AuditEvent]:
        record(applied)
        return [_apply_change(row, change, source, now) for change in plan.changes]

    try:
        finish(held, apply)
    except (ClaimLost, OutcomeNotStored) as lost:
        return _retry(appointment, lost)
    return applied


def _apply_change(row: Appointment, change: Change, source: str, now: datetime) -> AuditEvent:
    touched = (*change.values, *(IN_STEP_FIELDS if change.in_step else ()))
    before = snapshot(row, *touched)
    for name, value in change.values.items():
        setattr(row, name, value)
    if change.in_step:
        mark_in_step(row)
    note = f"{source}: {change.sentence}"
    return audit_event(row, None, change.action, before=before, after=snapshot(row, *touched), note=note, at=now)


def _unchanged(plan: Plan, appointment: Appointment) -> Settled:
    return Settled(plan.outcome, _note(plan), appointment.id, appointment.company_id)


def _retry(appointment: Appointment, reason: Exception) -> Settled:
    if isinstance(reason, BeingChanged):
        why = f"being changed by {reason.holder} right now"
    elif isinstance(reason, StaleAppointment):
        why = f"changed meanwhile by {reason.changed_by}"
    else:
        why = f"the outcome could not be stored ({reason})"
    return Settled(DeliveryOutcome.RETRY, f"{why}; {RETRY_LATER}", appointment.id, appointment.company_id)


def _note(plan: Plan, first: str = "") -> str | None:
    return " ".join(part for part in (first, *plan.notes) if part) or None
