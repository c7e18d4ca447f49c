"""The simulator's Flask app: request pipeline (faults, throttling, auth, versions) and the ``/v2`` routes.

Versions: Cal.com answers a missing or unknown ``cal-api-version`` by routing to its legacy ``2024-04-15``
controllers, which return different shapes. The simulator does not emulate those; it answers 400
``BadRequestException`` naming the header it expected, so a client that forgets the header fails loudly in tests
instead of silently talking to "another API".
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

import calcom_api_versions as api_versions
from calcom_simulator import errors, output
from calcom_simulator.clock import Clock
from calcom_simulator.errors import ApiError, error_response
from calcom_simulator.faults import ADMIN_PREFIX, FaultConfig, FaultInjector
from calcom_simulator.ratelimit import RateLimiter
from calcom_simulator.service import BookingService
from calcom_simulator.store import Store
from calcom_simulator.validation import (
    parse_bookings_query,
    parse_path_id,
    validate_cancel,
    validate_create,
    validate_reassign,
    validate_reschedule,
)
from calcom_simulator.webhooks import WebhookDispatcher

API_KEY_PREFIX = "cal_"
BOOKING_VERSIONS = (api_versions.BOOKINGS, "2026-02-25")
SLOTS_VERSION = api_versions.SLOTS
EVENT_TYPES_VERSION = api_versions.EVENT_TYPES
FAULT_HEADER = "X-Sim-Fault"  # marks injected failures; Cal.com never sends it, contract checks skip them
NEST_500 = {"statusCode": 500, "message": "Internal server error"}
PROXY_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
PROXY_504 = PROXY_502.replace("502 Bad Gateway", "504 Gateway Time-out")
DROP_ENVIRON_KEY = "calcom_simulator.drop_connection"  # set by ``finish``, acted on by ``DropConnectionMiddleware``


@dataclass
class SimulatorState:
    """Everything a request may touch; admin endpoints mutate it, ``reset`` restores it."""

    store: Store
    api_keys: list[str]
    owner_email: str = "ops@salon.example"
    clock: Clock = field(default_factory=Clock)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    faults: FaultInjector = field(default_factory=FaultInjector)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.store.ensure_keys(self.api_keys, self.owner_email)
        self.webhooks = WebhookDispatcher(self.store, self.clock, self.stopping)
        self.bookings = BookingService(self.store, self.clock, notify=self.webhooks.emit)

    def reset(self) -> None:
        self.webhooks.reset()  # first: nothing queued before the reset is sent or recorded after it
        self.store.wipe()
        self.store.ensure_keys(self.api_keys, self.owner_email)
        self.faults.clear()
        self.clock.reset()
        self.limiter.reset()


def create_app(state: SimulatorState) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["calcom_simulator"] = state
    app.wsgi_app = DropConnectionMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    from calcom_simulator.admin import admin_blueprint

    app.register_blueprint(admin_blueprint)

    @app.before_request
    def pipeline() -> Response | None:
        g.request_id = str(uuid.uuid4())
        g.rate_headers = {}
        g.after_commit = None
        if request.path.startswith(ADMIN_PREFIX):
            return None
        fault = state.faults.decide(request.method, request.path)
        if fault is not None:
            injected = _apply_fault(state, fault)
            if injected is not None:
                return injected
        if request.path.startswith("/v2"):
            g.caller = _authenticate(state)
        return None

    @app.after_request
    def finish(response: Response) -> Response:
        fault = getattr(g, "after_commit", None)
        if fault is not None:
            response = _spoil_answer(state, fault, response)
        response.headers["X-Request-Id"] = getattr(g, "request_id", str(uuid.uuid4()))
        for name, value in getattr(g, "rate_headers", {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error, _path(), state.clock.now())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if request.path.startswith(ADMIN_PREFIX):
            response = jsonify({"error": error.description})
            response.status_code = error.code or 500
            return response
        status = error.code or 500
        message = f"Cannot {request.method} {request.path}" if status in (404, 405) else str(error.description)
        return error_response(ApiError(404 if status == 405 else status, message), _path(), state.clock.now())

    @app.errorhandler(Exception)
    def crash(error: Exception) -> Response:
        app.logger.exception("unhandled simulator error", exc_info=error)
        response = jsonify(NEST_500)
        response.status_code = 500
        return response

    _register_v2(app, state)
    return app


def _path() -> str:
    query = request.query_string.decode()
    return f"{request.path}?{query}" if query else request.path


def _apply_fault(state: SimulatorState, fault: FaultConfig) -> Response | None:
    if fault.latencyMs:
        time.sleep(fault.latencyMs / 1000)
    if fault.hangSeconds:
        state.stopping.wait(fault.hangSeconds)
        return _marked(Response(PROXY_504, status=504, mimetype="text/html"), "hang")
    if fault.html502:
        return _marked(Response(PROXY_502, status=502, mimetype="text/html"), "html502")
    if fault.malformedJson:
        return _marked(
            Response('{"status":"success","data":{"id":', status=200, mimetype="application/json"), "malformedJson"
        )
    if fault.status:
        return _marked(_status_response(state, int(fault.status)), "status")
    if fault.after_commit:
        g.after_commit = fault  # handled normally now; ``finish`` spoils the answer once it is committed
    return None


def _status_response(state: SimulatorState, status: int) -> Response:
    """What Cal.com sends for ``status``: NestJS's bare body for 500, its error envelope otherwise."""
    if status == 500:
        response = jsonify(NEST_500)
        response.status_code = 500
        return response
    if status == 429:
        return error_response(errors.too_many_requests(), _path(), state.clock.now())
    return error_response(ApiError(status, _fault_message(status)), _path(), state.clock.now())


def _spoil_answer(state: SimulatorState, fault: FaultConfig, response: Response) -> Response:
    """The request has been handled and committed; now make its answer late, wrong or absent.

    A hang comes first, so it combines with either of the others (a slow gateway that then fails or hangs up).
    """
    mode = "hangAfterCommit"
    if fault.hangAfterCommitSeconds:
        state.stopping.wait(float(fault.hangAfterCommitSeconds))
    if fault.statusAfterCommit:
        response, mode = _status_response(state, int(fault.statusAfterCommit)), "statusAfterCommit"
    if fault.dropAfterCommit:
        request.environ[DROP_ENVIRON_KEY] = True
        mode = "dropAfterCommit"  # the middleware sends nothing, so the client never sees this marker
    return _marked(response, mode)


class DropConnectionMiddleware:
    """Hang up on the client after the Flask app has fully run, so not one byte of the answer is sent.

    The socket is shut down, never closed: werkzeug still owns the file descriptor (closing it here could hand the
    number to the next accepted connection). werkzeug then writes the status line into the shut socket, gets
    ``BrokenPipeError``, treats it as a client that went away (``connection_dropped``, silent) and closes the
    connection as usual, so the serving thread ends and the server keeps accepting. The client sees the
    connection closed (or reset) with no response: ``RemoteDisconnected`` / ``requests.ConnectionError``.
    """

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = self.wsgi_app(environ, start_response)
        if not environ.get(DROP_ENVIRON_KEY):
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        connection = environ.get("werkzeug.socket")
        if connection is None:
            raise RuntimeError("dropAfterCommit needs werkzeug's server (no werkzeug.socket in the WSGI environ)")
        with contextlib.suppress(OSError):  # the client may have gone already
            connection.shutdown(socket.SHUT_RDWR)
        return []


def _fault_message(status: int) -> str:
    name = errors.EXCEPTION_NAMES.get(status, ("HttpException", "Error"))[1]
    return f"Simulated {status} {name}"


def _marked(response: Response, mode: str) -> Response:
    response.headers[FAULT_HEADER] = mode
    return response


def _authenticate(state: SimulatorState) -> dict[str, Any] | None:
    """Throttler guard first (it resolves the key, hence its "Invalid API Key" 401), then count the hit."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    client_ip = request.headers.get("CF-Connecting-IP") or request.remote_addr or "unknown"
    caller = None
    failure: ApiError | None = None
    if token:
        if token.startswith(API_KEY_PREFIX):
            caller = state.store.key_owner(token)
            if caller is None:
                failure = errors.unauthorized(errors.INVALID_API_KEY)
        else:
            failure = errors.unauthorized(errors.INVALID_ACCESS_TOKEN)
    decision = state.limiter.hit(f"key:{token}" if caller else f"ip:{client_ip}")
    g.rate_headers = decision.headers()
    if failure is not None:
        raise failure
    if not decision.allowed:
        raise errors.too_many_requests()
    return caller


def _require_auth() -> dict[str, Any]:
    caller: dict[str, Any] | None = g.caller
    if caller is None:
        raise errors.unauthorized(errors.MISSING_AUTH)
    return caller


def _require_version(*accepted: str) -> None:
    version = request.headers.get("cal-api-version")
    if version not in accepted:
        expected = " or ".join(f'"{v}"' for v in accepted)
        got = f'"{version}"' if version else "no cal-api-version header"
        raise errors.bad_request(
            f"cal-api-version header must be {expected} for {request.method} {request.path} (got {got}); "
            "Cal.com would route this request to its legacy 2024-04-15 controller, "
            "which the simulator does not emulate."
        )


def _success(data: Any, status: int = 200, **extra: Any) -> Response:
    response = jsonify({"status": "success", "data": data, **extra})
    response.status_code = status
    return response


def _register_v2(app: Flask, state: SimulatorState) -> None:
    service = state.bookings

    @app.get("/v2/me")
    def me() -> Response:
        return _success(output.me(_require_auth()))

    @app.get("/v2/event-types")
    def event_types() -> Response:
        _require_version(EVENT_TYPES_VERSION)
        username = request.args.get("username")
        rows = state.store.event_types()
        result = []
        for row in rows:
            owner = state.store.user(row["owner_id"])
            if owner is None or (username and owner["username"] != username):
                continue
            if request.args.get("eventSlug") and row["slug"] != request.args["eventSlug"]:
                continue
            result.append(output.event_type(row, owner, service.hosts(row)))
        return _success(result)

    @app.get("/v2/event-types/<event_type_id>")
    def event_type(event_type_id: str) -> Response:
        _require_version(EVENT_TYPES_VERSION)
        _require_auth()
        row = state.store.event_type(parse_path_id("eventTypeId", event_type_id))
        owner = state.store.user(row["owner_id"]) if row else None
        if row is None or owner is None:
            raise errors.not_found(f"Event type with id {event_type_id} not found")
        return _success(output.event_type(row, owner, service.hosts(row)))

    @app.get("/v2/slots")
    def get_slots() -> Response:
        _require_version(SLOTS_VERSION)
        return _success(service.slots(request.args))

    @app.post("/v2/bookings")
    def create_booking() -> Response:
        _require_version(*BOOKING_VERSIONS)
        body = validate_create(request.get_json(silent=True))
        return _success(service.create(body), 201)

    @app.get("/v2/bookings")
    def list_bookings() -> Response:
        _require_version(*BOOKING_VERSIONS)
        _require_auth()
        data, pagination = service.list(parse_bookings_query(request.args))
        return _success(data, pagination=pagination)

    @app.get("/v2/bookings/<uid>")
    def get_booking(uid: str) -> Response:
        _require_version(*BOOKING_VERSIONS)
        return _success(service.get(uid))

    @app.post("/v2/bookings/<uid>/reschedule")
    def reschedule(uid: str) -> Response:
        _require_version(*BOOKING_VERSIONS)
        body = validate_reschedule(request.get_json(silent=True))
        return _success(service.reschedule(uid, body), 201)

    @app.post("/v2/bookings/<uid>/cancel")
    def cancel(uid: str) -> Response:
        _require_version(*BOOKING_VERSIONS)
        body = validate_cancel(request.get_json(silent=True))
        return _success(service.cancel(uid, body, g.caller))

    @app.post("/v2/bookings/<uid>/reassign/<user_id>")
    def reassign(uid: str, user_id: str) -> Response:
        _require_version(*BOOKING_VERSIONS)
        _require_auth()
        target = parse_path_id("userId", user_id)  # Nest's ParseIntPipe, not a route that fails to match
        validate_reassign(request.get_json(silent=True))
        return _success(service.reassign(uid, target))
