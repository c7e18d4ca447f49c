"""Input validation that reproduces Cal.com's class-validator messages.

Body pipes (create, reschedule, cancel, slots query) build one string per failed property,
``<property> property is wrong,<constraints joined by ", "> <children>``, joined with ``", "`` — note the
trailing space. ``GET /v2/bookings`` goes through Nest's global ValidationPipe instead: message
``Bad Request Exception`` with the class-validator errors in ``details.errors``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ops_ui.calcom.simulator.errors import ApiError, bad_request

LANGUAGES = {
    "ar", "ca", "de", "es", "eu", "he", "id", "ja", "lv", "pl", "ro", "sr", "th", "vi", "az", "cs", "el", "es-419",
    "fi", "hr", "it", "km", "nl", "pt", "ru", "sv", "tr", "zh-CN", "bg", "da", "en", "et", "fr", "hu", "iw", "ko",
    "no", "pt-BR", "sk", "ta", "uk", "zh-TW", "bn",
}  # fmt: skip
CREATE_FIELDS = (
    "start", "attendee", "bookingFieldsResponses", "eventTypeId", "eventTypeSlug", "username", "teamSlug",
    "organizationSlug", "guests", "meetingUrl", "location", "metadata", "lengthInMinutes", "recurrenceCount",
    "routing", "emailVerificationCode", "instant", "allowConflicts", "allowBookingOutOfBounds", "skipBookingLimits",
)  # fmt: skip
ATTENDEE_FIELDS = ("name", "timeZone", "phoneNumber", "language", "email")
RESCHEDULE_FIELDS = (
    "start", "rescheduledBy", "reschedulingReason", "emailVerificationCode", "seatUid",
    "allowConflicts", "allowBookingOutOfBounds", "skipBookingLimits",
)  # fmt: skip
CANCEL_FIELDS = ("cancellationReason", "cancelSubsequentBookings", "seatUid")
REASSIGN_FIELDS = ("reason",)
METADATA_MESSAGE = (
    "Metadata must have at most 50 keys, each key up to 40 characters, and string values up to 500 characters."
)
EVENT_TYPE_SELECTOR = "eventTypeId or eventTypeSlug + username"
EVENT_TYPE_SELECTOR_MESSAGE = (
    "Either eventTypeId or eventTypeSlug + username or eventTypeSlug + teamSlug must be provided"
)
BOOKING_STATUSES = ("upcoming", "recurring", "past", "cancelled", "unconfirmed")

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
# International format: a leading +, a country code not starting with 0, 7–15 digits in all (E.164).
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_ZONES = available_timezones()


@dataclass
class FieldError:
    """One failed property, possibly with failed children (class-validator's ValidationError)."""

    prop: str
    constraints: list[str] = field(default_factory=list)
    children: list[FieldError] = field(default_factory=list)

    def render(self) -> str:
        kids = ", ".join(child.render() for child in self.children)
        return f"{self.prop} property is wrong,{', '.join(self.constraints)} {kids}"


def pipe_error(errors: list[FieldError]) -> ApiError:
    return bad_request(", ".join(error.render() for error in errors))


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not _ISO.match(value):
        return False
    try:
        parse_instant(value)
    except ValueError:
        return False
    return True


def parse_instant(value: str, zone: ZoneInfo | None = None, *, end_of_day: bool = False) -> datetime:
    """Parse an ISO 8601 date or date-time; naive values are read in ``zone`` (default UTC)."""
    zone = zone or ZoneInfo("UTC")
    text = value.strip().replace(" ", "T")
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time(23, 59, 59) if end_of_day else time(0, 0), tzinfo=zone)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def utc(value: str) -> datetime:
    return parse_instant(value).astimezone(UTC)


def is_time_zone(value: Any) -> bool:
    if not isinstance(value, str) or value not in _ZONES:
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def require_body(body: Any) -> dict:
    if not isinstance(body, dict) or not body:
        raise bad_request("Body is required")
    return body


def _unknown(body: dict, allowed: tuple[str, ...]) -> list[FieldError]:
    return [FieldError(key, [f"property {key} should not exist"]) for key in body if key not in allowed]


def validate_create(body: Any) -> dict:
    """Validate ``POST /v2/bookings``; raise the pipe's 400 with every failed property."""
    body = require_body(body)
    errors: list[FieldError] = []
    if not is_iso_date(body.get("start")):
        errors.append(FieldError("start", ["start must be a valid ISO 8601 date string"]))
    attendee_error = _attendee_error(body.get("attendee"))
    if attendee_error:
        errors.append(attendee_error)
    has_id = "eventTypeId" in body
    if has_id and (not isinstance(body["eventTypeId"], int) or isinstance(body["eventTypeId"], bool)):
        errors.append(FieldError("eventTypeId", ["eventTypeId must be an integer number"]))
    if not has_id and not (body.get("eventTypeSlug") and (body.get("username") or body.get("teamSlug"))):
        errors.append(FieldError(EVENT_TYPE_SELECTOR, [EVENT_TYPE_SELECTOR_MESSAGE]))
    guests = body.get("guests")
    if guests is not None and (not isinstance(guests, list) or not all(_is_email(g) for g in guests)):
        errors.append(FieldError("guests", ["each value in guests must be an email"]))
    if "metadata" in body and not _metadata_ok(body["metadata"]):
        errors.append(FieldError("metadata", [METADATA_MESSAGE]))
    if "bookingFieldsResponses" in body and not isinstance(body["bookingFieldsResponses"], dict):
        errors.append(FieldError("bookingFieldsResponses", ["bookingFieldsResponses must be an object"]))
    if "location" in body and not (
        isinstance(body["location"], dict) and isinstance(body["location"].get("type"), str)
    ):
        errors.append(FieldError("location", ["location must be an object with a valid type"]))
    errors.extend(_unknown(body, CREATE_FIELDS))
    if errors:
        raise pipe_error(errors)
    return body


def _attendee_error(attendee: Any) -> FieldError | None:
    if not isinstance(attendee, dict):
        return FieldError("attendee", ["nested property attendee must be either object or array"])
    children: list[FieldError] = []
    if not isinstance(attendee.get("name"), str) or not attendee["name"].strip():
        children.append(FieldError("name", ["name must be a string"]))
    if not is_time_zone(attendee.get("timeZone")):
        children.append(FieldError("timeZone", ["timeZone must be a valid IANA time-zone"]))
    if "phoneNumber" in attendee and not (
        isinstance(attendee["phoneNumber"], str) and _PHONE.match(attendee["phoneNumber"])
    ):
        children.append(FieldError("phoneNumber", ["phoneNumber must be a valid phone number"]))
    if "language" in attendee and attendee["language"] not in LANGUAGES:
        children.append(
            FieldError("language", [f"language must be one of the following values: {', '.join(sorted(LANGUAGES))}"])
        )
    if "email" in attendee and not _is_email(attendee["email"]):
        children.append(FieldError("email", ["email must be an email"]))
    children.extend(_unknown(attendee, ATTENDEE_FIELDS))
    constraints = []
    if not attendee.get("email") and not attendee.get("phoneNumber"):
        constraints.append("Attendee must have at least one contact method (email or phone number)")
    if children or constraints:
        return FieldError("attendee", constraints, children)
    return None


def _is_email(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def _metadata_ok(metadata: Any) -> bool:
    if not isinstance(metadata, dict) or len(metadata) > 50:
        return False
    return all(len(k) <= 40 and (not isinstance(v, str) or len(v) <= 500) for k, v in metadata.items())


def validate_reschedule(body: Any) -> dict:
    body = require_body(body)
    errors: list[FieldError] = []
    if not is_iso_date(body.get("start")):
        errors.append(FieldError("start", ["start must be a valid ISO 8601 date string"]))
    for key in ("reschedulingReason", "rescheduledBy"):
        if key in body and not isinstance(body[key], str):
            errors.append(FieldError(key, [f"{key} must be a string"]))
    errors.extend(_unknown(body, RESCHEDULE_FIELDS))
    if errors:
        raise pipe_error(errors)
    return body


def validate_cancel(body: Any) -> dict:
    """Cancel needs a JSON object body, but ``{}`` is fine (Cal.com documents it as required, may be empty)."""
    if not isinstance(body, dict):
        raise bad_request("Body is required")
    errors: list[FieldError] = []
    if "cancellationReason" in body and not isinstance(body["cancellationReason"], str):
        errors.append(FieldError("cancellationReason", ["cancellationReason must be a string"]))
    errors.extend(_unknown(body, CANCEL_FIELDS))
    if errors:
        raise pipe_error(errors)
    return body


def validate_reassign(body: Any) -> dict:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise bad_request("Body is required")
    errors = _unknown(body, REASSIGN_FIELDS)
    if "reason" in body and not isinstance(body["reason"], str):
        errors.append(FieldError("reason", ["reason must be a string"]))
    if errors:
        raise pipe_error(errors)
    return body


@dataclass(frozen=True)
class BookingsQuery:
    statuses: tuple[str, ...] = ()
    attendee_email: str | None = None
    attendee_name: str | None = None
    booking_uid: str | None = None
    event_type_ids: tuple[int, ...] = ()
    after_start: datetime | None = None
    before_end: datetime | None = None
    after_created: datetime | None = None
    before_created: datetime | None = None
    after_updated: datetime | None = None
    before_updated: datetime | None = None
    sorts: tuple[tuple[str, str], ...] = ()
    take: int = 100
    skip: int = 0


_SORTS = {"sortStart": "start", "sortEnd": "end", "sortCreated": "created", "sortUpdatedAt": "updated"}
_DATES = {
    "afterStart": "after_start", "beforeEnd": "before_end", "afterCreatedAt": "after_created",
    "beforeCreatedAt": "before_created", "afterUpdatedAt": "after_updated", "beforeUpdatedAt": "before_updated",
}  # fmt: skip


def parse_bookings_query(args: Any) -> BookingsQuery:
    """Parse ``GET /v2/bookings`` like Nest's ValidationPipe (transform on, constraint errors in details)."""
    problems: list[dict[str, Any]] = []
    values: dict[str, Any] = {}

    def fail(prop: str, value: Any, constraints: dict[str, str]) -> None:
        problems.append({"value": value, "property": prop, "children": [], "constraints": constraints})

    statuses = _split(args.getlist("status"))
    if any(s not in BOOKING_STATUSES for s in statuses):
        fail(
            "status",
            statuses,
            {"isEnum": f"each value in status must be one of the following values: {', '.join(BOOKING_STATUSES)}"},
        )
    values["statuses"] = tuple(statuses)
    email = args.get("attendeeEmail")
    values["attendee_email"] = email.replace(" ", "+") if email else None
    values["attendee_name"] = args.get("attendeeName") or None
    values["booking_uid"] = args.get("bookingUid") or None
    ids: list[int] = []
    for prop in ("eventTypeId", "eventTypeIds"):
        for raw in _split(args.getlist(prop)):
            if raw.isdigit():
                ids.append(int(raw))
            else:
                fail(
                    prop,
                    raw,
                    {"isNumber": f"each value in {prop} must be a number conforming to the specified constraints"},
                )
    values["event_type_ids"] = tuple(ids)
    for prop, attr in _DATES.items():
        raw = args.get(prop)
        if raw is None:
            continue
        if is_iso_date(raw):
            values[attr] = utc(raw)
        else:
            fail(prop, raw, {"isDateString": f"{prop} must be a valid ISO 8601 date string"})
    sorts = []
    for prop, key in _SORTS.items():
        raw = args.get(prop)
        if raw is None:
            continue
        if raw in ("asc", "desc"):
            sorts.append((key, raw))
        else:
            fail(prop, raw, {"isEnum": f"{prop} must be one of the following values: asc, desc"})
    values["sorts"] = tuple(sorts)
    for prop, default, low, high in (("take", 100, 1, 250), ("skip", 0, 0, None)):
        raw = args.get(prop)
        if raw is None:
            values[prop] = default
            continue
        try:
            number = int(raw)
        except ValueError:
            fail(prop, raw, {"isNumber": f"{prop} must be a number conforming to the specified constraints"})
            continue
        if number < low:
            fail(prop, number, {"min": f"{prop} must not be less than {low}"})
        elif high is not None and number > high:
            fail(prop, number, {"max": f"{prop} must not be greater than {high}"})
        values[prop] = number
    if problems:
        raise ApiError(
            400,
            "Bad Request Exception",
            details={"errors": problems},
        )
    return BookingsQuery(**values)


def _split(raw_values: list[str]) -> list[str]:
    return [part.strip() for raw in raw_values for part in raw.split(",") if part.strip()]
