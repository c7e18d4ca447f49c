"""Booking and slot behaviour of Cal.com v2, over the simulator's store and clock.

Deliberate simplifications (documented so nobody mistakes them for Cal.com facts):
- the API-key owner is admin of every event type, sees every booking and may reassign any round-robin booking;
- a booking must fit inside one working interval of the host and not overlap an accepted booking of that host;
  outside working hours answers the same "not available" message as a busy host, like Cal.com's
  ``no_available_users_found_error``;
- round-robin team types pick the first free host in ``hostIds`` order.

Every committed create, reschedule and cancel is announced through ``notify`` (the webhook dispatcher), whoever
asked for it: the API or the simulated Cal.com UI (``/_sim/ui/...``), which calls these same methods.
"""

from __future__ import annotations

import builtins
import secrets
import string
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from calcom_simulator import errors, output, slots, webhooks
from calcom_simulator.clock import Clock
from calcom_simulator.errors import ApiError, bad_request, iso_ms, not_found
from calcom_simulator.store import Store
from calcom_simulator.validation import LATEST_INSTANT, BookingsQuery, SlotsQuery, parse_instant, parse_slots_query

LONGEST_SLOT = timedelta(days=1)
"""No working interval is longer (rules end by midnight), so no slot of a longer duration can be offered."""
SINGLE_LENGTH = (
    "Can't specify 'lengthInMinutes' because event type does not have multiple possible lengths. Please, remove "
    "the 'lengthInMinutes' field from the request."
)
_UID_ALPHABET = string.ascii_letters + string.digits


def new_uid() -> str:
    """Cal.com uids are 22-character base62 strings (short-uuid)."""
    return "".join(secrets.choice(_UID_ALPHABET) for _ in range(22))


class BookingService:
    def __init__(self, store: Store, clock: Clock, notify: webhooks.Notify | None = None) -> None:
        self.store = store
        self.clock = clock
        self.notify = notify

    # --- lookups ---------------------------------------------------------------------------------------------

    def _event_type(self, event_type_id: int) -> dict[str, Any]:
        event_type = self.store.event_type(event_type_id)
        if event_type is None:
            raise not_found(f"Event type with id {event_type_id} not found.")
        return event_type

    def _event_type_for_create(self, body: dict[str, Any]) -> dict[str, Any]:
        if "eventTypeId" in body:
            return self._event_type(body["eventTypeId"])
        slug = body["eventTypeSlug"]
        org = f" within organization {body['organizationSlug']}" if body.get("organizationSlug") else ""
        if body.get("username"):
            owner = self.store.user_by_username(body["username"])
            event_type = self.store.event_type_by_slug(owner["id"], slug) if owner else None
            if event_type is None:
                raise not_found(f"Event type with slug {slug} belonging to user {body['username']}{org} not found.")
            return event_type
        raise not_found(f"Event type with slug {slug} belonging to team {body['teamSlug']}{org} not found.")

    def hosts(self, event_type: dict[str, Any]) -> list[dict[str, Any]]:
        ids = event_type["host_ids"] or [event_type["owner_id"]]
        return [user for user in (self.store.user(i) for i in ids) if user is not None]

    def _parties(self, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        event_type = self.store.event_type(row["event_type_id"]) or {"id": row["event_type_id"], "slug": ""}
        organizer = self.store.user(row["host_id"]) or {
            "id": row["host_id"], "name": "", "email": "", "username": "", "time_zone": "UTC",
        }  # fmt: skip
        return event_type, organizer

    def render(self, row: dict[str, Any]) -> dict[str, Any]:
        return output.booking(row, *self._parties(row))

    def _announce(self, trigger: str, row: dict[str, Any], extra: dict[str, Any]) -> None:
        """Called after the transaction committed, so a subscriber that reads the booking back finds it."""
        if self.notify is None:
            return
        event_type, organizer = self._parties(row)
        payload = output.webhook_payload(row, event_type, organizer, sequence=self._sequence(row), extra=extra)
        self.notify(trigger, payload)

    def _sequence(self, row: dict[str, Any]) -> int:
        """``iCalSequence``: how many reschedules led to this booking (Cal.com adds one per reschedule)."""
        count, seen, previous = 0, {row["uid"]}, row["rescheduled_from_uid"]
        while previous and previous not in seen:
            seen.add(previous)
            count += 1
            earlier = self.store.booking(previous)
            previous = earlier["rescheduled_from_uid"] if earlier else None
        return count

    def get(self, uid: str) -> dict[str, Any]:
        row = self.store.booking(uid)
        if row is None:
            raise not_found(f"Booking with uid={uid} was not found in the database")
        return self.render(row)

    # --- availability ----------------------------------------------------------------------------------------

    def host_is_free(self, user: dict[str, Any], start: datetime, end: datetime, exclude_uid: str | None) -> bool:
        rules = [slots.WorkingHours.from_json(rule) for rule in user["working_hours"]]
        zone = ZoneInfo(user["time_zone"])
        if not slots.within_working_hours((start, end), rules, zone):
            return False
        return not self.store.busy_intervals(user["id"], start, end, exclude_uid)

    def _booking_time(self, event_type: dict[str, Any], start_text: str) -> tuple[datetime, datetime]:
        """The booking's UTC start and end, once the start passed the checks Cal.com makes before availability."""
        start = parse_instant(start_text)
        self._check_time(event_type, start)
        start = start.astimezone(UTC)
        return start, start + timedelta(minutes=event_type["length"])

    def _check_time(self, event_type: dict[str, Any], start: datetime) -> None:
        """Comparisons only: ``start`` may still carry an offset that would leave Python's calendar in UTC."""
        now = self.clock.now()
        if start < now:
            raise bad_request(errors.IN_THE_PAST)
        if start < now + timedelta(minutes=event_type["minimum_notice"]):
            raise bad_request(errors.OUT_OF_BOUNDS)
        window = event_type["booking_window_days"]
        if window is not None and start > now + timedelta(days=window):
            raise bad_request(errors.OUT_OF_BOUNDS)
        if start > LATEST_INSTANT:  # too far in the future for the simulator, window or not
            raise bad_request(errors.OUT_OF_BOUNDS)

    def _pick_host(
        self,
        event_type: dict[str, Any],
        start: datetime,
        end: datetime,
        exclude_uid: str | None = None,
        prefer: int | None = None,
    ) -> dict[str, Any]:
        candidates = self.hosts(event_type)
        if prefer is not None:
            candidates.sort(key=lambda user: user["id"] != prefer)
        for user in candidates:
            if self.host_is_free(user, start, end, exclude_uid):
                return user
        raise bad_request(errors.TEAM_HOST_BUSY if event_type["host_ids"] else errors.HOST_BUSY)

    # --- writes ----------------------------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        event_type = self._event_type_for_create(body)
        if body.get("lengthInMinutes") is not None:
            raise bad_request(SINGLE_LENGTH)
        start, end = self._booking_time(event_type, body["start"])
        attendee = dict(body["attendee"])
        attendee.setdefault("language", "en")
        uid = new_uid()
        with self.store.transaction():
            organizer = self._pick_host(event_type, start, end)
            now = self.clock.now()
            row = self.store.insert_booking(
                uid=uid,
                event_type_id=event_type["id"],
                host_id=organizer["id"],
                title=f"{event_type['title']} between {organizer['name']} and {attendee['name']}",
                start=start,
                end=end,
                status="accepted",
                attendee=attendee,
                guests=body.get("guests") or [],
                metadata=body.get("metadata") or {},
                booking_fields=body.get("bookingFieldsResponses") or {},
                location=_location(body.get("location"), body.get("meetingUrl")),
                ics_uid=f"{uuid.uuid4()}@Cal.com",
                created_at=now,
                updated_at=None,
            )
        self._announce(webhooks.BOOKING_CREATED, row, {})
        return self.render(row)

    def reschedule(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            old = self.store.booking(uid)
            if old is None:
                raise not_found(f"Booking with uid={uid} was not found in the database")
            if old["status"] == "cancelled":
                if old["rescheduled_to_uid"]:
                    new = old["rescheduled_to_uid"]
                    raise bad_request(
                        f"Can't reschedule booking with uid={uid} because it has been cancelled and rescheduled "
                        f"already to booking with uid={new}. You probably want to reschedule {new} instead by "
                        "passing it within the request URL."
                    )
                raise bad_request(
                    f"Can't reschedule booking with uid={uid} because it has been cancelled. Please provide uid of "
                    "a booking that is not cancelled."
                )
            event_type = self._event_type(old["event_type_id"])
            start, end = self._booking_time(event_type, body["start"])
            organizer = self._pick_host(event_type, start, end, exclude_uid=uid, prefer=old["host_id"])
            now = self.clock.now()
            new_row = self.store.insert_booking(
                uid=new_uid(),
                event_type_id=event_type["id"],
                host_id=organizer["id"],
                title=old["title"],
                start=start,
                end=end,
                status="accepted",
                attendee=old["attendee"],
                guests=old["guests"],
                metadata=old["metadata"],
                booking_fields=old["booking_fields"],
                location=old["location"],
                rescheduling_reason=body.get("reschedulingReason"),
                rescheduled_by_email=body.get("rescheduledBy"),
                rescheduled_from_uid=uid,
                ics_uid=old["ics_uid"],
                created_at=now,
                updated_at=None,
            )
            self.store.update_booking(
                uid,
                status="cancelled",
                rescheduled_to_uid=new_row["uid"],
                rescheduled_by_email=body.get("rescheduledBy"),
                updated_at=now,
            )
        self._announce(webhooks.BOOKING_RESCHEDULED, new_row, _reschedule_extra(old, body.get("rescheduledBy")))
        return self.render(new_row)

    def cancel(self, uid: str, body: dict[str, Any], caller: dict[str, Any] | None) -> dict[str, Any]:
        with self.store.transaction():
            row = self.store.booking(uid)
            if row is None:
                raise not_found(f"Booking with uid={uid} not found")
            if row["status"] == "cancelled":
                raise bad_request(
                    f"Can't cancel booking with uid={uid} because it has been cancelled already. Please provide uid "
                    "of a booking that is not cancelled."
                )
            row = self.store.update_booking(
                uid,
                status="cancelled",
                cancellation_reason=body.get("cancellationReason") or "",
                cancelled_by_email=caller["email"] if caller else "",
                updated_at=self.clock.now(),
            )
        extra = {
            "cancellationReason": row["cancellation_reason"],
            "cancelledBy": row["cancelled_by_email"],
            "requestReschedule": False,
        }
        self._announce(webhooks.BOOKING_CANCELLED, row, extra)
        return self.render(row)

    def reassign(self, uid: str, user_id: int) -> dict[str, Any]:
        """Round-robin only; the key owner is treated as admin of every event type, so 403 never happens here.

        Announces nothing: Cal.com's manual reassignment sends no webhook (see ``calcom_simulator.webhooks``).
        """
        with self.store.transaction():
            row = self.store.booking(uid)
            if row is None:
                raise not_found(f"Booking with uid={uid} was not found in the database")
            event_type = self.store.event_type(row["event_type_id"])
            if event_type is None:
                raise bad_request(f"Event type with id={row['event_type_id']} was not found in the database")
            user = self.store.user(user_id)
            if user is None:
                raise not_found(f"User with id={user_id} was not found in the database")
            if event_type["scheduling_type"] != "roundRobin" or user_id not in (event_type["host_ids"] or []):
                raise bad_request(
                    f"User with id={user_id} is not a valid Round Robin host - the user to which you reassign this "
                    "booking must be one of the booking hosts. Fetch the booking using following endpoint and "
                    "select id of one of the hosts: https://cal.com/docs/api-reference/v2/bookings/get-a-booking"
                )
            if not self.host_is_free(user, row["start"], row["end"], exclude_uid=uid):
                raise bad_request(errors.HOST_BUSY)
            self.store.update_booking(uid, host_id=user_id, updated_at=self.clock.now())
        return {
            "bookingUid": uid,
            "reassignedTo": {
                "id": user["id"],
                "name": user["name"],
                "email": user["email"],
                "displayEmail": user["email"],
            },
        }

    # --- reads -----------------------------------------------------------------------------------------------

    def list(self, query: BookingsQuery) -> tuple[builtins.list[dict[str, Any]], dict[str, Any]]:
        now = self.clock.now()
        rows = [row for row in self.store.bookings() if _matches(row, query, now)]
        for key, direction in reversed(query.sorts or (("start", "asc"),)):
            column = {"start": "start", "end": "end", "created": "created_at", "updated": "updated_at"}[key]
            rows.sort(key=partial(_sort_value, column=column), reverse=direction == "desc")
        total = len(rows)
        page = rows[query.skip : query.skip + query.take]
        pagination = {
            "totalItems": total,
            "remainingItems": max(0, total - (query.skip + len(page))),
            "returnedItems": len(page),
            "itemsPerPage": query.take,
            "currentPage": query.skip // query.take + 1 if total else 0,
            "totalPages": -(-total // query.take),
            "hasNextPage": query.skip + query.take < total,
            "hasPreviousPage": query.skip > 0,
        }
        return [self.render(row) for row in page], pagination

    def slots(self, args: Any) -> dict[str, builtins.list[dict[str, str]]]:
        """``GET /v2/slots`` for an event type, keyed by date in the requested zone."""
        query = parse_slots_query(args)
        event_type = self._event_type(query.event_type_id)
        minutes = query.duration or event_type["length"]
        if minutes > LONGEST_SLOT.total_seconds() // 60:  # nothing fits, and a huge timedelta would overflow
            return {}
        length = timedelta(minutes=minutes)
        starts = self._free_starts(event_type, query, length)
        return _slots_by_local_date(starts, query, length)

    def _free_starts(self, event_type: dict[str, Any], query: SlotsQuery, length: timedelta) -> set[datetime]:
        """A start is offered when at least one host is free then; which host gets it is decided at booking time.

        The range starts no earlier than the earliest bookable start: nothing before it is offered anyway, and a
        start in year 1 could not be widened by a slot's length.
        """
        step = timedelta(minutes=event_type["slot_interval"] or int(length.total_seconds() // 60))
        now = self.clock.now()
        earliest = now + timedelta(minutes=event_type["minimum_notice"])
        window = event_type["booking_window_days"]
        latest = now + timedelta(days=window) if window is not None else None
        range_start, range_end = max(query.range_start, earliest), query.range_end
        exclude_uid = query.reschedule_uid
        starts: set[datetime] = set()
        for user in self.hosts(event_type):
            rules = [slots.WorkingHours.from_json(rule) for rule in user["working_hours"]]
            busy = self.store.busy_intervals(user["id"], range_start - length, range_end + length, exclude_uid)
            starts.update(
                slots.free_slot_starts(
                    rules,
                    ZoneInfo(user["time_zone"]),
                    busy,
                    range_start=range_start,
                    range_end=range_end,
                    length=length,
                    step=step,
                    earliest=earliest,
                    latest=latest,
                )
            )
        return starts


def _slots_by_local_date(
    starts: set[datetime], query: SlotsQuery, length: timedelta
) -> dict[str, list[dict[str, str]]]:
    """The response's ``{date: [{"start": …}]}``; ``format=range`` adds each slot's ``end``."""
    write = iso_ms if query.utc_as_z else slots.format_local
    return {
        day: [{"start": write(m)} | ({"end": write(m + length)} if query.with_end else {}) for m in moments]
        for day, moments in slots.group_by_local_date(starts, query.zone).items()
    }


def _reschedule_extra(old: dict[str, Any], rescheduled_by: str | None) -> dict[str, Any]:
    """What ``BOOKING_RESCHEDULED`` adds about the booking it replaced; ``rescheduledBy`` is left out when nobody
    was named (Cal.com's ``JSON.stringify`` drops the ``undefined``)."""
    extra: dict[str, Any] = {
        "rescheduleId": old["id"],
        "rescheduleUid": old["uid"],
        "rescheduleStartTime": output.webhook_time(old["start"]),
        "rescheduleEndTime": output.webhook_time(old["end"]),
    }
    if rescheduled_by:
        extra["rescheduledBy"] = rescheduled_by
    return extra


def _location(location: dict[str, Any] | None, meeting_url: str | None) -> str | None:
    if location:
        for key in ("address", "link", "phone", "location"):
            if location.get(key):
                return str(location[key])
        if location.get("type") == "integration":
            return f"integrations:{location.get('integration', 'cal-video')}"
    return meeting_url or "integrations:daily"


def _matches(row: dict[str, Any], query: BookingsQuery, now: datetime) -> bool:
    """Every filter of ``GET /v2/bookings`` that was given must hold; an absent filter lets every booking through."""
    return _status_matches(row, query.statuses, now) and _fields_match(row, query) and _dates_match(row, query)


def _status_matches(row: dict[str, Any], statuses: tuple[str, ...], now: datetime) -> bool:
    """Several statuses widen the result (any of them will do)."""
    if not statuses:
        return True
    status = row["status"]
    live = status not in ("cancelled", "rejected")
    wanted = {
        "upcoming": live and row["end"] >= now,
        "past": live and row["end"] <= now,
        "cancelled": not live,
        "unconfirmed": status == "pending" and row["end"] >= now,
        "recurring": False,
    }
    return any(wanted[s] for s in statuses)


def _fields_match(row: dict[str, Any], query: BookingsQuery) -> bool:
    attendee = row["attendee"]
    checks: list[bool] = [
        query.attendee_email is None or (attendee.get("email") or "").lower() == query.attendee_email.lower(),
        query.attendee_name is None or attendee["name"].lower() == query.attendee_name.lower(),
        query.booking_uid is None or row["uid"] == query.booking_uid,
        not query.event_type_ids or row["event_type_id"] in query.event_type_ids,
    ]
    return all(checks)


def _dates_match(row: dict[str, Any], query: BookingsQuery) -> bool:
    """Bounds are inclusive; a booking never updated counts as updated when it was created."""
    updated = row["updated_at"] or row["created_at"]
    checks: list[bool] = [
        query.after_start is None or row["start"] >= query.after_start,
        query.before_end is None or row["end"] <= query.before_end,
        query.after_created is None or row["created_at"] >= query.after_created,
        query.before_created is None or row["created_at"] <= query.before_created,
        query.after_updated is None or updated >= query.after_updated,
        query.before_updated is None or updated <= query.before_updated,
    ]
    return all(checks)


__all__ = ["ApiError", "BookingService", "new_uid"]


def _sort_value(row: dict[str, Any], column: str) -> Any:
    return row[column] or row["created_at"]
