"""Auth, API versions, event types, ``/v2/me``, rate limiting and restart persistence of the simulator."""

from __future__ import annotations

import pytest
import requests

from tests.support.openapi_contract import ContractCheckingSession
from tests.support.simulator_fixtures import (
    BEYOND_64_BITS,
    EVENT_TYPES_VERSION,
    RunningSimulator,
    bad_request_error,
    pipe_details,
)

MISSING_AUTH = (
    "ApiAuthStrategy - No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)


def test_me_returns_key_owner(sim: RunningSimulator) -> None:
    response = sim.session().get(sim.url("/v2/me"), headers=sim.headers(None))
    assert response.status_code == 200
    assert response.json()["data"]["email"] == "ops@salon.example"


def test_missing_auth_on_required_routes_and_bad_key_everywhere(sim: RunningSimulator) -> None:
    s = sim.session()
    for path, version in (("/v2/me", None), ("/v2/bookings", "2024-08-13")):
        headers = {"cal-api-version": version} if version else {}
        missing = requests.get(sim.url(path), headers=headers, timeout=5)
        assert missing.status_code == 401
        assert missing.json()["error"] == {
            "code": "UnauthorizedException",
            "message": MISSING_AUTH,
            "details": {"message": MISSING_AUTH, "error": "Unauthorized", "statusCode": 401},
        }
    bad = s.get(
        sim.url("/v2/bookings/anything"),
        headers={"cal-api-version": "2024-08-13", "Authorization": "Bearer cal_test_wrong"},
    )
    assert (bad.status_code, bad.json()["error"]["message"]) == (401, "CustomThrottlerGuard - Invalid API Key")
    assert bad.headers["X-Request-Id"]


def test_missing_or_legacy_version_is_caught(sim: RunningSimulator) -> None:
    for headers in ({}, {"cal-api-version": "2024-04-15"}):
        response = requests.get(sim.url("/v2/bookings/x"), headers=headers | sim.headers(None), timeout=5)
        assert response.status_code == 400
        assert '"2024-08-13"' in response.json()["error"]["message"]
    rejected = ContractCheckingSession()
    try:
        rejected.get(sim.url("/v2/bookings/x"), headers={"cal-api-version": "2024-04-15"} | sim.headers(None))
    except AssertionError as exc:
        assert "cal-api-version" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("the contract session let an unsupported cal-api-version through")
    assert (
        sim.session().get(sim.url("/v2/bookings/x"), headers=sim.headers("2026-02-25")).status_code == 404
    )  # newer upstream version accepted


def test_event_types_list_and_get(sim: RunningSimulator) -> None:
    host = sim.make_host()
    anna_type = sim.make_event_type(host)
    colleague = sim.make_host("Carla Colour")
    team_type = sim.make_event_type(host, slug="team", host_ids=[host["id"], colleague["id"]])
    s = sim.session()
    listed = s.get(sim.url("/v2/event-types"), headers=sim.headers(EVENT_TYPES_VERSION))
    assert [e["id"] for e in listed.json()["data"]] == [anna_type["id"], team_type["id"]]
    team = s.get(sim.url(f"/v2/event-types/{team_type['id']}"), headers=sim.headers(EVENT_TYPES_VERSION)).json()["data"]
    assert team["schedulingType"] == "roundRobin"
    assert [h["userId"] for h in team["hosts"]] == [host["id"], colleague["id"]]
    missing = s.get(sim.url("/v2/event-types/424242"), headers=sim.headers(EVENT_TYPES_VERSION))
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "Event type with id 424242 not found")


@pytest.mark.parametrize(
    ("event_type_id", "message"),
    [
        (str(BEYOND_64_BITS), "eventTypeId must not be greater than 9223372036854775807"),
        (str(2**63), "eventTypeId must not be greater than 9223372036854775807"),
        ("²", "Validation failed (numeric string is expected)"),
        ("abc", "Validation failed (numeric string is expected)"),
    ],
    ids=["2**64", "2**63", "superscript", "letters"],
)
def test_an_event_type_id_that_is_no_64_bit_number_is_a_400(
    sim: RunningSimulator, event_type_id: str, message: str
) -> None:
    """Nest's ``ParseIntPipe`` refuses what is not ``-?[0-9]+``; beyond 64 bits no id can exist."""
    response = sim.session().get(sim.url(f"/v2/event-types/{event_type_id}"), headers=sim.headers(EVENT_TYPES_VERSION))
    assert bad_request_error(response) == {
        "code": "BadRequestException", "message": message, "details": pipe_details(message),
    }  # fmt: skip


def test_rate_limit_headers_429_and_block(sim: RunningSimulator) -> None:
    sim.admin.set_rate_limit(limit=3, window_seconds=60, block_seconds=30)
    s = sim.session()
    remaining = []
    for _ in range(3):
        response = s.get(sim.url("/v2/me"), headers=sim.headers(None))
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit-Default"] == "3"
        remaining.append(response.headers["X-RateLimit-Remaining-Default"])
        assert 0 < int(response.headers["X-RateLimit-Reset-Default"]) <= 60
    assert remaining == ["2", "1", "0"]
    limited = s.get(sim.url("/v2/me"), headers=sim.headers(None))
    assert limited.status_code == 429
    assert limited.json()["error"] == {
        "code": "ThrottlerException",
        "message": "CustomThrottlerGuard - Too many requests. Please try again later.",
        "details": "CustomThrottlerGuard - Too many requests. Please try again later.",
    }
    assert limited.headers["X-RateLimit-Remaining-Default"] == "0"
    assert int(limited.headers["X-RateLimit-Reset-Default"]) == 30
    assert "Retry-After" not in limited.headers
    still_blocked = s.get(sim.url("/v2/me"), headers=sim.headers(None))
    assert still_blocked.status_code == 429 and int(still_blocked.headers["X-RateLimit-Reset-Default"]) <= 30
    # Unauthenticated callers are tracked per IP, separately from the key.
    anonymous = s.get(sim.url("/v2/event-types"), headers={"cal-api-version": EVENT_TYPES_VERSION})
    assert anonymous.status_code == 200
    assert sim.admin.health() == {"status": "ok"}  # the admin API is never throttled


def test_state_survives_restart(calcom_simulator: RunningSimulator, sim: RunningSimulator) -> None:
    host = sim.make_host()
    event_type = sim.make_event_type(host)
    booking = sim.book(sim.session(), event_type["id"], "2050-09-05T07:00:00Z")
    old_url = sim.base_url
    assert calcom_simulator.stop() == 0  # SIGTERM is a clean exit
    calcom_simulator.start()
    assert sim.base_url != old_url or sim.admin.health()
    fetched = sim.session().get(sim.url(f"/v2/bookings/{booking['uid']}"), headers=sim.headers())
    assert fetched.status_code == 200 and fetched.json()["data"]["metadata"] == {"appointmentId": "748"}
    again = requests.post(
        sim.url("/v2/bookings"),
        json=sim.booking_body(event_type["id"], "2050-09-05T07:00:00Z"),
        headers=sim.headers(),
        timeout=5,
    )
    assert again.json()["error"]["message"] == "User either already has booking at this time or is not available"
