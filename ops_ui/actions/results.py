"""What a review-board action hands back to the view: one frozen value, never an exception for Cal.com failures.

Cal.com refusing is an everyday outcome an agent must read, not a crash, so every action answers with an
``ActionResult`` carrying a plain sentence for the agent, the raw detail for whoever wants it, the error category
(for the badge and the retry advice) and the appointment as it now is (so the view re-renders the row from fresh
state, including its new ``version``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ops_ui.audit import audit_event
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import record_failure
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.writes import Settlement, Verdict, WriteOutcome, Writer
from ops_ui.models import Appointment, SyncOperation, User, utcnow

_NO_ERRORS: Mapping[str, str] = MappingProxyType({})

NOTHING_DONE = {
    SyncOperation.CREATE: "no booking was made",
    SyncOperation.RESCHEDULE: "the booking was not moved",
    SyncOperation.REASSIGN: "the booking was not reassigned",
    SyncOperation.CANCEL: "the booking was not cancelled",
}
MAY_HAVE_DONE = {
    SyncOperation.CREATE: "created the booking",
    SyncOperation.RESCHEDULE: "moved the booking",
    SyncOperation.REASSIGN: "reassigned the booking",
    SyncOperation.CANCEL: "cancelled the booking",
}

NOT_STORED = (
    "Cal.com may have done it, but saving the result here failed. The appointment is marked uncertain; the next "
    "action checks Cal.com first and repairs it."
)
"""What the agent reads when Cal.com was asked but storing its outcome here failed."""


@dataclass(frozen=True)
class ActionResult:
    """Outcome of one action.

    ``ok`` is True when the change was applied locally (and in Cal.com where one was needed). ``message`` is a plain
    sentence for the agent's toast; ``detail`` the raw story behind it (exception text, status, body), shown folded.
    ``field_errors`` (form field → problem) is set when the input was refused before anything was sent; the view
    re-renders the form with status 422. ``warning`` is set on a success that still needs a person.
    """

    ok: bool
    action: str
    message: str
    appointment: Appointment
    category: ErrorCategory | None = None
    http_status: int | None = None
    booking_uid: str | None = None
    warning: str | None = None
    detail: str | None = None
    field_errors: Mapping[str, str] = field(default_factory=lambda: _NO_ERRORS)


def store_refusal(
    writer: Writer,
    action: str,
    actor: User | None,
    outcome: WriteOutcome,
    operation: SyncOperation,
    *,
    before: dict[str, Any],
    note: str,
    after: dict[str, Any] | None = None,
) -> ActionResult:
    """Store that the action failed and say so; the appointment keeps its state (an unknown outcome stays marked)."""
    failure = outcome.failure
    assert failure is not None
    detail_note = f"{note}: {failure.message}"
    if outcome.lookup_failure:
        detail_note += f"\nLooking it up failed too: {outcome.lookup_failure.message}"

    def apply(row: Appointment) -> list[Any]:
        if outcome.verdict is Verdict.UNCERTAIN:
            # Cal.com may now disagree with what is shown here: flag it, so the board and the engine check it.
            record_failure(row, replace(failure, message=detail_note), utcnow())
        return [audit_event(row, actor, f"{action}_failed", before=before, after=after, note=detail_note, at=utcnow())]

    fresh = writer.finish(apply)
    return ActionResult(
        ok=False,
        action=action,
        message=outcome_sentence(outcome, operation),
        appointment=fresh,
        category=failure.category,
        http_status=failure.http_status,
        detail=_detail(outcome),
    )


def unsettled(writer: Writer, action: str, settlement: Settlement) -> ActionResult:
    """An earlier unanswered write could not be checked: nothing else is sent until it can."""
    fresh = writer.finish(lambda row: [])
    failure = settlement.failure
    reason = read_failure_sentence(failure) if failure else "Cal.com could not be asked."
    return ActionResult(
        ok=False,
        action=action,
        message=(
            "An earlier request to Cal.com was never answered, and checking what it did failed too: "
            f"{reason} Nothing was changed; try again in a moment."
        ),
        appointment=fresh,
        category=failure.category if failure else None,
        detail=f"{settlement.note}\n\n{failure.detail or failure.message}" if failure else settlement.note,
    )


def outcome_sentence(outcome: WriteOutcome, operation: SyncOperation) -> str:
    """The plain sentence for a write that did not happen (or may have)."""
    failure = outcome.failure
    assert failure is not None
    if outcome.verdict is Verdict.UNCERTAIN:
        return (
            f"{_no_answer(failure)}, and checking whether it {MAY_HAVE_DONE[operation]} failed too. The appointment "
            "is marked uncertain; the next action checks Cal.com first."
        )
    if outcome.checked:
        return f"{_no_answer(failure)}; we checked and {NOTHING_DONE[operation]} — you can try again."
    return failure_sentence(failure)


def failure_sentence(failure: BookingFailure) -> str:
    """A Cal.com failure in plain words: who said no, or what kind of no-answer it was."""
    if failure.category is ErrorCategory.RATE_LIMITED:
        return f"Cal.com is rate-limiting us; try again in {failure.reset_seconds or 60} s."
    if failure.http_status is not None and 400 <= failure.http_status < 500:
        return f"Cal.com refused: {failure.message}"
    return f"{_no_answer(failure)}; nothing was changed."


def read_failure_sentence(failure: BookingFailure) -> str:
    """A failed look-up in plain words (nothing was to be changed by it)."""
    if failure.category is ErrorCategory.RATE_LIMITED or (
        failure.http_status is not None and 400 <= failure.http_status < 500
    ):
        return failure_sentence(failure)
    return f"{_no_answer(failure)}."


def _no_answer(failure: BookingFailure) -> str:
    if not failure.sent:
        return "The time allowed for this action ran out before Cal.com was asked"
    if failure.category is ErrorCategory.TIMEOUT:
        waited = f" within {failure.waited_seconds:.3g} s" if failure.waited_seconds else ""
        return f"Cal.com did not answer{waited}"
    if failure.category is ErrorCategory.CONNECTION:
        return "Cal.com could not be reached"
    if failure.category is ErrorCategory.SERVER_ERROR:
        return f"Cal.com answered with a server error (HTTP {failure.http_status})"
    if failure.category is ErrorCategory.BAD_RESPONSE:
        return "Cal.com's answer could not be read"
    return f"Cal.com did not confirm ({failure.category.label.lower()}): {failure.message}"


def _detail(outcome: WriteOutcome) -> str | None:
    parts = [failure.detail or failure.message for failure in (outcome.failure, outcome.lookup_failure) if failure]
    return "\n\n".join(parts) or None


def invalid_input(action: str, appointment: Appointment, field_errors: Mapping[str, str]) -> ActionResult:
    """Input refused before anything was sent or saved."""
    return ActionResult(
        ok=False,
        action=action,
        message=" ".join(field_errors.values()),
        appointment=appointment,
        field_errors=MappingProxyType(dict(field_errors)),
    )


def with_settlement(message: str, settlement: Settlement | None) -> str:
    """Prefix what settling an earlier unanswered request found, so the agent knows it happened."""
    return f"{settlement.note} {message}" if settlement else message
