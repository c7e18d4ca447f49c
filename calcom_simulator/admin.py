"""``/_sim/*``: set up users and event types, inject faults, tune throttling, shift the clock, reset; subscribe
webhooks and read their deliveries; act as a person in Cal.com's UI (``/_sim/ui/...``).

Plain JSON, no auth, loopback only; never touched by fault injection or rate limiting.
"""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from calcom_simulator import output, slots, webhooks
from calcom_simulator.errors import ApiError, iso_ms
from calcom_simulator.faults import FaultConfig, FaultConfigError
from calcom_simulator.ratelimit import RateLimitSettings
from calcom_simulator.validation import is_time_zone, validate_cancel, validate_create, validate_reschedule

admin_blueprint = Blueprint("sim_admin", __name__, url_prefix="/_sim")


class AdminInputError(ValueError):
    """Bad admin request; answered 400 ``{"error": ...}`` (the admin API is ours, not Cal.com's)."""


def _state() -> Any:
    return current_app.extensions["calcom_simulator"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise AdminInputError("JSON object expected")
    return body


@admin_blueprint.before_request
def loopback_only() -> None:
    try:
        local = ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if not local:
        abort(403, "The simulator admin API only answers loopback clients")


@admin_blueprint.errorhandler(AdminInputError)
@admin_blueprint.errorhandler(FaultConfigError)
def bad_input(error: ValueError) -> Response:
    response = jsonify({"error": str(error)})
    response.status_code = 400
    return response


@admin_blueprint.errorhandler(ApiError)
def refused_by_calcom(error: ApiError) -> Response:
    """A UI action Cal.com refuses (slot taken, already cancelled …): its status and message, in the admin shape."""
    response = jsonify({"error": error.message, "code": error.code})
    response.status_code = error.status
    return response


@admin_blueprint.get("/health")
def health() -> Response:
    return jsonify({"status": "ok"})


@admin_blueprint.post("/reset")
def reset() -> Response:
    _state().reset()
    return jsonify({"status": "ok"})


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "user"


@admin_blueprint.post("/users")
def create_user() -> tuple[Response, int]:
    body = _body()
    store = _state().store
    name, email = body.get("name"), body.get("email")
    if not isinstance(name, str) or not isinstance(email, str) or "@" not in email:
        raise AdminInputError("name and email are required")
    time_zone = body.get("timeZone", "Europe/Berlin")
    if not is_time_zone(time_zone):
        raise AdminInputError(f"Unknown time zone {time_zone!r}")
    hours = body.get("workingHours", slots.DEFAULT_WORKING_HOURS)
    try:
        rules = [slots.WorkingHours.from_json(rule) for rule in hours]
    except (KeyError, TypeError, ValueError) as exc:
        raise AdminInputError(f"Bad workingHours: {exc}") from exc
    username = body.get("username") or _slug(name)
    base, n = username, 1
    while store.user_by_username(username) is not None:
        n += 1
        username = f"{base}-{n}"
    user = store.create_user(
        name=name, email=email, username=username, time_zone=time_zone,
        working_hours=[rule.to_json() for rule in rules],
    )  # fmt: skip
    return jsonify(output.admin_user(user)), 201


@admin_blueprint.post("/event-types")
def create_event_type() -> tuple[Response, int]:
    body = _body()
    state = _state()
    store = state.store
    title, slug, length, owner_id = (body.get(k) for k in ("title", "slug", "lengthInMinutes", "ownerId"))
    if not isinstance(title, str) or not isinstance(slug, str) or not isinstance(length, int) or length < 1:
        raise AdminInputError("title, slug and lengthInMinutes (integer >= 1) are required")
    owner = store.user(owner_id) if isinstance(owner_id, int) else None
    if owner is None:
        raise AdminInputError(f"ownerId {owner_id!r} is not a simulator user")
    host_ids = body.get("hostIds")
    if host_ids is not None and (
        not isinstance(host_ids, list) or not host_ids or any(store.user(h) is None for h in host_ids)
    ):
        raise AdminInputError("hostIds must list existing user ids")
    row = store.create_event_type(
        title=title,
        slug=slug,
        length=length,
        owner_id=owner_id,
        host_ids=host_ids,
        scheduling_type="roundRobin" if host_ids is not None else None,
        minimum_notice=int(body.get("minimumBookingNoticeMinutes", 0)),
        slot_interval=body.get("slotIntervalMinutes"),
        booking_window_days=body.get("bookingWindowDays"),
        created_at=state.clock.now(),
    )
    out = output.event_type(row, owner, state.bookings.hosts(row))
    out["hostIds"] = host_ids
    out["bookingWindowDays"] = row["booking_window_days"]
    return jsonify(out), 201


@admin_blueprint.route("/faults", methods=["GET", "PUT", "DELETE"])
def faults() -> Response:
    injector = _state().faults
    if request.method == "PUT":
        injector.set(FaultConfig.from_json(_body()))
    elif request.method == "DELETE":
        injector.clear()
    return jsonify(injector.state())


@admin_blueprint.route("/rate-limit", methods=["GET", "PUT"])
def rate_limit() -> Response:
    limiter = _state().limiter
    if request.method == "PUT":
        body = _body()
        current = limiter.settings
        try:
            settings = RateLimitSettings(
                limit=int(body.get("limit", current.limit)),
                window_seconds=float(body.get("windowSeconds", current.window_seconds)),
                block_seconds=float(body.get("blockSeconds", current.block_seconds)),
            )
        except (TypeError, ValueError) as exc:
            raise AdminInputError(str(exc)) from exc
        limiter.configure(settings)
    settings = limiter.settings
    return jsonify(
        {"limit": settings.limit, "windowSeconds": settings.window_seconds, "blockSeconds": settings.block_seconds}
    )


@admin_blueprint.route("/clock", methods=["GET", "PUT", "DELETE"])
def clock() -> Response:
    sim_clock = _state().clock
    if request.method == "PUT":
        offset = _body().get("offsetSeconds")
        if not isinstance(offset, int | float):
            raise AdminInputError("offsetSeconds (number) is required")
        sim_clock.set_offset(offset)
    elif request.method == "DELETE":
        sim_clock.reset()
    return jsonify({"offsetSeconds": sim_clock.offset_seconds, "now": iso_ms(sim_clock.now())})


@admin_blueprint.get("/bookings")
def bookings() -> Response:
    state = _state()
    return jsonify({"bookings": [state.bookings.render(row) for row in state.store.bookings()]})


# --- webhooks ------------------------------------------------------------------------------------------------


def _subscription(body: dict[str, Any]) -> dict[str, Any]:
    url, secret, triggers = body.get("subscriberUrl"), body.get("secret"), body.get("eventTriggers")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise AdminInputError("subscriberUrl (http or https URL) is required")
    if secret is not None and not isinstance(secret, str):
        raise AdminInputError("secret must be a string or null")
    if not isinstance(triggers, list) or not triggers or any(t not in webhooks.TRIGGERS for t in triggers):
        raise AdminInputError(f"eventTriggers must be a non-empty list of {', '.join(webhooks.TRIGGERS)}")
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise AdminInputError("active must be true or false")
    return {"subscriber_url": url, "secret": secret or None, "event_triggers": triggers, "active": int(active)}


@admin_blueprint.post("/webhooks")
def add_webhook() -> tuple[Response, int]:
    state = _state()
    row = state.store.create_webhook(**_subscription(_body()), created_at=state.clock.now())
    return jsonify(webhooks.subscription_json(row)), 201


@admin_blueprint.get("/webhooks")
def list_webhooks() -> Response:
    return jsonify({"webhooks": [webhooks.subscription_json(row) for row in _state().store.webhooks()]})


@admin_blueprint.delete("/webhooks/<int:webhook_id>")
def remove_webhook(webhook_id: int) -> Response:
    if not _state().store.delete_webhook(webhook_id):
        abort(404, f"No webhook with id {webhook_id}")
    return jsonify({"status": "ok"})


@admin_blueprint.get("/webhooks/deliveries")
def deliveries() -> Response:
    return jsonify({"deliveries": [webhooks.delivery_json(row) for row in _state().store.deliveries()]})


# --- a person in Cal.com's UI --------------------------------------------------------------------------------
# Same service methods as the API (so the same checks, the same stored result and the same webhooks); only the
# way in differs: no API key, no throttling, no faults, and the person is named instead of the key's owner.


def _host_email(uid: str) -> str | None:
    """Who acts when the body names nobody: the booking's host, working in their own Cal.com."""
    store = _state().store
    row = store.booking(uid)
    host = store.user(row["host_id"]) if row else None
    return host["email"] if host else None


@admin_blueprint.post("/ui/bookings")
def ui_create() -> tuple[Response, int]:
    body = _body()
    attendee = body.get("attendee")
    if isinstance(attendee, dict):
        attendee = {"timeZone": "Europe/Berlin", **attendee}
    booking = validate_create(
        {"start": body.get("start"), "eventTypeId": body.get("eventTypeId"), "attendee": attendee}
    )
    return jsonify(_state().bookings.create(booking)), 201


@admin_blueprint.post("/ui/bookings/<uid>/cancel")
def ui_cancel(uid: str) -> Response:
    body = _body()
    by = body.get("cancelledBy") or _host_email(uid)
    cancel = validate_cancel({"cancellationReason": body.get("cancellationReason") or ""})
    return jsonify(_state().bookings.cancel(uid, cancel, {"email": by} if by else None))


@admin_blueprint.post("/ui/bookings/<uid>/reschedule")
def ui_reschedule(uid: str) -> tuple[Response, int]:
    body = _body()
    move = {"start": body.get("start"), "rescheduledBy": body.get("rescheduledBy") or _host_email(uid)}
    if body.get("reschedulingReason"):
        move["reschedulingReason"] = body["reschedulingReason"]
    move = validate_reschedule({k: v for k, v in move.items() if v is not None})
    return jsonify(_state().bookings.reschedule(uid, move)), 201
