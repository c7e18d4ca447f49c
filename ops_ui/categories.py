"""Error categories of a failed sync: business ones need a person, technical ones a retry.

Shared by the Cal.com client (which classifies its errors), the local pre-checks and the models that store them.
Their labels are for people and speak the page's language; the module imports nothing of Flask itself (the client is
usable from a shell), so Flask-Babel is asked only when a label is read.
"""

from __future__ import annotations

import enum


def _n(text: str) -> str:
    """Marks a label for the catalogue (``pybabel extract -k _n``); it is translated when read."""
    return text


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
        """The category in the reader's language (English outside a request); never a key or a stored value."""
        from ops_ui.i18n import lazy_gettext

        return lazy_gettext(LABELS[self])


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

LABELS: dict[ErrorCategory, str] = {
    ErrorCategory.HOST_CONFLICT: _n("Host conflict"),
    ErrorCategory.VALIDATION_ERROR: _n("Validation error"),
    ErrorCategory.PAST_START: _n("Past start"),
    ErrorCategory.OUT_OF_BOUNDS: _n("Out of bounds"),
    ErrorCategory.NOT_FOUND: _n("Not found"),
    ErrorCategory.AUTH: _n("Auth"),
    ErrorCategory.RATE_LIMITED: _n("Rate limited"),
    ErrorCategory.TIMEOUT: _n("Timeout"),
    ErrorCategory.CONNECTION: _n("Connection"),
    ErrorCategory.SERVER_ERROR: _n("Server error"),
    ErrorCategory.BAD_RESPONSE: _n("Bad response"),
    ErrorCategory.UNKNOWN: _n("Unknown"),
    ErrorCategory.NO_STAFF: _n("No staff"),
    ErrorCategory.NO_EVENT_TYPE: _n("No event type"),
    ErrorCategory.PAST_APPOINTMENT: _n("Past appointment"),
    ErrorCategory.MISSING_CONTACT: _n("Missing contact"),
}
"""English labels, the catalogue's keys."""
