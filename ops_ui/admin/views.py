"""Admin pages: accounts here, records in ``catalogue_views``, logs in ``records_views``. Plain forms with
post/redirect/get; a refused change re-renders its form with the reason (422).

Every view of the blueprint is for admins only (403 otherwise), checked once for the whole blueprint so a view
added later cannot forget it; the audit log is the one page managers may read too.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms

from ops_ui.admin import bp
from ops_ui.admin.catalogue import visible
from ops_ui.admin.forms import ALL_COMPANIES, EditUserForm, NewUserForm, RemoveForm, UserForm
from ops_ui.admin.users import UserNotFound, add_user, change_user, get_user, make_reset_link, visible_users
from ops_ui.auth.permissions import signed_in_user
from ops_ui.auth.service import UserError
from ops_ui.i18n import gettext as _
from ops_ui.models import Company, Role, User

MANAGERS_TOO = frozenset({"admin.audit_log"})


@bp.before_request
def _admins_only() -> None:
    """Runs after the app's login guard, so a user is signed in here."""
    allowed = (Role.ADMIN, Role.MANAGER) if request.endpoint in MANAGERS_TOO else (Role.ADMIN,)
    if signed_in_user().role not in allowed:
        abort(403)


def company_choices(admin: User, *, allow_all: bool) -> list[SelectChoice]:
    choices = [SelectChoice(ALL_COMPANIES, _("All companies"))] if allow_all else []
    return choices + [SelectChoice(company.id, company.name) for company in visible(admin, Company)]


def _with_companies(form: UserForm, admin: User) -> UserForm:
    form.company_id.choices = company_choices(admin, allow_all=admin.company_id is None)
    return form


def _user_or_404(admin: User, user_id: int) -> User:
    try:
        return get_user(admin, user_id)
    except UserNotFound:
        abort(404)


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users() -> ResponseReturnValue:
    admin = signed_in_user()
    return _users_page(admin, _with_companies(NewUserForm(), admin))


def _users_page(admin: User, form: UserForm, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("admin/users.html", users=visible_users(admin), form=form, error=error), status


@bp.post("/users")
def create_user() -> ResponseReturnValue:
    admin = signed_in_user()
    form = _with_companies(NewUserForm(), admin)
    assert isinstance(form, NewUserForm)
    if not form.validate():
        return _users_page(admin, form, status=422)
    try:
        user, token = add_user(
            admin, form.email.data or "", form.name.data or "", form.chosen_role, form.company_id.data
        )
    except UserError as refused:
        return _users_page(admin, form, str(refused), 422)
    return _reset_link_page(user, token, created=True)


def _reset_link_page(user: User, token: str, *, created: bool) -> ResponseReturnValue:
    link = url_for("auth.reset_password", token=token, _external=True)
    return render_template("admin/reset_link.html", user=user, link=link, created=created)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> ResponseReturnValue:
    admin = signed_in_user()
    user = _user_or_404(admin, user_id)
    form = _with_companies(EditUserForm(obj=user, role=user.role.value), admin)
    assert isinstance(form, EditUserForm)
    error = None
    if form.is_submitted():
        if form.validate():
            try:
                changed = change_user(
                    admin, user, role=form.chosen_role, company_id=form.company_id.data, active=form.active.data
                )
            except UserError as refused:
                error = str(refused)
            else:
                message = _("%(email)s: saved.", email=user.email) if changed else _("Nothing changed.")
                flash(message, "success" if changed else "info")
                return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
        status = 422
    else:
        status = 200
    return render_template("admin/user.html", user=user, form=form, reset=RemoveForm(), error=error), status


@bp.post("/users/<int:user_id>/reset-link")
def reset_link(user_id: int) -> ResponseReturnValue:
    admin = signed_in_user()
    user = _user_or_404(admin, user_id)
    if not RemoveForm().validate():
        abort(400)
    return _reset_link_page(user, make_reset_link(admin, user), created=False)
