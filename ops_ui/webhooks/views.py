"""``POST /webhooks/calcom`` (Cal.com's deliveries) and ``GET /webhooks/deliveries`` (what became of them)."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from ops_ui.auth.permissions import public, signed_in_user
from ops_ui.extensions import csrf
from ops_ui.webhooks import bp
from ops_ui.webhooks.queries import PAGE_SIZE, latest_deliveries, latest_external_bookings
from ops_ui.webhooks.receive import receive_delivery
from ops_ui.webhooks.signature import SIGNATURE_HEADER

MAX_BODY_BYTES = 1024 * 1024
"""Cal.com's booking payloads are a few kilobytes; anything far larger is refused (413) before it is read."""
RETRY_AFTER_SECONDS = "30"


@bp.post("/calcom")
@csrf.exempt
@public
def calcom() -> ResponseReturnValue:
    """No session and no CSRF token: Cal.com proves itself with the signature of the raw body instead."""
    request.max_content_length = MAX_BODY_BYTES
    receipt = receive_delivery(
        request.get_data(), request.headers.get(SIGNATURE_HEADER), current_app.config.get("CALCOM_WEBHOOK_SECRET")
    )
    response = jsonify(delivery=receipt.delivery_id, outcome=receipt.outcome.value, note=receipt.note)
    response.status_code = receipt.http_status
    if receipt.http_status == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template(
        "webhooks/deliveries.html",
        deliveries=latest_deliveries(user),
        external_bookings=latest_external_bookings(user),
        limit=PAGE_SIZE,
    )
