"""CalcomClient request building, retries and the exchange log, against a fake session (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from ops_ui.calcom.client import CalcomClient, to_utc_z
from ops_ui.calcom.errors import (
    BadResponseError,
    CalcomConnectionError,
    CalcomTimeoutError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from ops_ui.calcom.types import Attendee, Exchange

KEY = "cal_test_secretkey123"
BASE = "http://calcom.test"


def response(status: int, body: str | dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = (json.dumps(body) if isinstance(body, dict) else body).encode()
    r.headers.update({"Content-Type": "application/json", "X-Request-Id": "rid-1", **(headers or {})})
    r.encoding = "utf-8"
    return r


Answer = requests.Response | Exception


class FakeSession:
    """Records each call and answers from a script."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"method": method, "url": url, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        prepared = requests.Request(method, url, params=kwargs.get("params")).prepare()
        answer.request = prepared
        return answer


def make(*answers: Answer, **kwargs: Any) -> tuple[CalcomClient, FakeSession, list[Exchange]]:
    session = FakeSession(*answers)
    exchanges: list[Exchange] = []
    client = CalcomClient(
        BASE,
        KEY,
        session=session,
        on_exchange=exchanges.append,
        retry_backoff=0,
        **kwargs,  # type: ignore[arg-type]
    )
    return client, session, exchanges


BOOKING = {
    "id": 1,
    "uid": "bk_1",
    "status": "accepted",
    "start": "2050-09-05T07:00:00.000Z",
    "end": "2050-09-05T07:30:00.000Z",
    "duration": 30,
    "eventType": {"id": 7, "slug": "cut"},
    "hosts": [{"id": 3}],
    "attendees": [],
    "metadata": {},
}


def ok(data: Any, status: int = 200, **extra: Any) -> requests.Response:
    return response(status, {"status": "success", "data": data, **extra})


def test_headers_version_and_utc_start_of_a_create() -> None:
    client, session, exchanges = make(ok(BOOKING, 201))
    berlin = timezone(timedelta(hours=2))
    client.create_booking(
        event_type_id=7,
        start=datetime(2050, 9, 5, 9, 0, tzinfo=berlin),
        attendee=Attendee(name="Bob", time_zone="Europe/Berlin", email="bob@example.com"),
        metadata={"appointmentId": "748"},
    )
    call = session.calls[0]
    assert call["method"] == "POST"
    assert call["url"] == f"{BASE}/v2/bookings"
    assert call["headers"]["Authorization"] == f"Bearer {KEY}"
    assert call["headers"]["cal-api-version"] == "2024-08-13"
    assert call["headers"]["Content-Type"] == "application/json"
    assert call["timeout"] == (10.0, 10.0)
    assert call["allow_redirects"] is False
    sent = json.loads(call["data"])
    assert sent == {
        "start": "2050-09-05T07:00:00Z",
        "eventTypeId": 7,
        "attendee": {"name": "Bob", "timeZone": "Europe/Berlin", "email": "bob@example.com", "language": "en"},
        "metadata": {"appointmentId": "748"},
    }
    assert exchanges[0].request_body == call["data"].decode()


@pytest.mark.parametrize(
    ("call", "version"),
    [
        (lambda c: c.me(), None),
        (lambda c: c.list_event_types(), "2024-06-14"),
        (lambda c: c.get_slots(7, date(2050, 9, 5), date(2050, 9, 5), "UTC"), "2024-09-04"),
        (lambda c: c.get_booking("bk_1"), "2024-08-13"),
    ],
)
def test_each_endpoint_sends_its_api_version(call: Callable[[CalcomClient], Any], version: str | None) -> None:
    client, session, _ = make(response(500, "{}"), get_retries=0)
    with pytest.raises(ServerError):
        call(client)
    assert session.calls[0]["headers"].get("cal-api-version") == version


def test_slots_query_and_list_bookings_query() -> None:
    client, session, exchanges = make(
        ok({}),
        ok([BOOKING], pagination={"totalItems": 1, "hasNextPage": False}),
    )
    assert (
        client.get_slots(7, date(2050, 9, 5), date(2050, 9, 6), "Europe/Berlin", booking_uid_to_reschedule="bk_1") == []
    )
    assert session.calls[0]["params"] == {
        "eventTypeId": 7,
        "start": "2050-09-05",
        "end": "2050-09-06",
        "timeZone": "Europe/Berlin",
        "bookingUidToReschedule": "bk_1",
    }
    page = client.list_bookings(
        attendee_email="a+b@example.com",
        after_start=datetime(2050, 9, 1, tzinfo=UTC),
        status=["upcoming", "unconfirmed"],
        sort_start="asc",
        take=50,
    )
    assert page.total_items == 1
    assert session.calls[1]["params"] == {
        "attendeeEmail": "a+b@example.com",
        "afterStart": "2050-09-01T00:00:00Z",
        "status": ["upcoming", "unconfirmed"],
        "sortStart": "asc",
        "take": 50,
    }
    assert exchanges[1].path.startswith("/v2/bookings?attendeeEmail=a%2Bb%40example.com&")


def test_uids_are_escaped_in_the_path() -> None:
    client, session, _ = make(ok(BOOKING))
    client.get_booking("a/../b?c")
    assert session.calls[0]["url"] == f"{BASE}/v2/bookings/a%2F..%2Fb%3Fc"


def test_get_is_retried_on_5xx_timeout_and_connection_then_succeeds() -> None:
    client, session, exchanges = make(
        response(503, '{"statusCode":503,"message":"Service Unavailable"}'),
        requests.exceptions.ReadTimeout("slow"),
        ok(BOOKING),
        get_retries=2,
    )
    assert client.get_booking("bk_1").uid == "bk_1"
    assert len(session.calls) == 3
    assert [type(e.error) for e in exchanges] == [ServerError, CalcomTimeoutError, type(None)]
    assert exchanges[1].status is None and exchanges[1].response_body is None


def test_get_gives_up_after_get_retries() -> None:
    client, session, exchanges = make(
        requests.exceptions.ConnectionError("refused"),
        requests.exceptions.ConnectionError("refused"),
        get_retries=1,
    )
    with pytest.raises(CalcomConnectionError):
        client.me()
    assert len(session.calls) == 2 == len(exchanges)


def test_get_is_not_retried_on_4xx_or_429() -> None:
    not_found = {"status": "error", "error": {"code": "NotFoundException", "message": "nope"}}
    client, session, _ = make(response(404, not_found), response(429, "{}", {"X-RateLimit-Reset-Default": "3"}))
    with pytest.raises(NotFoundError):
        client.get_booking("x")
    with pytest.raises(RateLimitedError) as caught:
        client.get_booking("x")
    assert caught.value.reset_seconds == 3
    assert len(session.calls) == 2


def test_a_post_is_never_retried() -> None:
    client, session, exchanges = make(requests.exceptions.ReadTimeout("slow"), get_retries=5)
    with pytest.raises(CalcomTimeoutError):
        client.cancel_booking("bk_1", reason="client asked")
    assert len(session.calls) == 1 == len(exchanges)


def test_connect_timeout_is_a_connection_error_because_nothing_was_sent() -> None:
    client, _, _ = make(requests.exceptions.ConnectTimeout("syn lost"))
    with pytest.raises(CalcomConnectionError):
        client.reassign_booking("bk_1", 4)


@pytest.mark.parametrize(
    "answer",
    [
        response(200, "{not json"),
        response(200, {"data": {}}),
        response(200, {"status": "success", "data": {"id": "x"}}),
        response(200, "<html>hi</html>", {"Content-Type": "text/html"}),
        response(302, "", {"Location": "http://elsewhere"}),
    ],
)
def test_bad_success_answers_are_bad_responses_with_the_raw_body(answer: requests.Response) -> None:
    client, _, exchanges = make(answer, get_retries=0)
    with pytest.raises(BadResponseError) as caught:
        client.me()
    assert caught.value.body == answer.text
    assert exchanges[0].error is caught.value
    assert exchanges[0].response_body == answer.text


def test_recurring_create_answer_with_several_bookings_is_a_bad_response() -> None:
    client, _, _ = make(ok([BOOKING, {**BOOKING, "uid": "bk_2"}], 201))
    with pytest.raises(BadResponseError, match="array of 2"):
        client.create_booking(
            event_type_id=7,
            start=datetime(2050, 9, 5, 7, tzinfo=UTC),
            attendee=Attendee(name="B", time_zone="UTC", email="b@x.io"),
        )


def test_the_api_key_is_never_in_an_exchange_nor_the_repr() -> None:
    client, _, exchanges = make(ok(BOOKING), requests.exceptions.ConnectionError("boom"))
    client.get_booking("bk_1")
    with pytest.raises(CalcomConnectionError):
        client.reschedule_booking("bk_1", datetime(2050, 9, 6, tzinfo=UTC), reason="moved")
    assert KEY not in repr(exchanges)
    assert KEY not in repr(client)
    assert exchanges[1].request_body == '{"start":"2050-09-06T00:00:00Z","reschedulingReason":"moved"}'


def test_naive_datetimes_are_refused_before_any_request() -> None:
    client, session, _ = make()
    with pytest.raises(ValueError, match="naive"):
        client.reschedule_booking("bk_1", datetime(2050, 9, 6, 9, 0))
    assert session.calls == []


def test_to_utc_z_keeps_milliseconds_only_when_present() -> None:
    assert to_utc_z(datetime(2050, 9, 5, 7, 0, tzinfo=UTC)) == "2050-09-05T07:00:00Z"
    assert to_utc_z(datetime(2050, 9, 5, 7, 0, 0, 250000, tzinfo=UTC)) == "2050-09-05T07:00:00.250Z"
