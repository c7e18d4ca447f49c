"""Business category of a Cal.com failure: decides whether a person must act or a retry will do."""

from __future__ import annotations

from ops_ui.calcom.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    CalcomConnectionError,
    CalcomError,
    CalcomTimeoutError,
    DeadlineReached,
    HostConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from ops_ui.categories import ErrorCategory

PAST_START_MESSAGE = "Attempting to book a meeting in the past."
OUT_OF_BOUNDS_PREFIX = """The event type can't be booked at the "start" time provided."""
BOOKER_LIMIT_PREFIX = "Attendee with this email can't book because the maximum number of active bookings"

_BY_CLASS: tuple[tuple[type[CalcomError], ErrorCategory], ...] = (
    (HostConflictError, ErrorCategory.HOST_CONFLICT),
    (ValidationError, ErrorCategory.VALIDATION_ERROR),
    (NotFoundError, ErrorCategory.NOT_FOUND),
    (AuthError, ErrorCategory.AUTH),
    (RateLimitedError, ErrorCategory.RATE_LIMITED),
    (CalcomTimeoutError, ErrorCategory.TIMEOUT),
    (DeadlineReached, ErrorCategory.TIMEOUT),
    (CalcomConnectionError, ErrorCategory.CONNECTION),
    (ServerError, ErrorCategory.SERVER_ERROR),
    (BadResponseError, ErrorCategory.BAD_RESPONSE),
)


def classify(error: CalcomError) -> ErrorCategory:
    """Category of ``error``; pure, no I/O.

    The error class decides, except for general 400 business rules, which Cal.com tells apart only by message:
    a start in the past is PAST_START; the booking window / minimum notice refusal is OUT_OF_BOUNDS, and so is the
    booker active-bookings limit (also an event-type limit that refuses this booking as asked: a person must pick
    another time, cancel the attendee's other booking or change the limit — retrying fails the same way). Anything
    else (cannot reschedule a cancelled booking, not a round-robin host, 409/422…) is UNKNOWN, which goes to a
    person with Cal.com's message.
    """
    for cls, category in _BY_CLASS:
        if isinstance(error, cls):
            return category
    if isinstance(error, BadRequestError):
        message = error.message.strip()
        if message.startswith(PAST_START_MESSAGE):
            return ErrorCategory.PAST_START
        if message.startswith(OUT_OF_BOUNDS_PREFIX) or message.startswith(BOOKER_LIMIT_PREFIX):
            return ErrorCategory.OUT_OF_BOUNDS
    return ErrorCategory.UNKNOWN
