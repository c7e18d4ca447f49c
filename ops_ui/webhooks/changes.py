"""What a Cal.com delivery changes on an appointment: cancelled, moved, given to another host — or nothing.

Pure rules over the appointment as it is and the delivery's facts; ``appointments.py`` applies them under the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ops_ui.models import Appointment, AppointmentStatus, DeliveryOutcome, Staff
from ops_ui.webhooks.payload import BOOKING_CANCELLED, BOOKING_RESCHEDULED, CalcomEvent

CANCELLED_ACTION = "calcom_cancelled"
RESCHEDULED_ACTION = "calcom_rescheduled"
REASSIGNED_ACTION = "calcom_reassigned"


@dataclass(frozen=True)
class Change:
    """One audited change: the audit ``action``, the columns it sets, and the sentence the audit note carries."""

    action: str
    values: dict[str, Any]
    sentence: str
    in_step: bool = False
    """The appointment then agrees with Cal.com: its sync is marked done (``mark_in_step``)."""


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    outcome: DeliveryOutcome = DeliveryOutcome.ALREADY_IN_STEP
    """The delivery's outcome when there is no change."""
    notes: tuple[str, ...] = field(default=())


def cancellation_reason(event: CalcomEvent) -> str:
    """``cancelled in Cal.com by <cancelledBy>: <cancellationReason>`` (either part left out when Cal.com has none)."""
    text = "cancelled in Cal.com"
    if event.cancelled_by:
        text += f" by {event.cancelled_by}"
    return f"{text}: {event.cancellation_reason}" if event.cancellation_reason else text


def plan_changes(
    event: CalcomEvent, row: Appointment, organizer: Staff | None, *, quiet: DeliveryOutcome | None = None
) -> Plan:
    """The changes ``event`` makes to ``row``; ``organizer`` is the staff member who is the payload's organizer."""
    if event.trigger == BOOKING_CANCELLED:
        booking = _cancel_plan(event, row)
        return Plan(booking.changes, booking.outcome, booking.notes)
    booking = _move_plan(event, row)
    host = None if booking.closed else _host_change(event, row, organizer)
    changes = booking.changes + ((host,) if host else ())
    return Plan(changes, quiet or booking.outcome, booking.notes + _host_note(event, row, organizer))


@dataclass(frozen=True)
class _BookingPlan:
    changes: tuple[Change, ...] = ()
    outcome: DeliveryOutcome = DeliveryOutcome.ALREADY_IN_STEP
    notes: tuple[str, ...] = ()
    closed: bool = False
    """The appointment is (or is being) closed: a host change is not applied to it."""


def _cancel_plan(event: CalcomEvent, row: Appointment) -> _BookingPlan:
    if event.rescheduled or event.rescheduled_to_uid:
        moved_to = f" to booking {event.rescheduled_to_uid}" if event.rescheduled_to_uid else ""
        note = (
            f"Cal.com closed booking {event.uid} because it was rescheduled{moved_to}: not a cancellation of the "
            "appointment (the BOOKING_RESCHEDULED delivery moves it)."
        )
        return _BookingPlan(outcome=DeliveryOutcome.NOT_APPLIED, notes=(note,))
    if row.status is AppointmentStatus.CANCELLED:
        return _BookingPlan(notes=("The appointment is cancelled already.",), closed=True)
    if row.status is not AppointmentStatus.SCHEDULED:
        note = f"The appointment is {row.status.value}; a cancel in Cal.com does not change it."
        return _BookingPlan(outcome=DeliveryOutcome.NOT_APPLIED, notes=(note,), closed=True)
    reason = cancellation_reason(event)
    values = {"status": AppointmentStatus.CANCELLED, "cancellation_reason": reason}
    return _BookingPlan((Change(CANCELLED_ACTION, values, reason, in_step=True),), closed=True)


def _move_plan(event: CalcomEvent, row: Appointment) -> _BookingPlan:
    if event.trigger != BOOKING_RESCHEDULED or row.calcom_booking_uid != event.reschedule_uid:
        return _BookingPlan()
    if row.status is not AppointmentStatus.SCHEDULED:
        note = f"The appointment is {row.status.value}; a reschedule in Cal.com does not reopen it."
        return _BookingPlan(outcome=DeliveryOutcome.NOT_APPLIED, notes=(note,), closed=True)
    assert event.start is not None and event.end is not None
    values = {"starts_at": event.start, "ends_at": event.end, "calcom_booking_uid": event.uid}
    sentence = f"rescheduled in Cal.com to {event.start.isoformat()} (booking {event.reschedule_uid} → {event.uid})"
    return _BookingPlan((Change(RESCHEDULED_ACTION, values, sentence, in_step=True),))


def _host_change(event: CalcomEvent, row: Appointment, organizer: Staff | None) -> Change | None:
    if organizer is None or organizer.id == row.staff_id or _is_current_host(event, row):
        return None
    sentence = f"given to {organizer.name} in Cal.com (Cal.com user {event.organizer_id})"
    return Change(REASSIGNED_ACTION, {"staff_id": organizer.id}, sentence)


def _host_note(event: CalcomEvent, row: Appointment, organizer: Staff | None) -> tuple[str, ...]:
    if event.organizer_id is None or organizer is not None or _is_current_host(event, row):
        return ()
    return (f"Cal.com's organizer (user {event.organizer_id}) is no staff member of this company; staff unchanged.",)


def _is_current_host(event: CalcomEvent, row: Appointment) -> bool:
    return row.staff is not None and row.staff.calcom_user_id == event.organizer_id
