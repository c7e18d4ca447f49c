"""Whether a host is free at a given start, and when the hosts of a service are next free, from Cal.com's slots.

Cal.com accepts a booking at any start where the host works and has nothing else, but its slots list only starts on
a grid (the event length or slot interval, counted from the opening of each working period). A start off that grid
is still free when the free grid slots around it, taken together, cover the whole appointment: every minute of it
then lies in a slot Cal.com itself calls free. That is a sound "free"; anything else is shown busy, and the action
refuses a busy host before asking Cal.com, so what the panel shows is what then happens.

The next free times are searched a week at a time (one slots request per event type and week) and only as far as
needed, up to ``SEARCH_WEEKS``: a salon booked out for ten days still shows times, and a free week costs one request
per event type.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ops_ui.actions.results import Text, read_failure_sentence
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import CalcomError
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.deadline import scope_deadline
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.gateway import calcom_client
from ops_ui.extensions import db
from ops_ui.i18n import Sentence, say
from ops_ui.models import Appointment, EventTypeMapping, Staff, SyncOperation

NOT_OFFERED = say("Cal.com does not offer this time.")


@dataclass(frozen=True)
class Availability:
    free: bool
    note: Text | None = None
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
        return Availability(
            False, say("Could not ask Cal.com: %(reason)s", reason=read_failure_sentence(failure)), failure
        )
    starts = [slot.start for slot in slots]
    if start in starts or covered(start, end, starts, end - start):
        return Availability(True)
    return Availability(False, NOT_OFFERED)


# --- the next free times, week by week ---------------------------------------------------------------------------

SEARCH_WEEKS = 8
"""How far ahead the search for free times looks, at most."""
SEARCH_SECONDS = 6.0
"""The share of the request's deadline the search may spend: the action and the panel after it need the rest."""


@dataclass(frozen=True)
class Offer:
    """A free start (in the company's time zone) with the staff member whose event type Cal.com has it free for."""

    staff: Staff
    start: datetime
    own: bool
    """The appointment's own staff member: taking it is a plain reschedule."""


@dataclass(frozen=True)
class Search:
    """Free starts found per event type, how far the search got, and why it stopped early (None: it did not)."""

    found: dict[int, list[datetime]]
    searched_until: date
    stopped: Sentence | None = None


def offering_staff(appointment: Appointment) -> list[tuple[Staff, EventTypeMapping]]:
    """Every active staff member of the company with an event type for the appointment's service, own one included."""
    rows = db.session.execute(
        select(Staff, EventTypeMapping)
        .join(EventTypeMapping, EventTypeMapping.staff_id == Staff.id)
        .where(
            EventTypeMapping.service_id == appointment.service_id,
            Staff.company_id == appointment.company_id,
            Staff.active.is_(True),
        )
        .order_by(Staff.name, Staff.id)
    )
    return [(staff, mapping) for staff, mapping in rows]


def search_client(appointment: Appointment) -> CalcomClient:
    """A client for a search: its slots requests are stored as LOOKUP attempts, and it stops at ``SEARCH_SECONDS``
    or the request's deadline, whichever comes first (the rate budget waits no longer than that either)."""
    own_deadline = time.monotonic() + SEARCH_SECONDS
    request_deadline = scope_deadline()
    deadline = own_deadline if request_deadline is None else min(own_deadline, request_deadline)
    return calcom_client(on_exchange=AttemptRecorder(appointment, SyncOperation.LOOKUP), deadline=deadline)


def search_free_starts(
    client: CalcomClient,
    event_type_ids: Iterable[int],
    first_day: date,
    time_zone: str,
    still_wanted: Callable[[dict[int, list[datetime]]], set[int]],
    *,
    now: datetime,
    weeks: int = SEARCH_WEEKS,
    reschedule_uids: Mapping[int, str] | None = None,
    known: Mapping[int, Sequence[datetime]] | None = None,
) -> Search:
    """Cal.com's free starts after ``now``, one week at a time from ``first_day``, for the event types
    ``still_wanted`` names (asked again after every week), for at most ``weeks`` weeks.

    One slots request per event type and week. ``known``: first-week starts already asked for (not asked again).
    ``reschedule_uids``: the booking whose own slot counts as free, per event type. The first request Cal.com does
    not answer (or the deadline, or the rate budget) ends the search with what was found so far.
    """
    zone = ZoneInfo(time_zone)
    found: dict[int, list[datetime]] = {event_type_id: [] for event_type_id in event_type_ids}
    last_day = first_day - timedelta(days=1)
    for week in range(weeks):
        wanted = still_wanted(found)
        if not wanted:
            break
        start = first_day + timedelta(days=7 * week)
        end = start + timedelta(days=6)
        for event_type_id in sorted(wanted):
            if week == 0 and known is not None and event_type_id in known:
                starts = list(known[event_type_id])
            else:
                try:
                    slots = client.get_slots(
                        event_type_id,
                        start,
                        end,
                        time_zone,
                        booking_uid_to_reschedule=(reschedule_uids or {}).get(event_type_id),
                    )
                except CalcomError as error:
                    sentence = read_failure_sentence(BookingFailure.from_error(error))
                    return Search(found, last_day, sentence)
                starts = [slot.start for slot in slots]
            found[event_type_id].extend(sorted(s.astimezone(zone) for s in starts if s > now))
        last_day = end
    return Search(found, last_day)


def first_starts(count: int) -> Callable[[dict[int, list[datetime]]], set[int]]:
    """Search every event type until ``count`` starts are found among them all (later weeks hold later starts)."""

    def still_wanted(found: dict[int, list[datetime]]) -> set[int]:
        return set() if sum(map(len, found.values())) >= count else set(found)

    return still_wanted


def first_start_each(found: dict[int, list[datetime]]) -> set[int]:
    """Search each event type until it has one start."""
    return {event_type_id for event_type_id, starts in found.items() if not starts}
