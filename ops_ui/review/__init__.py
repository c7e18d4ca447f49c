"""The review board: failed syncs that need a person or a retry."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from ops_ui.cases import views as case_views  # noqa: E402, F401  (the case routes under /review)
from ops_ui.review import bulk_views, cleanup_views, export, views  # noqa: E402, F401  (registers the routes on bp)
