"""The simulator's notion of "now", shiftable so tests can replay history without waiting."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock UTC plus an adjustable offset; past-start checks, slots and ``createdAt`` all read it."""

    def __init__(self, source: Callable[[], datetime] | None = None) -> None:
        self._source = source or (lambda: datetime.now(UTC))
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def reset(self) -> None:
        self.set_offset(0.0)

    def now(self) -> datetime:
        return self._source() + timedelta(seconds=self.offset_seconds)
