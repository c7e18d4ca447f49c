"""Why Cal.com did not do what was asked, in the words an appointment stores."""

from __future__ import annotations

from dataclasses import dataclass

from ops_ui.calcom.classify import classify
from ops_ui.calcom.errors import BudgetSpent, CalcomError, CalcomTimeoutError, DeadlineReached, RateLimitedError
from ops_ui.categories import ErrorCategory

ANSWER_MAY_BE_LOST = frozenset(
    {ErrorCategory.TIMEOUT, ErrorCategory.CONNECTION, ErrorCategory.SERVER_ERROR, ErrorCategory.BAD_RESPONSE}
)
"""After these, Cal.com may have done what was asked even though we never saw it say so."""


@dataclass(frozen=True)
class BookingFailure:
    category: ErrorCategory
    message: str
    http_status: int | None = None
    reset_seconds: int | None = None
    detail: str | None = None
    """The raw story (exception text, status, body) for a person who wants it; ``message`` stays readable."""
    waited_seconds: float | None = None
    """How long Cal.com was waited for, when it did not answer."""
    sent: bool = True
    """False when the request never left (the action's time or the rate budget had run out): Cal.com cannot have
    acted on it."""

    @classmethod
    def from_error(cls, error: CalcomError) -> BookingFailure:
        reset = error.reset_seconds if isinstance(error, RateLimitedError) else None
        waited = error.waited_seconds if isinstance(error, CalcomTimeoutError) else None
        detail = str(error) + (f"\n\n{error.body}" if error.body else "")
        sent = not isinstance(error, DeadlineReached | BudgetSpent)
        return cls(classify(error), error.message, error.status, reset, detail, waited, sent)
