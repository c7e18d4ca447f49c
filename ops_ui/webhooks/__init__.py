"""Cal.com webhooks: the receiver that keeps appointments in step with changes made in Cal.com, and the page of
deliveries."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from ops_ui.webhooks import views  # noqa: E402, F401  (registers the routes on bp)
