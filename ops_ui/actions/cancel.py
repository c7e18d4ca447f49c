"""Cancel an appointment, with a reason, in Cal.com first and then locally. Nothing is ever deleted.

The reason is required because cancelled appointments are reviewed later (why did the voice agent book it? did we
lose the customer?); a short fixed list keeps it countable, ``other`` asks for words.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ops_ui.actions.results import ActionResult, invalid_input, store_refusal, unsettled, with_settlement
from ops_ui.audit import audit_event, snapshot
from ops_ui.engine.booking import record_failure
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.writes import WriteOutcome, Writer, mark_in_step
from ops_ui.i18n import Sentence, in_english, say
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncOperation, User

ACTION = "cancel"
REASONS: dict[str, Sentence] = {
    "customer_request": say("Customer asked to cancel"),
    "duplicate": say("Duplicate appointment"),
    "no_longer_possible": say("No longer possible"),
    "staff_unavailable": say("Staff member unavailable"),
    "other": say("Other"),
}
"""Reason codes in the order the form lists them, with their labels: in the reader's language on the form, in
English in what Cal.com is told (the code is what is stored)."""
TEXT_REQUIRED = frozenset({"other"})
TOUCHED = ("status", "cancellation_reason", "sync_status", "calcom_booking_uid", "last_error_category", "next_retry_at")


def reason_problems(reason_code: str | None, reason_text: str | None) -> dict[str, Sentence]:
    """Form errors for a cancellation reason (empty when fine)."""
    if not reason_code:
        return {"reason_code": say("Choose why the appointment is cancelled.")}
    if reason_code not in REASONS:
        return {"reason_code": say("Unknown reason %(code)s.", code=repr(reason_code))}
    if reason_code in TEXT_REQUIRED and not (reason_text or "").strip():
        return {"reason_text": say("Describe the reason in a few words.")}
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
    appointment = load_for_action(appointment_id, expected_version, actor)
    problems = reason_problems(reason_code, reason_text)
    if problems:
        return invalid_input(ACTION, appointment, problems)
    return cancel_loaded(appointment, expected_version, actor, cancellation_reason(reason_code, reason_text), now=now)


def cancel_loaded(
    appointment: Appointment,
    expected_version: int,
    actor: User | None,
    reason: str,
    *,
    now: datetime | None = None,
    finish_later: bool = False,
) -> ActionResult:
    """``cancel`` of an appointment its writer may change (an agent checked by ``load_for_action``, or the caller
    through the phone agent: ``actor`` None), with a checked ``reason``.

    ``finish_later``: the cancellation stands even when Cal.com fails now (the caller has decided and hung up; no
    one is there to try again): the appointment is stored cancelled but not in step, and the sync engine cancels
    the booking with its usual retries.
    """
    now = now or datetime.now(UTC)
    if appointment.status is AppointmentStatus.CANCELLED:
        return ActionResult(False, ACTION, say("The appointment is already cancelled."), appointment)

    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.CANCEL)
    row = writer.appointment
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    uid = row.calcom_booking_uid
    if uid is not None:
        outcome = writer.cancel(uid, _calcom_reason(reason))
        if not outcome.done and finish_later:
            return _cancelled_here_first(writer, actor, reason, outcome, now)
        if not outcome.done:
            before = snapshot(row, *TOUCHED)
            return store_refusal(
                writer, ACTION, actor, outcome, SyncOperation.CANCEL, before=before, note=f"Reason {reason!r}"
            )

    def apply(row: Appointment) -> list[AuditEvent]:
        before = snapshot(row, *TOUCHED)
        row.status = AppointmentStatus.CANCELLED
        row.cancellation_reason = reason
        mark_in_step(row)
        return [audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=reason, at=now)]

    fresh = writer.finish(apply)
    done = (
        say("Appointment cancelled and Cal.com booking %(uid)s cancelled.", uid=uid)
        if uid
        else say("Appointment cancelled (there was no Cal.com booking).")
    )
    message = with_settlement(done, settlement)
    return ActionResult(True, ACTION, message, fresh, booking_uid=uid)


def _cancelled_here_first(
    writer: Writer, actor: User | None, reason: str, outcome: WriteOutcome, now: datetime
) -> ActionResult:
    failure = outcome.failure
    assert failure is not None
    uid = writer.appointment.calcom_booking_uid
    note = f"{reason}. Cal.com did not cancel booking {uid} yet ({failure.message}); the sync engine cancels it."

    def apply(row: Appointment) -> list[AuditEvent]:
        before = snapshot(row, *TOUCHED)
        row.status = AppointmentStatus.CANCELLED
        row.cancellation_reason = reason
        row.attempt_count += 1
        row.last_attempt_at = now
        record_failure(row, failure, now)
        return [audit_event(row, actor, ACTION, before=before, after=snapshot(row, *TOUCHED), note=note, at=now)]

    fresh = writer.finish(apply)
    message = say(
        "Appointment cancelled here; Cal.com booking %(uid)s is not cancelled yet: the sync engine does it.", uid=uid
    )
    return ActionResult(True, ACTION, message, fresh, category=failure.category, booking_uid=uid)


def _calcom_reason(reason: str) -> str:
    code, _, text = reason.partition(": ")
    label = in_english(REASONS[code]) if code in REASONS else code
    return f"{label}: {text}" if text else label
