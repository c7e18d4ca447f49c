"""Typed errors of the Cal.com API v2 client.

Every failure the client can meet is a ``CalcomError``. The subclass says what it means for the caller (a host
conflict, bad input, a missing booking, a key problem, a transient outage…); the attributes keep everything Cal.com
said, whole, so the sync service can store it for a person to read.

``error_from_response`` is the single place that turns a non-2xx HTTP answer into one of these classes; it is a pure
function of (status, headers, body) so it can be tested without HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

HOST_CONFLICT_MESSAGES = (
    "User either already has booking at this time or is not available",
    "One of the hosts either already has booking at this time or is not available",
)
"""Cal.com's 400 messages when the host (individual) or one of the hosts (team) is busy at ``start``."""

RATE_LIMIT_RESET_HEADER = "X-RateLimit-Reset-Default"
RATE_LIMIT_RESET_FALLBACK_SECONDS = 60
REQUEST_ID_HEADER = "X-Request-Id"


class CalcomError(Exception):
    """Base of every Cal.com failure.

    ``status`` is None when no response arrived (timeout, connection). ``code`` is Cal.com's ``error.code``
    (e.g. ``BadRequestException``) when the body was Cal.com's error envelope. ``message`` is Cal.com's full
    ``error.message``, or a plain description when the body was not the envelope. ``body`` is the raw response text,
    whole. ``details`` is the envelope's ``error.details`` as parsed JSON (None when absent).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        self.request_id = request_id
        self.details = details

    def __str__(self) -> str:
        parts = [str(self.status) if self.status is not None else "no response"]
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        constraints = validation_constraints(self.details)
        if constraints:
            text += f" ({'; '.join(constraints)})"
        if self.request_id:
            text += f" [request_id={self.request_id}]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class BadRequestError(CalcomError):
    """Cal.com refused the request for a business rule (400/409/422): past start, outside the booking window,
    booker limit, cannot reschedule a cancelled booking, not a round-robin host… Retrying the same input fails
    the same way; ``classify`` tells the rules apart by message."""


class HostConflictError(BadRequestError):
    """The host (or one of the hosts) already has a booking at that time or is not available then."""


class ValidationError(BadRequestError):
    """The request body or query did not pass Cal.com's validation (a wrong property, missing contact, missing
    required booking field, ``Body is required``, query constraints in ``details``)."""


class NotFoundError(CalcomError):
    """404: the booking, event type or user does not exist or is not visible to this key."""


class AuthError(CalcomError):
    """401/403: the API key is unknown, expired, missing, or not allowed to do this."""


class RateLimitedError(CalcomError):
    """429: too many requests for this key. ``reset_seconds`` is how long to wait before the next call
    (``X-RateLimit-Reset-Default``, 60 when absent). The client never sleeps on it; the caller decides."""

    def __init__(self, message: str, *, reset_seconds: int = RATE_LIMIT_RESET_FALLBACK_SECONDS, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reset_seconds = reset_seconds

    def __str__(self) -> str:
        return f"{super().__str__()} (reset in {self.reset_seconds}s)"


class BudgetSpent(RateLimitedError):
    """Not sent: our own share of the key's rate limit is used up until after the caller's deadline. Cal.com was not
    asked, so nothing can have happened there; ``reset_seconds`` is when the budget has room again."""


class ServerError(CalcomError):
    """5xx with a JSON body (Cal.com's envelope or NestJS' default ``{"statusCode":500,...}``)."""


class TransportError(CalcomError):
    """No HTTP response was received. ``status`` is None and ``body`` is empty."""


class DeadlineReached(TransportError):
    """The caller's deadline had run out, so this request was never sent: Cal.com cannot have acted on it."""


class CalcomTimeoutError(TransportError):
    """The server accepted the connection but did not answer in time. A write may have been committed anyway:
    look for it before sending it again. ``waited_seconds`` is how long the client waited for the answer."""

    def __init__(self, message: str, *, waited_seconds: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.waited_seconds = waited_seconds


class CalcomConnectionError(TransportError):
    """The connection could not be made or broke (refused, DNS, reset, connect timeout). For a connect failure
    nothing reached Cal.com; for a reset mid-exchange a write may have been committed."""


class BadResponseError(CalcomError):
    """The answer was not something Cal.com sends: HTML (a proxy's error page), malformed JSON, JSON without the
    success/error envelope, a redirect, or data of an unexpected shape."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def request_id_of(headers: Mapping[str, str]) -> str | None:
    return _header(headers, REQUEST_ID_HEADER)


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    """A header's whole-number value (case-insensitive name), None when absent or not a number."""
    value = _header(headers, name)
    try:
        return int(float(value.strip())) if value is not None else None
    except ValueError:
        return None


def reset_seconds_of(headers: Mapping[str, str]) -> int:
    """Seconds until the rate-limit window or block ends.

    Cal.com sends ``X-RateLimit-Reset-<Name>`` in seconds (not a timestamp). ``Default`` is the standard limit; with
    custom per-key limits other names appear, and then the longest wait is the safe one. 60 when nothing usable.
    """
    candidates: list[int] = []
    default = _header(headers, RATE_LIMIT_RESET_HEADER)
    values = [default] if default is not None else []
    if not values:
        values = [v for k, v in headers.items() if k.lower().startswith("x-ratelimit-reset-")]
    for value in values:
        try:
            candidates.append(max(0, int(float(value.strip()))))
        except (ValueError, AttributeError):
            continue
    return max(candidates) if candidates else RATE_LIMIT_RESET_FALLBACK_SECONDS


def validation_constraints(details: Any) -> list[str]:
    """Constraint texts of a query-validation error (NestJS ``ValidationPipe``: ``details.errors[].constraints``)."""
    if not isinstance(details, Mapping):
        return []
    errors = details.get("errors")
    if not isinstance(errors, list):
        return []
    texts: list[str] = []
    for item in errors:
        constraints = item.get("constraints") if isinstance(item, Mapping) else None
        if isinstance(constraints, Mapping):
            texts.extend(str(text) for text in constraints.values())
    return texts


_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def describe_non_json(status: int, headers: Mapping[str, str], body: str) -> str:
    """A short plain description of a body that is not JSON (the whole body stays in ``.body``)."""
    content_type = _header(headers, "Content-Type") or "no content type"
    title = _TITLE_RE.search(body)
    if title:
        return f"HTTP {status} with a non-JSON body ({content_type}): {' '.join(title.group(1).split())}"
    if not body.strip():
        return f"HTTP {status} with an empty body ({content_type})"
    return f"HTTP {status} with a non-JSON body ({content_type})"


def _is_validation_message(message: str, code: str | None, details: Any) -> bool:
    return (
        " property is wrong," in message
        or message.startswith("Body is required")
        or message.startswith("Missing attendee phone number")
        or message.startswith("Missing required booking field response")
        or message.startswith("Can't specify 'lengthInMinutes'")
        or message.startswith("Metadata must have at most")
        or code == "BAD_REQUEST"  # Zod issues: "<path> - <message>, "
        or bool(validation_constraints(details))
    )


def _is_host_conflict_message(message: str) -> bool:
    return any(message.startswith(text) for text in HOST_CONFLICT_MESSAGES)


def _parse_error_body(body: str) -> tuple[bool, str | None, str | None, Any]:
    """(recognised, code, message, details) from Cal.com's envelope or NestJS' default error body."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False, None, None, None
    if not isinstance(payload, dict):
        return False, None, None, None
    error = payload.get("error")
    if payload.get("status") == "error" and isinstance(error, dict):
        message = error.get("message")
        code = error.get("code")
        return (
            True,
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else json.dumps(message),
            error.get("details"),
        )
    if "statusCode" in payload and "message" in payload:
        # NestJS' default body for errors that escaped Cal.com's filters.
        message = payload["message"]
        if isinstance(message, list):  # ValidationPipe without the envelope: a list of constraint texts
            message = ", ".join(str(m) for m in message)
        return True, None, str(message), None
    return False, None, None, None


def _is_json(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def error_from_response(status: int, headers: Mapping[str, str], body: str) -> CalcomError:
    """Map a non-2xx answer to its typed error.

    Rules, in order: 429 is always ``RateLimitedError`` (whatever the body, so callers can wait); a body that is not
    Cal.com's error envelope (nor NestJS' default ``{statusCode, message}``) is ``BadResponseError`` unless it is
    JSON on a 5xx (``ServerError``); otherwise the status decides, and for 400 the message tells a host conflict
    and a validation failure from other business rules.
    """
    headers = dict(headers)
    common: dict[str, Any] = {"status": status, "body": body, "headers": headers, "request_id": request_id_of(headers)}
    recognised, code, message, details = _parse_error_body(body)
    common["code"] = code
    common["details"] = details

    if status == 429:
        return RateLimitedError(
            message if recognised and message else _describe(status, headers, body),
            reset_seconds=reset_seconds_of(headers),
            **common,
        )
    if not recognised:
        if status >= 500 and _is_json(body):
            return ServerError(f"HTTP {status} with an unexpected JSON body", **common)
        return BadResponseError(_describe(status, headers, body), **common)

    assert message is not None
    return _class_for(status, message, code, details)(message, **common)


def _class_for(status: int, message: str, code: str | None, details: Any) -> type[CalcomError]:
    """The error class of an answer in Cal.com's own error envelope: the status decides, for 400 the message."""
    if status >= 500:
        return ServerError
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFoundError
    if status == 400 and _is_host_conflict_message(message):
        return HostConflictError
    if status == 400 and _is_validation_message(message, code, details):
        return ValidationError
    if status in (400, 409, 422):
        return BadRequestError
    return CalcomError


def _describe(status: int, headers: Mapping[str, str], body: str) -> str:
    if _is_json(body):
        return f"HTTP {status} with JSON that is not Cal.com's error envelope"
    return describe_non_json(status, headers, body)
