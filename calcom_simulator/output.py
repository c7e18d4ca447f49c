"""Stored rows → Cal.com v2 output shapes (bookings, event types, ``/v2/me``)."""

from __future__ import annotations

from typing import Any

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
