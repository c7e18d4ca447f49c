"""When a failed sync is tried again: technical failures back off, business failures wait for a person."""

from __future__ import annotations

from datetime import datetime, timedelta

from ops_ui.categories import ErrorCategory

BACKOFF_MINUTES = (1, 5, 15, 60, 240)
"""After the last step a technical failure keeps retrying every four hours until someone acts."""


def next_retry_at(
    category: ErrorCategory, attempt_count: int, now: datetime, reset_seconds: int | None = None
) -> datetime | None:
    if category.is_business:
        return None
    if category is ErrorCategory.RATE_LIMITED:
        return now + timedelta(seconds=reset_seconds if reset_seconds is not None else 60)
    step = min(max(attempt_count, 1), len(BACKOFF_MINUTES)) - 1
    return now + timedelta(minutes=BACKOFF_MINUTES[step])
