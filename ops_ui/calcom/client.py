"""Cal.com API v2 client: bookings, slots, event types and the caller's profile.

Usable from a shell, no Flask::

    client = CalcomClient("https://api.cal.com", "cal_live_…")
    client.get_slots(42, date(2050, 9, 5), date(2050, 9, 5), "Europe/Berlin")

Every call sends ``Authorization: Bearer <key>`` and the endpoint's ``cal-api-version``, has a connect and read
timeout, and either returns a small frozen value or raises a ``CalcomError`` subclass. Only GETs are retried (on a
timeout, a connection error or a 5xx); a POST is sent exactly once, because repeating a write that may have been
committed would double-book. Each HTTP attempt is reported to ``on_exchange`` for the audit log.

A ``budget`` (``ops_ui.calcom.budget.RateBudget``) is asked before every HTTP attempt and told every answer, so
all processes using one API key stay inside Cal.com's rate limit together.

A ``deadline`` (a ``time.monotonic()`` instant) bounds every call of one client together: each attempt waits at most
until then, retries stop there, and a request that would start after it is not sent (``DeadlineReached``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import quote, urlencode, urlsplit

import requests

import calcom_api_versions as api_versions
from ops_ui.calcom.errors import (
    BadResponseError,
    CalcomConnectionError,
    CalcomError,
    CalcomTimeoutError,
    DeadlineReached,
    ServerError,
    error_from_response,
    request_id_of,
)
from ops_ui.calcom.types import (
    Attendee,
    Booking,
    BookingPage,
    EventType,
    Exchange,
    Profile,
    Reassignment,
    Slot,
    parse_booking_page,
    parse_event_type,
    parse_profile,
    parse_reassignment,
    parse_single_booking,
    parse_slots,
)

T = TypeVar("T")

BOOKINGS_VERSION = api_versions.BOOKINGS
SLOTS_VERSION = api_versions.SLOTS
EVENT_TYPES_VERSION = api_versions.EVENT_TYPES

ExchangeHook = Callable[[Exchange], None]


class Budget(Protocol):
    def acquire(self, deadline: float | None) -> None: ...

    def observe(self, status: int, headers: Mapping[str, str]) -> None: ...


def to_utc_z(moment: datetime) -> str:
    """``2050-09-05T07:00:00Z``: the form Cal.com wants for ``start``. Naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive; pass an aware datetime")
    utc = moment.astimezone(UTC)
    text = utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _date_or_datetime(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return to_utc_z(value)
    return value.isoformat()


_pool = threading.local()


def pooled_session() -> requests.Session:
    """The calling thread's HTTP session, made once per process and thread: its kept-alive connections spare each
    call a new TCP (and TLS) handshake. A forked process makes its own, never reusing its parent's sockets;
    ``requests.Session`` is not meant to be shared between threads, so each thread has one."""
    session: requests.Session | None = getattr(_pool, "session", None)
    if session is None or getattr(_pool, "pid", None) != os.getpid():
        session = requests.Session()
        _pool.session, _pool.pid = session, os.getpid()
    return session


class CalcomClient:
    """One Cal.com API key against one base URL (``https://api.cal.com``; paths start with ``/v2``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | tuple[float, float] = 10.0,
        session: requests.Session | None = None,
        on_exchange: ExchangeHook | None = None,
        get_retries: int = 2,
        retry_backoff: float = 0.25,
        deadline: float | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.session = session if session is not None else requests.Session()
        self.on_exchange = on_exchange
        self.get_retries = max(0, get_retries)
        self.retry_backoff = retry_backoff
        self.deadline = deadline
        self.budget = budget

    def __repr__(self) -> str:
        return f"CalcomClient({self.base_url!r}, api_key=<hidden>)"

    # --- profile and event types -------------------------------------------------------------------------------

    def me(self) -> Profile:
        """The key's own user; a cheap way to check a key at start-up."""
        return self._request("GET", "/v2/me", None, _data(parse_profile))

    def list_event_types(self) -> list[EventType]:
        """The key owner's event types (hidden ones included, since the owner asks)."""
        return self._request(
            "GET",
            "/v2/event-types",
            EVENT_TYPES_VERSION,
            _data(lambda data: [parse_event_type(e) for e in _list(data)]),
        )

    def get_event_type(self, event_type_id: int) -> EventType:
        return self._request(
            "GET", f"/v2/event-types/{int(event_type_id)}", EVENT_TYPES_VERSION, _data(parse_event_type)
        )

    # --- slots -------------------------------------------------------------------------------------------------

    def get_slots(
        self,
        event_type_id: int,
        start: date | datetime,
        end: date | datetime,
        time_zone: str,
        *,
        booking_uid_to_reschedule: str | None = None,
        duration: int | None = None,
    ) -> list[Slot]:
        """Free start times, sorted, each carrying the offset of ``time_zone``.

        A date ``end`` covers the whole day (Cal.com reads it as 23:59:59). When looking for a new time for an
        existing booking pass ``booking_uid_to_reschedule`` so its own slot counts as free.
        """
        params: dict[str, Any] = {
            "eventTypeId": int(event_type_id),
            "start": _date_or_datetime(start),
            "end": _date_or_datetime(end),
            "timeZone": time_zone,
            "bookingUidToReschedule": booking_uid_to_reschedule,
            "duration": duration,
        }
        return self._request("GET", "/v2/slots", SLOTS_VERSION, _data(parse_slots), params=params)

    # --- bookings ----------------------------------------------------------------------------------------------

    def create_booking(
        self,
        *,
        event_type_id: int,
        start: datetime,
        attendee: Attendee,
        metadata: dict[str, str] | None = None,
        length_in_minutes: int | None = None,
    ) -> Booking:
        """Book ``start`` (sent in UTC) for ``attendee``. Never retried: after a timeout, look the booking up by its
        metadata before creating it again."""
        body: dict[str, Any] = {
            "start": to_utc_z(start),
            "eventTypeId": int(event_type_id),
            "attendee": attendee.to_api(),
        }
        if metadata is not None:
            body["metadata"] = metadata
        if length_in_minutes is not None:
            body["lengthInMinutes"] = length_in_minutes
        return self._request("POST", "/v2/bookings", BOOKINGS_VERSION, _data(parse_single_booking), json_body=body)

    def get_booking(self, uid: str) -> Booking:
        return self._request("GET", f"/v2/bookings/{_seg(uid)}", BOOKINGS_VERSION, _data(parse_single_booking))

    def list_bookings(
        self,
        *,
        attendee_email: str | None = None,
        attendee_name: str | None = None,
        event_type_id: int | None = None,
        after_start: datetime | None = None,
        before_end: datetime | None = None,
        status: Sequence[str] | None = None,
        sort_start: str | None = None,
        take: int | None = None,
        skip: int | None = None,
    ) -> BookingPage:
        """One page of the bookings visible to the key. Pass ``sort_start`` for stable paging.

        ``status`` goes out as a repeated parameter, the form the OpenAPI description defines.
        """
        if isinstance(status, str):
            status = [status]
        params: dict[str, Any] = {
            "attendeeEmail": attendee_email,
            "attendeeName": attendee_name,
            "eventTypeId": event_type_id,
            "afterStart": to_utc_z(after_start) if after_start is not None else None,
            "beforeEnd": to_utc_z(before_end) if before_end is not None else None,
            "status": list(status) if status else None,
            "sortStart": sort_start,
            "take": take,
            "skip": skip,
        }
        return self._request(
            "GET",
            "/v2/bookings",
            BOOKINGS_VERSION,
            lambda envelope: parse_booking_page(envelope["data"], envelope.get("pagination")),
            params=params,
        )

    def reschedule_booking(self, uid: str, start: datetime, reason: str | None = None) -> Booking:
        """Move a booking. Cal.com creates a NEW booking with a new uid (returned here) and cancels the old one."""
        body: dict[str, Any] = {"start": to_utc_z(start)}
        if reason is not None:
            body["reschedulingReason"] = reason
        return self._request(
            "POST",
            f"/v2/bookings/{_seg(uid)}/reschedule",
            BOOKINGS_VERSION,
            _data(parse_single_booking),
            json_body=body,
        )

    def cancel_booking(self, uid: str, reason: str) -> Booking:
        """Cancel; the uid stays, the returned booking has status ``cancelled``."""
        return self._request(
            "POST",
            f"/v2/bookings/{_seg(uid)}/cancel",
            BOOKINGS_VERSION,
            _data(parse_single_booking),
            json_body={"cancellationReason": reason},
        )

    def reassign_booking(self, uid: str, user_id: int, reason: str | None = None) -> Reassignment:
        """Give a round-robin booking to another of the event type's hosts; the uid stays the same."""
        body: dict[str, Any] = {} if reason is None else {"reason": reason}
        return self._request(
            "POST",
            f"/v2/bookings/{_seg(uid)}/reassign/{int(user_id)}",
            BOOKINGS_VERSION,
            _data(parse_reassignment),
            json_body=body,
        )

    # --- transport ---------------------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        api_version: str | None,
        parse: Callable[[dict[str, Any]], T],
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> T:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if api_version:
            headers["cal-api-version"] = api_version
        body_text = None
        if json_body is not None:
            body_text = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False)
            headers["Content-Type"] = "application/json"
        query = {key: value for key, value in (params or {}).items() if value is not None}

        attempts = 1 + (self.get_retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                if self.budget is not None:
                    self.budget.acquire(self.deadline)
                return self._attempt(method, path, headers, query, body_text, parse, self._timeout_now(method, path))
            except CalcomError as error:
                pause = self.retry_backoff * (2**attempt)
                if attempt + 1 >= attempts or not _retryable(error) or not self._has_time_for(pause):
                    raise
            time.sleep(pause)
        raise AssertionError("unreachable")

    def _timeout_now(self, method: str, path: str) -> tuple[float, float]:
        """The configured timeouts, cut to what is left before the deadline; none left means do not send."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached(f"{method} {path} was not sent: the time allowed for this action had run out")
        return (min(self.timeout[0], left), min(self.timeout[1], left))

    def _has_time_for(self, pause: float) -> bool:
        return self.deadline is None or time.monotonic() + pause < self.deadline

    def _attempt(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        query: dict[str, Any],
        body_text: str | None,
        parse: Callable[[dict[str, Any]], T],
        timeout: tuple[float, float],
    ) -> T:
        url = self.base_url + path
        sent_path = path + (f"?{urlencode(query)}" if query else "")
        started = time.monotonic()
        response: requests.Response | None = None
        error: CalcomError | None = None
        result: Any = None
        try:
            response = self.session.request(
                method,
                url,
                params=query or None,
                data=body_text.encode("utf-8") if body_text is not None else None,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout as exc:
            error = CalcomConnectionError(f"could not connect to {self.base_url} in time: {exc}")
        except requests.exceptions.Timeout as exc:
            error = CalcomTimeoutError(
                f"no answer from {self.base_url} within {timeout[1]:.3g}s: {exc}", waited_seconds=timeout[1]
            )
        except requests.exceptions.RequestException as exc:
            error = CalcomConnectionError(f"connection to {self.base_url} failed: {exc}")
        latency_ms = int((time.monotonic() - started) * 1000)

        text: str | None = None
        request_id: str | None = None
        status: int | None = None
        if response is not None:
            status = response.status_code
            if self.budget is not None:
                self.budget.observe(status, response.headers)
            text = _text_of(response)
            request_id = request_id_of(response.headers)
            sent_path = _path_of(response.request.url if response.request else None) or sent_path
            if 200 <= status < 300:
                try:
                    result = _unwrap(status, dict(response.headers), text, parse)
                except CalcomError as exc:
                    error = exc
            else:
                error = error_from_response(status, dict(response.headers), text)

        if self.on_exchange is not None:
            self.on_exchange(
                Exchange(
                    method=method,
                    path=sent_path,
                    request_body=body_text,
                    status=status,
                    response_body=text,
                    latency_ms=latency_ms,
                    request_id=request_id,
                    error=error,
                )
            )
        if error is not None:
            raise error
        return cast(T, result)


def _unwrap(status: int, headers: dict[str, str], text: str, parse: Callable[[dict[str, Any]], T]) -> T:
    """``data`` of a ``{"status": "success", "data": …}`` body, parsed; anything else is a BadResponseError."""
    context: dict[str, Any] = {"status": status, "body": text, "headers": headers, "request_id": request_id_of(headers)}
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise BadResponseError(f"HTTP {status} with a body that is not JSON: {exc}", **context) from None
    if not isinstance(payload, dict) or payload.get("status") != "success" or "data" not in payload:
        raise BadResponseError(f"HTTP {status} with JSON that is not the success envelope", **context)
    try:
        return parse(payload)
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise BadResponseError(f"HTTP {status} with data of an unexpected shape: {detail}", **context) from None


def _retryable(error: CalcomError) -> bool:
    """Transient for a GET: no answer, or a 5xx (JSON or a proxy's HTML page). Never a 4xx, never a 429."""
    if isinstance(error, CalcomTimeoutError | CalcomConnectionError | ServerError):
        return True
    return isinstance(error, BadResponseError) and error.status is not None and error.status >= 500


def _data(parse: Callable[[Any], T]) -> Callable[[dict[str, Any]], T]:
    return lambda envelope: parse(envelope["data"])


def _list(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError(f"data is {type(data).__name__}, expected a list")
    return data


def _seg(value: str) -> str:
    """A path segment, escaped so a uid can never change the path."""
    if not value:
        raise ValueError("empty path segment")
    return quote(str(value), safe="")


def _text_of(response: requests.Response) -> str:
    """The body as text: the declared charset, else UTF-8 (JSON's encoding), never a guess from the bytes."""
    try:
        return response.content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return response.content.decode("utf-8", errors="replace")


def _path_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
