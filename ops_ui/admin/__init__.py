"""The admin area: users, staff and their Cal.com mappings, services, companies, login records, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from ops_ui.admin import catalogue_views, records_views, views  # noqa: E402, F401  (register the routes on bp)
