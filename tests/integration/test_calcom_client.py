"""CalcomClient against the running simulator over HTTP, with every request and response checked against the
OpenAPI subset of Cal.com's API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ops_ui.calcom.classify import classify
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    CalcomConnectionError,
    CalcomError,
    CalcomTimeoutError,
    HostConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from ops_ui.calcom.types import Attendee, Booking, Exchange, Slot
from ops_ui.categories import ErrorCategory
from tests.support.openapi_contract import ContractCheckingSession

WORKING_HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "startTime": "08:00", "endTime": "18:00"}]
"""Every day, so tests do not depend on the weekday they run on."""


@dataclass
class World:
    client: CalcomClient
    session: ContractCheckingSession
    exchanges: list[Exchange]
    api_key: str
    base_url: str
    user_id: int
    event_type_id: int
    sim: Any

    def client_with(self, **kwargs: Any) -> CalcomClient:
        options: dict[str, Any] = {"session": ContractCheckingSession(), "on_exchange": self.exchanges.append}
        options.update(kwargs)
        api_key = options.pop("api_key", self.api_key)
        return CalcomClient(self.base_url, api_key, **options)


@pytest.fixture
def world(sim: Any) -> Iterator[World]:
    user = sim.admin.create_user(
        "Ann Stylist", "ann@salon.example", time_zone="Europe/Berlin", working_hours=WORKING_HOURS
    )
    event_type = sim.admin.create_event_type("Haircut", "haircut", 30, user["id"])
    exchanges: list[Exchange] = []
    session = ContractCheckingSession()
    client = CalcomClient(
        sim.base_url,
        sim.api_key,
        session=session,
        on_exchange=exchanges.append,
        timeout=5,
        retry_backoff=0.01,
    )
    yield World(client, session, exchanges, sim.api_key, sim.base_url, user["id"], event_type["id"], sim)
    assert all(sim.api_key not in repr(exchange) for exchange in exchanges)


def bob(**overrides: Any) -> Attendee:
    fields: dict[str, Any] = {"name": "Bob Client", "time_zone": "Europe/Berlin", "email": "bob@example.com"}
    fields.update(overrides)
    return Attendee(**fields)


def free_slots(world: World, days_ahead: int = 3) -> list[Slot]:
    day = date.today() + timedelta(days=days_ahead)
    return world.client.get_slots(world.event_type_id, day, day, "Europe/Berlin")


def book(world: World, slot: Slot | None = None, **kwargs: Any) -> Booking:
    slot = slot or free_slots(world)[0]
    return world.client.create_booking(
        event_type_id=world.event_type_id, start=slot.start, attendee=kwargs.pop("attendee", bob()), **kwargs
    )


def raised(call: Any) -> CalcomError:
    with pytest.raises(CalcomError) as caught:
        call()
    return caught.value


# --- each method -------------------------------------------------------------------------------------------------


def test_me_returns_the_key_owner_profile(world: World) -> None:
    profile = world.client.me()
    assert profile.id > 0
    assert profile.email
    assert profile.time_zone


def test_event_types_list_and_get(world: World) -> None:
    listed = {e.id: e for e in world.client.list_event_types()}
    assert world.event_type_id in listed
    event_type = world.client.get_event_type(world.event_type_id)
    assert (event_type.slug, event_type.title, event_type.length_in_minutes) == ("haircut", "Haircut", 30)
    assert event_type.owner_id == world.user_id
    assert world.user_id in event_type.host_ids


def test_slots_are_sorted_aware_and_in_the_requested_zone(world: World) -> None:
    slots = free_slots(world)
    assert slots
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    assert all(s.start.utcoffset() in (timedelta(hours=1), timedelta(hours=2)) for s in slots)


def test_create_get_list_reschedule_cancel(world: World) -> None:
    slots = free_slots(world)
    created = book(world, slots[0], metadata={"appointmentId": "748"})
    assert created.status == "accepted"
    assert created.start == slots[0].start
    assert created.end - created.start == timedelta(minutes=30)
    assert created.event_type_id == world.event_type_id
    assert created.host_ids == (world.user_id,)
    assert created.metadata == {"appointmentId": "748"}
    assert created.attendees[0].email == "bob@example.com"

    fetched = world.client.get_booking(created.uid)
    assert (fetched.id, fetched.uid, fetched.start) == (created.id, created.uid, created.start)

    page = world.client.list_bookings(attendee_email="bob@example.com", sort_start="asc", take=10)
    assert [b.uid for b in page.bookings] == [created.uid]
    assert page.total_items == 1
    assert page.has_next_page is False

    moved = world.client.reschedule_booking(created.uid, slots[2].start, reason="client asked")
    assert moved.uid != created.uid
    assert moved.start == slots[2].start
    assert moved.rescheduled_from_uid == created.uid
    old = world.client.get_booking(created.uid)
    assert old.status == "cancelled"
    assert old.rescheduled_to_uid == moved.uid

    cancelled = world.client.cancel_booking(moved.uid, reason="client is ill")
    assert cancelled.uid == moved.uid
    assert cancelled.status == "cancelled"
    assert cancelled.cancellation_reason == "client is ill"

    # Both directions were validated against the OpenAPI subset: what the client sent and what came back.
    assert {(method, status) for method, _, status in world.session.checked} >= {
        ("GET", 200),
        ("POST", 201),
        ("POST", 200),
    }
    assert {path.split("/")[-1] for _, path, _ in world.session.checked} >= {
        "slots",
        "bookings",
        "reschedule",
        "cancel",
    }


def test_reassign_round_robin_booking(world: World) -> None:
    other = world.sim.admin.create_user(
        "Cy Colourist", "cy@salon.example", time_zone="Europe/Berlin", working_hours=WORKING_HOURS
    )
    team_type = world.sim.admin.create_event_type(
        "Colour", "colour", 60, world.user_id, host_ids=[world.user_id, other["id"]]
    )
    event_type = world.client.get_event_type(team_type["id"])
    assert event_type.is_round_robin
    assert set(event_type.host_ids) == {world.user_id, other["id"]}
    day = date.today() + timedelta(days=3)
    slot = world.client.get_slots(team_type["id"], day, day, "Europe/Berlin")[0]
    booking = world.client.create_booking(event_type_id=team_type["id"], start=slot.start, attendee=bob())
    target = next(h for h in event_type.host_ids if h not in booking.host_ids)

    result = world.client.reassign_booking(booking.uid, target, reason="Ann is ill")
    assert result.booking_uid == booking.uid
    assert result.user_id == target
    assert world.client.get_booking(booking.uid).host_ids == (target,)
    assert ("POST", f"/v2/bookings/{booking.uid}/reassign/{target}", 200) in world.session.checked


def test_list_bookings_filters_and_paging(world: World) -> None:
    slots = free_slots(world)
    for index, slot in enumerate(slots[:3]):
        book(world, slot, attendee=bob(email=f"client{index}@example.com"))
    page = world.client.list_bookings(
        event_type_id=world.event_type_id,
        after_start=slots[0].start - timedelta(minutes=1),
        status=["upcoming"],
        sort_start="asc",
        take=2,
        skip=0,
    )
    assert page.total_items == 3
    assert page.has_next_page is True
    assert [b.start for b in page.bookings] == [s.start for s in slots[:2]]
    rest = world.client.list_bookings(event_type_id=world.event_type_id, sort_start="asc", take=2, skip=2)
    assert [b.start for b in rest.bookings] == [slots[2].start]


# --- each error, from a real simulator answer ---------------------------------------------------------------------


def test_host_conflict(world: World) -> None:
    slot = free_slots(world)[0]
    book(world, slot)
    error = raised(lambda: book(world, slot, attendee=bob(email="someone.else@example.com")))
    assert type(error) is HostConflictError
    assert classify(error) is ErrorCategory.HOST_CONFLICT
    assert error.message == "User either already has booking at this time or is not available"
    assert error.request_id


def test_anonymous_caller_id_as_phone_without_email_is_a_validation_error(world: World) -> None:
    attendee = Attendee(name="Walk-in", time_zone="Europe/Berlin", phone_number="anonymous_1712345678_ab12cd")
    before = len(world.sim.admin.bookings())
    error = raised(lambda: book(world, attendee=attendee))
    assert type(error) is ValidationError
    assert classify(error) is ErrorCategory.VALIDATION_ERROR
    assert error.message.startswith("attendee property is wrong,")
    assert "phoneNumber" in error.message
    assert len(world.sim.admin.bookings()) == before


def test_attendee_without_any_contact_is_a_validation_error(world: World) -> None:
    error = raised(lambda: book(world, attendee=Attendee(name="Nobody", time_zone="Europe/Berlin")))
    assert type(error) is ValidationError
    assert "Attendee must have at least one contact method (email or phone number)" in error.message


def test_start_in_the_past(world: World) -> None:
    past = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    error = raised(lambda: world.client.create_booking(event_type_id=world.event_type_id, start=past, attendee=bob()))
    assert type(error) is BadRequestError
    assert error.message == "Attempting to book a meeting in the past."
    assert classify(error) is ErrorCategory.PAST_START


def test_unknown_booking_is_not_found(world: World) -> None:
    error = raised(lambda: world.client.get_booking("no-such-uid"))
    assert type(error) is NotFoundError
    assert classify(error) is ErrorCategory.NOT_FOUND
    assert error.message == "Booking with uid=no-such-uid was not found in the database"


def test_unknown_api_key_is_an_auth_error(world: World) -> None:
    error = raised(world.client_with(api_key="cal_test_not_a_real_key").me)
    assert type(error) is AuthError
    assert error.status == 401
    assert classify(error) is ErrorCategory.AUTH
    assert all("cal_test_not_a_real_key" not in repr(e) for e in world.exchanges)


def test_rate_limited_with_reset_seconds_and_no_sleep(world: World) -> None:
    world.sim.admin.set_rate_limit(limit=2, window_seconds=30, block_seconds=30)
    world.client.me()
    world.client.me()
    error = raised(world.client.me)
    assert type(error) is RateLimitedError
    assert classify(error) is ErrorCategory.RATE_LIMITED
    assert 1 <= error.reset_seconds <= 30
    assert error.headers["X-RateLimit-Remaining-Default"] == "0"
    assert len(world.exchanges) == 3  # a 429 on a GET is not retried


def test_server_error_500(world: World) -> None:
    world.sim.admin.set_faults(status=500, method="POST")
    error = raised(lambda: book(world))
    assert type(error) is ServerError
    assert error.status == 500
    assert classify(error) is ErrorCategory.SERVER_ERROR


def test_html_502_from_a_proxy(world: World) -> None:
    world.sim.admin.set_faults(html502=True, method="POST")
    error = raised(lambda: book(world))
    assert type(error) is BadResponseError
    assert error.status == 502
    assert "<html" in error.body.lower()
    assert classify(error) is ErrorCategory.BAD_RESPONSE


def test_malformed_json(world: World) -> None:
    world.sim.admin.set_faults(malformedJson=True, method="POST")
    error = raised(lambda: book(world))
    assert type(error) is BadResponseError
    assert classify(error) is ErrorCategory.BAD_RESPONSE
    assert world.exchanges[-1].response_body == error.body


def test_timeout_when_the_server_hangs(world: World) -> None:
    client = world.client_with(timeout=0.3, get_retries=0)
    world.sim.admin.set_faults(hangSeconds=3, pathPrefix="/v2/me")
    error = raised(client.me)
    assert type(error) is CalcomTimeoutError
    assert classify(error) is ErrorCategory.TIMEOUT
    last = world.exchanges[-1]
    assert (last.status, last.response_body, last.error) == (None, None, error)


def test_connection_refused_on_a_closed_port(world: World) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exchanges: list[Exchange] = []
    client = CalcomClient(f"http://127.0.0.1:{port}", world.api_key, on_exchange=exchanges.append, retry_backoff=0)
    error = raised(client.me)
    assert type(error) is CalcomConnectionError
    assert classify(error) is ErrorCategory.CONNECTION
    assert len(exchanges) == 3  # one attempt + get_retries=2, each logged


def test_get_is_retried_after_a_transient_5xx(world: World) -> None:
    created = book(world)
    world.exchanges.clear()
    world.sim.admin.set_faults(status=503, method="GET", count=1)
    assert world.client.get_booking(created.uid).uid == created.uid
    assert [e.status for e in world.exchanges] == [503, 200]
    assert isinstance(world.exchanges[0].error, ServerError)


def test_a_post_is_not_retried_after_a_5xx(world: World) -> None:
    slot = free_slots(world)[0]
    before = len(world.sim.admin.bookings())
    world.sim.admin.set_faults(status=503, method="POST", count=1)
    world.exchanges.clear()
    raised(lambda: book(world, slot))
    assert [e.method for e in world.exchanges] == ["POST"]
    assert len(world.sim.admin.bookings()) == before


def test_a_post_is_not_retried_after_a_timeout_even_when_the_server_committed(world: World) -> None:
    slot = free_slots(world)[0]
    client = world.client_with(timeout=0.3, get_retries=3)
    world.sim.admin.set_faults(hangAfterCommitSeconds=2, method="POST", count=1)
    world.exchanges.clear()
    error = raised(
        lambda: client.create_booking(
            event_type_id=world.event_type_id, start=slot.start, attendee=bob(), metadata={"appointmentId": "9"}
        )
    )
    assert type(error) is CalcomTimeoutError
    assert [e.method for e in world.exchanges] == ["POST"]
    page = world.client.list_bookings(attendee_email="bob@example.com")
    assert [b.metadata for b in page.bookings] == [{"appointmentId": "9"}]


def test_exchanges_record_every_attempt_without_the_api_key(world: World) -> None:
    created = book(world, metadata={"appointmentId": "1"})
    create = next(e for e in world.exchanges if e.method == "POST")
    assert create.path == "/v2/bookings"
    assert create.status == 201
    assert '"appointmentId":"1"' in (create.request_body or "")
    assert created.uid in (create.response_body or "")
    assert create.request_id
    assert create.latency_ms >= 0
    slots_call = next(e for e in world.exchanges if e.path.startswith("/v2/slots?"))
    assert "eventTypeId=" in slots_call.path
    assert slots_call.request_body is None
    for exchange in world.exchanges:
        assert world.api_key not in repr(exchange)


def test_nestjs_default_500_body_is_a_server_error(world: World) -> None:
    world.sim.admin.set_faults(status=500, method="GET", pathPrefix="/v2/me")
    error = raised(world.client_with(get_retries=0).me)
    assert type(error) is ServerError
    assert (error.code, error.message) == (None, "Internal server error")


def test_query_validation_on_list_bookings(world: World) -> None:
    client = world.client_with(session=ContractCheckingSession(), get_retries=0)
    error = raised(lambda: client.list_bookings(take=500))
    assert type(error) is ValidationError
    assert classify(error) is ErrorCategory.VALIDATION_ERROR
    assert error.message == "Bad Request Exception"
    assert "take must not be greater than 250" in str(error)


def test_start_outside_the_booking_window_is_out_of_bounds(world: World) -> None:
    short = world.sim.admin.create_event_type("Trim", "trim", 30, world.user_id, booking_window_days=2)
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=10)
    error = raised(lambda: world.client.create_booking(event_type_id=short["id"], start=start, attendee=bob()))
    assert type(error) is BadRequestError
    assert classify(error) is ErrorCategory.OUT_OF_BOUNDS
    assert error.message.startswith('The event type can\'t be booked at the "start" time provided.')


def test_unknown_event_type_is_not_found(world: World) -> None:
    error = raised(lambda: world.client.get_event_type(999999))
    assert type(error) is NotFoundError
    assert error.message.startswith("Event type with id 999999 not found")


def test_cancelling_twice_is_a_business_error_for_a_person(world: World) -> None:
    booking = book(world)
    world.client.cancel_booking(booking.uid, reason="first")
    error = raised(lambda: world.client.cancel_booking(booking.uid, reason="again"))
    assert type(error) is BadRequestError
    assert classify(error) is ErrorCategory.UNKNOWN
    assert f"uid={booking.uid}" in error.message


def test_reassigning_a_non_round_robin_booking_is_refused(world: World) -> None:
    booking = book(world)
    error = raised(lambda: world.client.reassign_booking(booking.uid, world.user_id))
    assert isinstance(error, BadRequestError)
    assert error.status == 400
