"""What a review-board action hands back to the view: one frozen value, never an exception for Cal.com failures.

Cal.com refusing is an everyday outcome an agent must read, not a crash, so every action answers with an
``ActionResult`` carrying a plain sentence for the agent (a ``Sentence``, worded in the reader's language when shown,
in English when stored), the raw detail for whoever wants it, the error category
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
from ops_ui.i18n import Sentence, say
from ops_ui.models import Appointment, SyncOperation, User, utcnow

_NO_ERRORS: Mapping[str, str] = MappingProxyType({})

Text = str | Sentence
"""What an agent reads: a sentence worded when shown, or text as it came (Cal.com's own words, a stored note)."""

NOTHING_DONE = {
    SyncOperation.CREATE: say("no booking was made"),
    SyncOperation.RESCHEDULE: say("the booking was not moved"),
    SyncOperation.REASSIGN: say("the booking was not reassigned"),
    SyncOperation.CANCEL: say("the booking was not cancelled"),
}
MAY_HAVE_DONE = {
    SyncOperation.CREATE: say("created the booking"),
    SyncOperation.RESCHEDULE: say("moved the booking"),
    SyncOperation.REASSIGN: say("reassigned the booking"),
    SyncOperation.CANCEL: say("cancelled the booking"),
}

NOT_STORED = say(
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
    message: Text
    appointment: Appointment
    category: ErrorCategory | None = None
    http_status: int | None = None
    booking_uid: str | None = None
    warning: Text | None = None
    detail: str | None = None
    field_errors: Mapping[str, Text] = field(default_factory=lambda: _NO_ERRORS)


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
    reason = read_failure_sentence(failure) if failure else say("Cal.com could not be asked.")
    return ActionResult(
        ok=False,
        action=action,
        message=say(
            "An earlier request to Cal.com was never answered, and checking what it did failed too: "
            "%(reason)s Nothing was changed; try again in a moment.",
            reason=reason,
        ),
        appointment=fresh,
        category=failure.category if failure else None,
        detail=f"{settlement.note}\n\n{failure.detail or failure.message}" if failure else settlement.note,
    )


def outcome_sentence(outcome: WriteOutcome, operation: SyncOperation) -> Sentence:
    """The plain sentence for a write that did not happen (or may have)."""
    failure = outcome.failure
    assert failure is not None
    if outcome.verdict is Verdict.UNCERTAIN:
        return say(
            "%(no_answer)s, and checking whether it %(done)s failed too. The appointment is marked uncertain; the "
            "next action checks Cal.com first.",
            no_answer=_no_answer(failure),
            done=MAY_HAVE_DONE[operation],
        )
    if outcome.checked:
        return say(
            "%(no_answer)s; we checked and %(nothing)s — you can try again.",
            no_answer=_no_answer(failure),
            nothing=NOTHING_DONE[operation],
        )
    return failure_sentence(failure)


def failure_sentence(failure: BookingFailure) -> Sentence:
    """A Cal.com failure in plain words: who said no (in Cal.com's own words), or what kind of no-answer it was."""
    if failure.category is ErrorCategory.RATE_LIMITED:
        return say("Cal.com is rate-limiting us; try again in %(seconds)s s.", seconds=failure.reset_seconds or 60)
    if failure.http_status is not None and 400 <= failure.http_status < 500:
        return say("Cal.com refused: %(message)s", message=failure.message)
    return say("%(no_answer)s; nothing was changed.", no_answer=_no_answer(failure))


def read_failure_sentence(failure: BookingFailure) -> Sentence:
    """A failed look-up in plain words (nothing was to be changed by it)."""
    if failure.category is ErrorCategory.RATE_LIMITED or (
        failure.http_status is not None and 400 <= failure.http_status < 500
    ):
        return failure_sentence(failure)
    return say("%(no_answer)s.", no_answer=_no_answer(failure))


def _no_answer(failure: BookingFailure) -> Sentence:
    if not failure.sent:
        return say("The time allowed for this action ran out before Cal.com was asked")
    if failure.category is ErrorCategory.TIMEOUT:
        if failure.waited_seconds:
            return say("Cal.com did not answer within %(seconds)s s", seconds=format(failure.waited_seconds, ".3g"))
        return say("Cal.com did not answer")
    if failure.category is ErrorCategory.CONNECTION:
        return say("Cal.com could not be reached")
    if failure.category is ErrorCategory.SERVER_ERROR:
        return say("Cal.com answered with a server error (HTTP %(status)s)", status=failure.http_status)
    if failure.category is ErrorCategory.BAD_RESPONSE:
        return say("Cal.com's answer could not be read")
    return say(
        "Cal.com did not confirm (%(category)s): %(message)s", category=failure.category.label, message=failure.message
    )


def _detail(outcome: WriteOutcome) -> str | None:
    parts = [failure.detail or failure.message for failure in (outcome.failure, outcome.lookup_failure) if failure]
    return "\n\n".join(parts) or None


def invalid_input(action: str, appointment: Appointment, field_errors: Mapping[str, Text]) -> ActionResult:
    """Input refused before anything was sent or saved."""
    return ActionResult(
        ok=False,
        action=action,
        message=" ".join(str(problem) for problem in field_errors.values()),
        appointment=appointment,
        field_errors=MappingProxyType(dict(field_errors)),
    )


def one_after_another(first: Text, then: Text) -> Sentence:
    """Two sentences in one toast, each worded when shown."""
    return say("%(first)s %(then)s", first=first, then=then)


def with_settlement(message: Text, settlement: Settlement | None) -> Text:
    """Prefix what settling an earlier unanswered request found, so the agent knows it happened."""
    return say("%(settled)s %(message)s", settled=settlement.note, message=message) if settlement else message
