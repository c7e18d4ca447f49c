"""error_from_response: (status, headers, body) → typed error, without HTTP."""

from __future__ import annotations

import json

import pytest

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
    error_from_response,
    reset_seconds_of,
)

REQUEST_ID = "0b7c3c1e-3f7e-4d3a-9d0e-2f7a1c9b8e11"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "X-Request-Id": REQUEST_ID}


def envelope(status: int, code: str, message: str, details: object = None) -> str:
    error: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return json.dumps(
        {"status": "error", "timestamp": "2050-09-05T07:00:00.000Z", "path": "/v2/bookings", "error": error}
    )


def bad_request(message: str) -> str:
    return envelope(
        400, "BadRequestException", message, {"message": message, "error": "Bad Request", "statusCode": 400}
    )


LONG_OUT_OF_BOUNDS = (
    "The event type can't be booked at the \"start\" time provided. This could be because it's too soon (violating "
    "the minimum booking notice) or too far in the future (outside the event's scheduling window). Try fetching "
    'available slots first using the GET /v2/slots endpoint and then make a booking with "start" time equal to one '
    "of the available slots."
)


def test_host_conflict_keeps_code_message_body_headers_and_request_id() -> None:
    body = bad_request("User either already has booking at this time or is not available")
    error = error_from_response(400, JSON_HEADERS, body)
    assert type(error) is HostConflictError
    assert isinstance(error, BadRequestError)
    assert error.status == 400
    assert error.code == "BadRequestException"
    assert error.message == "User either already has booking at this time or is not available"
    assert error.body == body
    assert error.headers["X-Request-Id"] == REQUEST_ID
    assert error.request_id == REQUEST_ID
    assert error.details == {
        "message": "User either already has booking at this time or is not available",
        "error": "Bad Request",
        "statusCode": 400,
    }


def test_team_host_conflict_is_a_host_conflict() -> None:
    message = "One of the hosts either already has booking at this time or is not available"
    assert type(error_from_response(400, JSON_HEADERS, bad_request(message))) is HostConflictError


@pytest.mark.parametrize(
    "message",
    [
        "start property is wrong,start must be a valid ISO 8601 date string ",
        "foo property is wrong,property foo should not exist ",
        "attendee property is wrong, timeZone property is wrong,timeZone must be a valid IANA time-zone ",
        "attendee property is wrong,Attendee must have at least one contact method (email or phone number) ",
        "Body is required",
        'Missing attendee phone number - it is required by the event type. Pass it as "attendee.phoneNumber" string '
        "in the request.",
    ],
)
def test_body_validation_messages_are_validation_errors(message: str) -> None:
    error = error_from_response(400, JSON_HEADERS, bad_request(message))
    assert type(error) is ValidationError
    assert error.message == message  # never trimmed, trailing space included


def test_query_validation_keeps_constraints_in_details_and_shows_them_in_str() -> None:
    details = {
        "message": "Bad Request Exception",
        "errors": [{"property": "take", "constraints": {"max": "take must not be greater than 250"}}],
    }
    error = error_from_response(
        400, JSON_HEADERS, envelope(400, "BadRequestException", "Bad Request Exception", details)
    )
    assert type(error) is ValidationError
    assert error.message == "Bad Request Exception"
    assert "take must not be greater than 250" in str(error)


def test_zod_error_is_a_validation_error() -> None:
    body = json.dumps(
        {
            "status": "error",
            "timestamp": "x",
            "path": "/v2/bookings",
            "error": {"code": "BAD_REQUEST", "message": "start - Required, "},
        }
    )
    assert type(error_from_response(400, JSON_HEADERS, body)) is ValidationError


@pytest.mark.parametrize(
    "message",
    [
        "Attempting to book a meeting in the past.",
        LONG_OUT_OF_BOUNDS,
        "Can't reschedule booking with uid=abc because it has been cancelled. Please provide uid of a booking that is "
        "not cancelled.",
    ],
)
def test_other_400s_are_general_bad_requests_with_the_whole_message(message: str) -> None:
    error = error_from_response(400, JSON_HEADERS, bad_request(message))
    assert type(error) is BadRequestError
    assert error.message == message


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "UnauthorizedException", AuthError),
        (403, "ForbiddenException", AuthError),
        (404, "NotFoundException", NotFoundError),
        (409, "ConflictException", BadRequestError),
        (422, "UnprocessableEntityException", BadRequestError),
        (500, "INTERNAL_SERVER_ERROR", ServerError),
        (503, "ServiceUnavailableException", ServerError),
    ],
)
def test_status_decides_the_class(status: int, code: str, cls: type[CalcomError]) -> None:
    error = error_from_response(status, JSON_HEADERS, envelope(status, code, "text"))
    assert type(error) is cls
    assert error.code == code


def test_nestjs_default_500_body_is_a_server_error() -> None:
    body = '{"statusCode":500,"message":"Internal server error"}'
    error = error_from_response(500, {"Content-Type": "application/json"}, body)
    assert type(error) is ServerError
    assert error.message == "Internal server error"
    assert error.code is None
    assert error.body == body


def test_unknown_json_on_5xx_is_still_a_server_error() -> None:
    assert type(error_from_response(502, {}, '{"oops": true}')) is ServerError


def test_html_502_from_a_proxy_is_a_bad_response_naming_the_page_title() -> None:
    body = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    error = error_from_response(502, {"Content-Type": "text/html"}, body)
    assert type(error) is BadResponseError
    assert error.status == 502
    assert error.body == body
    assert "502 Bad Gateway" in error.message
    assert "text/html" in error.message


def test_malformed_json_error_body_is_a_bad_response() -> None:
    error = error_from_response(400, JSON_HEADERS, '{"status":"error","error":{"code":')
    assert type(error) is BadResponseError
    assert error.request_id == REQUEST_ID


def test_json_without_the_error_envelope_on_4xx_is_a_bad_response() -> None:
    assert type(error_from_response(404, JSON_HEADERS, '{"hello":"world"}')) is BadResponseError


def test_429_carries_reset_seconds_from_the_default_header() -> None:
    message = "CustomThrottlerGuard - Too many requests. Please try again later."
    headers = {
        "X-RateLimit-Limit-Default": "120",
        "X-RateLimit-Remaining-Default": "0",
        "X-RateLimit-Reset-Default": "37",
    }
    error = error_from_response(429, headers, envelope(429, "ThrottlerException", message, message))
    assert type(error) is RateLimitedError
    assert error.reset_seconds == 37
    assert error.message == message
    assert "37" in str(error)


def test_429_without_headers_or_envelope_falls_back_to_60_seconds() -> None:
    error = error_from_response(429, {"Content-Type": "text/plain"}, "Too Many Requests")
    assert type(error) is RateLimitedError
    assert error.reset_seconds == 60


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-ratelimit-reset-default": "5"}, 5),
        ({"X-RateLimit-Reset-Default": "not a number"}, 60),
        ({"X-RateLimit-Reset-Custom": "12", "X-RateLimit-Reset-Other": "30"}, 30),
        ({}, 60),
    ],
)
def test_reset_seconds_header_parsing(headers: dict[str, str], expected: int) -> None:
    assert reset_seconds_of(headers) == expected


def test_str_is_a_useful_log_line() -> None:
    error = error_from_response(400, JSON_HEADERS, bad_request("Attempting to book a meeting in the past."))
    assert str(error) == (
        f"400 BadRequestException: Attempting to book a meeting in the past. [request_id={REQUEST_ID}]"
    )


def test_transport_errors_have_no_status() -> None:
    assert str(CalcomTimeoutError("no answer within 1s")) == "no response: no answer within 1s"
    assert CalcomConnectionError("refused").status is None
