"""The board's "can never sync" view (``past=1``): close past appointments that never reached Cal.com.

Two steps, both for agents and admins only (managers get 403): a GET shows how many would be closed in the
user's company scope and a form to confirm; the POST closes them through ``ops_ui.engine.cleanup`` (the GET never
changes anything). The count ignores the board's other filters (staff, service, search …): the clean-up covers
every such appointment the user may see, and the preview says so.

With htmx the POST answers with a toast and two events: ``review-changed`` (counts, the dashboard in other tabs)
and ``past-appointments-closed``, on which the clean-up region re-renders the board's results. Without JavaScript
the preview is a page of its own and the POST redirects back to the board with a flash (post/redirect/get).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ops_ui.auth.permissions import signed_in_user
from ops_ui.engine.cleanup import count_expirable, expire_past_unsynced
from ops_ui.extensions import db
from ops_ui.htmx import CHANGED_EVENT, is_htmx_request, trigger, vary_on_htmx
from ops_ui.models import Company, User
from ops_ui.review import bp
from ops_ui.review.filters import ReviewFilters, parse_filters

CLOSED_EVENT = "past-appointments-closed"


@bp.get("/clean-up")
def cleanup_preview() -> ResponseReturnValue:
    """How many would be closed, and the form that does it."""
    user = _actor()
    filters = _board_filters()
    context = {
        "filters": filters,
        "step": "confirm",
        "count": count_expirable(datetime.now(UTC), user.company_id),
        "scope": _scope_name(user),
        "standalone": not is_htmx_request(),
    }
    template = "review/_cleanup.html" if is_htmx_request() else "review/cleanup.html"
    return vary_on_htmx(make_response(render_template(template, **context)))


@bp.post("/clean-up")
def cleanup() -> ResponseReturnValue:
    """Close them now; the toast says how many, and how many were left because someone was changing them."""
    user = _actor()
    now = datetime.now(UTC)
    closed = expire_past_unsynced(now, user, user.company_id)
    message = _result_message(closed, count_expirable(now, user.company_id))
    board = url_for("review.index") + "?" + _board_filters().query_string(after=None)
    if not is_htmx_request():
        flash(message, "success")
        return redirect(board, code=303)
    response = make_response(render_template("review/_cleanup.html", step="done", message=message))
    trigger(response, CHANGED_EVENT)
    return trigger(response, CLOSED_EVENT)


def _actor() -> User:
    """Permission is checked here, not only around the button: managers look, agents and admins act."""
    user = signed_in_user()
    if not user.can_act:
        abort(403)
    return user


def _board_filters() -> ReviewFilters:
    """The board view to return to, from the query string; the past view when it is missing or damaged."""
    filters = parse_filters(request.args)
    if filters.errors or not filters.past:
        return ReviewFilters(past=True)
    return filters


def _scope_name(user: User) -> str:
    company = db.session.get(Company, user.company_id) if user.company_id is not None else None
    return company.name if company is not None else "all companies"


def _plural(count: int) -> str:
    return f"{count} appointment" if count == 1 else f"{count} appointments"


def _result_message(closed: int, left: int) -> str:
    message = f"{_plural(closed)} closed." if closed else "No appointments closed: none was left to close."
    if left:
        verb = "was" if left == 1 else "were"
        message += f" {_plural(left)} {verb} being changed by someone and stay open; run the clean-up again later."
    return message
