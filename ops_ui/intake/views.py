"""``POST /intake/functions``: the phone agent's custom functions."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from ops_ui.auth.permissions import public
from ops_ui.extensions import csrf
from ops_ui.intake import bp
from ops_ui.intake.functions import answer_function
from ops_ui.intake.request import Malformed, parse_function_call
from ops_ui.intake.signature import SIGNATURE_HEADER, signature_problem

MAX_BODY_BYTES = 64 * 1024
"""A function call is a few hundred bytes of JSON; anything far larger is refused (413) before it is read."""
NOT_UNDERSTOOD = "Das habe ich technisch leider nicht verstanden. Bitte versuchen Sie es noch einmal."


@bp.post("/functions")
@csrf.exempt
@public
def functions() -> ResponseReturnValue:
    """No session and no CSRF token: the platform proves itself with the signature of the body instead."""
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data(as_text=True)
    problem = signature_problem(body, request.headers.get(SIGNATURE_HEADER), current_app.config["RETELL_API_KEY"])
    if problem is not None:
        return jsonify(error=problem), 401
    try:
        function_call = parse_function_call(body)
    except Malformed as malformed:
        return jsonify(status="invalid", confirmed=False, message=NOT_UNDERSTOOD, error=str(malformed)), 400
    reply = answer_function(function_call)
    return jsonify(reply.answer.as_json()), reply.http_status
