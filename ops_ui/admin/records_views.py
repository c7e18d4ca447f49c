"""The audit log (admins and managers) and the login records (admins)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ops_ui.admin import bp
from ops_ui.admin.records import actors, audit_events, login_events, parse_log_filters
from ops_ui.auth.permissions import signed_in_user
from ops_ui.i18n import gettext as _
from ops_ui.review.filters import CONTROL


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    viewer = signed_in_user()
    filters = parse_log_filters(request.args)
    events = [] if filters.errors else audit_events(viewer, filters)
    context = {"filters": filters, "events": events, "actors": actors(viewer)}
    return render_template("admin/audit.html", **context), 422 if filters.errors else 200


@bp.get("/logins")
def logins() -> ResponseReturnValue:
    email = (request.args.get("email") or "").strip()
    error = (
        _("Use at most %(count)s plain characters.", count=320) if CONTROL.search(email) or len(email) > 320 else None
    )
    events = [] if error else login_events(signed_in_user(), email)
    return render_template("admin/logins.html", events=events, email=email, error=error), 422 if error else 200
