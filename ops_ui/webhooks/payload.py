"""A Cal.com webhook body (version 2021-10-20, CONTRACT §9) read into the few facts Sync Desk acts on.

``{"triggerEvent": …, "createdAt": …, "payload": {…}}``. Only the triggers in ``KNOWN_TRIGGERS`` are read further;
any other trigger (``MEETING_STARTED`` is even flat) is stored and shown, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops_ui.engine.writes import METADATA_KEY

BOOKING_CREATED = "BOOKING_CREATED"
BOOKING_REQUESTED = "BOOKING_REQUESTED"
BOOKING_RESCHEDULED = "BOOKING_RESCHEDULED"
BOOKING_CANCELLED = "BOOKING_CANCELLED"
BOOKING_REASSIGNED = "BOOKING_REASSIGNED"
"""Not in CONTRACT §9; read like a creation (the payload's organizer is the new host) should Cal.com send it."""
NEW_BOOKING_TRIGGERS = frozenset({BOOKING_CREATED, BOOKING_REQUESTED, BOOKING_REASSIGNED})
KNOWN_TRIGGERS = NEW_BOOKING_TRIGGERS | {BOOKING_RESCHEDULED, BOOKING_CANCELLED}
UID_LENGTH = 64
"""Longest booking uid stored (Cal.com's are about 22 characters); a longer one is not Cal.com's shape."""


class NotCalcomDelivery(ValueError):
    """The body is not JSON, or not the shape Cal.com sends; answered 400 and stored."""


@dataclass(frozen=True)
class CalcomEvent:
    trigger: str
    uid: str | None
    """The booking the delivery is about (for a reschedule, the new one). None only for unknown triggers."""
    known: bool
    start: datetime | None = None
    end: datetime | None = None
    organizer_id: int | None = None
    event_type_id: int | None = None
    status: str | None = None
    """Lower-case, like the API's booking status."""
    attendee_name: str | None = None
    attendee_email: str | None = None
    appointment_id: int | None = None
    """Our ``metadata.syncDeskAppointmentId``: Sync Desk made this booking for that appointment."""
    reschedule_uid: str | None = None
    """BOOKING_RESCHEDULED: the old booking the new one replaces."""
    rescheduled_to_uid: str | None = None
    rescheduled: bool = False
    """BOOKING_CANCELLED of a booking Cal.com closed because it was rescheduled (not a cancellation)."""
    cancelled_by: str | None = None
    cancellation_reason: str | None = None


def parse_delivery(raw_body: bytes) -> CalcomEvent:
    """Read a signed body; ``NotCalcomDelivery`` says what is wrong with it."""
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotCalcomDelivery(f"The body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise NotCalcomDelivery("The body is not a JSON object.")
    trigger = body.get("triggerEvent")
    if not isinstance(trigger, str) or not trigger or len(trigger) > UID_LENGTH:
        raise NotCalcomDelivery("The body has no triggerEvent.")
    if trigger not in KNOWN_TRIGGERS:
        payload = body.get("payload")
        uid = payload.get("uid") if isinstance(payload, dict) else body.get("uid")
        return CalcomEvent(trigger, uid if _is_uid(uid) else None, known=False)
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise NotCalcomDelivery(f"{trigger} without a payload object.")
    return _booking_event(trigger, payload)


def _booking_event(trigger: str, payload: dict[str, Any]) -> CalcomEvent:
    uid = payload.get("uid")
    if not _is_uid(uid):
        raise NotCalcomDelivery(f"{trigger} without a booking uid.")
    reschedule_uid = payload.get("rescheduleUid")
    if trigger == BOOKING_RESCHEDULED and not _is_uid(reschedule_uid):
        raise NotCalcomDelivery("BOOKING_RESCHEDULED without rescheduleUid (the old booking).")
    needs_times = trigger != BOOKING_CANCELLED
    attendee = _first_attendee(payload.get("attendees"))
    return CalcomEvent(
        trigger,
        uid,
        known=True,
        start=_time(payload, "startTime", required=needs_times),
        end=_time(payload, "endTime", required=needs_times),
        organizer_id=_int(_dict(payload.get("organizer")).get("id")),
        event_type_id=_int(payload.get("eventTypeId")),
        status=_text(payload.get("status"), lower=True),
        attendee_name=_text(attendee.get("name")),
        attendee_email=_text(attendee.get("email")),
        appointment_id=_int(_dict(payload.get("metadata")).get(METADATA_KEY)),
        reschedule_uid=reschedule_uid if _is_uid(reschedule_uid) else None,
        rescheduled_to_uid=_uid_or_none(payload.get("rescheduledToUid")),
        rescheduled=payload.get("rescheduled") is True,
        cancelled_by=_text(payload.get("cancelledBy")),
        cancellation_reason=_text(payload.get("cancellationReason")),
    )


def _is_uid(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= UID_LENGTH


def _uid_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and _is_uid(value) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_attendee(value: object) -> dict[str, Any]:
    return _dict(value[0]) if isinstance(value, list) and value else {}


def _int(value: object) -> int | None:
    """An id Cal.com sends as a number (our metadata value is a string of digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _text(value: object, *, lower: bool = False) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower() if lower else value.strip()


def _time(payload: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    """An ISO instant (``2050-09-05T07:00:00.000Z``) as an aware UTC datetime; without an offset it is UTC."""
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise NotCalcomDelivery(f"{name} is missing or not a string.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise NotCalcomDelivery(f"{name} {value!r} is not an ISO date and time.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
