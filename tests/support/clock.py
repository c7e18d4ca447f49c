"""A clock the session and throttle rules read, moved by the test instead of waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops_ui.auth import clock


class MovableClock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def install_clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    movable = MovableClock()
    monkeypatch.setattr(clock, "now", movable.now)
    return movable
