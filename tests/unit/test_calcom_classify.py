"""classify(): the business category of each Cal.com failure, on Cal.com's exact messages (CONTRACT §7.3)."""

from __future__ import annotations

import json

import pytest

from ops_ui.calcom.classify import classify
from ops_ui.calcom.errors import (
    BadResponseError,
    CalcomConnectionError,
    CalcomError,
    CalcomTimeoutError,
    error_from_response,
)
from ops_ui.categories import ErrorCategory


def answer(status: int, code: str, message: str, details: object = None) -> CalcomError:
    error: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    body = json.dumps({"status": "error", "timestamp": "2050-09-05T07:00:00.000Z", "path": "/v2/x", "error": error})
    return error_from_response(status, {"X-RateLimit-Reset-Default": "9"}, body)


def bad_request(message: str) -> CalcomError:
    return answer(400, "BadRequestException", message, {"message": message, "error": "Bad Request", "statusCode": 400})


OUT_OF_BOUNDS = (
    "The event type can't be booked at the \"start\" time provided. This could be because it's too soon (violating "
    "the minimum booking notice) or too far in the future (outside the event's scheduling window). Try fetching "
    'available slots first using the GET /v2/slots endpoint and then make a booking with "start" time equal to one '
    "of the available slots."
)
BOOKER_LIMIT = "Attendee with this email can't book because the maximum number of active bookings has been reached."


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("User either already has booking at this time or is not available", ErrorCategory.HOST_CONFLICT),
        ("One of the hosts either already has booking at this time or is not available", ErrorCategory.HOST_CONFLICT),
        ("Attempting to book a meeting in the past.", ErrorCategory.PAST_START),
        (OUT_OF_BOUNDS, ErrorCategory.OUT_OF_BOUNDS),
        (BOOKER_LIMIT, ErrorCategory.OUT_OF_BOUNDS),
        (
            BOOKER_LIMIT + " You can reschedule your existing booking (bk_1) to a new timeslot instead.",
            ErrorCategory.OUT_OF_BOUNDS,
        ),
        ("start property is wrong,start must be a valid ISO 8601 date string ", ErrorCategory.VALIDATION_ERROR),
        ("foo property is wrong,property foo should not exist ", ErrorCategory.VALIDATION_ERROR),
        (
            "attendee property is wrong, timeZone property is wrong,timeZone must be a valid IANA time-zone ",
            ErrorCategory.VALIDATION_ERROR,
        ),
        (
            "eventTypeId or eventTypeSlug + username property is wrong,Either eventTypeId or eventTypeSlug + username "
            "or eventTypeSlug + teamSlug must be provided ",
            ErrorCategory.VALIDATION_ERROR,
        ),
        (
            "attendee property is wrong,Attendee must have at least one contact method (email or phone number) ",
            ErrorCategory.VALIDATION_ERROR,
        ),
        (
            "metadata property is wrong,Metadata must have at most 50 keys, each key up to 40 characters, and string "
            "values up to 500 characters. ",
            ErrorCategory.VALIDATION_ERROR,
        ),
        ("Body is required", ErrorCategory.VALIDATION_ERROR),
        (
            'Missing attendee phone number - it is required by the event type. Pass it as "attendee.phoneNumber" '
            "string in the request.",
            ErrorCategory.VALIDATION_ERROR,
        ),
        (
            "Missing required booking field response: notes - it is required by the event type booking fields, but "
            "missing in the bookingFieldsResponses. You can fetch the event type with ID 7 to see the required fields.",
            ErrorCategory.VALIDATION_ERROR,
        ),
        (
            "Can't specify 'lengthInMinutes' because event type does not have multiple possible lengths. Please "
            "remove the 'lengthInMinutes' field from the request.",
            ErrorCategory.VALIDATION_ERROR,
        ),
        (
            "Can't reschedule booking with uid=bk_1 because it has been cancelled. Please provide uid of a booking "
            "that is not cancelled.",
            ErrorCategory.UNKNOWN,
        ),
        (
            "Can't cancel booking with uid=bk_1 because it has been cancelled already. Please provide uid of a "
            "booking that is not cancelled.",
            ErrorCategory.UNKNOWN,
        ),
        ("User with id=5 is not a valid Round Robin host - ...", ErrorCategory.UNKNOWN),
    ],
)
def test_400_messages(message: str, category: ErrorCategory) -> None:
    assert classify(bad_request(message)) is category


def test_query_validation_is_a_validation_error() -> None:
    details = {
        "message": "Bad Request Exception",
        "errors": [{"constraints": {"max": "take must not be greater than 250"}}],
    }
    assert (
        classify(answer(400, "BadRequestException", "Bad Request Exception", details)) is ErrorCategory.VALIDATION_ERROR
    )


@pytest.mark.parametrize(
    ("status", "code", "message", "category"),
    [
        (404, "NotFoundException", "Booking with uid=bk_1 was not found in the database", ErrorCategory.NOT_FOUND),
        (404, "NotFoundException", "Booking with uid=bk_1 not found", ErrorCategory.NOT_FOUND),
        (404, "NotFoundException", "Event type with id 7 not found.", ErrorCategory.NOT_FOUND),
        (404, "NotFoundException", "User with id=5 was not found in the database", ErrorCategory.NOT_FOUND),
        (401, "UnauthorizedException", "CustomThrottlerGuard - Invalid API Key", ErrorCategory.AUTH),
        (401, "UnauthorizedException", "ApiAuthStrategy - api key - Your api key is expired", ErrorCategory.AUTH),
        (403, "ForbiddenException", "You do not have permission to reassign this booking", ErrorCategory.AUTH),
        (
            429,
            "ThrottlerException",
            "CustomThrottlerGuard - Too many requests. Please try again later.",
            ErrorCategory.RATE_LIMITED,
        ),
        (500, "INTERNAL_SERVER_ERROR", "There was an error, please try again later.", ErrorCategory.SERVER_ERROR),
        (409, "ConflictException", "No more seats left at this seated booking.", ErrorCategory.UNKNOWN),
        (
            422,
            "UnprocessableEntityException",
            "Can't book this team event type because it has no hosts.",
            ErrorCategory.UNKNOWN,
        ),
    ],
)
def test_by_status(status: int, code: str, message: str, category: ErrorCategory) -> None:
    assert classify(answer(status, code, message)) is category


def test_nestjs_default_500_is_a_server_error() -> None:
    error = error_from_response(500, {}, '{"statusCode":500,"message":"Internal server error"}')
    assert classify(error) is ErrorCategory.SERVER_ERROR


def test_html_502_is_a_bad_response() -> None:
    error = error_from_response(502, {"Content-Type": "text/html"}, "<html><title>502 Bad Gateway</title></html>")
    assert classify(error) is ErrorCategory.BAD_RESPONSE


def test_transport_failures() -> None:
    assert classify(CalcomTimeoutError("slow")) is ErrorCategory.TIMEOUT
    assert classify(CalcomConnectionError("refused")) is ErrorCategory.CONNECTION
    assert classify(BadResponseError("not json", status=200)) is ErrorCategory.BAD_RESPONSE


def test_a_bare_calcom_error_is_unknown() -> None:
    assert classify(CalcomError("teapot", status=418)) is ErrorCategory.UNKNOWN


def test_technical_categories_are_the_retryable_ones() -> None:
    technical = {
        classify(CalcomTimeoutError("t")),
        classify(CalcomConnectionError("c")),
        classify(answer(500, "X", "y")),
        classify(answer(429, "ThrottlerException", "z")),
    }
    assert all(category.is_technical for category in technical)
    assert classify(bad_request("Attempting to book a meeting in the past.")).is_business
