"""Cal.com's error envelope, so clients see the same JSON for simulated failures as for real ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify

# Nest's HttpException subclasses by status, as named in ``error.code`` and ``details.error``.
EXCEPTION_NAMES: dict[int, tuple[str, str]] = {
    400: ("BadRequestException", "Bad Request"),
    401: ("UnauthorizedException", "Unauthorized"),
    403: ("ForbiddenException", "Forbidden"),
    404: ("NotFoundException", "Not Found"),
    409: ("ConflictException", "Conflict"),
    422: ("UnprocessableEntityException", "Unprocessable Entity"),
    429: ("ThrottlerException", "Too Many Requests"),
    500: ("InternalServerErrorException", "Internal Server Error"),
    502: ("BadGatewayException", "Bad Gateway"),
    503: ("ServiceUnavailableException", "Service Unavailable"),
    504: ("GatewayTimeoutException", "Gateway Timeout"),
}

MISSING_AUTH = (
    "ApiAuthStrategy - No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)
INVALID_API_KEY = "CustomThrottlerGuard - Invalid API Key"
INVALID_ACCESS_TOKEN = "ApiAuthStrategy - access token - Invalid Access Token."
TOO_MANY_REQUESTS = "CustomThrottlerGuard - Too many requests. Please try again later."
HOST_BUSY = "User either already has booking at this time or is not available"
TEAM_HOST_BUSY = "One of the hosts either already has booking at this time or is not available"
IN_THE_PAST = "Attempting to book a meeting in the past."
OUT_OF_BOUNDS = (
    "The event type can't be booked at the \"start\" time provided. This could be because it's too soon "
    "(violating the minimum booking notice) or too far in the future (outside the event's scheduling window). "
    'Try fetching available slots first using the GET /v2/slots endpoint and then make a booking with "start" '
    "time equal to one of the available slots."
)


class ApiError(Exception):
    """An HTTP exception as Cal.com's global filter renders it: ``details`` is the exception's response body."""

    def __init__(self, status: int, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        name, reason = EXCEPTION_NAMES.get(status, ("HttpException", "Error"))
        self.code = code or name
        self.details = details if details is not None else {"message": message, "error": reason, "statusCode": status}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message)


def too_many_requests() -> ApiError:
    # ThrottlerException's response is the bare message string, so ``details`` is that string too.
    return ApiError(429, TOO_MANY_REQUESTS, details=TOO_MANY_REQUESTS)


def iso_ms(moment: datetime) -> str:
    """Format like JavaScript's ``Date.toISOString()`` (milliseconds, ``Z``), which is what Cal.com emits."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def error_response(error: ApiError, path: str, now: datetime) -> Response:
    body = {
        "status": "error",
        "timestamp": iso_ms(now),
        "path": path,
        "error": {"code": error.code, "message": error.message, "details": error.details},
    }
    response = jsonify(body)
    response.status_code = error.status
    return response
