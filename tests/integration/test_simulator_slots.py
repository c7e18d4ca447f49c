"""``GET /v2/slots`` of the simulator: working hours, busy time, rescheduling, time zones."""

from __future__ import annotations

import requests

from tests.support.simulator_fixtures import SLOTS_VERSION, RunningSimulator


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
    assert starts(utc, "2050-09-05")[0] == "2050-09-05T07:00:00.000+00:00"
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
