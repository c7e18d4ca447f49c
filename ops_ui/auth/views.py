"""Sign-in and sign-out pages; the checks live in the service."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from ops_ui.auth import bp
from ops_ui.auth.forms import ChangePasswordForm, LanguageForm, LoginForm, SetPasswordForm
from ops_ui.auth.permissions import public, signed_in_user
from ops_ui.auth.reset import set_password_with_link, user_for_reset_token
from ops_ui.auth.service import authenticate, set_language
from ops_ui.auth.sessions import start_session
from ops_ui.auth.signin import attempt_sign_in, end_sessions
from ops_ui.i18n import LANGUAGES, current_locale
from ops_ui.i18n import gettext as _
from ops_ui.i18n import lazy_gettext as _l

LOGIN_FAILED = _l("E-mail or password is wrong, or the account is disabled.")
THROTTLED = _l("Too many failed sign-ins. Wait %(seconds)s seconds, then try again.")


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
    result = attempt_sign_in(form.email.data or "", form.password.data or "", request.remote_addr or "unknown")
    form.password.data = ""
    if result.wait_seconds:
        error = THROTTLED % {"seconds": result.wait_seconds}
        return (
            render_template("auth/login.html", form=form, error=error),
            429,
            {"Retry-After": str(result.wait_seconds)},
        )
    if result.user is None:
        return render_template("auth/login.html", form=form, error=LOGIN_FAILED), 422
    _fresh_session()  # nothing from before the sign-in survives into the user's session
    login_user(result.user)
    start_session(result.user)
    return redirect(_after_login_url(form.next.data))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Ends every session of the user, on every device: a copied cookie is worthless from now on."""
    # CSRFProtect has checked the token before we get here: another site cannot sign the user out.
    end_sessions(signed_in_user())
    logout_user()
    _fresh_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    """The one-time link an admin gave: choose a password, then sign in with it."""
    user = user_for_reset_token(token)
    if user is None:
        abort(404, _("This link has been used or has expired. Ask an admin for a new one."))
    form = SetPasswordForm()
    if form.validate_on_submit():
        set_password_with_link(user, form.password.data or "")
        _fresh_session()
        flash(_("Your password is set. Sign in with it."), "success")
        return redirect(url_for("auth.login"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form, email=user.email), status


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    """A new password signs the account out everywhere else; this browser stays signed in with a fresh session."""
    user = signed_in_user()
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        if authenticate(user.email, form.current.data or "") is None:
            error = _("The current password is wrong.")
        else:
            set_password_with_link(user, form.password.data or "", action="user.password_changed")
            _fresh_session()
            login_user(user)
            start_session(user)
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("review.index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form, error=error), status


@bp.route("/account/language", methods=["GET", "POST"])
def language() -> ResponseReturnValue:
    """Each user reads the app in their own language; until they choose, in their company's."""
    user = signed_in_user()
    form = LanguageForm()
    if form.validate_on_submit():
        set_language(user, form.locale.data or "")
        refresh()  # should anything in this request have asked for the locale already, it was the old one
        flash(_("Your language is saved."), "success")
        return redirect(url_for("review.index"), code=303)
    if not form.is_submitted():
        form.locale.data = current_locale()
    status = 422 if form.is_submitted() else 200
    return render_template("auth/language.html", form=form, languages=LANGUAGES), status
