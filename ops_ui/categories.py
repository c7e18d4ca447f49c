"""Error categories of a failed sync: business ones need a person, technical ones a retry.

Shared by the Cal.com client (which classifies its errors), the local pre-checks and the models that store them.
"""

from __future__ import annotations

import enum


class ErrorCategory(enum.Enum):
    # Answers from Cal.com
    HOST_CONFLICT = "HOST_CONFLICT"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    PAST_START = "PAST_START"
    OUT_OF_BOUNDS = "OUT_OF_BOUNDS"
    NOT_FOUND = "NOT_FOUND"
    AUTH = "AUTH"
    RATE_LIMITED = "RATE_LIMITED"
    TIMEOUT = "TIMEOUT"
    CONNECTION = "CONNECTION"
    SERVER_ERROR = "SERVER_ERROR"
    BAD_RESPONSE = "BAD_RESPONSE"
    UNKNOWN = "UNKNOWN"
    # Local pre-checks, decided before Cal.com is called
    NO_STAFF = "NO_STAFF"
    NO_EVENT_TYPE = "NO_EVENT_TYPE"
    PAST_APPOINTMENT = "PAST_APPOINTMENT"
    MISSING_CONTACT = "MISSING_CONTACT"

    @property
    def is_business(self) -> bool:
        """A person must act: retrying the same input fails the same way."""
        return self in BUSINESS_CATEGORIES

    @property
    def is_technical(self) -> bool:
        return not self.is_business

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


BUSINESS_CATEGORIES = frozenset(
    {
        ErrorCategory.HOST_CONFLICT,
        ErrorCategory.VALIDATION_ERROR,
        ErrorCategory.PAST_START,
        ErrorCategory.OUT_OF_BOUNDS,
        ErrorCategory.NOT_FOUND,
        ErrorCategory.AUTH,
        ErrorCategory.UNKNOWN,
        ErrorCategory.NO_STAFF,
        ErrorCategory.NO_EVENT_TYPE,
        ErrorCategory.PAST_APPOINTMENT,
        ErrorCategory.MISSING_CONTACT,
    }
)
"""AUTH is business: a wrong API key needs an admin, not a retry. UNKNOWN goes to a person too."""
