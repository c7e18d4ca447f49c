"""``GET /v2/slots`` of the simulator: working hours, busy time, rescheduling, time zones, odd queries."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from ops_ui.calcom.types import parse_slots
from tests.support.simulator_fixtures import (
    BEYOND_64_BITS,
    SLOTS_VERSION,
    RunningSimulator,
    bad_request_error,
    pipe_details,
)

LATEST = "9999-12-01T00:00:00.000Z"


def slots(sim: RunningSimulator, **params: str | int) -> requests.Response:
    return sim.session().get(sim.url("/v2/slots"), params=params, headers=sim.headers(SLOTS_VERSION, auth=False))


def starts(data: dict, day: str) -> list[str]:
    return [slot["start"] for slot in data.get(day, [])]


def test_slots_follow_working_hours_in_requested_zone(sim: RunningSimulator) -> None:
    host = sim.make_host(working_hours=[{"days": [1], "startTime": "09:00", "endTime": "12:00"}])
    event_type = sim.make_event_type(host)
    response = slots(sim, start="2050-09-05", end="2050-09-06", eventTypeId=event_type["id"], timeZone="Europe/Berlin")
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "data": {
            "2050-09-05": [
                {"start": "2050-09-05T09:00:00.000+02:00"},
                {"start": "2050-09-05T10:00:00.000+02:00"},
                {"start": "2050-09-05T11:00:00.000+02:00"},
            ]
        },
    }
    utc = slots(sim, start="2050-09-05", end="2050-09-05", eventTypeId=event_type["id"]).json()["data"]
    assert starts(utc, "2050-09-05")[0] == "2050-09-05T07:00:00.000Z"
    new_york = slots(
        sim, start="2050-09-05", end="2050-09-05", eventTypeId=event_type["id"], timeZone="America/New_York"
    ).json()["data"]
    assert starts(new_york, "2050-09-05") == [
        "2050-09-05T03:00:00.000-04:00", "2050-09-05T04:00:00.000-04:00", "2050-09-05T05:00:00.000-04:00",
    ]  # fmt: skip


def test_booked_slot_disappears_and_reschedule_uid_frees_it(sim: RunningSimulator) -> None:
    host = sim.make_host(working_hours=[{"days": [1], "startTime": "09:00", "endTime": "11:00"}])
    event_type = sim.make_event_type(host)
    booking = sim.book(sim.session(), event_type["id"], "2050-09-05T07:00:00Z")
    query = {"start": "2050-09-05", "end": "2050-09-05", "eventTypeId": event_type["id"], "timeZone": "Europe/Berlin"}
    assert starts(slots(sim, **query).json()["data"], "2050-09-05") == ["2050-09-05T10:00:00.000+02:00"]
    freed = slots(sim, **query, bookingUidToReschedule=booking["uid"]).json()["data"]
    assert starts(freed, "2050-09-05") == ["2050-09-05T09:00:00.000+02:00", "2050-09-05T10:00:00.000+02:00"]


def test_range_format_duration_and_interval(sim: RunningSimulator) -> None:
    host = sim.make_host(working_hours=[{"days": [1], "startTime": "09:00", "endTime": "10:00"}])
    event_type = sim.make_event_type(host, length=30, slot_interval_minutes=15)
    data = slots(
        sim,
        start="2050-09-05",
        end="2050-09-05",
        eventTypeId=event_type["id"],
        timeZone="Europe/Berlin",
        format="range",
    ).json()["data"]
    assert data["2050-09-05"][0] == {"start": "2050-09-05T09:00:00.000+02:00", "end": "2050-09-05T09:30:00.000+02:00"}
    assert len(data["2050-09-05"]) == 3  # 09:00, 09:15, 09:30
    longer = slots(
        sim, start="2050-09-05", end="2050-09-05", eventTypeId=event_type["id"], timeZone="Europe/Berlin", duration=60
    ).json()["data"]
    assert starts(longer, "2050-09-05") == ["2050-09-05T09:00:00.000+02:00"]


def test_no_availability_is_empty_object_and_past_is_excluded(sim: RunningSimulator) -> None:
    host = sim.make_host()
    event_type = sim.make_event_type(host)
    sunday = slots(sim, start="2050-09-04", end="2050-09-04", eventTypeId=event_type["id"], timeZone="Europe/Berlin")
    assert sunday.json() == {"status": "success", "data": {}}
    past = slots(sim, start="2020-01-06", end="2020-01-07", eventTypeId=event_type["id"], timeZone="Europe/Berlin")
    assert past.json()["data"] == {}


def test_round_robin_slot_is_free_when_any_host_is(sim: RunningSimulator) -> None:
    hours = [{"days": [1], "startTime": "09:00", "endTime": "10:00"}]
    anna, carla = sim.make_host("Anna Stylist", working_hours=hours), sim.make_host("Carla Colour", working_hours=hours)
    team_type = sim.make_event_type(anna, slug="team", host_ids=[anna["id"], carla["id"]])
    query = {"start": "2050-09-05", "end": "2050-09-05", "eventTypeId": team_type["id"], "timeZone": "Europe/Berlin"}
    sim.book(sim.session(), team_type["id"], "2050-09-05T07:00:00Z")
    assert starts(slots(sim, **query).json()["data"], "2050-09-05") == ["2050-09-05T09:00:00.000+02:00"]
    sim.book(sim.session(), team_type["id"], "2050-09-05T07:00:00Z")
    assert slots(sim, **query).json()["data"] == {}


def test_slots_errors(sim: RunningSimulator) -> None:
    host = sim.make_host()
    event_type = sim.make_event_type(host)
    bad_zone = slots(sim, start="2050-09-05", end="2050-09-05", eventTypeId=event_type["id"], timeZone="Nowhere/City")
    assert bad_zone.status_code == 400
    assert bad_zone.json()["error"]["message"] == "timeZone property is wrong,timeZone must be a valid IANA time-zone "
    missing = slots(sim, start="2050-09-05", end="2050-09-05", eventTypeId=424242)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "Event type with id 424242 not found."
    bad_key = sim.session().get(
        sim.url("/v2/slots"),
        params={"start": "2050-09-05", "end": "2050-09-05", "eventTypeId": event_type["id"]},
        headers={"cal-api-version": SLOTS_VERSION, "Authorization": "Bearer cal_live_unknown"},
    )
    assert bad_key.status_code == 401
    assert bad_key.json()["error"]["message"] == "CustomThrottlerGuard - Invalid API Key"


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        (None, "2050-12-05T08:00:00.000Z"),
        ("UTC", "2050-12-05T08:00:00.000Z"),
        ("Etc/UTC", "2050-12-05T08:00:00.000+00:00"),
        ("Europe/London", "2050-12-05T08:00:00.000+00:00"),
    ],
    ids=["no-zone", "UTC", "Etc-UTC", "London-in-winter"],
)
def test_utc_slots_are_written_with_z_and_iana_zones_keep_their_offset(
    sim: RunningSimulator, zone: str | None, first: str
) -> None:
    """Cal.com formats slots with Luxon: its fixed UTC zone writes ``Z``, an IANA zone writes ``+00:00``."""
    host = sim.make_host(working_hours=[{"days": [1], "startTime": "09:00", "endTime": "11:00"}])
    event_type = sim.make_event_type(host)
    query = {"start": "2050-12-05", "end": "2050-12-05", "eventTypeId": event_type["id"], "format": "range"}
    data = slots(sim, **query, **({"timeZone": zone} if zone else {})).json()["data"]
    assert data["2050-12-05"][0]["start"] == first
    assert data["2050-12-05"][0]["end"] == first.replace("T08:", "T09:")
    assert [slot.start for slot in parse_slots(data)] == [
        datetime.fromisoformat("2050-12-05T08:00:00+00:00"), datetime.fromisoformat("2050-12-05T09:00:00+00:00"),
    ]  # fmt: skip


def test_end_is_exclusive_and_a_date_only_end_covers_the_whole_day(sim: RunningSimulator) -> None:
    host = sim.make_host(time_zone="UTC", working_hours=[{"days": [1], "startTime": "09:00", "endTime": "18:00"}])
    event_type = sim.make_event_type(host)
    morning = slots(sim, start="2050-09-05T09:00:00Z", end="2050-09-05T12:00:00Z", eventTypeId=event_type["id"])
    assert starts(morning.json()["data"], "2050-09-05") == [
        "2050-09-05T09:00:00.000Z", "2050-09-05T10:00:00.000Z", "2050-09-05T11:00:00.000Z",
    ]  # fmt: skip
    afternoon = slots(sim, start="2050-09-05T12:00:00Z", end="2050-09-05", eventTypeId=event_type["id"])
    assert starts(afternoon.json()["data"], "2050-09-05") == [f"2050-09-05T{h}:00:00.000Z" for h in range(12, 18)]
    one_minute = slots(sim, start="2050-09-05T17:00:00Z", end="2050-09-05T17:01:00Z", eventTypeId=event_type["id"])
    assert starts(one_minute.json()["data"], "2050-09-05") == ["2050-09-05T17:00:00.000Z"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"eventTypeId": "²"}, "eventTypeId property is wrong,eventTypeId must be an integer number "),
        ({"eventTypeId": "١"}, "eventTypeId property is wrong,eventTypeId must be an integer number "),
        ({"duration": "²"}, "duration property is wrong,duration must be an integer number "),
        ({"duration": "0"}, "duration property is wrong,duration must not be less than 1 "),
    ],
    ids=["superscript-event-type", "arabic-indic-event-type", "superscript-duration", "zero-duration"],
)
def test_non_ascii_numbers_in_the_slots_query_are_a_400(sim: RunningSimulator, params: dict, message: str) -> None:
    """``"²".isdigit()`` is true but ``int("²")`` fails, and ``int("١")`` is 1: only ASCII digits are numbers."""
    event_type = sim.make_event_type(sim.make_host())
    query = {"start": "2050-09-05", "end": "2050-09-05", "eventTypeId": event_type["id"]} | params
    response = sim.send_outside_contract("GET", "/v2/slots", params=query, headers=sim.headers(SLOTS_VERSION))
    assert bad_request_error(response) == {
        "code": "BadRequestException", "message": message, "details": pipe_details(message),
    }  # fmt: skip


def test_an_event_type_id_beyond_64_bits_is_a_400_and_a_huge_duration_offers_nothing(sim: RunningSimulator) -> None:
    event_type = sim.make_event_type(sim.make_host())
    beyond = slots(sim, start="2050-09-05", end="2050-09-05", eventTypeId=BEYOND_64_BITS)
    message = "eventTypeId property is wrong,eventTypeId must not be greater than 9223372036854775807 "
    assert bad_request_error(beyond)["message"] == message
    huge = slots(sim, start="2050-09-05", end="2050-09-05", eventTypeId=event_type["id"], duration=BEYOND_64_BITS)
    assert huge.json() == {"status": "success", "data": {}}  # no working interval holds it


@pytest.mark.parametrize(
    ("start", "end", "zone", "late"),
    [
        ("2050-09-05", "9999-12-31", "Europe/Berlin", ["end"]),
        ("9999-12-31", "9999-12-31", "UTC", ["start", "end"]),
        ("9999-12-30T23:00:00-05:00", "9999-12-31T23:59:59-05:00", "America/New_York", ["start", "end"]),
        ("9999-12-31T10:00:00", "9999-12-31T23:00:00", "Pacific/Kiritimati", ["start", "end"]),
    ],
    ids=["end-in-9999", "day-9999-12-31", "west-of-greenwich", "naive-east-of-greenwich"],
)
def test_a_slots_range_reaching_year_9999_is_a_400(
    sim: RunningSimulator, start: str, end: str, zone: str, late: list[str]
) -> None:
    event_type = sim.make_event_type(sim.make_host())
    response = slots(sim, start=start, end=end, eventTypeId=event_type["id"], timeZone=zone)
    message = ", ".join(f"{prop} property is wrong,maximal allowed date for {prop} is {LATEST} " for prop in late)
    assert bad_request_error(response) == {
        "code": "BadRequestException", "message": message, "details": pipe_details(message),
    }  # fmt: skip


def test_a_slots_range_from_year_1_offers_what_is_bookable_from_now(sim: RunningSimulator) -> None:
    event_type = sim.make_event_type(
        sim.make_host(working_hours=[{"days": [1], "startTime": "09:00", "endTime": "10:00"}])
    )
    tokyo = slots(sim, start="0001-01-01", end="0001-01-02", eventTypeId=event_type["id"], timeZone="Asia/Tokyo")
    assert tokyo.json() == {"status": "success", "data": {}}
    until_2050 = slots(sim, start="0001-01-01T00:00:00+14:00", end="2050-09-05", eventTypeId=event_type["id"])
    assert until_2050.status_code == 200
    assert starts(until_2050.json()["data"], "2050-09-05") == ["2050-09-05T07:00:00.000Z"]
