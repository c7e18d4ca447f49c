"""What a review-board action hands back to the view: one frozen value, never an exception for Cal.com failures.

Cal.com refusing is an everyday outcome an agent must read, not a crash, so every action answers with an
``ActionResult`` carrying a sentence for the agent, the error category (for the badge and the retry advice) and the
appointment as it now is (so the view re-renders the row from fresh state, including its new ``version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ops_ui.calcom.categories import ErrorCategory
from ops_ui.engine.booking import BookingFailure
from ops_ui.engine.claims import audit_event
from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncAttempt, User

_NO_ERRORS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class ActionResult:
    """Outcome of one action.

    ``ok`` is True when the change was applied locally (and in Cal.com where one was needed). ``message`` is a plain
    sentence for the agent's toast. ``field_errors`` (form field → problem) is set when the input was refused before
    anything was sent; the view re-renders the form with status 422. ``warning`` is set on a success that still
    needs a person (e.g. an old Cal.com booking that could not be cancelled).
    """

    ok: bool
    action: str
    message: str
    appointment: Appointment
    category: ErrorCategory | None = None
    http_status: int | None = None
    booking_uid: str | None = None
    warning: str | None = None
    field_errors: Mapping[str, str] = field(default_factory=lambda: _NO_ERRORS)


def record_refusal(
    action: str,
    appointment: Appointment,
    actor: User,
    attempts: Iterable[SyncAttempt],
    failure: BookingFailure,
    *,
    before: dict[str, Any],
    note: str,
    at: datetime,
    after: dict[str, Any] | None = None,
) -> ActionResult:
    """Store what Cal.com said and that the action failed, and say so; the appointment stays exactly as it was."""
    db.session.add_all(list(attempts))
    db.session.add(audit_event(appointment, actor, f"{action}_failed", before=before, after=after, note=note, at=at))
    db.session.commit()
    return refused_by_calcom(action, appointment, failure)


def refused_by_calcom(action: str, appointment: Appointment, failure: BookingFailure) -> ActionResult:
    """The result for a Cal.com failure: its full message, prefixed so the agent knows who said no."""
    return ActionResult(
        ok=False,
        action=action,
        message=calcom_sentence(failure),
        appointment=appointment,
        category=failure.category,
        http_status=failure.http_status,
    )


def calcom_sentence(failure: BookingFailure) -> str:
    """ "Cal.com refused: …" for an answer, a different wording when no usable answer came back."""
    if failure.http_status is not None and 400 <= failure.http_status < 500:
        return f"Cal.com refused: {failure.message}"
    return f"Cal.com did not confirm ({failure.category.label.lower()}): {failure.message}"


def invalid_input(action: str, appointment: Appointment, field_errors: Mapping[str, str]) -> ActionResult:
    """Input refused before anything was sent or saved."""
    return ActionResult(
        ok=False,
        action=action,
        message=" ".join(field_errors.values()),
        appointment=appointment,
        field_errors=MappingProxyType(dict(field_errors)),
    )
