"""When a failed sync is tried again: technical failures back off, business failures wait for a person, and a
technical failure that keeps failing is handed over to a person too."""

from __future__ import annotations

from datetime import datetime, timedelta

from ops_ui.categories import ErrorCategory

BACKOFF_MINUTES = (1, 5, 15, 60, 240)
HANDOVER_AFTER_ATTEMPTS = 5
"""After this many failed attempts (about 1 h 20 min of back-off) the engine stops and a person takes over."""
HANDOVER_WITHIN = timedelta(hours=24)
"""An appointment starting sooner than this is handed over as soon as an automatic retry failed too: there is no
time left to wait for the back-off."""


def next_retry_at(
    category: ErrorCategory, attempt_count: int, now: datetime, reset_seconds: int | None = None
) -> datetime | None:
    if category.is_business:
        return None
    if category is ErrorCategory.RATE_LIMITED:
        return now + timedelta(seconds=reset_seconds if reset_seconds is not None else 60)
    step = min(max(attempt_count, 1), len(BACKOFF_MINUTES)) - 1
    return now + timedelta(minutes=BACKOFF_MINUTES[step])


def handover_reason(category: ErrorCategory, attempt_count: int, starts_at: datetime, now: datetime) -> str | None:
    """Why the engine stops retrying a technical failure and leaves it to a person; None: it keeps retrying."""
    if category.is_business or category is ErrorCategory.RATE_LIMITED:
        return None
    if attempt_count >= HANDOVER_AFTER_ATTEMPTS:
        return f"Failed {attempt_count} times in a row; the automatic retries have stopped."
    if attempt_count >= 2 and starts_at - now < HANDOVER_WITHIN:
        return "Starts in less than 24 hours and the automatic retry failed too; a person should make sure of it."
    return None
