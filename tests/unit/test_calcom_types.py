"""Parsing Cal.com payloads into the client's frozen values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ops_ui.calcom.types import (
    Attendee,
    parse_booking,
    parse_booking_page,
    parse_event_type,
    parse_profile,
    parse_reassignment,
    parse_single_booking,
    parse_slots,
)


def booking_payload(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "id": 11,
        "uid": "bk_abc",
        "title": "Cut between Ann and Bob",
        "status": "accepted",
        "start": "2050-09-05T07:00:00.000Z",
        "end": "2050-09-05T07:30:00.000Z",
        "duration": 30,
        "eventTypeId": 7,
        "eventType": {"id": 7, "slug": "cut"},
        "hosts": [{"id": 3, "name": "Ann", "email": "ann@example.com", "username": "ann", "timeZone": "Europe/Berlin"}],
        "attendees": [
            {
                "name": "Bob",
                "email": "bob@example.com",
                "displayEmail": "bob@example.com",
                "timeZone": "Europe/Berlin",
                "language": "en",
                "absent": False,
                "phoneNumber": "+4915112345678",
            }
        ],
        "metadata": {"appointmentId": "748"},
        "cancellationReason": "",
        "cancelledByEmail": "",
        "rescheduledFromUid": None,
    }
    payload.update(overrides)
    return payload


def test_booking_fields() -> None:
    booking = parse_booking(booking_payload())
    assert booking.id == 11
    assert booking.uid == "bk_abc"
    assert booking.status == "accepted"
    assert booking.start == datetime(2050, 9, 5, 7, 0, tzinfo=UTC)
    assert booking.end - booking.start == timedelta(minutes=30)
    assert booking.duration == 30
    assert booking.event_type_id == 7
    assert booking.host_ids == (3,)
    assert booking.attendees[0].name == "Bob"
    assert booking.attendees[0].phone_number == "+4915112345678"
    assert booking.attendees[0].time_zone == "Europe/Berlin"
    assert booking.metadata == {"appointmentId": "748"}
    assert booking.cancellation_reason is None  # "" from Cal.com means "not cancelled"
    assert booking.rescheduled_from_uid is None
    assert booking.rescheduled_to_uid is None
    assert booking.raw["title"] == "Cut between Ann and Bob"


def test_booking_falls_back_to_deprecated_event_type_id() -> None:
    payload = booking_payload()
    del payload["eventType"]
    assert parse_booking(payload).event_type_id == 7


def test_booking_is_frozen() -> None:
    booking = parse_booking(booking_payload())
    with pytest.raises(AttributeError):
        booking.status = "cancelled"  # type: ignore[misc]


def test_a_one_element_array_is_that_booking_and_a_series_is_refused() -> None:
    assert parse_single_booking([booking_payload()]).uid == "bk_abc"
    with pytest.raises(ValueError, match="array of 2"):
        parse_single_booking([booking_payload(), booking_payload(uid="bk_def")])


@pytest.mark.parametrize(
    "payload",
    [
        booking_payload(start="2050-09-05T07:00:00"),  # no offset
        booking_payload(id="11"),
        {"uid": "bk_abc"},
        "not an object",
    ],
)
def test_unexpected_booking_shapes_raise(payload: object) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        parse_single_booking(payload)


def test_slots_are_flattened_sorted_and_keep_their_offset() -> None:
    data = {
        "2050-09-06": [{"start": "2050-09-06T09:00:00.000+02:00"}],
        "2050-09-05": [{"start": "2050-09-05T10:00:00.000+02:00"}, {"start": "2050-09-05T09:30:00.000+02:00"}],
    }
    slots = parse_slots(data)
    assert [s.start.isoformat() for s in slots] == [
        "2050-09-05T09:30:00+02:00",
        "2050-09-05T10:00:00+02:00",
        "2050-09-06T09:00:00+02:00",
    ]
    assert slots[0].start.utcoffset() == timedelta(hours=2)
    assert parse_slots({}) == []


def test_team_event_type_reads_scheduling_type_and_host_user_ids() -> None:
    event_type = parse_event_type(
        {
            "id": 9,
            "slug": "colour",
            "title": "Colour",
            "lengthInMinutes": 90,
            "ownerId": None,
            "teamId": 1,
            "schedulingType": "roundRobin",
            "hosts": [{"userId": 3, "name": "Ann", "username": "ann"}, {"userId": 4, "name": "Cy", "username": "cy"}],
        }
    )
    assert event_type.scheduling_type == "roundRobin"
    assert event_type.is_round_robin
    assert event_type.host_ids == (3, 4)
    assert event_type.owner_id is None
    assert event_type.length_in_minutes == 90


def test_individual_event_type_hosts_come_from_users_or_owner() -> None:
    base = {"id": 7, "slug": "cut", "title": "Cut", "lengthInMinutes": 30, "ownerId": 3}
    assert parse_event_type({**base, "users": [{"id": 3, "name": "Ann"}]}).host_ids == (3,)
    only_owner = parse_event_type(base)
    assert only_owner.host_ids == (3,)
    assert only_owner.scheduling_type is None
    assert not only_owner.is_round_robin


def test_profile() -> None:
    profile = parse_profile(
        {"id": 3, "username": "ann", "email": "ann@example.com", "name": "Ann", "timeZone": "Europe/Berlin"}
    )
    assert (profile.id, profile.username, profile.time_zone) == (3, "ann", "Europe/Berlin")


def test_booking_page() -> None:
    page = parse_booking_page(
        [booking_payload(), booking_payload(uid="bk_def")],
        {"totalItems": 5, "hasNextPage": True, "returnedItems": 2},
    )
    assert [b.uid for b in page.bookings] == ["bk_abc", "bk_def"]
    assert page.total_items == 5
    assert page.has_next_page is True


def test_reassignment() -> None:
    result = parse_reassignment(
        {"bookingUid": "bk_abc", "reassignedTo": {"id": 4, "name": "Cy", "email": "cy@example.com"}}
    )
    assert (result.booking_uid, result.user_id, result.name, result.email) == ("bk_abc", 4, "Cy", "cy@example.com")


def test_attendee_body_omits_none_fields() -> None:
    assert Attendee(name="Bob", time_zone="Europe/Berlin", phone_number="+4915112345678").to_api() == {
        "name": "Bob",
        "timeZone": "Europe/Berlin",
        "phoneNumber": "+4915112345678",
        "language": "en",
    }


def test_offsets_other_than_utc_are_kept() -> None:
    booking = parse_booking(booking_payload(start="2050-09-05T09:00:00+02:00"))
    assert booking.start.tzinfo == timezone(timedelta(hours=2))
