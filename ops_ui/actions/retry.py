"""Retry a failed sync by hand, and tell the agent when a retry is pointless.

A retry is exactly the sync engine's own step (``sync_appointment``: pre-checks, lookup-before-declare after a lost
answer), run on behalf of an agent. Unlike the other actions, a failed retry does update the appointment's error
fields (category, message, attempt count, next retry): recording the newest answer is the point of retrying.
Times, staff, booking uid and status are never touched by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.orm import aliased

from ops_ui.actions.results import ActionResult, failure_sentence, outcome_sentence
from ops_ui.engine.booking import book_claimed
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.prechecks import LOCAL_CATEGORIES
from ops_ui.extensions import db
from ops_ui.i18n import say
from ops_ui.models import Appointment, AuditEvent, SyncOperation, SyncStatus, User
from ops_ui.queue_rules import CLOSED_STATUSES
from ops_ui.status_labels import status_word

OTHER = aliased(Appointment)
"""Another appointment, for self-joins: made once, as a new alias per call costs its columns and events anew."""

ACTION = "retry"
APPOINTMENT_CHANGES = frozenset({"reschedule", "reassign", "contact_update"})
"""Successful actions that change what a sync sends (time, host/event type, attendee contact)."""
CUSTOMER_CHANGES = frozenset({"contact_update"})
"""Of those, the ones about the customer: an edit made from another of the customer's appointments counts too."""


def retry_sync(appointment_id: int, expected_version: int, actor: User, *, now: datetime | None = None) -> ActionResult:
    """Try the Cal.com booking again now, for an agent; Cal.com failures come back as a result, never raised."""
    appointment = load_for_action(appointment_id, expected_version, actor)
    if appointment.status in CLOSED_STATUSES:
        return ActionResult(
            False,
            ACTION,
            say("The appointment is %(status)s; there is nothing to sync.", status=status_word(appointment.status)),
            appointment,
        )
    if appointment.sync_status is SyncStatus.SYNCED and appointment.calcom_booking_uid:
        return ActionResult(
            True,
            ACTION,
            say("Already synced (Cal.com booking %(uid)s).", uid=appointment.calcom_booking_uid),
            appointment,
            booking_uid=appointment.calcom_booking_uid,
        )

    held = claim(appointment, expected_version, actor)
    outcome = book_claimed(held, now=now or datetime.now(UTC))
    fresh = held.appointment  # as the stored outcome left it, read again on first use
    if outcome.synced:
        return ActionResult(
            True,
            ACTION,
            say("Synced: Cal.com booking %(uid)s.", uid=outcome.booking_uid),
            fresh,
            booking_uid=outcome.booking_uid,
        )
    failure = outcome.failure
    if failure is None:
        return ActionResult(False, ACTION, outcome.message or say("Not synced."), fresh)
    if failure.category in LOCAL_CATEGORIES:
        message = say("Not sent to Cal.com: %(reason)s", reason=failure.message)
    elif outcome.outcome is not None:
        message = outcome_sentence(outcome.outcome, SyncOperation.CREATE)
    else:
        message = failure_sentence(failure)
    return ActionResult(
        False,
        ACTION,
        message,
        fresh,
        category=failure.category,
        http_status=failure.http_status,
        detail=failure.detail,
    )


def retry_would_repeat_failure(appointment: Appointment) -> bool:
    """True when retrying would send Cal.com the same request that it refused for a business reason.

    The UI warns and lets the agent go ahead: a host may have freed the slot in Cal.com meanwhile, which we cannot
    see. Technical failures (timeouts, 5xx, rate limits) are always worth retrying, so they never warn.
    """
    return appointment.id in repeat_failure_ids([appointment])


def repeat_failure_ids(appointments: Sequence[Appointment]) -> set[int]:
    """Ids of the appointments whose retry would send Cal.com what it refused for a business reason.

    ``retry_would_repeat_failure`` for a whole page in one statement (the board must not ask once per row): a business
    failure with no change to the appointment, or to its customer's contact, since the last attempt.
    """
    candidates = [
        appointment
        for appointment in appointments
        if appointment.last_error_category is not None
        and appointment.last_error_category.is_business
        and appointment.last_attempt_at is not None
    ]
    if not candidates:
        return set()
    changed = set(db.session.scalars(CHANGED_SINCE_LAST_ATTEMPT, {"ids": [row.id for row in candidates]}))
    return {appointment.id for appointment in candidates} - changed


def _changed_since_last_attempt() -> Select[tuple[int]]:
    """Of the given appointments, those changed since their last attempt: by an action on them or on their customer."""
    other = OTHER
    since = AuditEvent.at > Appointment.last_attempt_at
    own_change = exists().where(
        AuditEvent.appointment_id == Appointment.id, AuditEvent.action.in_(APPOINTMENT_CHANGES), since
    )
    customer_change = exists().where(
        AuditEvent.appointment_id == other.id,
        other.customer_id == Appointment.customer_id,
        AuditEvent.action.in_(CUSTOMER_CHANGES),
        since,
    )
    return select(Appointment.id).where(
        Appointment.id.in_(bindparam("ids", expanding=True)), own_change | customer_change
    )


CHANGED_SINCE_LAST_ATTEMPT = _changed_since_last_attempt()
"""Built once and given each page's ids: putting it together at every call cost more than running it."""
