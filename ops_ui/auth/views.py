"""Sign-in and sign-out pages; the checks live in the service."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from ops_ui.auth import bp
from ops_ui.auth.forms import LoginForm
from ops_ui.auth.permissions import public
from ops_ui.auth.service import authenticate

LOGIN_FAILED = "E-mail or password is wrong, or the account is disabled."


def safe_next_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: a login link must not send people elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _fresh_session() -> None:
    """Drop everything the session held, including the CSRF token Flask-WTF cached for this request in ``g``.

    Without the second step a page rendered later in the same app context would carry a token the new session
    does not know.
    """
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _after_login_url(target: str | None) -> str:
    return safe_next_path(target) or url_for("review.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_after_login_url(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next")) or ""
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422
    user = authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        form.password.data = ""
        return render_template("auth/login.html", form=form, error=LOGIN_FAILED), 422
    _fresh_session()  # nothing from before the sign-in survives into the user's session
    login_user(user)
    return redirect(_after_login_url(form.next.data))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # CSRFProtect has checked the token before we get here: another site cannot sign the user out.
    logout_user()
    _fresh_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
