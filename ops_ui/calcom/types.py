"""Small frozen values returned by the Cal.com client, and the parsers that build them from API payloads.

Parsers raise ``KeyError``/``TypeError``/``ValueError`` on a payload of the wrong shape; the client turns those into
``BadResponseError`` with the raw body attached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ops_ui.calcom.errors import CalcomError


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt, as the audit log stores it. Never holds the API key (no request headers at all)."""

    method: str
    path: str
    """Path and query string as sent, without scheme and host."""
    request_body: str | None
    """The JSON text sent, or None for a request without a body."""
    status: int | None
    response_body: str | None
    """The whole response text; None when no response arrived."""
    latency_ms: int
    request_id: str | None
    error: CalcomError | None


@dataclass(frozen=True)
class Profile:
    id: int
    username: str
    email: str
    name: str | None
    time_zone: str


@dataclass(frozen=True)
class EventType:
    id: int
    slug: str
    title: str
    length_in_minutes: int
    owner_id: int | None
    scheduling_type: str | None
    """``roundRobin``, ``collective`` or ``managed`` for team event types; None for individual ones."""
    host_ids: tuple[int, ...]
    """User ids who can host: ``hosts[].userId`` for team types, else ``users[].id``, else the owner."""

    @property
    def is_round_robin(self) -> bool:
        return self.scheduling_type == "roundRobin"


@dataclass(frozen=True)
class Slot:
    start: datetime
    """Aware, with the offset of the requested time zone."""


@dataclass(frozen=True)
class Attendee:
    """The person a booking is made for. At least one of ``email`` and ``phone_number`` (international format)."""

    name: str
    time_zone: str
    email: str | None = None
    phone_number: str | None = None
    language: str = "en"

    def to_api(self) -> dict[str, str]:
        body = {
            "name": self.name,
            "timeZone": self.time_zone,
            "email": self.email,
            "phoneNumber": self.phone_number,
            "language": self.language,
        }
        return {key: value for key, value in body.items() if value is not None}


@dataclass(frozen=True)
class BookingAttendee:
    name: str
    email: str | None
    time_zone: str | None
    phone_number: str | None


@dataclass(frozen=True)
class Booking:
    id: int
    uid: str
    status: str
    start: datetime
    end: datetime
    duration: int | None
    event_type_id: int | None
    host_ids: tuple[int, ...]
    attendees: tuple[BookingAttendee, ...]
    metadata: dict[str, str]
    rescheduled_from_uid: str | None
    rescheduled_to_uid: str | None
    cancellation_reason: str | None
    """None when not cancelled (Cal.com sends ``""`` then)."""
    raw: dict[str, Any] = field(repr=False, compare=False)
    """The booking object exactly as received."""


@dataclass(frozen=True)
class BookingPage:
    bookings: tuple[Booking, ...]
    total_items: int
    has_next_page: bool


@dataclass(frozen=True)
class Reassignment:
    """Result of a reassign: the same booking uid, now owned by ``user_id``."""

    booking_uid: str
    user_id: int
    name: str | None
    email: str | None


# --- parsers ---------------------------------------------------------------------------------------------------


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} is {type(value).__name__}, expected an object")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise TypeError(f"{what} is {value!r}, expected an integer")
    return int(value)


def _opt_int(value: Any, what: str) -> int | None:
    return None if value is None else _int(value, what)


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} is {value!r}, expected a string")
    return value


def _opt_str(value: Any, what: str) -> str | None:
    return None if value is None else _str(value, what)


def _nonempty(value: Any, what: str) -> str | None:
    text = _opt_str(value, what)
    return text or None


def parse_datetime(value: Any, what: str = "datetime") -> datetime:
    """An aware datetime from an ISO 8601 string (``Z`` or an offset); naive values are refused."""
    parsed = datetime.fromisoformat(_str(value, what))
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no UTC offset")
    return parsed


def parse_profile(data: Any) -> Profile:
    data = _obj(data, "me")
    return Profile(
        id=_int(data["id"], "me.id"),
        username=_str(data["username"], "me.username"),
        email=_str(data["email"], "me.email"),
        name=_opt_str(data.get("name"), "me.name"),
        time_zone=_str(data["timeZone"], "me.timeZone"),
    )


def parse_event_type(data: Any) -> EventType:
    data = _obj(data, "event type")
    owner_id = _opt_int(data.get("ownerId"), "eventType.ownerId")
    hosts = data.get("hosts")
    users = data.get("users")
    if isinstance(hosts, list) and hosts:
        host_ids = tuple(_int(_obj(h, "host")["userId"], "hosts[].userId") for h in hosts)
    elif isinstance(users, list) and users and all(isinstance(u, Mapping) for u in users):
        host_ids = tuple(_int(u["id"], "users[].id") for u in users)
    else:
        host_ids = (owner_id,) if owner_id is not None else ()
    return EventType(
        id=_int(data["id"], "eventType.id"),
        slug=_str(data["slug"], "eventType.slug"),
        title=_str(data["title"], "eventType.title"),
        length_in_minutes=_int(data["lengthInMinutes"], "eventType.lengthInMinutes"),
        owner_id=owner_id,
        scheduling_type=_opt_str(data.get("schedulingType"), "eventType.schedulingType"),
        host_ids=host_ids,
    )


def parse_slots(data: Any) -> list[Slot]:
    """Flatten ``{"YYYY-MM-DD": [{"start": ...}, ...]}`` into slots sorted by instant, offsets kept."""
    data = _obj(data, "slots")
    slots: list[Slot] = []
    for day, entries in data.items():
        if not isinstance(entries, list):
            raise TypeError(f"slots[{day!r}] is {type(entries).__name__}, expected a list")
        slots.extend(Slot(start=parse_datetime(_obj(e, "slot")["start"], "slot.start")) for e in entries)
    slots.sort(key=lambda slot: slot.start)
    return slots


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    value = _obj(value, "booking.metadata")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _attendee(data: Any) -> BookingAttendee:
    data = _obj(data, "attendee")
    return BookingAttendee(
        name=_str(data["name"], "attendee.name"),
        email=_nonempty(data.get("email"), "attendee.email"),
        time_zone=_opt_str(data.get("timeZone"), "attendee.timeZone"),
        phone_number=_nonempty(data.get("phoneNumber"), "attendee.phoneNumber"),
    )


def parse_booking(data: Any) -> Booking:
    data = _obj(data, "booking")
    event_type = data.get("eventType")
    event_type_id = _opt_int(
        event_type.get("id") if isinstance(event_type, Mapping) else data.get("eventTypeId"), "booking.eventType.id"
    )
    hosts = data.get("hosts") or []
    if not isinstance(hosts, list):
        raise TypeError("booking.hosts is not a list")
    attendees = data.get("attendees") or []
    if not isinstance(attendees, list):
        raise TypeError("booking.attendees is not a list")
    return Booking(
        id=_int(data["id"], "booking.id"),
        uid=_str(data["uid"], "booking.uid"),
        status=_str(data["status"], "booking.status"),
        start=parse_datetime(data["start"], "booking.start"),
        end=parse_datetime(data["end"], "booking.end"),
        duration=_opt_int(data.get("duration"), "booking.duration"),
        event_type_id=event_type_id,
        host_ids=tuple(_int(_obj(h, "host")["id"], "hosts[].id") for h in hosts),
        attendees=tuple(_attendee(a) for a in attendees),
        metadata=_metadata(data.get("metadata")),
        rescheduled_from_uid=_nonempty(data.get("rescheduledFromUid"), "booking.rescheduledFromUid"),
        rescheduled_to_uid=_nonempty(data.get("rescheduledToUid"), "booking.rescheduledToUid"),
        cancellation_reason=_nonempty(data.get("cancellationReason"), "booking.cancellationReason"),
        raw=dict(data),
    )


def parse_single_booking(data: Any) -> Booking:
    """One booking from a booking endpoint's ``data``.

    Cal.com answers with an array for recurring bookings (or a series uid). An array of exactly one booking is that
    booking; a longer one is refused (``ValueError`` → ``BadResponseError``): this client mirrors single
    appointments, and silently picking one occurrence would hide the others. The raw body on the error lists them.
    """
    if isinstance(data, list):
        if len(data) != 1:
            raise ValueError(f"expected one booking, got an array of {len(data)} (recurring series?)")
        data = data[0]
    return parse_booking(data)


def parse_booking_page(data: Any, pagination: Any) -> BookingPage:
    if not isinstance(data, list):
        raise TypeError(f"bookings data is {type(data).__name__}, expected a list")
    pagination = _obj(pagination, "pagination")
    bookings: list[Booking] = []
    for item in data:
        if isinstance(item, list):  # a recurring series inside the list: keep every occurrence
            bookings.extend(parse_booking(b) for b in item)
        else:
            bookings.append(parse_booking(item))
    has_next = pagination.get("hasNextPage")
    if not isinstance(has_next, bool):
        raise TypeError(f"pagination.hasNextPage is {has_next!r}, expected a boolean")
    return BookingPage(
        bookings=tuple(bookings),
        total_items=_int(pagination["totalItems"], "pagination.totalItems"),
        has_next_page=has_next,
    )


def parse_reassignment(data: Any) -> Reassignment:
    data = _obj(data, "reassignment")
    to = _obj(data["reassignedTo"], "reassignedTo")
    return Reassignment(
        booking_uid=_str(data["bookingUid"], "bookingUid"),
        user_id=_int(to["id"], "reassignedTo.id"),
        name=_opt_str(to.get("name"), "reassignedTo.name"),
        email=_opt_str(to.get("email"), "reassignedTo.email"),
    )
