"""Input validation that reproduces Cal.com's class-validator messages.

Body pipes (create, reschedule, cancel, slots query) build one string per failed property,
``<property> property is wrong,<constraints joined by ", "> <children>``, joined with ``", "`` — note the
trailing space. ``GET /v2/bookings`` goes through Nest's global ValidationPipe instead: message
``Bad Request Exception`` with the class-validator errors in ``details.errors``.

Odd input is refused with such a 400, never left to crash the simulator: numbers are read from ASCII digits only
(``str.isdigit`` and ``int`` also take ``²`` or ``١``), ids beyond SQLite's 64-bit integers are refused, and instants
past ``LATEST_INSTANT`` (where Python's calendar is about to end) are never computed with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from calcom_simulator.errors import ApiError, bad_request, iso_ms

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
LANGUAGE_MESSAGE = f"language must be one of the following values: {', '.join(sorted(LANGUAGES))}"
BOOKING_STATUSES = ("upcoming", "recurring", "past", "cancelled", "unconfirmed")

# validator.js isEmail / isFQDN patterns. JavaScript sees a character beyond U+FFFF as two surrogates: never in the
# e-mail and TLD classes (so emoji there are refused), always inside a label's \u00a1-\uffff (hence \U0010ffff).
_EMAIL_USER_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a1-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]+")
_EMAIL_QUOTED_USER = re.compile(
    r"(?:[\t\n\v\f\r \u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    r"\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]"
    r"|\\[\x01-\x09\x0b\x0c\x0d-\x7f\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef])*"
)
_TLD = re.compile(r"[A-Za-z\u00a1-\u00a8\u00aa-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]{2,}|[Xx][Nn][A-Za-z0-9-]{2,}")
_JS_SPACE = re.compile(r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")
_LABEL = re.compile(r"[A-Za-z0-9\u00a1-\U0010ffff-]+")
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e]")
# International format: a leading +, a country code not starting with 0, 7–15 digits in all (E.164).
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$", re.ASCII)
_ZONES = available_timezones()
_ASCII_INTEGER = re.compile(r"-?[0-9]+")
INT64_MAX = 2**63 - 1
"""The largest id there can be: SQLite's INTEGER is a signed 64-bit number."""
INT64_MIN = -(2**63)
LATEST_INSTANT = datetime(9999, 12, 1, tzinfo=UTC)
"""The simulator's calendar ends here: later starts are refused before an end, a slot or a UTC conversion could run
past year 9999, where Python's dates stop (Cal.com's JavaScript dates go on)."""
NUMERIC_STRING_EXPECTED = "Validation failed (numeric string is expected)"
"""Nest's ``ParseIntPipe`` message, for a path id that is not a number."""


@dataclass
class FieldError:
    """One failed property, possibly with failed children (class-validator's ValidationError)."""

    prop: str
    constraints: list[str] = field(default_factory=list)
    children: list[FieldError] = field(default_factory=list)

    def render(self) -> str:
        kids = ", ".join(child.render() for child in self.children)
        return f"{self.prop} property is wrong,{', '.join(self.constraints)} {kids}"


_FieldRule = tuple[str, Callable[[Any], bool], str]
"""``(property, is_valid(value), constraint message)``: one row of a table-driven check."""


def pipe_error(errors: list[FieldError]) -> ApiError:
    return bad_request(", ".join(error.render() for error in errors))


def ascii_int(value: Any, *, signed: bool = False) -> int | None:
    """The integer ``value`` spells in ASCII digits (``-`` first when ``signed``), else ``None``.

    Twenty digits or more are read as ``10**19``, beyond 64 bits either side (``int`` refuses beyond 4300 digits):
    such numbers are out of range however long they are, and range checks say so.
    """
    if not isinstance(value, str) or not _ASCII_INTEGER.fullmatch(value) or (value[0] == "-" and not signed):
        return None
    digits = value.lstrip("-").lstrip("0") or "0"
    magnitude = 10**19 if len(digits) > 19 else int(digits)
    return -magnitude if value[0] == "-" else magnitude


def int64_constraint(prop: str, number: int) -> str | None:
    """class-validator's ``max``/``min`` wording for a number no 64-bit id can be; ``None`` when it fits."""
    if number > INT64_MAX:
        return f"{prop} must not be greater than {INT64_MAX}"
    if number < INT64_MIN:
        return f"{prop} must not be less than {INT64_MIN}"
    return None


def parse_path_id(prop: str, value: str) -> int:
    """A numeric path parameter as Nest's ``ParseIntPipe`` reads it (``-?[0-9]+``), within 64 bits; else a 400."""
    number = ascii_int(value, signed=True)
    if number is None:
        raise bad_request(NUMERIC_STRING_EXPECTED)
    constraint = int64_constraint(prop, number)
    if constraint:
        raise bad_request(constraint)
    return number


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not _ISO.match(value):
        return False
    try:
        parse_instant(value)
    except ValueError:
        return False
    return True


def parse_instant(value: str, zone: ZoneInfo | None = None) -> datetime:
    """Parse an ISO 8601 date (its midnight) or date-time; naive values are read in ``zone`` (default UTC).

    The result keeps the offset it was written with: converting ``0001-01-01T00:30:00+01:00`` or a late evening of
    9999-12-31 west of Greenwich to UTC would leave Python's calendar, comparing them does not.
    """
    zone = zone or ZoneInfo("UTC")
    text = value.strip().replace(" ", "T")
    if is_date_only(text):
        return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=zone)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def is_date_only(text: str) -> bool:
    return len(text.strip()) == 10


def is_time_zone(value: Any) -> bool:
    if not isinstance(value, str) or value not in _ZONES:
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def require_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise bad_request("Body is required")
    return body


def _unknown(body: dict[str, Any], allowed: tuple[str, ...]) -> list[FieldError]:
    return [FieldError(key, [f"property {key} should not exist"]) for key in body if key not in allowed]


def validate_create(raw: Any) -> dict[str, Any]:
    """Validate ``POST /v2/bookings``; raise the pipe's 400 with every failed property."""
    body = require_body(raw)
    errors: list[FieldError] = []
    if not is_iso_date(body.get("start")):
        errors.append(FieldError("start", ["start must be a valid ISO 8601 date string"]))
    attendee_error = _attendee_error(body.get("attendee"))
    if attendee_error:
        errors.append(attendee_error)
    event_type_id_error = _event_type_id_error(body)
    if event_type_id_error:
        errors.append(event_type_id_error)
    if not _names_event_type(body):
        errors.append(FieldError(EVENT_TYPE_SELECTOR, [EVENT_TYPE_SELECTOR_MESSAGE]))
    errors.extend(_present_field_errors(body, _CREATE_PRESENT_RULES))
    errors.extend(_unknown(body, CREATE_FIELDS))
    if errors:
        raise pipe_error(errors)
    return body


def _event_type_id_error(body: dict[str, Any]) -> FieldError | None:
    """``eventTypeId``, when sent, is a JSON integer that an id can be (JSON integers have no size limit)."""
    if "eventTypeId" not in body:
        return None
    value = body["eventTypeId"]
    if not _is_integer(value):
        return FieldError("eventTypeId", ["eventTypeId must be an integer number"])
    constraint = int64_constraint("eventTypeId", value)
    return FieldError("eventTypeId", [constraint]) if constraint else None


def _attendee_error(attendee: Any) -> FieldError | None:
    if not isinstance(attendee, dict):
        return FieldError("attendee", ["nested property attendee must be either object or array"])
    children: list[FieldError] = []
    if not _is_non_blank(attendee.get("name")):
        children.append(FieldError("name", ["name must be a string"]))
    if not is_time_zone(attendee.get("timeZone")):
        children.append(FieldError("timeZone", ["timeZone must be a valid IANA time-zone"]))
    children.extend(_present_field_errors(attendee, _ATTENDEE_PRESENT_RULES))
    children.extend(_unknown(attendee, ATTENDEE_FIELDS))
    has_contact = attendee.get("email") or attendee.get("phoneNumber")
    constraints = [] if has_contact else ["Attendee must have at least one contact method (email or phone number)"]
    if children or constraints:
        return FieldError("attendee", constraints, children)
    return None


def _present_field_errors(values: dict[str, Any], rules: tuple[_FieldRule, ...]) -> list[FieldError]:
    """For properties that may be left out: absent passes, any sent value (``null`` included) must be valid."""
    return [
        FieldError(prop, [message])
        for prop, is_valid, message in rules
        if prop in values and not is_valid(values[prop])
    ]


def _is_integer(value: Any) -> bool:
    """A JSON integer: Python counts ``True`` as an int, class-validator does not."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_non_blank(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _names_event_type(body: dict[str, Any]) -> bool:
    """The booking's event type is named by id, or by slug plus its owner (a user or a team)."""
    return "eventTypeId" in body or bool(body.get("eventTypeSlug") and (body.get("username") or body.get("teamSlug")))


def _guests_ok(guests: Any) -> bool:
    """``null`` guests mean none (the service reads ``guests or []``); otherwise a list of e-mail addresses."""
    return guests is None or (isinstance(guests, list) and all(is_email(g) for g in guests))


def _location_ok(location: Any) -> bool:
    return isinstance(location, dict) and isinstance(location.get("type"), str)


def _is_phone(value: Any) -> bool:
    return isinstance(value, str) and bool(_PHONE.match(value))


def is_email(value: Any) -> bool:
    """class-validator's ``@IsEmail()``: mirrors validator.js ``isEmail`` (13.15) with its default options.

    So a UTF-8 local part is fine, the domain needs a TLD of two or more letters (or ``xn--…``), and there are no IP
    domains, underscores or display names. Lengths count UTF-16 code units (254 in all, 63 a label) or UTF-8 bytes
    (64 the local part, 254 the domain), as JavaScript does.
    """
    if not isinstance(value, str) or _js_length(value) > 254:
        return False
    user, _, domain = value.rpartition("@")
    if not (_utf8_fits(user, 64) and _utf8_fits(domain, 254) and _is_fqdn(domain)):
        return False
    if user.startswith('"') and user.endswith('"'):
        return bool(_EMAIL_QUOTED_USER.fullmatch(user[1:-1]))
    return all(_EMAIL_USER_ATOM.fullmatch(atom) for atom in user.split("."))


def _js_length(text: str) -> int:
    """JavaScript's ``length``: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf8_fits(text: str, most: int) -> bool:
    """validator.js ``isByteLength``; its ``encodeURI`` throws on a lone surrogate, which is refused here."""
    try:
        return len(text.encode("utf-8")) <= most
    except UnicodeEncodeError:
        return False


def _is_fqdn(domain: str) -> bool:
    """validator.js ``isFQDN`` as isEmail calls it: a TLD required, no underscores, no trailing dot."""
    labels = domain.split(".")
    tld = labels[-1]
    if len(labels) < 2 or not _TLD.fullmatch(tld) or _JS_SPACE.search(tld):
        return False
    return all(_is_label(label) for label in labels)


def _is_label(label: str) -> bool:
    return (
        _js_length(label) <= 63
        and bool(_LABEL.fullmatch(label))
        and not _FULL_WIDTH.search(label)
        and not label.startswith("-")
        and not label.endswith("-")
    )


def _metadata_ok(metadata: Any) -> bool:
    if not isinstance(metadata, dict) or len(metadata) > 50:
        return False
    return all(len(k) <= 40 and (not isinstance(v, str) or len(v) <= 500) for k, v in metadata.items())


_CREATE_PRESENT_RULES: tuple[_FieldRule, ...] = (
    ("guests", _guests_ok, "each value in guests must be an email"),
    ("metadata", _metadata_ok, METADATA_MESSAGE),
    ("bookingFieldsResponses", lambda value: isinstance(value, dict), "bookingFieldsResponses must be an object"),
    ("location", _location_ok, "location must be an object with a valid type"),
)
_ATTENDEE_PRESENT_RULES: tuple[_FieldRule, ...] = (
    ("phoneNumber", _is_phone, "phoneNumber must be a valid phone number"),
    ("language", lambda value: value in LANGUAGES, LANGUAGE_MESSAGE),
    ("email", is_email, "email must be an email"),
)


def validate_reschedule(raw: Any) -> dict[str, Any]:
    body = require_body(raw)
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


def validate_cancel(body: Any) -> dict[str, Any]:
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


def validate_reassign(body: Any) -> dict[str, Any]:
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


def _is_slot_format(value: Any) -> bool:
    return (value or "time") in ("time", "range")


def _is_event_type_id(value: Any) -> bool:
    return ascii_int(value) is not None


def _event_type_id_fits(value: Any) -> bool:
    """Checked once the value is a number at all, so each bad value gets one complaint."""
    number = ascii_int(value)
    return number is None or number <= INT64_MAX


def _is_whole_duration(value: Any) -> bool:
    """Absent means the event type's own length."""
    return value is None or ascii_int(value, signed=True) is not None


def _is_positive_duration(value: Any) -> bool:
    number = ascii_int(value, signed=True)
    return number is None or number >= 1


_SLOTS_QUERY_RULES: tuple[_FieldRule, ...] = (
    ("timeZone", lambda value: is_time_zone(value or "UTC"), "timeZone must be a valid IANA time-zone"),
    ("start", is_iso_date, "start must be a valid ISO 8601 date string"),
    ("end", is_iso_date, "end must be a valid ISO 8601 date string"),
    ("format", _is_slot_format, "format must be one of the following values: time, range"),
    ("eventTypeId", _is_event_type_id, "eventTypeId must be an integer number"),
    ("eventTypeId", _event_type_id_fits, f"eventTypeId must not be greater than {INT64_MAX}"),
    ("duration", _is_whole_duration, "duration must be an integer number"),
    ("duration", _is_positive_duration, "duration must not be less than 1"),
)


@dataclass(frozen=True)
class SlotsQuery:
    """A valid ``GET /v2/slots`` query; ``range_end`` is exclusive, like Cal.com's ``end``."""

    event_type_id: int
    zone: ZoneInfo
    range_start: datetime
    range_end: datetime
    duration: int | None
    with_end: bool
    reschedule_uid: str | None
    utc_as_z: bool


def parse_slots_query(args: Any) -> SlotsQuery:
    """``GET /v2/slots`` goes through a pipe like the bodies: one 400 naming every failed parameter."""
    problems = [
        FieldError(prop, [message]) for prop, is_valid, message in _SLOTS_QUERY_RULES if not is_valid(args.get(prop))
    ]
    if problems:
        raise pipe_error(problems)
    zone_name = args.get("timeZone") or "UTC"
    zone = ZoneInfo(zone_name)
    range_start, range_end = _slot_range(args["start"], args["end"], zone)
    return SlotsQuery(
        event_type_id=cast(int, ascii_int(args["eventTypeId"])),  # the rules above proved it a number
        zone=zone,
        range_start=range_start,
        range_end=range_end,
        duration=ascii_int(args.get("duration")),
        with_end=args.get("format") == "range",
        reschedule_uid=args.get("bookingUidToReschedule"),
        # Cal.com formats with Luxon, which writes "Z" for its fixed UTC zone (no timeZone, "UTC", "GMT") and an
        # offset for every IANA zone, "+00:00" included (Europe/London in winter, Etc/UTC).
        utc_as_z=zone_name.lower() in ("utc", "gmt"),
    )


def _slot_range(start: str, end: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)``: a date-only ``end`` covers its whole day, so the range ends at the next midnight."""
    range_start = parse_instant(start, zone)
    range_end = parse_instant(end, zone)
    late = [
        FieldError(prop, [f"maximal allowed date for {prop} is {iso_ms(LATEST_INSTANT)}"])
        for prop, moment in (("start", range_start), ("end", range_end))
        if moment > LATEST_INSTANT
    ]
    if late:
        raise pipe_error(late)
    if is_date_only(end):
        range_end = datetime.combine(range_end.date() + timedelta(days=1), time(0, 0), tzinfo=zone)
    return range_start, range_end


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
    statuses = _statuses(args, problems)
    event_type_ids = _event_type_ids(args, problems)
    bounds = _date_bounds(args, problems)
    sorts = _sorts(args, problems)
    take = _bounded_int(args, "take", problems, default=100, low=1, high=250)
    skip = _bounded_int(args, "skip", problems, default=0, low=0)
    if problems:
        raise ApiError(
            400,
            "Bad Request Exception",
            details={"errors": problems},
        )
    email = args.get("attendeeEmail")
    return BookingsQuery(
        statuses=statuses,
        # An unencoded "+" in a query string decodes to a space; in an e-mail address it can only have been a "+".
        attendee_email=email.replace(" ", "+") if email else None,
        attendee_name=args.get("attendeeName") or None,
        booking_uid=args.get("bookingUid") or None,
        event_type_ids=event_type_ids,
        sorts=sorts,
        take=take,
        skip=skip,
        **bounds,
    )


def _problem(prop: str, value: Any, constraints: dict[str, str]) -> dict[str, Any]:
    """One entry of ``details.errors``, shaped like a serialised class-validator ValidationError."""
    return {"value": value, "property": prop, "children": [], "constraints": constraints}


def _statuses(args: Any, problems: list[dict[str, Any]]) -> tuple[str, ...]:
    statuses = _split(args.getlist("status"))
    if any(s not in BOOKING_STATUSES for s in statuses):
        message = f"each value in status must be one of the following values: {', '.join(BOOKING_STATUSES)}"
        problems.append(_problem("status", statuses, {"isEnum": message}))
    return tuple(statuses)


def _event_type_ids(args: Any, problems: list[dict[str, Any]]) -> tuple[int, ...]:
    """``eventTypeId`` and ``eventTypeIds`` are both accepted, each repeated or comma-separated; one list results."""
    ids: list[int] = []
    for prop in ("eventTypeId", "eventTypeIds"):
        for raw in _split(args.getlist(prop)):
            number = ascii_int(raw)
            if number is None:
                message = f"each value in {prop} must be a number conforming to the specified constraints"
                problems.append(_problem(prop, raw, {"isNumber": message}))
            elif number > INT64_MAX:
                message = f"each value in {prop} must not be greater than {INT64_MAX}"
                problems.append(_problem(prop, raw, {"max": message}))
            else:
                ids.append(number)
    return tuple(ids)


def _date_bounds(args: Any, problems: list[dict[str, Any]]) -> dict[str, datetime]:
    """The ``BookingsQuery`` fields of the date filters that were sent; the others keep their default (no bound).

    Bounds keep their offset (aware datetimes compare across offsets), so ``0001-01-01T00:00:00+01:00`` is a bound
    before every booking rather than a date Python cannot convert to UTC.
    """
    bounds: dict[str, datetime] = {}
    for prop, attr in _DATES.items():
        raw = args.get(prop)
        if raw is None:
            continue
        if is_iso_date(raw):
            bounds[attr] = parse_instant(raw)
        else:
            problems.append(_problem(prop, raw, {"isDateString": f"{prop} must be a valid ISO 8601 date string"}))
    return bounds


def _sorts(args: Any, problems: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    sorts: list[tuple[str, str]] = []
    for prop, key in _SORTS.items():
        raw = args.get(prop)
        if raw is None:
            continue
        if raw in ("asc", "desc"):
            sorts.append((key, raw))
        else:
            problems.append(_problem(prop, raw, {"isEnum": f"{prop} must be one of the following values: asc, desc"}))
    return tuple(sorts)


def _bounded_int(
    args: Any, prop: str, problems: list[dict[str, Any]], *, default: int, low: int, high: int | None = None
) -> int:
    """An integer parameter; when it is invalid the returned value is never used, because the query is refused."""
    raw = args.get(prop)
    if raw is None:
        return default
    number = ascii_int(raw, signed=True)
    if number is None:
        problems.append(
            _problem(prop, raw, {"isNumber": f"{prop} must be a number conforming to the specified constraints"})
        )
        return default
    if number < low:
        problems.append(_problem(prop, number, {"min": f"{prop} must not be less than {low}"}))
    elif high is not None and number > high:
        problems.append(_problem(prop, number, {"max": f"{prop} must not be greater than {high}"}))
    return number


def _split(raw_values: list[str]) -> list[str]:
    return [part.strip() for raw in raw_values for part in raw.split(",") if part.strip()]
