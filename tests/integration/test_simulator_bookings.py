"""Booking endpoints of the simulator over real HTTP, every request and response checked against the contract."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from ops_ui.calcom.types import parse_booking
from tests.support.simulator_fixtures import BEYOND_64_BITS, RunningSimulator, bad_request_error, pipe_details

MONDAY_9_BERLIN = "2050-09-05T07:00:00Z"
MONDAY_10_BERLIN = "2050-09-05T08:00:00Z"
INT64_MAX = 2**63 - 1
UTC_MILLIS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")  # JavaScript's Date.toISOString()
OUT_OF_BOUNDS = (
    "The event type can't be booked at the \"start\" time provided. This could be because it's too soon "
    "(violating the minimum booking notice) or too far in the future (outside the event's scheduling window). "
    'Try fetching available slots first using the GET /v2/slots endpoint and then make a booking with "start" '
    "time equal to one of the available slots."
)


@pytest.fixture
def setup(sim: RunningSimulator) -> tuple[RunningSimulator, dict, dict]:
    host = sim.make_host()
    event_type = sim.make_event_type(host)
    return sim, host, event_type


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    assert body["status"] == "error"
    return response.status_code, body["error"]["code"], body["error"]["message"]


def test_create_booking_returns_booking_output_with_metadata_and_phone(setup) -> None:
    sim, host, event_type = setup
    s = sim.session()
    body = sim.booking_body(event_type["id"], MONDAY_9_BERLIN, phoneNumber="+4915112345678")
    response = s.post(sim.url("/v2/bookings"), json=body, headers=sim.headers())
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == "accepted"
    assert (data["start"], data["end"], data["duration"]) == (
        "2050-09-05T07:00:00.000Z",
        "2050-09-05T08:00:00.000Z",
        60,
    )
    assert data["eventType"] == {"id": event_type["id"], "slug": event_type["slug"]}
    assert data["hosts"][0]["id"] == host["id"]
    assert data["attendees"][0]["phoneNumber"] == "+4915112345678"
    assert data["metadata"] == {"appointmentId": "748"}
    assert data["cancellationReason"] == "" and data["cancelledByEmail"] == ""
    assert response.headers["X-Request-Id"]
    fetched = s.get(sim.url(f"/v2/bookings/{data['uid']}"), headers=sim.headers())
    assert fetched.status_code == 200 and fetched.json()["data"]["uid"] == data["uid"]


def test_overlapping_booking_of_same_host_is_refused_with_exact_message(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    response = s.post(
        sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], "2050-09-05T07:30:00Z"), headers=sim.headers()
    )
    assert error_of(response) == (
        400, "BadRequestException", "User either already has booking at this time or is not available"
    )  # fmt: skip


def test_other_host_is_not_blocked_by_a_colleagues_booking(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    colleague = sim.make_host("Carla Colour")
    other_type = sim.make_event_type(colleague, slug="colour")
    sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    assert sim.book(s, other_type["id"], MONDAY_9_BERLIN)["hosts"][0]["id"] == colleague["id"]


@pytest.mark.parametrize(
    ("attendee", "message"),
    [
        (
            {"email": None, "phoneNumber": "anonymous_1712345678_ab12cd"},
            "attendee property is wrong, phoneNumber property is wrong,phoneNumber must be a valid phone number ",
        ),
        ({"email": "not-an-email"}, "attendee property is wrong, email property is wrong,email must be an email "),
        (
            {"email": None},
            "attendee property is wrong,Attendee must have at least one contact method (email or phone number) ",
        ),
        (
            {"timeZone": "Mars/Olympus"},
            "attendee property is wrong, timeZone property is wrong,timeZone must be a valid IANA time-zone ",
        ),
    ],
    ids=["anonymous-phone", "bad-email", "no-contact", "bad-time-zone"],
)
def test_invalid_attendee_is_rejected_with_pipe_message(setup, attendee: dict, message: str) -> None:
    sim, _, event_type = setup
    body = sim.booking_body(event_type["id"], MONDAY_9_BERLIN, **attendee)
    response = sim.session().post(sim.url("/v2/bookings"), json=body, headers=sim.headers())
    assert error_of(response) == (400, "BadRequestException", message)


def test_unknown_property_and_bad_start_are_rejected(setup) -> None:
    sim, _, event_type = setup
    # Unknown properties break the contract, so this request goes out through a plain session.
    body = sim.booking_body(event_type["id"], "next monday") | {"appointmentId": 748}
    response = requests.post(sim.url("/v2/bookings"), json=body, headers=sim.headers(), timeout=5)
    assert error_of(response)[2] == (
        "start property is wrong,start must be a valid ISO 8601 date string , "
        "appointmentId property is wrong,property appointmentId should not exist "
    )


def test_metadata_limits(setup) -> None:
    sim, _, event_type = setup
    body = sim.booking_body(event_type["id"], MONDAY_9_BERLIN) | {"metadata": {"k" * 41: "v"}}
    response = sim.session().post(sim.url("/v2/bookings"), json=body, headers=sim.headers())
    assert error_of(response)[2] == (
        "metadata property is wrong,Metadata must have at most 50 keys, each key up to 40 characters, and string "
        "values up to 500 characters. "
    )


def test_unknown_event_type_is_404(setup) -> None:
    sim, _, _ = setup
    response = sim.session().post(
        sim.url("/v2/bookings"), json=sim.booking_body(999999, MONDAY_9_BERLIN), headers=sim.headers()
    )
    assert error_of(response) == (404, "NotFoundException", "Event type with id 999999 not found.")


def test_start_in_the_past_and_out_of_bounds(setup) -> None:
    sim, host, event_type = setup
    s = sim.session()
    past = s.post(
        sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], "2020-01-06T09:00:00Z"), headers=sim.headers()
    )
    assert error_of(past) == (400, "BadRequestException", "Attempting to book a meeting in the past.")
    # Replay: shift the simulator clock to just before Monday 09:00 Berlin; a 2-hour notice makes it too soon.
    noticed = sim.make_event_type(host, slug="notice", minimum_booking_notice_minutes=120)
    sim.admin.set_clock_offset(_seconds_until("2050-09-05T06:30:00+00:00"))
    too_soon = s.post(
        sim.url("/v2/bookings"), json=sim.booking_body(noticed["id"], MONDAY_9_BERLIN), headers=sim.headers()
    )
    assert error_of(too_soon) == (400, "BadRequestException", OUT_OF_BOUNDS)
    windowed = sim.make_event_type(host, slug="window", booking_window_days=30)
    sim.admin.clear_clock()
    too_far = s.post(
        sim.url("/v2/bookings"), json=sim.booking_body(windowed["id"], MONDAY_9_BERLIN), headers=sim.headers()
    )
    assert error_of(too_far) == (400, "BadRequestException", OUT_OF_BOUNDS)


def _seconds_until(iso: str) -> float:
    return (datetime.fromisoformat(iso) - datetime.now(UTC)).total_seconds()


def test_outside_working_hours_is_not_available(setup) -> None:
    sim, _, event_type = setup
    sunday = sim.session().post(
        sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], "2050-09-04T08:00:00Z"), headers=sim.headers()
    )
    assert error_of(sunday)[2] == "User either already has booking at this time or is not available"


def test_get_unknown_booking_is_404(sim: RunningSimulator) -> None:
    response = sim.session().get(sim.url("/v2/bookings/nope123"), headers=sim.headers())
    assert error_of(response) == (404, "NotFoundException", "Booking with uid=nope123 was not found in the database")


def test_reschedule_creates_new_uid_and_cancels_old(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    old = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    # Moving by 30 minutes overlaps the booking itself: the conflict check must ignore it.
    response = s.post(
        sim.url(f"/v2/bookings/{old['uid']}/reschedule"),
        json={"start": "2050-09-05T07:30:00Z", "reschedulingReason": "Customer late"},
        headers=sim.headers(),
    )
    assert response.status_code == 201
    new = response.json()["data"]
    assert new["uid"] != old["uid"]
    assert new["rescheduledFromUid"] == old["uid"] and new["reschedulingReason"] == "Customer late"
    assert new["metadata"] == old["metadata"]
    old_now = s.get(sim.url(f"/v2/bookings/{old['uid']}"), headers=sim.headers()).json()["data"]
    assert old_now["status"] == "cancelled" and old_now["rescheduledToUid"] == new["uid"]
    again = s.post(
        sim.url(f"/v2/bookings/{old['uid']}/reschedule"), json={"start": MONDAY_10_BERLIN}, headers=sim.headers()
    )
    assert error_of(again) == (
        400,
        "BadRequestException",
        f"Can't reschedule booking with uid={old['uid']} because it has been cancelled and rescheduled already to "
        f"booking with uid={new['uid']}. You probably want to reschedule {new['uid']} instead by passing it within "
        "the request URL.",
    )


def test_reschedule_cancelled_or_missing_booking(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    booking = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    s.post(sim.url(f"/v2/bookings/{booking['uid']}/cancel"), json={}, headers=sim.headers())
    response = s.post(
        sim.url(f"/v2/bookings/{booking['uid']}/reschedule"), json={"start": MONDAY_10_BERLIN}, headers=sim.headers()
    )
    assert error_of(response)[2] == (
        f"Can't reschedule booking with uid={booking['uid']} because it has been cancelled. Please provide uid of a "
        "booking that is not cancelled."
    )
    missing = s.post(sim.url("/v2/bookings/nope/reschedule"), json={"start": MONDAY_10_BERLIN}, headers=sim.headers())
    assert error_of(missing) == (404, "NotFoundException", "Booking with uid=nope was not found in the database")


def test_reschedule_onto_a_busy_slot_conflicts(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    first = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    sim.book(s, event_type["id"], MONDAY_10_BERLIN)
    response = s.post(
        sim.url(f"/v2/bookings/{first['uid']}/reschedule"), json={"start": MONDAY_10_BERLIN}, headers=sim.headers()
    )
    assert error_of(response)[2] == "User either already has booking at this time or is not available"


def test_cancel_keeps_uid_and_twice_fails(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    booking = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    url = sim.url(f"/v2/bookings/{booking['uid']}/cancel")
    response = s.post(url, json={"cancellationReason": "Salon closed"}, headers=sim.headers())
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["uid"], data["status"], data["cancellationReason"]) == (booking["uid"], "cancelled", "Salon closed")
    assert data["cancelledByEmail"] == "ops@salon.example"
    twice = s.post(url, json={}, headers=sim.headers())
    assert error_of(twice) == (
        400,
        "BadRequestException",
        f"Can't cancel booking with uid={booking['uid']} because it has been cancelled already. Please provide uid "
        "of a booking that is not cancelled.",
    )
    missing = s.post(sim.url("/v2/bookings/nope/cancel"), json={}, headers=sim.headers())
    assert error_of(missing) == (404, "NotFoundException", "Booking with uid=nope not found")
    # A cancelled booking frees its time.
    sim.book(s, event_type["id"], MONDAY_9_BERLIN)


def test_reassign_round_robin_booking_to_free_host(sim: RunningSimulator) -> None:
    s = sim.session()
    anna, carla = sim.make_host("Anna Stylist"), sim.make_host("Carla Colour")
    team_type = sim.make_event_type(anna, slug="team-cut", host_ids=[anna["id"], carla["id"]])
    booking = sim.book(s, team_type["id"], MONDAY_9_BERLIN)
    assert booking["hosts"][0]["id"] == anna["id"]
    response = s.post(sim.url(f"/v2/bookings/{booking['uid']}/reassign/{carla['id']}"), json={}, headers=sim.headers())
    assert response.status_code == 200
    assert response.json()["data"] == {
        "bookingUid": booking["uid"],
        "reassignedTo": {
            "id": carla["id"],
            "name": carla["name"],
            "email": carla["email"],
            "displayEmail": carla["email"],
        },
    }
    fetched = s.get(sim.url(f"/v2/bookings/{booking['uid']}"), headers=sim.headers()).json()["data"]
    assert fetched["hosts"][0]["id"] == carla["id"]
    # Anna is free again, Carla is not: a second team booking at the same time goes to Anna.
    assert sim.book(s, team_type["id"], MONDAY_9_BERLIN)["hosts"][0]["id"] == anna["id"]
    full = s.post(
        sim.url("/v2/bookings"), json=sim.booking_body(team_type["id"], MONDAY_9_BERLIN), headers=sim.headers()
    )
    assert error_of(full)[2] == "One of the hosts either already has booking at this time or is not available"


def test_reassign_errors(sim: RunningSimulator) -> None:
    s = sim.session()
    anna, carla, dora = sim.make_host("Anna Stylist"), sim.make_host("Carla Colour"), sim.make_host("Dora Nails")
    single = sim.make_event_type(anna)
    booking = sim.book(s, single["id"], MONDAY_9_BERLIN)
    not_rr = s.post(sim.url(f"/v2/bookings/{booking['uid']}/reassign/{carla['id']}"), json={}, headers=sim.headers())
    status, code, message = error_of(not_rr)
    assert (status, code) == (400, "BadRequestException")
    assert message.startswith(f"User with id={carla['id']} is not a valid Round Robin host - ")
    team_type = sim.make_event_type(anna, slug="team", host_ids=[anna["id"], carla["id"]])
    team_booking = sim.book(s, team_type["id"], MONDAY_10_BERLIN)
    non_host = s.post(
        sim.url(f"/v2/bookings/{team_booking['uid']}/reassign/{dora['id']}"), json={}, headers=sim.headers()
    )
    assert error_of(non_host)[2].startswith(f"User with id={dora['id']} is not a valid Round Robin host - ")
    unknown = s.post(sim.url(f"/v2/bookings/{team_booking['uid']}/reassign/987654"), json={}, headers=sim.headers())
    assert error_of(unknown) == (404, "NotFoundException", "User with id=987654 was not found in the database")
    sim.book(s, single["id"], "2050-09-05T10:00:00Z")  # Anna busy at 12:00 Berlin
    carla_booking = s.post(
        sim.url("/v2/bookings"), json=sim.booking_body(team_type["id"], "2050-09-05T10:00:00Z"), headers=sim.headers()
    ).json()["data"]
    assert carla_booking["hosts"][0]["id"] == carla["id"]
    busy = s.post(sim.url(f"/v2/bookings/{carla_booking['uid']}/reassign/{anna['id']}"), json={}, headers=sim.headers())
    assert error_of(busy)[2] == "User either already has booking at this time or is not available"


def test_list_bookings_filters_and_pagination(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    a = sim.book(s, event_type["id"], MONDAY_9_BERLIN, email="a@customer.example")
    b = sim.book(s, event_type["id"], MONDAY_10_BERLIN, email="b+tag@customer.example")
    s.post(sim.url(f"/v2/bookings/{a['uid']}/cancel"), json={}, headers=sim.headers())

    def listing(query: str) -> dict:
        response = s.get(sim.url(f"/v2/bookings{query}"), headers=sim.headers())
        assert response.status_code == 200, response.text
        return response.json()

    upcoming = listing("?status=upcoming")
    assert [x["uid"] for x in upcoming["data"]] == [b["uid"]]
    # The OpenAPI subset types status as an exploded array (repeated parameter); Cal.com also splits commas.
    both = listing("?status=upcoming&status=cancelled&sortStart=desc&take=1")
    assert [x["uid"] for x in both["data"]] == [b["uid"]]
    assert both["pagination"] == {
        "totalItems": 2, "remainingItems": 1, "returnedItems": 1, "itemsPerPage": 1, "currentPage": 1,
        "totalPages": 2, "hasNextPage": True, "hasPreviousPage": False,
    }  # fmt: skip
    comma = requests.get(sim.url("/v2/bookings?status=cancelled,past"), headers=sim.headers(), timeout=5)
    assert [x["uid"] for x in comma.json()["data"]] == [a["uid"]]
    assert [x["uid"] for x in listing("?attendeeEmail=b%2Btag@customer.example")["data"]] == [b["uid"]]
    assert [x["uid"] for x in listing(f"?bookingUid={a['uid']}")["data"]] == [a["uid"]]
    assert len(listing(f"?eventTypeIds={event_type['id']},424242")["data"]) == 2
    assert [x["uid"] for x in listing("?afterStart=2050-09-05T07:30:00Z")["data"]] == [b["uid"]]
    empty = listing("?eventTypeId=424242")
    assert empty["data"] == [] and empty["pagination"]["currentPage"] == 0 and empty["pagination"]["totalPages"] == 0


def test_list_bookings_rejects_take_over_250_like_validation_pipe(sim: RunningSimulator) -> None:
    response = sim.session().get(sim.url("/v2/bookings?take=251"), headers=sim.headers())
    assert error_of(response) == (400, "BadRequestException", "Bad Request Exception")
    errors = response.json()["error"]["details"]["errors"]
    assert errors[0]["property"] == "take"
    assert errors[0]["constraints"] == {"max": "take must not be greater than 250"}


def test_admin_bookings_lists_everything_including_cancelled(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    booking = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    s.post(sim.url(f"/v2/bookings/{booking['uid']}/cancel"), json={}, headers=sim.headers())
    assert [(b["uid"], b["status"]) for b in sim.admin.bookings()] == [(booking["uid"], "cancelled")]


def test_concurrent_requests_for_one_slot_book_it_once(setup) -> None:
    sim, _, event_type = setup
    body = sim.booking_body(event_type["id"], MONDAY_9_BERLIN)

    def attempt(_: int) -> int:
        return requests.post(sim.url("/v2/bookings"), json=body, headers=sim.headers(), timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))
    assert statuses == [201] + [400] * 7
    assert len(sim.admin.bookings()) == 1


def test_shifted_clock_dates_created_at(setup) -> None:
    sim, _, event_type = setup
    sim.admin.set_clock_offset(-30 * 86400)
    booking = sim.book(sim.session(), event_type["id"], MONDAY_9_BERLIN)
    created = datetime.fromisoformat(booking["createdAt"].replace("Z", "+00:00"))
    assert 29 < (datetime.now(UTC) - created).total_seconds() / 86400 < 31


def test_booking_times_are_utc_instants_written_with_milliseconds_and_z(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    booking = sim.book(s, event_type["id"], "2050-09-05T09:00:00+02:00")
    moved = s.post(
        sim.url(f"/v2/bookings/{booking['uid']}/reschedule"), json={"start": MONDAY_10_BERLIN}, headers=sim.headers()
    ).json()["data"]
    old = s.get(sim.url(f"/v2/bookings/{booking['uid']}"), headers=sim.headers()).json()["data"]
    written = [data[key] for data in (booking, moved, old) for key in ("start", "end", "createdAt")]
    written += [old["updatedAt"], sim.admin.set_clock_offset(0)["now"]]
    assert all(UTC_MILLIS.fullmatch(text) for text in written), written
    assert (booking["start"], booking["end"]) == ("2050-09-05T07:00:00.000Z", "2050-09-05T08:00:00.000Z")
    parsed = parse_booking(moved)  # the app's client reads them
    assert parsed.start == datetime(2050, 9, 5, 8, tzinfo=UTC) and parsed.end == datetime(2050, 9, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "start",
    ["9999-12-31T23:30:00Z", "9999-12-31T12:00:00Z", "9999-12-31T23:00:00-05:00", "9999-12-01T00:00:01Z"],
    ids=["last-half-hour", "noon-utc", "west-of-greenwich", "just-past-the-limit"],
)
def test_a_start_in_year_9999_is_out_of_bounds_when_creating_and_rescheduling(setup, start: str) -> None:
    sim, _, event_type = setup
    s = sim.session()
    created = s.post(sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], start), headers=sim.headers())
    assert bad_request_error(created) == {
        "code": "BadRequestException", "message": OUT_OF_BOUNDS, "details": pipe_details(OUT_OF_BOUNDS),
    }  # fmt: skip
    booking = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    moved = s.post(sim.url(f"/v2/bookings/{booking['uid']}/reschedule"), json={"start": start}, headers=sim.headers())
    assert bad_request_error(moved)["message"] == OUT_OF_BOUNDS
    assert [(b["uid"], b["status"]) for b in sim.admin.bookings()] == [(booking["uid"], "accepted")]


def test_a_start_in_year_1_east_of_greenwich_is_in_the_past(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    start = "0001-01-01T00:30:00+01:00"  # 0000-12-31 in UTC: before Python's calendar begins
    created = s.post(sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], start), headers=sim.headers())
    assert bad_request_error(created)["message"] == "Attempting to book a meeting in the past."
    booking = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    moved = s.post(sim.url(f"/v2/bookings/{booking['uid']}/reschedule"), json={"start": start}, headers=sim.headers())
    assert bad_request_error(moved)["message"] == "Attempting to book a meeting in the past."


@pytest.mark.parametrize(
    ("event_type_id", "complaint"),
    [
        (BEYOND_64_BITS, f"eventTypeId must not be greater than {INT64_MAX}"),
        (INT64_MAX + 1, f"eventTypeId must not be greater than {INT64_MAX}"),
        (-BEYOND_64_BITS, f"eventTypeId must not be less than {-INT64_MAX - 1}"),
        (10**400, f"eventTypeId must not be greater than {INT64_MAX}"),
    ],
    ids=["2**64", "2**63", "minus-2**64", "400-digits"],
)
def test_creating_with_an_event_type_id_beyond_64_bits_is_a_400(setup, event_type_id: int, complaint: str) -> None:
    sim, _, _ = setup
    body = sim.booking_body(0, MONDAY_9_BERLIN) | {"eventTypeId": event_type_id}
    response = sim.session().post(sim.url("/v2/bookings"), json=body, headers=sim.headers())
    message = f"eventTypeId property is wrong,{complaint} "
    assert bad_request_error(response) == {
        "code": "BadRequestException", "message": message, "details": pipe_details(message),
    }  # fmt: skip
    assert sim.admin.bookings() == []


@pytest.mark.parametrize(
    ("user_id", "message"),
    [
        (str(BEYOND_64_BITS), f"userId must not be greater than {INT64_MAX}"),
        (str(INT64_MAX + 1), f"userId must not be greater than {INT64_MAX}"),
        ("²", "Validation failed (numeric string is expected)"),
        ("1.5", "Validation failed (numeric string is expected)"),
    ],
    ids=["2**64", "2**63", "superscript", "decimal"],
)
def test_reassigning_to_a_user_id_that_is_no_64_bit_number_is_a_400(
    sim: RunningSimulator, user_id: str, message: str
) -> None:
    anna, carla = sim.make_host("Anna Stylist"), sim.make_host("Carla Colour")
    team_type = sim.make_event_type(anna, slug="team-cut", host_ids=[anna["id"], carla["id"]])
    booking = sim.book(sim.session(), team_type["id"], MONDAY_9_BERLIN)
    response = sim.send_outside_contract(
        "POST", f"/v2/bookings/{booking['uid']}/reassign/{user_id}", json={}, headers=sim.headers()
    )
    assert bad_request_error(response) == {
        "code": "BadRequestException", "message": message, "details": pipe_details(message),
    }  # fmt: skip
    assert sim.admin.bookings()[0]["hosts"][0]["id"] == anna["id"]


@pytest.mark.parametrize(
    ("query", "prop", "value", "constraints"),
    [
        ("eventTypeId=²", "eventTypeId", "²",
         {"isNumber": "each value in eventTypeId must be a number conforming to the specified constraints"}),
        ("eventTypeIds=1,²", "eventTypeIds", "²",
         {"isNumber": "each value in eventTypeIds must be a number conforming to the specified constraints"}),
        (f"eventTypeId={BEYOND_64_BITS}", "eventTypeId", str(BEYOND_64_BITS),
         {"max": f"each value in eventTypeId must not be greater than {INT64_MAX}"}),
        ("take=١٠", "take", "١٠", {"isNumber": "take must be a number conforming to the specified constraints"}),
        ("skip=²", "skip", "²", {"isNumber": "skip must be a number conforming to the specified constraints"}),
    ],
    ids=["superscript-event-type", "superscript-in-list", "event-type-beyond-64-bits", "arabic-indic-take", "skip"],
)  # fmt: skip
def test_odd_numbers_in_the_bookings_query_are_a_validation_pipe_400(
    sim: RunningSimulator, query: str, prop: str, value: str, constraints: dict[str, str]
) -> None:
    response = sim.send_outside_contract("GET", f"/v2/bookings?{query}", headers=sim.headers())
    assert bad_request_error(response) == {
        "code": "BadRequestException",
        "message": "Bad Request Exception",
        "details": {"errors": [{"value": value, "property": prop, "children": [], "constraints": constraints}]},
    }


def test_date_bounds_at_the_edges_of_the_calendar_filter_instead_of_failing(setup) -> None:
    sim, _, event_type = setup
    s = sim.session()
    booking = sim.book(s, event_type["id"], MONDAY_9_BERLIN)
    for query in (
        {"afterStart": "0001-01-01T00:00:00+01:00", "beforeEnd": "9999-12-31T23:00:00-05:00"},
        {"afterCreatedAt": "0001-01-01T00:00:00+14:00", "beforeUpdatedAt": "9999-12-31T23:59:59-12:00"},
    ):
        listed = s.get(sim.url("/v2/bookings"), params=query, headers=sim.headers())
        assert listed.status_code == 200 and [b["uid"] for b in listed.json()["data"]] == [booking["uid"]]
    late = s.get(sim.url("/v2/bookings"), params={"afterStart": "9999-12-31T23:00:00-05:00"}, headers=sim.headers())
    assert late.json()["data"] == []


@pytest.mark.parametrize(
    "uid", [str(BEYOND_64_BITS), "%00", "%ED%A0%80", "²"], ids=["digits", "nul", "bad-utf8", "sup"]
)
def test_an_odd_booking_uid_is_simply_not_found(sim: RunningSimulator, uid: str) -> None:
    """Uids are strings to Cal.com: one that looks like a huge number, or is not text at all, matches no booking."""
    s = sim.session()
    fetched = s.get(sim.url(f"/v2/bookings/{uid}"), headers=sim.headers())
    moved = s.post(sim.url(f"/v2/bookings/{uid}/reschedule"), json={"start": MONDAY_10_BERLIN}, headers=sim.headers())
    cancelled = s.post(sim.url(f"/v2/bookings/{uid}/cancel"), json={}, headers=sim.headers())
    assert [r.status_code for r in (fetched, moved, cancelled)] == [404, 404, 404]
    assert all(r.json()["error"]["code"] == "NotFoundException" for r in (fetched, moved, cancelled))
