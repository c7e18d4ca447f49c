"""Staff records for admins: the records that are the same person, and merging them."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

import ops_ui.staff.views  # noqa: E402, F401  (registers the routes on bp)
