"""Stored rows → Cal.com v2 output shapes (bookings, event types, ``/v2/me``, webhook payloads)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from calcom_simulator.errors import iso_ms

TEAM = {
    "id": 1,
    "slug": "salon",
    "bannerUrl": "",
    "name": "Salon",
    "logoUrl": "",
    "weekStart": "Monday",
    "brandColor": "#292929",
    "darkBrandColor": "#fafafa",
    "theme": "light",
}
BOOKING_FIELDS = [
    {"type": "name", "slug": "name", "isDefault": True, "required": True, "label": "Your name"},
    {"type": "email", "slug": "email", "isDefault": True, "required": True, "label": "Email address"},
]
LOCATIONS = [{"type": "integration", "integration": "cal-video"}]


def host(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "displayEmail": user["email"],
        "username": user["username"],
        "timeZone": user["time_zone"],
    }


def booking(row: dict[str, Any], event_type: dict[str, Any], organizer: dict[str, Any]) -> dict[str, Any]:
    attendee = row["attendee"]
    attendee_out: dict[str, Any] = {
        "name": attendee["name"],
        "email": attendee.get("email") or "",
        "displayEmail": attendee.get("email") or "",
        "timeZone": attendee["timeZone"],
        "language": attendee.get("language", "en"),
        "absent": False,
    }
    if attendee.get("phoneNumber"):
        attendee_out["phoneNumber"] = attendee["phoneNumber"]
    out: dict[str, Any] = {
        "id": row["id"],
        "uid": row["uid"],
        "title": row["title"],
        "description": "",
        "hosts": [host(organizer)],
        "status": row["status"],
        "cancellationReason": row["cancellation_reason"] or "",
        "cancelledByEmail": row["cancelled_by_email"] or "",
        "start": iso_ms(row["start"]),
        "end": iso_ms(row["end"]),
        "duration": int((row["end"] - row["start"]).total_seconds() // 60),
        "eventTypeId": event_type["id"],
        "eventType": {"id": event_type["id"], "slug": event_type["slug"]},
        "meetingUrl": row["location"],
        "location": row["location"],
        "absentHost": False,
        "createdAt": iso_ms(row["created_at"]),
        "updatedAt": iso_ms(row["updated_at"]) if row["updated_at"] else None,
        "metadata": row["metadata"],
        "rating": None,
        "icsUid": row["ics_uid"],
        "attendees": [attendee_out],
        "guests": row["guests"],
        "bookingFieldsResponses": row["booking_fields"],
    }
    for column, key in (
        ("rescheduling_reason", "reschedulingReason"),
        ("rescheduled_by_email", "rescheduledByEmail"),
        ("rescheduled_from_uid", "rescheduledFromUid"),
        ("rescheduled_to_uid", "rescheduledToUid"),
    ):
        if row[column]:
            out[key] = row[column]
    return out


def user_2024_06_14(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "name": user["name"],
        "username": user["username"],
        "avatarUrl": None,
        "weekStart": "Monday",
        "brandColor": None,
        "darkBrandColor": None,
        "metadata": {},
    }


def event_type(row: dict[str, Any], owner: dict[str, Any], hosts: list[dict[str, Any]]) -> dict[str, Any]:
    """Individual types carry ``ownerId``/``users``; round-robin team types add ``teamId``, ``hosts`` and ``team``."""
    out: dict[str, Any] = {
        "id": row["id"],
        "lengthInMinutes": row["length"],
        "title": row["title"],
        "slug": row["slug"],
        "description": "",
        "locations": LOCATIONS,
        "bookingFields": BOOKING_FIELDS,
        "disableGuests": False,
        "slotInterval": row["slot_interval"],
        "minimumBookingNotice": row["minimum_notice"],
        "beforeEventBuffer": 0,
        "afterEventBuffer": 0,
        "recurrence": None,
        "metadata": {},
        "price": 0,
        "currency": "usd",
        "lockTimeZoneToggleOnBookingPage": False,
        "seatsPerTimeSlot": None,
        "forwardParamsSuccessRedirect": None,
        "successRedirectUrl": None,
        "isInstantEvent": False,
        "scheduleId": None,
        "hidden": False,
        "bookingRequiresAuthentication": False,
        "ownerId": owner["id"],
        "users": [user_2024_06_14(owner)],
        "bookingUrl": f"https://cal.com/{owner['username']}/{row['slug']}",
    }
    if row["scheduling_type"]:
        out.update(
            {
                "teamId": TEAM["id"],
                "schedulingType": row["scheduling_type"],
                "team": TEAM,
                "hosts": [
                    {
                        "userId": h["id"],
                        "name": h["name"],
                        "username": h["username"],
                        "mandatory": False,
                        "priority": "medium",
                        "avatarUrl": None,
                    }
                    for h in hosts
                ],
                "assignAllTeamMembers": False,
                "bookingUrl": f"https://cal.com/team/{TEAM['slug']}/{row['slug']}",
            }
        )
    return out


def me(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "username": user["username"],
        "email": user["email"],
        "name": user["name"],
        "avatarUrl": None,
        "bio": None,
        "timeFormat": 24,
        "defaultScheduleId": None,
        "weekStart": "Monday",
        "timeZone": user["time_zone"],
        "locale": "en",
        "organizationId": None,
    }


def admin_user(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "username": user["username"],
        "timeZone": user["time_zone"],
        "workingHours": user["working_hours"],
    }


# --- webhook payloads (version 2021-10-20) ---------------------------------------------------------------------

SYSTEM_FIELD_LABELS = {"name": "your_name", "email": "email_address"}
WEBHOOK_STATUS = {"accepted": "ACCEPTED", "pending": "PENDING", "cancelled": "CANCELLED", "rejected": "REJECTED"}


def webhook_time(moment: datetime) -> str:
    """``dayjs(...).utc().format()``, what Cal.com puts in ``startTime``/``endTime``: seconds, no milliseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_offset(time_zone: str, moment: datetime) -> int:
    """Minutes east of UTC in ``time_zone`` at ``moment`` (Cal.com's ``getUTCOffsetByTimezone``)."""
    offset = moment.astimezone(ZoneInfo(time_zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _webhook_person(name: str, email: str, time_zone: str, locale: str, start: datetime) -> dict[str, Any]:
    first, _, last = name.strip().partition(" ")
    return {
        "name": name,
        "email": email,
        "firstName": first,
        "lastName": last.strip(),
        "timeZone": time_zone,
        "language": {"locale": locale},
        "utcOffset": utc_offset(time_zone, start),
    }


def _webhook_attendees(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The booker first, then each guest (Cal.com adds guests as attendees with an empty name)."""
    attendee = row["attendee"]
    zone, locale = attendee["timeZone"], attendee.get("language", "en")
    booker = _webhook_person(attendee["name"], attendee.get("email") or "", zone, locale, row["start"])
    if attendee.get("phoneNumber"):
        booker["phoneNumber"] = attendee["phoneNumber"]
    guests = [_webhook_person("", email, zone, locale, row["start"]) for email in row["guests"]]
    return [booker, *guests]


def _webhook_responses(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``responses`` (system and custom fields) and ``userFieldsResponses`` (custom fields only)."""
    attendee = row["attendee"]
    responses: dict[str, Any] = {
        slug: {"label": label, "value": attendee.get(slug) or "", "isHidden": False}
        for slug, label in SYSTEM_FIELD_LABELS.items()
    }
    if attendee.get("phoneNumber"):
        responses["attendeePhoneNumber"] = {"label": "phone_number", "value": attendee["phoneNumber"]}
    if row["guests"]:
        responses["guests"] = {"label": "additional_guests", "value": row["guests"]}
    custom = {slug: {"label": slug, "value": value} for slug, value in row["booking_fields"].items()}
    return responses | custom, custom


def webhook_payload(
    row: dict[str, Any],
    event_type: dict[str, Any],
    organizer: dict[str, Any],
    *,
    sequence: int = 0,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``payload`` of a booking webhook, after ``BookingPayloadBuilder`` (v2021-10-20).

    ``metadata`` is the booking's own metadata (Cal.com merges ``reqBody.metadata`` into it), plus ``videoCallUrl``
    when the location is a URL. Fields Cal.com fills from integrations the simulator lacks (``videoCallData``,
    ``appsStatus``, ``destinationCalendar``'s calendars, payments) are absent or empty.
    """
    responses, user_fields = _webhook_responses(row)
    location = row["location"]
    metadata = dict(row["metadata"])
    if isinstance(location, str) and location.startswith(("http://", "https://")):
        metadata = {"videoCallUrl": location, **metadata}
    length = int((row["end"] - row["start"]).total_seconds() // 60)
    organizer_out = _webhook_person(organizer["name"], organizer["email"], organizer["time_zone"], "en", row["start"])
    del organizer_out["firstName"], organizer_out["lastName"]
    payload: dict[str, Any] = {
        "type": event_type["slug"],
        "title": row["title"],
        "description": "",
        "additionalNotes": "",
        "customInputs": {},
        "startTime": webhook_time(row["start"]),
        "endTime": webhook_time(row["end"]),
        "organizer": {"id": organizer["id"], "username": organizer["username"], **organizer_out, "timeFormat": "HH:mm"},
        "attendees": _webhook_attendees(row),
        "responses": responses,
        "userFieldsResponses": user_fields,
        "location": location,
        "uid": row["uid"],
        "bookingId": row["id"],
        "eventTypeId": event_type["id"],
        "iCalUID": row["ics_uid"],
        "iCalSequence": sequence,
        "hashedLink": None,
        "destinationCalendar": None,
        "status": WEBHOOK_STATUS.get(row["status"], row["status"].upper()),
        "eventTitle": event_type.get("title"),
        "eventDescription": None,
        "requiresConfirmation": False,
        "price": 0,
        "currency": "usd",
        "length": length,
        "metadata": metadata,
    }
    return payload | (extra or {})
