"""The manager health dashboard: how many syncs fail, which need a person, and how the last 30 days went."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from ops_ui.health import views  # noqa: E402, F401  (registers the routes on bp)
