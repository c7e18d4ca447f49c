"""Retry a failed sync by hand, and tell the agent when a retry is pointless.

A retry is exactly the sync engine's own step (``sync_appointment``: pre-checks, lookup-before-declare after a lost
answer), run on behalf of an agent. Unlike the other actions, a failed retry does update the appointment's error
fields (category, message, attempt count, next retry): recording the newest answer is the point of retrying.
Times, staff, booking uid and status are never touched by it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import exists, select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncStatus, User
from ops_ui.sync.locking import load_for_action
from ops_ui.sync.prechecks import LOCAL_CATEGORIES
from ops_ui.sync.results import ActionResult, calcom_sentence
from ops_ui.sync.service import BookingFailure, sync_appointment

ACTION = "retry"
APPOINTMENT_CHANGES = frozenset({"reschedule", "reassign", "contact_update"})
"""Successful actions that change what a sync sends (time, host/event type, attendee contact)."""
CUSTOMER_CHANGES = frozenset({"contact_update"})
"""Of those, the ones about the customer: an edit made from another of the customer's appointments counts too."""


def retry_sync(appointment_id: int, expected_version: int, actor: User, *, now: datetime | None = None) -> ActionResult:
    """Try the Cal.com booking again now, for an agent; Cal.com failures come back as a result, never raised."""
    appointment = load_for_action(appointment_id, expected_version, actor)
    if appointment.status is AppointmentStatus.CANCELLED:
        return ActionResult(False, ACTION, "The appointment is cancelled; there is nothing to sync.", appointment)
    if appointment.sync_status is SyncStatus.SYNCED and appointment.calcom_booking_uid:
        return ActionResult(
            True,
            ACTION,
            f"Already synced (Cal.com booking {appointment.calcom_booking_uid}).",
            appointment,
            booking_uid=appointment.calcom_booking_uid,
        )

    outcome = sync_appointment(appointment, actor=actor, now=now or datetime.now(UTC))
    fresh = db.session.get(Appointment, appointment_id, populate_existing=True)
    if outcome.synced:
        return ActionResult(
            True, ACTION, f"Synced: Cal.com booking {outcome.booking_uid}.", fresh, booking_uid=outcome.booking_uid
        )
    if outcome.category is None:  # overtaken by a concurrent cancel
        return ActionResult(False, ACTION, outcome.message or "Not synced.", fresh)
    if outcome.category in LOCAL_CATEGORIES:
        message = f"Not sent to Cal.com: {outcome.message}"
    else:
        message = calcom_sentence(BookingFailure(outcome.category, outcome.message or "", outcome.http_status))
    return ActionResult(False, ACTION, message, fresh, category=outcome.category, http_status=outcome.http_status)


def retry_would_repeat_failure(appointment: Appointment) -> bool:
    """True when retrying would send Cal.com the same request that it refused for a business reason.

    The UI warns and lets the agent force it: a host may have freed the slot in Cal.com meanwhile, which we cannot
    see. Technical failures (timeouts, 5xx, rate limits) are always worth retrying, so they never warn.
    """
    category = appointment.last_error_category
    if category is None or not category.is_business or appointment.last_attempt_at is None:
        return False
    since = AuditEvent.at > appointment.last_attempt_at
    own_change = exists().where(
        AuditEvent.appointment_id == appointment.id, AuditEvent.action.in_(APPOINTMENT_CHANGES), since
    )
    customer_change = exists().where(
        AuditEvent.appointment_id == Appointment.id,
        Appointment.customer_id == appointment.customer_id,
        AuditEvent.action.in_(CUSTOMER_CHANGES),
        since,
    )
    changed = db.session.scalar(select(own_change | customer_change))
    return not changed
