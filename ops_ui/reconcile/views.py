"""``/reconcile``: the latest run's mismatches by kind with one repair button each, "Run now", and the status the
page polls while a run is waiting or running.

Thin views: parse, call one service, render. Repairs answer like the board's actions: the mismatch's row re-rendered
(it then says it is repaired) with a toast out of band and ``review-changed`` when something changed; 409 when the
appointment is being changed by another writer, 403 for managers, 404 for other companies' mismatches. Without
JavaScript the same forms post and every answer redirects to the page with a flash (post/redirect/get).

"Run now" enqueues the run on the job worker and shows the page again; while the run is waiting or running, a small
status region polls itself every two seconds and, once the run is finished, reloads the page with its results.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from ops_ui.actions.results import NOT_STORED
from ops_ui.auth.permissions import require_actor, signed_in_user
from ops_ui.engine.claims import (
    AppointmentNotFound,
    BeingChanged,
    ClaimLost,
    NotAllowed,
    OutcomeNotStored,
    StaleAppointment,
)
from ops_ui.htmx import CHANGED_EVENT, hx_redirect, is_htmx_request, trigger, vary_on_htmx
from ops_ui.i18n import gettext as _
from ops_ui.models import Mismatch
from ops_ui.reconcile import bp
from ops_ui.reconcile.jobs import reconcile_run_job
from ops_ui.reconcile.queries import KIND_LABELS, companies_of, company_runs, is_open, visible_mismatch, visible_run
from ops_ui.reconcile.repairs import BUTTONS, MismatchNotFound, RepairResult, repair
from ops_ui.reconcile.run import request_run
from ops_ui.request_deadline import scope_each_request

POLL_SECONDS = 2


scope_each_request(bp)


def _context(**extra: Any) -> dict[str, Any]:
    user = signed_in_user()
    return {
        "can_act": user.can_act,
        "labels": KIND_LABELS,
        "buttons": BUTTONS,
        "mismatch_open": is_open,
        "poll_seconds": POLL_SECONDS,
    } | extra


@bp.get("")
def index() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("reconcile/index.html", **_context(sections=company_runs(user, datetime.now(UTC))))


@bp.post("/run")
def run_now() -> ResponseReturnValue:
    """Enqueue a run for the user's company (every company for users of the whole platform); read-only towards
    appointments and Cal.com, so managers may ask for one too."""
    user = signed_in_user()
    for company in companies_of(user):
        run = request_run(company.id, user)
        if run.started_at is None:
            reconcile_run_job(run.id)
    flash(_("Reconciliation requested: the job worker runs it now; this page shows it when it is done."), "info")
    return redirect(url_for("reconcile.index"), code=303)


@bp.get("/runs/<int:run_id>/status")
def run_status(run_id: int) -> ResponseReturnValue:
    """The polling region of a waiting or running run; once it is finished, the page is loaded again."""
    run = visible_run(run_id, signed_in_user())
    if run is None:
        abort(404)
    if run.finished_at is not None:
        return hx_redirect(url_for("reconcile.index"))
    return vary_on_htmx(make_response(render_template("reconcile/_status.html", run=run, **_context())))


@bp.post("/mismatches/<int:mismatch_id>/repair")
@require_actor
def repair_mismatch(mismatch_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    try:
        result = repair(mismatch_id, user)
    except (BeingChanged, StaleAppointment, ClaimLost) as busy:
        sentence = busy.sentence if isinstance(busy, BeingChanged) else str(busy)
        abort(409, _("%(reason)s — nothing was repaired; try again in a moment.", reason=sentence))
    except OutcomeNotStored:
        return _answer(mismatch_id, ("error", str(NOT_STORED)), changed=True)
    except (MismatchNotFound, AppointmentNotFound):
        abort(404)
    except NotAllowed:
        abort(403)
    return _answer(mismatch_id, ("success" if result.ok else "error", str(result.message)), result.changed, result)


def _answer(
    mismatch_id: int, toast: tuple[str, str], changed: bool, result: RepairResult | None = None
) -> BaseResponse:
    """The mismatch's row for htmx; for a plain form post, a flash and the page (post/redirect/get)."""
    if not is_htmx_request():
        flash(toast[1], toast[0])
        return redirect(url_for("reconcile.index") + f"#mismatch-{mismatch_id}", code=303)
    mismatch: Mismatch | None = visible_mismatch(mismatch_id, signed_in_user())
    if mismatch is None:
        abort(404)
    context = _context(mismatch=mismatch, toast=toast, detail=result.detail if result else None)
    response = vary_on_htmx(make_response(render_template("reconcile/_mismatch.html", **context)))
    return trigger(response, CHANGED_EVENT) if changed else response
