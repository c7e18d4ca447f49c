"""Cancel an appointment, with a reason, in Cal.com first and then locally. Nothing is ever deleted.

The reason is required because cancelled appointments are reviewed later (why did the voice agent book it? did we
lose the customer?); a short fixed list keeps it countable, ``other`` asks for words.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ops_ui.actions.results import ActionResult, invalid_input, record_refusal
from ops_ui.calcom.categories import ErrorCategory
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import BadRequestError, CalcomError
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.booking import ANSWER_MAY_BE_LOST, BookingFailure, find_booking_for
from ops_ui.engine.claims import audit_event, commit_outcome, load_for_action, snapshot
from ops_ui.engine.gateway import calcom_client
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncOperation, SyncStatus, User

ACTION = "cancel"
REASONS: dict[str, str] = {
    "customer_request": "Customer asked to cancel",
    "duplicate": "Duplicate appointment",
    "no_longer_possible": "No longer possible",
    "staff_unavailable": "Staff member unavailable",
    "other": "Other",
}
"""Reason codes in the order the form lists them, with their labels."""
TEXT_REQUIRED = frozenset({"other"})
ALREADY_CANCELLED = "because it has been cancelled already"
TOUCHED = ("status", "cancellation_reason", "sync_status", "calcom_booking_uid", "last_error_category", "next_retry_at")


def reason_problems(reason_code: str | None, reason_text: str | None) -> dict[str, str]:
    """Form errors for a cancellation reason (empty when fine)."""
    if not reason_code:
        return {"reason_code": "Choose why the appointment is cancelled."}
    if reason_code not in REASONS:
        return {"reason_code": f"Unknown reason {reason_code!r}."}
    if reason_code in TEXT_REQUIRED and not (reason_text or "").strip():
        return {"reason_text": "Describe the reason in a few words."}
    return {}


def cancellation_reason(reason_code: str, reason_text: str | None) -> str:
    """Stored as ``<code>`` or ``<code>: <text>`` so reports can count codes and people can read the words."""
    text = (reason_text or "").strip()
    return f"{reason_code}: {text}" if text else reason_code


def cancel(
    appointment_id: int,
    expected_version: int,
    actor: User,
    reason_code: str,
    reason_text: str | None = None,
    *,
    now: datetime | None = None,
) -> ActionResult:
    """Cancel the Cal.com booking if there is one (an "already cancelled" answer counts as done), then mark the
    appointment cancelled with its reason. If Cal.com fails, the appointment stays exactly as it was.

    A cancelled appointment agrees with Cal.com whether or not it ever had a booking, so it is marked synced, its
    error fields are cleared and no automatic retry is left scheduled (the engine must never book it later).
    """
    now = now or datetime.now(UTC)
    appointment = load_for_action(appointment_id, expected_version, actor)
    problems = reason_problems(reason_code, reason_text)
    if problems:
        return invalid_input(ACTION, appointment, problems)
    if appointment.status is AppointmentStatus.CANCELLED:
        return ActionResult(False, ACTION, "The appointment is already cancelled.", appointment)
    reason = cancellation_reason(reason_code, reason_text)

    recorder = AttemptRecorder(appointment, SyncOperation.CANCEL)
    client = calcom_client(on_exchange=recorder)
    uid, failure = _booking_to_cancel(appointment, client, recorder)
    if uid is not None and failure is None:
        failure = cancel_calcom_booking(client, recorder, uid, _calcom_reason(reason))
    if failure is not None:
        before = snapshot(appointment, *TOUCHED)
        note = f"Reason {reason!r}: {failure.message}"
        return record_refusal(ACTION, appointment, actor, recorder.attempts, failure, before=before, note=note, at=now)

    def apply(row: Appointment) -> AuditEvent:
        before = snapshot(row, *TOUCHED)
        row.status = AppointmentStatus.CANCELLED
        row.cancellation_reason = reason
        row.calcom_booking_uid = uid
        row.sync_status = SyncStatus.SYNCED
        row.last_error_category = None
        row.last_error_message = None
        row.last_error_status = None
        row.next_retry_at = None
        row.failed_since = None
        return audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=reason, at=now)

    fresh = commit_outcome(appointment, recorder.attempts, apply)
    where = f" and Cal.com booking {uid} cancelled" if uid else " (there was no Cal.com booking)"
    return ActionResult(True, ACTION, f"Appointment cancelled{where}.", fresh, booking_uid=uid)


def _booking_to_cancel(
    appointment: Appointment, client: CalcomClient, recorder: AttemptRecorder
) -> tuple[str | None, BookingFailure | None]:
    """The uid to cancel in Cal.com. Without a recorded uid, a create whose answer was lost may still have booked:
    look for it first, so cancelling here never leaves a live booking behind in Cal.com."""
    if appointment.calcom_booking_uid is not None or appointment.last_error_category not in ANSWER_MAY_BE_LOST:
        return appointment.calcom_booking_uid, None
    booking, failure = find_booking_for(appointment, client, recorder)
    return (booking.uid if booking else None), failure


def cancel_calcom_booking(
    client: CalcomClient, recorder: AttemptRecorder, uid: str, reason: str
) -> BookingFailure | None:
    """Cancel one Cal.com booking; None when it is cancelled now (by us, earlier, or by the call whose answer was lost).

    "Already cancelled" is done — unless Cal.com cancelled it by rescheduling it to a new uid: then a live booking
    exists that we do not know about, and claiming success would hide it.
    """
    recorder.operation = SyncOperation.CANCEL
    try:
        client.cancel_booking(uid, reason)
        return None
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
        already = isinstance(error, BadRequestError) and ALREADY_CANCELLED in error.message
    if not already and failure.category not in ANSWER_MAY_BE_LOST:
        return failure
    recorder.operation = SyncOperation.LOOKUP
    try:
        booking = client.get_booking(uid)
    except CalcomError as error:
        lookup = BookingFailure.from_error(error)
        message = f"{failure.message}\n\nReading booking {uid} to check failed too: {lookup.message}"
        return BookingFailure(failure.category, message, failure.http_status, failure.reset_seconds)
    if booking.rescheduled_to_uid:
        return BookingFailure(
            ErrorCategory.UNKNOWN,
            f"Booking {uid} was rescheduled in Cal.com to booking {booking.rescheduled_to_uid}; that booking is still "
            "live and this appointment does not know it. Nothing was cancelled.",
            failure.http_status,
        )
    if booking.status == "cancelled":
        return None
    return failure


def _calcom_reason(reason: str) -> str:
    code, _, text = reason.partition(": ")
    label = REASONS.get(code, code)
    return f"{label}: {text}" if text else label
