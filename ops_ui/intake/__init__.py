"""Intake: the phone agent's custom functions (free times, booking, cancelling), answered in German."""

from flask import Blueprint

from ops_ui.request_deadline import scope_each_request

bp = Blueprint("intake", __name__, url_prefix="/intake")
scope_each_request(bp)

import ops_ui.intake.views  # noqa: E402, F401  (registers the routes on bp)
