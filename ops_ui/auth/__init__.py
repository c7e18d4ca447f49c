"""Sign-in, sign-out and the rule that every page needs a session."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ops_ui.auth.permissions import is_public_endpoint
from ops_ui.auth.service import load_active_user
from ops_ui.auth.sessions import session_is_current
from ops_ui.extensions import login_manager
from ops_ui.htmx import current_page_path, hx_redirect, is_htmx_request
from ops_ui.models import User

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Register the blueprint, the session loader and the global login guard.

    The guard runs before every request, so a blueprint added later is protected without anyone remembering
    ``@login_required``; only views marked ``@public`` are open.
    """
    from ops_ui.auth import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = load_active_user(user_id)
        return user if user is not None and session_is_current(user) else None

    @login_manager.unauthorized_handler
    def _unauthorized() -> ResponseReturnValue:
        if is_htmx_request():
            # A 302 would swap the login page into a table row; HX-Redirect makes htmx load it as a page.
            return hx_redirect(url_for("auth.login", next=current_page_path()), status=401)
        next_path = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=next_path))

    def _require_login() -> ResponseReturnValue | None:
        if current_user.is_authenticated or is_public_endpoint(app, request.endpoint):
            return None
        return login_manager.unauthorized()

    # First of all before-request hooks, ahead of the CSRF check: a request from a page whose session has expired
    # must lead to the login page, not to a "security token missing" error.
    app.before_request_funcs.setdefault(None, []).insert(0, _require_login)
