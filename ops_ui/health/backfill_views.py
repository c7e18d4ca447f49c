"""The desync page's repair: make the missing appointments of confirmed calls (``ops_ui.actions.backfill``).

Two steps. The GET is a dry run: how many appointments would be created, linked to what exists already, or
skipped and why; every signed-in user may look (Cal.com is only read). The POST runs it, for agents and admins only
(managers get 403), and is refused without the CSRF token like every form.

With htmx both answer with the ``health/_backfill.html`` fragment in place; the POST adds a toast and the
``desync-repaired`` and ``review-changed`` events, on which the page's list and the dashboard re-render. Without
JavaScript the preview is the desync page with the preview open, and the POST redirects back to it with a flash
(post/redirect/get).
"""

from __future__ import annotations

import time

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from ops_ui.actions import backfill
from ops_ui.auth.permissions import signed_in_user
from ops_ui.engine.deadline import close_scope, open_scope
from ops_ui.health import bp, views
from ops_ui.htmx import CHANGED_EVENT, is_htmx_request, trigger, vary_on_htmx
from ops_ui.models import User

REPAIRED_EVENT = "desync-repaired"
RESERVE_SECONDS = 3.0
"""Taken off the action deadline before the run stops starting new calls, so the answer leaves in time."""


def _run(user: User, *, dry_run: bool) -> backfill.BackfillReport:
    """One run bounded by the action deadline: Cal.com look-ups share it, and no new call starts once it is near."""
    seconds = float(current_app.config["ACTION_DEADLINE_SECONDS"])
    token = open_scope(seconds)
    try:
        stop_at = time.monotonic() + max(seconds - RESERVE_SECONDS, 1.0)
        return backfill.backfill_calls(user, user.company_id, dry_run=dry_run, stop_at=stop_at)
    finally:
        close_scope(token)


@bp.get("/health/desync/repair")
def backfill_preview() -> ResponseReturnValue:
    """What the repair would do now, changing nothing; the confirm form for those who may run it."""
    user = signed_in_user()
    report = _run(user, dry_run=True)
    if not is_htmx_request():
        return views.desync_page(preview=report)
    context = {"step": "confirm", "report": report, "can_act": user.can_act}
    return vary_on_htmx(make_response(render_template("health/_backfill.html", **context)))


@bp.post("/health/desync/repair")
def backfill_run() -> ResponseReturnValue:
    """Run it; the report says what was created, linked, skipped (why) and what failed (the whole error)."""
    user = signed_in_user()
    if not user.can_act:
        abort(403)
    report = _run(user, dry_run=False)
    if not is_htmx_request():
        flash(_flash_text(report), "error" if report.errors else "success")
        return redirect(url_for("health.desync"), code=303)
    response = make_response(render_template("health/_backfill.html", step="done", report=report, can_act=True))
    trigger(response, REPAIRED_EVENT)
    return trigger(response, CHANGED_EVENT)


def _flash_text(report: backfill.BackfillReport) -> str:
    """The sentence, and where the reasons are: the calls left stay listed, and the preview tells why."""
    text = report.sentence()
    if report.skipped or report.errors or report.left:
        text += " The calls left are listed below; open the repair's preview to see why each one was not repaired."
    return text
