"""Whether a host is free at a given start, judged from Cal.com's own slots.

Cal.com accepts a booking at any start where the host works and has nothing else, but its slots list only starts on
a grid (the event length or slot interval, counted from the opening of each working period). A start off that grid
is still free when the free grid slots around it, taken together, cover the whole appointment: every minute of it
then lies in a slot Cal.com itself calls free. That is a sound "free"; anything else is shown busy, and the action
refuses a busy host before asking Cal.com, so what the panel shows is what then happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ops_ui.actions.results import read_failure_sentence
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError
from ops_ui.engine.failures import BookingFailure

NOT_OFFERED = "Cal.com does not offer this time."


@dataclass(frozen=True)
class Availability:
    free: bool
    note: str | None = None
    """Why not free, in plain words."""
    failure: BookingFailure | None = None
    """Set when Cal.com could not be asked: then nobody knows, which is not the same as busy."""


def covered(start: datetime, end: datetime, free_starts: Iterable[datetime], length: timedelta) -> bool:
    """True when ``[start, end)`` lies inside one run of free slots (each ``[s, s + length)``) that touch or overlap."""
    run_start: datetime | None = None
    run_end: datetime | None = None
    for slot in sorted(free_starts):
        if run_end is None or slot > run_end:
            run_start, run_end = slot, slot + length
        else:
            run_end = max(run_end, slot + length)
        if run_start is not None and run_start <= start and end <= run_end:
            return True
    return False


def free_at(client: CalcomClient, event_type_id: int, start: datetime, end: datetime, time_zone: str) -> Availability:
    """Whether ``event_type_id``'s host can take ``[start, end)``, by Cal.com's slots of that day."""
    day = start.astimezone(ZoneInfo(time_zone)).date()
    try:
        slots = client.get_slots(event_type_id, day, day + timedelta(days=1), time_zone)
    except CalcomError as error:
        failure = BookingFailure.from_error(error)
        return Availability(False, f"Could not ask Cal.com: {read_failure_sentence(failure)}", failure)
    starts = [slot.start for slot in slots]
    if start in starts or covered(start, end, starts, end - start):
        return Availability(True)
    return Availability(False, NOT_OFFERED)
