"""The clock the session and throttle rules read; tests replace ``now`` to move time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
