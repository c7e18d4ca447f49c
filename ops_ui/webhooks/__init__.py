"""Cal.com webhooks: the receiver that keeps appointments in step with changes made in Cal.com, and the page of
deliveries."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

import ops_ui.webhooks.views  # noqa: E402, F401  (registers the routes on bp)
