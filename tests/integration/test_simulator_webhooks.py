"""Webhooks of the simulator (CONTRACT §9): what Cal.com POSTs to a subscriber when bookings change, whether the
change came through the API or from a person in Cal.com's UI; signed bodies; failed deliveries on record.

A small HTTP receiver runs in the test process on a free loopback port and collects what the simulator (its own
process) sends. Waiting is done on the receiver's condition variable or by polling, never by fixed sleeps; "nothing
else was sent" is proven with a later delivery on the same queue (deliveries go out one by one, in order).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest

from tests.support.simulator_fixtures import RunningSimulator

MONDAY_9_BERLIN = "2050-09-05T07:00:00Z"
MONDAY_11_BERLIN = "2050-09-05T09:00:00Z"
TUESDAY_9_BERLIN = "2050-09-06T07:00:00Z"
SECRET = "whsec_sync_desk"
WAIT_SECONDS = 10.0
T = TypeVar("T")


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.body)
        return body

    @property
    def trigger(self) -> str:
        return str(self.json["triggerEvent"])

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = self.json["payload"]
        return payload


class Receiver:
    """A subscriber: records every POST, answers ``status``; with ``hold`` set it keeps each request waiting."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.hold: threading.Event | None = None
        self.arrived = threading.Condition()
        self.in_flight = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.arrived:
                    receiver.in_flight += 1
                    receiver.arrived.notify_all()
                if receiver.hold is not None:
                    receiver.hold.wait(WAIT_SECONDS)
                with receiver.arrived:
                    receiver.in_flight -= 1
                    receiver.received.append(record)
                    receiver.arrived.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def wait_for(self, count: int, path: str | None = None) -> list[Received]:
        """The first ``count`` requests (to ``path`` if given), once they have all arrived."""

        def matching() -> list[Received]:
            return [r for r in self.received if path is None or r.path == path]

        with self.arrived:
            arrived = self.arrived.wait_for(lambda: len(matching()) >= count, WAIT_SECONDS)
            assert arrived, f"expected {count} webhook(s), got {[(r.path, r.trigger) for r in matching()]}"
            return matching()[:count]

    def wait_in_flight(self) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.in_flight > 0, WAIT_SECONDS), "no webhook arrived"

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    subscriber = Receiver()
    yield subscriber
    subscriber.close()


@pytest.fixture
def salon(sim: RunningSimulator) -> tuple[RunningSimulator, dict[str, Any], dict[str, Any]]:
    host = sim.make_host()
    return sim, host, sim.make_event_type(host)


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """Poll ``probe`` until it returns something truthy (the simulator records an attempt after the answer)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        threading.Event().wait(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def api_book(sim: RunningSimulator, event_type_id: int, start: str = MONDAY_9_BERLIN) -> dict[str, Any]:
    body = sim.booking_body(event_type_id, start) | {"metadata": {"syncDeskAppointmentId": "748"}}
    response = sim.session().post(sim.url("/v2/bookings"), json=body, headers=sim.headers())
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def api_cancel(sim: RunningSimulator, uid: str, reason: str = "") -> dict[str, Any]:
    body = {"cancellationReason": reason} if reason else {}
    response = sim.session().post(sim.url(f"/v2/bookings/{uid}/cancel"), json=body, headers=sim.headers())
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def expected_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- API changes -------------------------------------------------------------------------------------------------


def test_api_create_delivers_booking_created_with_the_bookings_metadata_and_calcom_headers(salon, receiver) -> None:
    sim, host, event_type = salon
    sim.admin.add_webhook(receiver.url(), SECRET)
    booking = api_book(sim, event_type["id"])
    (hook,) = receiver.wait_for(1)
    assert hook.trigger == "BOOKING_CREATED"
    assert hook.headers["content-type"] == "application/json"
    assert hook.headers["x-cal-webhook-version"] == "2021-10-20"
    assert set(hook.json) == {"triggerEvent", "createdAt", "payload"}
    payload = hook.payload
    assert (payload["uid"], payload["bookingId"], payload["status"]) == (booking["uid"], booking["id"], "ACCEPTED")
    assert payload["metadata"]["syncDeskAppointmentId"] == "748"
    assert (payload["startTime"], payload["endTime"], payload["length"]) == (
        "2050-09-05T07:00:00Z", "2050-09-05T08:00:00Z", 60,
    )  # fmt: skip
    assert (payload["type"], payload["eventTypeId"], payload["eventTitle"]) == (
        event_type["slug"],
        event_type["id"],
        "Haircut",
    )
    assert payload["title"] == booking["title"] and payload["iCalUID"] == booking["icsUid"]
    organizer = {"id": host["id"], "email": host["email"], "timeZone": "Europe/Berlin", "utcOffset": 120}
    assert payload["organizer"].items() >= organizer.items()
    attendee = {"name": "Bo Customer", "email": "bo@customer.example", "timeZone": "Europe/Berlin", "utcOffset": 120}
    assert payload["attendees"][0].items() >= attendee.items()
    assert payload["responses"]["email"]["value"] == "bo@customer.example"
    assert payload["location"] == booking["location"]


def test_api_reschedule_delivers_new_uid_with_the_old_one_and_no_cancellation_for_the_old(salon, receiver) -> None:
    sim, _, event_type = salon
    sim.admin.add_webhook(receiver.url(), SECRET)
    old = api_book(sim, event_type["id"])
    response = sim.session().post(
        sim.url(f"/v2/bookings/{old['uid']}/reschedule"),
        json={"start": TUESDAY_9_BERLIN, "rescheduledBy": "ops@salon.example", "reschedulingReason": "Stylist ill"},
        headers=sim.headers(),
    )
    assert response.status_code == 201, response.text
    new = response.json()["data"]
    api_cancel(sim, new["uid"])  # the next delivery on the queue: once it is in, the reschedule sent all it would
    created, rescheduled, cancelled = receiver.wait_for(3)
    assert [created.trigger, rescheduled.trigger, cancelled.trigger] == [
        "BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED",
    ]  # fmt: skip
    payload = rescheduled.payload
    assert (payload["uid"], payload["bookingId"], payload["status"]) == (new["uid"], new["id"], "ACCEPTED")
    assert (payload["rescheduleUid"], payload["rescheduleId"]) == (old["uid"], old["id"])
    assert (payload["rescheduleStartTime"], payload["rescheduleEndTime"]) == (
        "2050-09-05T07:00:00Z",
        "2050-09-05T08:00:00Z",
    )
    assert payload["startTime"] == "2050-09-06T07:00:00Z"
    assert payload["rescheduledBy"] == "ops@salon.example"
    assert payload["metadata"]["syncDeskAppointmentId"] == "748"
    assert payload["iCalSequence"] == 1


def test_api_cancel_delivers_reason_and_the_key_owner_as_canceller(salon, receiver) -> None:
    sim, _, event_type = salon
    sim.admin.add_webhook(receiver.url(), SECRET, triggers=["BOOKING_CANCELLED"])
    booking = api_book(sim, event_type["id"])
    api_cancel(sim, booking["uid"], "Customer called")
    (hook,) = receiver.wait_for(1)
    assert hook.trigger == "BOOKING_CANCELLED"
    payload = hook.payload
    assert (payload["uid"], payload["bookingId"], payload["status"]) == (booking["uid"], booking["id"], "CANCELLED")
    assert (payload["cancellationReason"], payload["cancelledBy"]) == ("Customer called", "ops@salon.example")
    assert payload["requestReschedule"] is False
    assert payload["metadata"]["syncDeskAppointmentId"] == "748"


def test_reassign_sends_no_webhook(sim: RunningSimulator, receiver) -> None:
    """Cal.com's manual round-robin reassignment notifies by e-mail only (see ``calcom_simulator.webhooks``)."""
    anna, carla = sim.make_host(), sim.make_host("Carla Colour")
    team = sim.make_event_type(anna, slug="team-cut", host_ids=[anna["id"], carla["id"]])
    sim.admin.add_webhook(receiver.url(), SECRET)
    booking = api_book(sim, team["id"])
    response = sim.session().post(
        sim.url(f"/v2/bookings/{booking['uid']}/reassign/{carla['id']}"), json={}, headers=sim.headers()
    )
    assert response.status_code == 200, response.text
    api_cancel(sim, booking["uid"])
    hooks = receiver.wait_for(2)
    assert [h.trigger for h in hooks] == ["BOOKING_CREATED", "BOOKING_CANCELLED"]
    assert hooks[1].payload["organizer"]["id"] == carla["id"]  # the cancellation already names the new host


# --- changes made in Cal.com's UI ----------------------------------------------------------------------------------


def test_ui_create_delivers_booking_created_for_a_booking_sync_desk_did_not_make(salon, receiver) -> None:
    sim, host, event_type = salon
    sim.admin.add_webhook(receiver.url(), SECRET)
    booking = sim.admin.ui_create(event_type["id"], MONDAY_11_BERLIN, "Walk In", "walk.in@customer.example")
    (hook,) = receiver.wait_for(1)
    assert hook.trigger == "BOOKING_CREATED"
    assert (hook.payload["uid"], hook.payload["status"]) == (booking["uid"], "ACCEPTED")
    assert hook.payload["attendees"][0]["email"] == "walk.in@customer.example"
    assert hook.payload["organizer"]["id"] == host["id"]
    assert "syncDeskAppointmentId" not in hook.payload["metadata"]
    fetched = sim.session().get(sim.url(f"/v2/bookings/{booking['uid']}"), headers=sim.headers())
    assert fetched.status_code == 200 and fetched.json()["data"]["start"] == "2050-09-05T09:00:00.000Z"


def test_ui_move_delivers_rescheduled_and_cancels_the_old_uid_like_the_api(salon, receiver) -> None:
    sim, host, event_type = salon
    booking = api_book(sim, event_type["id"])
    sim.admin.add_webhook(receiver.url(), SECRET)
    new = sim.admin.ui_reschedule(booking["uid"], TUESDAY_9_BERLIN)
    (hook,) = receiver.wait_for(1)
    assert hook.trigger == "BOOKING_RESCHEDULED"
    payload = hook.payload
    assert (payload["uid"], payload["rescheduleUid"], payload["rescheduleId"]) == (
        new["uid"],
        booking["uid"],
        booking["id"],
    )
    assert payload["rescheduledBy"] == host["email"]  # nobody named: the host moved it in their calendar
    assert payload["metadata"]["syncDeskAppointmentId"] == "748"
    old = sim.session().get(sim.url(f"/v2/bookings/{booking['uid']}"), headers=sim.headers()).json()["data"]
    assert (old["status"], old["rescheduledToUid"]) == ("cancelled", new["uid"])


def test_ui_cancel_delivers_reason_and_who_cancelled(salon, receiver) -> None:
    sim, _, event_type = salon
    booking = api_book(sim, event_type["id"])
    sim.admin.add_webhook(receiver.url(), SECRET)
    sim.admin.ui_cancel(booking["uid"], "Feeling unwell", by="bo@customer.example")
    (hook,) = receiver.wait_for(1)
    assert hook.trigger == "BOOKING_CANCELLED"
    payload = hook.payload
    assert (payload["uid"], payload["status"]) == (booking["uid"], "CANCELLED")
    assert (payload["cancellationReason"], payload["cancelledBy"]) == ("Feeling unwell", "bo@customer.example")
    assert payload["metadata"]["syncDeskAppointmentId"] == "748"
    fetched = sim.session().get(sim.url(f"/v2/bookings/{booking['uid']}"), headers=sim.headers()).json()["data"]
    assert (fetched["status"], fetched["cancelledByEmail"]) == ("cancelled", "bo@customer.example")


def test_ui_actions_refused_by_calcom_answer_its_status_and_message(salon) -> None:
    sim, _, event_type = salon
    booking = api_book(sim, event_type["id"])
    api_cancel(sim, booking["uid"])
    response = sim.admin.session.post(sim.url(f"/_sim/ui/bookings/{booking['uid']}/cancel"), json={}, timeout=5)
    assert response.status_code == 400
    assert "has been cancelled already" in response.json()["error"]


# --- signatures ----------------------------------------------------------------------------------------------------


def test_signature_is_the_hmac_of_the_exact_body_bytes_with_the_secret(salon, receiver) -> None:
    sim, _, event_type = salon
    sim.admin.add_webhook(receiver.url(), SECRET)
    api_book(sim, event_type["id"])
    (hook,) = receiver.wait_for(1)
    assert hook.headers["x-cal-signature-256"] == expected_signature(hook.body, SECRET)
    reencoded = json.dumps(hook.json).encode()  # same JSON, other bytes: the signature covers the bytes
    assert reencoded != hook.body and expected_signature(reencoded, SECRET) != hook.headers["x-cal-signature-256"]


def test_without_a_secret_the_signature_is_keyed_with_no_secret_provided(salon, receiver) -> None:
    sim, _, event_type = salon
    subscription = sim.admin.add_webhook(receiver.url())
    assert subscription["secret"] is None
    api_book(sim, event_type["id"])
    (hook,) = receiver.wait_for(1)
    assert hook.headers["x-cal-signature-256"] == expected_signature(hook.body, "no-secret-provided")


# --- subscriptions ---------------------------------------------------------------------------------------------------


def test_only_active_subscriptions_to_the_trigger_receive_it(salon, receiver) -> None:
    sim, _, event_type = salon
    sim.admin.add_webhook(receiver.url("/cancel-only"), triggers=["BOOKING_CANCELLED"])
    sim.admin.add_webhook(receiver.url("/paused"), active=False)
    removed = sim.admin.add_webhook(receiver.url("/removed"))
    sim.admin.remove_webhook(removed["id"])
    sim.admin.add_webhook(receiver.url("/all"))
    assert [w["subscriberUrl"] for w in sim.admin.webhooks()] == [
        receiver.url(p) for p in ("/cancel-only", "/paused", "/all")
    ]
    booking = api_book(sim, event_type["id"])
    api_cancel(sim, booking["uid"])
    assert [h.trigger for h in receiver.wait_for(2, "/all")] == ["BOOKING_CREATED", "BOOKING_CANCELLED"]
    assert [(h.path, h.trigger) for h in receiver.received if h.path != "/all"] == [
        ("/cancel-only", "BOOKING_CANCELLED")
    ]


def test_admin_refuses_a_trigger_the_simulator_never_sends(sim: RunningSimulator, receiver) -> None:
    response = sim.admin.session.post(
        sim.url("/_sim/webhooks"), json={"subscriberUrl": receiver.url(), "eventTriggers": ["MEETING_ENDED"]}, timeout=5
    )
    assert response.status_code == 400 and "BOOKING_CREATED" in response.json()["error"]


def test_reset_clears_subscriptions_and_deliveries(salon, receiver) -> None:
    sim, _, event_type = salon
    sim.admin.add_webhook(receiver.url("/before"))
    api_book(sim, event_type["id"])
    receiver.wait_for(1, "/before")
    eventually(sim.admin.deliveries, "the delivery record")
    sim.admin.reset()
    assert (sim.admin.webhooks(), sim.admin.deliveries()) == ([], [])
    host = sim.make_host()
    sim.admin.add_webhook(receiver.url("/after"))
    api_book(sim, sim.make_event_type(host)["id"])
    receiver.wait_for(1, "/after")
    assert [h.path for h in receiver.received] == ["/before", "/after"]


def test_subscriptions_survive_a_restart(sim: RunningSimulator, receiver) -> None:
    subscription = sim.admin.add_webhook(receiver.url(), SECRET, triggers=["BOOKING_CREATED"])
    sim.restart()
    assert sim.admin.webhooks() == [subscription]


# --- failed deliveries ---------------------------------------------------------------------------------------------


def test_a_receiver_answering_500_is_recorded_as_failed_twice_and_the_api_answer_is_unaffected(salon, receiver) -> None:
    sim, _, event_type = salon
    receiver.status = 500
    subscription = sim.admin.add_webhook(receiver.url(), SECRET)
    booking = api_book(sim, event_type["id"])  # 201 and contract-valid, whatever the subscriber says
    first, retry = receiver.wait_for(2)
    assert first.body == retry.body
    attempts = eventually(lambda: (d := sim.admin.deliveries()) and len(d) == 2 and d, "two recorded attempts")
    assert [(a["attempt"], a["ok"], a["statusCode"], a["webhookId"]) for a in attempts] == [
        (1, False, 500, subscription["id"]), (2, False, 500, subscription["id"]),
    ]  # fmt: skip
    assert all(a["triggerEvent"] == "BOOKING_CREATED" and a["url"] == receiver.url() for a in attempts)
    assert attempts[0]["body"].encode() == first.body and "HTTP 500" in attempts[0]["error"]
    assert json.loads(attempts[0]["body"])["payload"]["uid"] == booking["uid"]


def test_a_receiver_that_is_down_is_recorded_as_failed_with_the_error(salon) -> None:
    sim, _, event_type = salon
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    sim.admin.add_webhook(down, SECRET)
    api_book(sim, event_type["id"])
    attempts = eventually(lambda: (d := sim.admin.deliveries()) and len(d) == 2 and d, "two recorded attempts")
    assert [(a["attempt"], a["ok"], a["statusCode"]) for a in attempts] == [(1, False, None), (2, False, None)]
    assert all("ConnectionError" in a["error"] for a in attempts)


def test_a_slow_receiver_does_not_hold_up_the_api_answer(salon, receiver) -> None:
    sim, _, event_type = salon
    receiver.hold = threading.Event()
    sim.admin.add_webhook(receiver.url(), SECRET)
    booking = api_book(sim, event_type["id"])
    receiver.wait_in_flight()  # BOOKING_CREATED is now held at the receiver …
    api_cancel(sim, booking["uid"])  # … and the API still answers at once
    assert (receiver.in_flight, receiver.received) == (1, [])
    receiver.hold.set()
    assert [h.trigger for h in receiver.wait_for(2)] == ["BOOKING_CREATED", "BOOKING_CANCELLED"]
