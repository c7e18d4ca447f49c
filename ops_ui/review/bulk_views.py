"""Bulk retry on the board: "Retry selected", "Retry all in view", and the run's own page that shows its progress.

The board's bulk bar (``review/_bulk_bar.html``) is a real form: the rows' checkboxes join it (``form=``), the
board's filter travels in its action's query string, and "all in view" is resolved to ids here, when the run
starts, with the board's own filter (``review.selection``). The run is then done by the job workers
(``ops_ui.actions.bulk_retry``); this module only starts, shows and cancels it.

The run's page (``/review/bulk/<id>``) polls its progress fragment every second; while the run goes on the
fragment answers 200, once it is finished (done or cancelled) 286, which stops htmx polling, with the summary.
Agents and admins start and cancel runs (managers get 403); everyone sees the runs of their company (others: 404).
Without JavaScript the form posts and redirects (303) to the run's page, which shows the state at each reload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from ops_ui.actions.bulk_retry import Progress, cancel_bulk_run, progress, remaining_ids, start_bulk_retry
from ops_ui.auth.permissions import get_visible_or_404, signed_in_user
from ops_ui.categories import ErrorCategory
from ops_ui.company_time import company_zone, home_zone
from ops_ui.engine.claims import NotAllowed
from ops_ui.extensions import db
from ops_ui.htmx import hx_redirect, is_htmx_request, vary_on_htmx
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import BulkRun, BulkRunState, User
from ops_ui.review import bp
from ops_ui.review.filters import ReviewFilters, parse_filters
from ops_ui.review.forms import BulkCancelForm, BulkRetryForm
from ops_ui.review.selection import count_in_view, ids_in_view, in_view_from_counts

STOP_POLLING = 286
"""htmx stops polling an element whose request is answered with this status (and still swaps the answer)."""
NOTHING_SELECTED = _l(
    "Nothing selected: tick the appointments to retry, or choose “Retry all in view”. Nothing was retried."
)
NOTHING_IN_VIEW = _l(
    "Nothing in this view to retry: no appointment matches these filters any more. Nothing was retried."
)


@bp.context_processor
def _bulk_helpers() -> dict[str, Any]:
    """The bulk bar counts the whole filter (not the loaded page) when it is rendered, wherever the board is; on the
    board it takes the number from the category counts of the same request (``COUNT_CAP``+ when they were capped;
    "Retry all in view" still resolves every id on the server)."""

    def bulk_count(filters: ReviewFilters, now: datetime, time_zone: str) -> int | str:
        counted = g.get("board_counts")  # the board's category counts of this request, if it made them
        if counted is not None and counted[0] == filters.query_string(after=None):
            if counted[1].capped:  # more than COUNT_CAP: say so rather than count them all on every page
                return f"{counted[1].cap:,}+"
            known = in_view_from_counts(filters, counted[1])
            if known is not None:
                return known
        return count_in_view(signed_in_user(), filters, now, time_zone)

    return {"bulk_count": bulk_count}


@bp.post("/bulk-retry")
def bulk_retry() -> ResponseReturnValue:
    """Start a run over the ticked ``ids``, or over the whole filter with ``all=1``; then show the run's page."""
    user = _actor()
    filters = parse_filters(request.args)
    form = BulkRetryForm()
    if filters.errors:
        return _refused(filters, form, " ".join(filters.errors.values()))
    if not form.validate():
        return _refused(
            filters, form, " ".join(str(message) for messages in form.errors.values() for message in messages)
        )
    if form.all.data:
        now = datetime.now(UTC)
        ids = list(ids_in_view(user, filters, now, home_zone(user)))
        empty = NOTHING_IN_VIEW
    else:
        ids, empty = form.selected_ids, NOTHING_SELECTED
    if not ids:
        return _refused(filters, form, empty)
    try:
        run = start_bulk_retry(user, ids, include_unchanged=bool(form.include_unchanged.data))
    except NotAllowed:
        abort(403)
    target = url_for("review.bulk_run", run_id=run.id)
    if is_htmx_request():
        return hx_redirect(target)
    return redirect(target, code=303)


@bp.get("/bulk/<int:run_id>")
def bulk_run(run_id: int) -> ResponseReturnValue:
    """The run's page; for htmx its progress fragment alone, 286 once the run is finished (polling stops)."""
    run = get_visible_or_404(BulkRun, run_id)
    state = progress(run)
    if is_htmx_request():
        return _fragment(state, STOP_POLLING if state.finished else 200)
    time_zone = company_zone(db.session, run.company_id)
    return vary_on_htmx(make_response(render_template("review/bulk.html", **_context(state), time_zone=time_zone)))


@bp.post("/bulk/<int:run_id>/cancel")
def cancel_bulk(run_id: int) -> ResponseReturnValue:
    """Stop the run: what has not started is skipped; what is being sent right now finishes."""
    user = _actor()
    run = get_visible_or_404(BulkRun, run_id)
    form = BulkCancelForm()
    if not form.validate():
        abort(400)
    if run.state is BulkRunState.RUNNING:
        try:
            cancel_bulk_run(run, user)
        except NotAllowed:
            abort(403)
        db.session.refresh(run)
    if is_htmx_request():
        return _fragment(progress(run))
    return redirect(url_for("review.bulk_run", run_id=run.id), code=303)


# --- helpers -----------------------------------------------------------------------------------------------------


def _actor() -> User:
    """Checked here, not only around the bulk bar: managers look, agents and admins act."""
    user = signed_in_user()
    if not user.can_act:
        abort(403)
    return user


def _refused(filters: ReviewFilters, form: BulkRetryForm, message: str) -> BaseResponse:
    """422 with the reason: for htmx the bulk bar again (the ticked rows stay ticked), else the error page."""
    if not is_htmx_request():
        abort(422, message)
    user = signed_in_user()
    now = datetime.now(UTC)
    time_zone = home_zone(user)
    html = render_template(
        "review/_bulk_bar.html",
        filters=filters,
        now=now,
        time_zone=time_zone,
        bulk_error=message,
        include_unchanged=bool(form.include_unchanged.data),
    )
    return vary_on_htmx(make_response(html, 422))


def _context(state: Progress) -> dict[str, Any]:
    run = state.run
    context: dict[str, Any] = {
        "state": state,
        "run": run,
        "url": url_for("review.bulk_run", run_id=run.id),
        "can_act": signed_in_user().can_act,
        "cancel_form": BulkCancelForm(),
    }
    if state.finished:
        context |= {"left": len(remaining_ids(run)), "failed_links": _failed_links(state)}
    return context


def _failed_links(state: Progress) -> list[tuple[str, int, str]]:
    """(label, count, board URL filtered to that category) for each category that failed in the run."""
    links = []
    category_by_label = {str(category.label): category for category in ErrorCategory}  # in the page's language
    for label, count in state.failed_by_category:
        category = category_by_label.get(label)
        params = ReviewFilters(categories=(category,)).query_string() if category else ReviewFilters().query_string()
        links.append((label, count, url_for("review.index") + "?" + params))
    return links


def _fragment(state: Progress, status: int = 200) -> BaseResponse:
    html = render_template("review/_bulk_progress.html", **_context(state))
    return vary_on_htmx(make_response(html, status))
