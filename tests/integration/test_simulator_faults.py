"""Fault injection over real HTTP: latency, error statuses, proxy HTML, broken JSON, hangs before/after commit, and
answers lost after commit (an error status, or the connection dropped)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.support.simulator_fixtures import RunningSimulator

START = "2050-09-05T07:00:00Z"
LATER = "2050-09-05T10:00:00Z"


@pytest.fixture
def event_type(sim: RunningSimulator) -> dict:
    return sim.make_event_type(sim.make_host())


def me(sim: RunningSimulator, timeout: float = 5) -> requests.Response:
    return sim.session().get(sim.url("/v2/me"), headers=sim.headers(None), timeout=timeout)


def test_latency_is_added_and_response_stays_valid(sim: RunningSimulator) -> None:
    sim.admin.set_faults(latencyMs=400)
    began = time.monotonic()
    response = me(sim)
    assert time.monotonic() - began >= 0.4
    assert response.status_code == 200


def test_status_fault_uses_error_envelope_and_nest_default_for_500(sim: RunningSimulator) -> None:
    sim.admin.set_faults(status=503)
    unavailable = me(sim)
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["code"] == "ServiceUnavailableException"
    assert unavailable.headers["X-Sim-Fault"] == "status" and unavailable.headers["X-Request-Id"]
    sim.admin.set_faults(status=500)
    crashed = me(sim)
    assert (crashed.status_code, crashed.json()) == (500, {"statusCode": 500, "message": "Internal server error"})
    sim.admin.set_faults(status=429)
    throttled = me(sim)
    assert throttled.json()["error"]["code"] == "ThrottlerException"


def test_html_502_like_a_proxy(sim: RunningSimulator) -> None:
    sim.admin.set_faults(html502=True)
    response = me(sim)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_malformed_json_with_200(sim: RunningSimulator) -> None:
    sim.admin.set_faults(malformedJson=True)
    response = me(sim)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_hang_times_out_the_client_and_books_nothing(sim: RunningSimulator, event_type: dict) -> None:
    sim.admin.set_faults(hangSeconds=1.5, method="POST")
    with pytest.raises(requests.Timeout):
        requests.post(
            sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], START), headers=sim.headers(), timeout=0.3
        )
    assert sim.admin.bookings() == []
    assert me(sim).status_code == 200  # other requests are served while one hangs (threaded server)


def test_hang_after_commit_leaves_a_booking_the_client_never_heard_about(
    sim: RunningSimulator, event_type: dict
) -> None:
    sim.admin.set_faults(hangAfterCommitSeconds=1.5, method="POST", count=1)
    with pytest.raises(requests.Timeout):
        requests.post(
            sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], START), headers=sim.headers(), timeout=0.3
        )
    bookings = sim.admin.bookings()
    assert [(b["status"], b["metadata"]) for b in bookings] == [("accepted", {"appointmentId": "748"})]
    # The retry-safe path: after a timeout, look the booking up before creating it again.
    found = sim.session().get(
        sim.url("/v2/bookings"), params={"attendeeEmail": "bo@customer.example"}, headers=sim.headers()
    )
    assert [b["uid"] for b in found.json()["data"]] == [bookings[0]["uid"]]


def post_booking(sim: RunningSimulator, event_type: dict, start: str) -> requests.Response:
    return sim.session().post(
        sim.url("/v2/bookings"), json=sim.booking_body(event_type["id"], start), headers=sim.headers(), timeout=5
    )


def assert_one_booking_and_normal_service_again(sim: RunningSimulator, event_type: dict) -> None:
    """The lost answer's booking is there once; the fault's count is spent, so the next POST books normally."""
    bookings = sim.admin.bookings()
    assert [(b["status"], b["metadata"], b["start"]) for b in bookings] == [
        ("accepted", {"appointmentId": "748"}, "2050-09-05T07:00:00.000Z")
    ]
    assert requests.get(sim.url("/_sim/faults"), timeout=5).json() == {"active": False}
    found = sim.session().get(
        sim.url("/v2/bookings"), params={"attendeeEmail": "bo@customer.example"}, headers=sim.headers()
    )
    assert [b["uid"] for b in found.json()["data"]] == [bookings[0]["uid"]]
    served = post_booking(sim, event_type, LATER)
    assert served.status_code == 201 and "X-Sim-Fault" not in served.headers
    assert len(sim.admin.bookings()) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_status_after_commit_books_although_the_client_gets_an_error(
    sim: RunningSimulator, event_type: dict, status: int
) -> None:
    sim.admin.set_faults(statusAfterCommit=status, method="POST", count=1)
    assert me(sim).status_code == 200  # method filter: GETs pass and do not use up the count
    failed = post_booking(sim, event_type, START)
    assert failed.status_code == status
    assert failed.headers["X-Sim-Fault"] == "statusAfterCommit" and failed.headers["X-Request-Id"]
    if status == 500:
        assert failed.json() == {"statusCode": 500, "message": "Internal server error"}
    else:
        assert failed.json()["error"]["code"] == "ServiceUnavailableException"
    assert_one_booking_and_normal_service_again(sim, event_type)


def test_drop_after_commit_books_although_the_connection_closes_without_an_answer(
    sim: RunningSimulator, event_type: dict
) -> None:
    sim.admin.set_faults(dropAfterCommit=True, method="POST", count=1)
    assert me(sim).status_code == 200
    began = time.monotonic()
    with pytest.raises(requests.ConnectionError) as dropped:
        post_booking(sim, event_type, START)
    assert not isinstance(dropped.value, requests.Timeout)  # hung up at once, not a slow answer
    assert time.monotonic() - began < 4
    assert_one_booking_and_normal_service_again(sim, event_type)


def test_simulator_exits_cleanly_after_dropping_connections(
    calcom_simulator: RunningSimulator, sim: RunningSimulator, event_type: dict
) -> None:
    sim.admin.set_faults(dropAfterCommit=True, count=2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            me(sim)
    assert me(sim).status_code == 200
    assert calcom_simulator.stop() == 0  # SIGTERM still a clean exit
    calcom_simulator.start()
    assert sim.admin.health() == {"status": "ok"}


def test_count_method_and_prefix_limit_the_fault(sim: RunningSimulator) -> None:
    sim.admin.set_faults(status=503, count=2, method="GET")
    assert [me(sim).status_code for _ in range(3)] == [503, 503, 200]
    assert requests.get(sim.url("/_sim/faults"), timeout=5).json() == {"active": False}
    sim.admin.set_faults(status=503, method="POST")
    assert me(sim).status_code == 200
    sim.admin.set_faults(status=503, pathPrefix="/v2/bookings")
    assert me(sim).status_code == 200
    sim.admin.set_faults(status=503)
    assert sim.admin.health() == {"status": "ok"}  # /_sim is never affected
    sim.admin.clear_faults()
    assert me(sim).status_code == 200


def test_rate_zero_never_fires_and_bad_fault_is_rejected(sim: RunningSimulator) -> None:
    sim.admin.set_faults(status=503, rate=0)
    assert me(sim).status_code == 200
    bad = requests.put(sim.url("/_sim/faults"), json={"explode": True}, timeout=5)
    assert bad.status_code == 400 and "explode" in bad.json()["error"]
