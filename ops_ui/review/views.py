"""The review board: filters, keyset pages, counts, the detail page, and the actions that fix an appointment.

Every action answers the same way: the appointment's board row (``review/_row.html``) re-rendered from fresh
state, swapped in place of the old one, with a toast (out of band) and the ``review-changed`` event so the counts
re-render. The row stays visible after it was resolved (showing "Synced" or "Cancelled") so the agent sees what
happened; it is gone on the next load of the board. Status codes: 200 when the service ran (whether Cal.com agreed
or not: a refusal is an answer to read; what Cal.com refused is not applied here, but a failed retry does record
Cal.com's answer as the appointment's last error and counts the attempt), 422 for input the service refused before
sending anything (the panel with field errors), 409 when the appointment changed since the screen was rendered (the
fresh row and who changed it), 403 for managers, 404 for other companies' appointments.

Without JavaScript the same forms post, and every answer redirects to the detail page (post/redirect/get) with a
flash; when the action failed, the URL names its panel (``?panel=cancel``) so the page opens it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from ops_ui.actions.cancel import cancel
from ops_ui.actions.contact import update_contact, update_contact_then_retry
from ops_ui.actions.duplicates import cancel_as_duplicate, duplicate_twins, open_twin_ids
from ops_ui.actions.orphans import calcom_bookings, cancel_orphan
from ops_ui.actions.reassign import reassign, reassign_options
from ops_ui.actions.reschedule import free_slots, next_free_times, reschedule
from ops_ui.actions.results import NOT_STORED, ActionResult
from ops_ui.actions.retry import repeat_failure_ids, retry_sync
from ops_ui.auth.permissions import can_see_company, require_actor, signed_in_user
from ops_ui.cases.page import case_context
from ops_ui.categories import BUSINESS_CATEGORIES, ErrorCategory
from ops_ui.company_time import home_zone
from ops_ui.contact import is_anonymous_phone
from ops_ui.engine.claims import (
    AppointmentNotFound,
    BeingChanged,
    ClaimLost,
    NotAllowed,
    OutcomeNotStored,
    StaleAppointment,
)
from ops_ui.formatting import page_time
from ops_ui.htmx import CHANGED_EVENT, is_htmx_request, trigger, vary_on_htmx
from ops_ui.i18n import gettext as _
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import Appointment, AppointmentStatus
from ops_ui.queue_rules import is_open
from ops_ui.request_deadline import scope_each_request
from ops_ui.review import bp
from ops_ui.review.filters import KINDS, SYNC_VIEWS, ReviewFilters, parse_filters
from ops_ui.review.forms import (
    CancelForm,
    ContactForm,
    DuplicateCancelForm,
    ReassignForm,
    RescheduleForm,
    RetryForm,
)
from ops_ui.review.primary_action import row_actions
from ops_ui.review.queries import (
    PAGE_SIZE,
    BoardCounts,
    board_page,
    category_counts,
    changed_since,
    counts_of_page,
    filter_choices,
    filter_form,
    history,
    load_row,
)
from ops_ui.review.slot_holders import slot_holders

TAKEN_OVER = (
    "This took so long that another action took over the appointment; what Cal.com did is checked by the next one."
)
UPDATE_OVERLAP = timedelta(seconds=2)
"""Each poll also re-sends the last two seconds: a change committed while the previous poll ran is never missed."""
UPDATE_LOOKBACK = timedelta(minutes=10)
"""A poller back after a long sleep (a closed laptop) gets at most this much; older changes need a reload."""
UPDATE_LIMIT = 50
RETRY_WARNING = _l("The last error needs a person; retrying unchanged input will fail the same way — retry anyway?")


# --- the rows' links ----------------------------------------------------------------------------------------------

ROW_ENDPOINTS = (
    "review.detail",
    "review.retry",
    "review.reschedule_panel",
    "review.reassign_panel",
    "review.contact_panel",
    "review.cancel_panel",
    "review.cancel_duplicate",
    "review.take_case",
)
_ID_MARK = 987654321987


bp.add_app_template_global(row_actions)


@bp.context_processor
def row_urls() -> dict[str, Any]:
    """Each row link's URL with ``%d`` for the appointment id, built with ``url_for`` once per render: a ``url_for``
    per link was about eleven calls a row, 578 a page, the largest part of a page's time."""
    mark = str(_ID_MARK)
    return {
        "row_urls": {
            endpoint: url_for(endpoint, appointment_id=_ID_MARK).replace("%", "%%").replace(mark, "%d")
            for endpoint in ROW_ENDPOINTS
        }
    }


# --- one deadline per request ------------------------------------------------------------------------------------


scope_each_request(bp)


# --- the board ---------------------------------------------------------------------------------------------------


@bp.get("")
def index() -> ResponseReturnValue:
    """The page, or for htmx: the results region (filters changed) or the next rows (``after`` set)."""
    user = signed_in_user()
    filters = parse_filters(request.args)
    now = datetime.now(UTC)
    time_zone = home_zone(user)
    status = 422 if filters.errors else 200
    context: dict[str, Any] = {
        "filters": filters,
        "now": now,
        "time_zone": time_zone,
        "can_act": user.can_act,
        "retry_warning": RETRY_WARNING,
    }
    if not filters.errors:
        page = board_page(user, filters, now, time_zone, current_app.config.get("REVIEW_PAGE_SIZE", PAGE_SIZE))
        context |= {
            "page": page,
            **_row_facts(page.appointments),
            "more_url": url_for("review.index") + "?" + filters.query_string(after=page.next_cursor)
            if page.next_cursor
            else None,
        }
        if filters.after is not None and is_htmx_request():
            return _html("review/_rows.html", context)
    context["counts_url"] = url_for("review.counts") + "?" + filters.query_string(after=None)
    if is_htmx_request():
        if not filters.errors:
            _show_counts(context, filters, counts_of_page(user, filters, page, now, time_zone))
        return _html("review/_results.html", context, status)
    if filters.errors:
        staff, services = filter_choices(user)
    else:
        form = filter_form(user, filters, page, now, time_zone)
        _show_counts(context, filters, form.counts)
        staff, services = form.staff, form.services
    context |= {
        "staff_choices": staff,
        "service_choices": services,
        "categories": list(ErrorCategory),
        "business": BUSINESS_CATEGORIES,
        "sync_views": SYNC_VIEWS,
        "kinds": KINDS,
    }
    return _html("review/index.html", context, status)


def _show_counts(context: dict[str, Any], filters: ReviewFilters, counts: BoardCounts) -> None:
    context["counts"] = counts
    g.board_counts = (filters.query_string(after=None), counts)  # the bulk bar's N (bulk_views)


@bp.get("/counts")
def counts() -> ResponseReturnValue:
    """The per-category counts of the current filter scope; re-fetched whenever an action changed something."""
    user = signed_in_user()
    filters = parse_filters(request.args)
    if filters.errors:
        abort(422, " ".join(filters.errors.values()))
    now = datetime.now(UTC)
    time_zone = home_zone(user)
    return _html(
        "review/_counts.html",
        {
            "filters": filters,
            "counts": category_counts(user, filters, now, time_zone),
            "counts_url": url_for("review.counts") + "?" + filters.query_string(after=None),
        },
    )


@bp.get("/updates")
def updates() -> ResponseReturnValue:
    """The board's poller (``review/_updates.html``): the rows changed since its last look, by a Cal.com webhook, the
    engine or a colleague, swapped in out of band, and the poller again with a new mark. Rows not on the screen
    have no target and are skipped by htmx."""
    user = signed_in_user()
    now = datetime.now(UTC)
    since = _since(request.args.get("since"), now)
    rows = changed_since(user, since - UPDATE_OVERLAP, UPDATE_LIMIT)
    # Table rows after a <div> would be dropped by the HTML parser; htmx takes out-of-band rows from a <template>.
    return _html_text(render_template("review/_updates.html", since=now) + f"<template>{_oob_rows(rows)}</template>")


def _since(raw: str | None, now: datetime) -> datetime:
    """The poller's last mark; a missing, malformed or future one means now (nothing older is sent)."""
    try:
        since = datetime.fromisoformat(raw or "")
    except ValueError:
        return now
    if since.tzinfo is None or since > now:
        return now
    return max(since, now - UPDATE_LOOKBACK)


@bp.get("/<int:appointment_id>")
def detail(appointment_id: int) -> ResponseReturnValue:
    """Everything about one appointment: the row (with its actions), calls, every Cal.com exchange, the audit.

    ``?panel=`` opens one of the action panels with the content its own GET would show; it is where a form posted
    without JavaScript lands when the action failed. An unknown panel, or one the user may not use, is ignored.
    """
    appointment = _visible(appointment_id)
    past = history(appointment)
    context = _row_context(appointment) | {"history": past} | case_context(appointment)
    if appointment.calcom_booking_uid or past.attempts:
        context["calcom"] = calcom_bookings(appointment)
    panel = request.args.get("panel")
    offered = row_actions(appointment, context["now"], can_act=context["can_act"], has_twins=False)
    if panel in PANELS and panel in offered:
        context |= {"panel": panel} | PANELS[panel](appointment, None)
    return _html("review/detail.html", context)


@bp.get("/<int:appointment_id>/row")
def row(appointment_id: int) -> ResponseReturnValue:
    """The row alone: closes an open panel, and lets a stale screen fetch the current state."""
    return _row_response(_visible(appointment_id))


# --- actions -----------------------------------------------------------------------------------------------------


@bp.post("/<int:appointment_id>/retry")
@require_actor
def retry(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    form = RetryForm()
    if not form.validate():
        return _invalid(appointment, None, form)
    return _run(appointment, lambda: retry_sync(appointment.id, form.seen_version, signed_in_user()))


@bp.route("/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@require_actor
def reschedule_panel(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    if request.method == "GET":
        return _panel(appointment, "reschedule")
    form = RescheduleForm()
    if not form.validate():
        return _invalid(appointment, "reschedule", form)
    return _run(
        appointment,
        lambda: reschedule(appointment.id, form.seen_version, signed_in_user(), form.start_at),
        panel="reschedule",
        form=form,
        asks_informed=True,
    )


@bp.route("/<int:appointment_id>/reassign", methods=["GET", "POST"])
@require_actor
def reassign_panel(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    if request.method == "GET":
        return _panel(appointment, "reassign")
    form = ReassignForm()
    if not form.validate():
        return _invalid(appointment, "reassign", form)
    return _run(
        appointment,
        lambda: reassign(
            appointment.id, form.seen_version, signed_in_user(), form.chosen_staff_id, new_start=form.start_at
        ),
        panel="reassign",
        form=form,
        asks_informed=True,
    )


@bp.route("/<int:appointment_id>/cancel", methods=["GET", "POST"])
@require_actor
def cancel_panel(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    if request.method == "GET":
        return _panel(appointment, "cancel")
    form = CancelForm()
    if not form.validate():
        return _invalid(appointment, "cancel", form)
    return _with_twin_rows(
        _run(
            appointment,
            lambda: cancel(
                appointment.id, form.seen_version, signed_in_user(), form.reason_code.data, form.reason_text.data
            ),
            panel="cancel",
            form=form,
            asks_informed=True,
        ),
        appointment.id,
    )


@bp.post("/<int:appointment_id>/cancel-as-duplicate")
@require_actor
def cancel_duplicate(appointment_id: int) -> ResponseReturnValue:
    """One button on a flagged row (with a confirm): the cancel with the reason ``duplicate``, keeping ``keep``.

    No panel: the reason follows from the flag, so the confirm dialog is the only question. Cal.com's refusal comes
    back as for a retry (toast, row unchanged); the cancel panel is still there for a cancel with other words.
    """
    appointment = _visible(appointment_id)
    form = DuplicateCancelForm()
    if not form.validate():
        return _invalid(appointment, None, form)
    return _with_twin_rows(
        _run(
            appointment,
            lambda: cancel_as_duplicate(appointment.id, form.seen_version, signed_in_user(), form.kept_id),
            asks_informed=True,
        ),
        appointment.id,
    )


@bp.route("/<int:appointment_id>/contact", methods=["GET", "POST"])
@require_actor
def contact_panel(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    if request.method == "GET":
        return _panel(appointment, "contact")
    form = ContactForm()
    if not form.validate():
        return _invalid(appointment, "contact", form)
    save = update_contact_then_retry if request.form.get("and_retry") else update_contact
    actor = signed_in_user()
    return _run(
        appointment,
        lambda: save(
            appointment.id, form.seen_version, actor, form.email.data, form.phone.data, name=form.entered_name
        ),
        panel="contact",
        form=form,
    )


@bp.post("/<int:appointment_id>/orphans/<uid>/cancel")
@require_actor
def cancel_orphan_booking(appointment_id: int, uid: str) -> ResponseReturnValue:
    """A plain form on the detail page: cancel one orphan Cal.com booking, then show the page again."""
    appointment = _visible(appointment_id)
    form = RetryForm()
    target = url_for("review.detail", appointment_id=appointment.id)
    if not form.validate():
        flash(" ".join(str(message) for messages in form.errors.values() for message in messages), "error")
        return redirect(target, code=303)
    try:
        result = cancel_orphan(appointment.id, form.seen_version, signed_in_user(), uid)
    except (StaleAppointment, BeingChanged) as conflict:
        flash(_("%(conflict)s — nothing was cancelled; here is the current state.", conflict=conflict), "error")
        return redirect(target, code=303)
    flash(str(result.message), "success" if result.ok else "error")
    return redirect(target, code=303)


# --- what each action panel shows --------------------------------------------------------------------------------
# One builder per panel, used by the panel's GET, by its POST when the action failed (with the submitted form, so
# the agent's input and its errors stay), and by the detail page's ``?panel=``.


def _reschedule_context(appointment: Appointment, form: FlaskForm | None) -> dict[str, Any]:
    slots = free_slots(appointment)
    return {
        "form": form if form is not None else RescheduleForm(),
        "slots": slots,
        "next_free": next_free_times(appointment, slots),
    }


def _reassign_context(appointment: Appointment, form: FlaskForm | None) -> dict[str, Any]:
    return {"form": form if form is not None else ReassignForm(), "options": reassign_options(appointment)}


def _cancel_context(appointment: Appointment, form: FlaskForm | None) -> dict[str, Any]:
    return {"form": form if form is not None else CancelForm()}


def _contact_context(appointment: Appointment, form: FlaskForm | None) -> dict[str, Any]:
    customer = appointment.customer
    anonymous = is_anonymous_phone(customer.phone)
    if form is None:
        phone = "" if anonymous else customer.phone or ""
        form = ContactForm(formdata=None, name=customer.name, email=customer.email or "", phone=phone)
    return {"form": form, "anonymous_caller": anonymous}


PANELS: dict[str, Callable[[Appointment, FlaskForm | None], dict[str, Any]]] = {
    "reschedule": _reschedule_context,
    "reassign": _reassign_context,
    "cancel": _cancel_context,
    "contact": _contact_context,
}
"""The action panels by name (``review/_panel_<name>.html``); nothing else is ever included as a panel."""


# --- helpers -----------------------------------------------------------------------------------------------------


def _visible(appointment_id: int) -> Appointment:
    """The appointment with what its row shows, in one statement; 404 when missing or another company's."""
    appointment = load_row(appointment_id)
    if appointment is None or not can_see_company(appointment.company_id):
        abort(404)
    return appointment


def _html(template: str, context: dict[str, Any], status: int = 200) -> Response:
    return _html_text(render_template(template, **context), status)


def _html_text(body: str, status: int = 200) -> Response:
    return vary_on_htmx(make_response(body, status))


OPENERS = {
    "review.retry": "retry",
    "review.reschedule_panel": "reschedule",
    "review.reassign_panel": "reassign",
    "review.contact_panel": "contact",
    "review.cancel_panel": "cancel",
    "review.cancel_duplicate": "duplicate",
}
"""The row's own requests, by the action button that sent them: focus goes back there after the swap."""


def _focus_on(appointment: Appointment, can_act: bool, panel: str | None) -> str | None:
    """What the re-rendered row focuses: the button that opened what was just done (``?focus=`` when a panel is
    closed), else the row's first action; with no actions left, its "resolved" note or its link. None when the row
    is not answering one of its own requests, or an open panel takes the focus."""
    if request.endpoint not in OPENERS and request.endpoint != "review.row":
        return None
    acts = can_act and is_open(appointment)
    if panel and acts:
        return None
    if not acts:
        return "link" if is_open(appointment) else "resolved"
    opener = OPENERS.get(request.endpoint or "") or request.args.get("focus")
    return opener if opener in OPENERS.values() else "retry"


def _row_context(appointment: Appointment, *, can_act: bool | None = None, **extra: Any) -> dict[str, Any]:
    """One row's template context; ``extra`` overrides, and carries the row facts when they were looked up for
    several rows together. ``can_act``: whether the signed-in user may act, if already known."""
    can_act = signed_in_user().can_act if can_act is None else can_act
    facts = {} if "warn_ids" in extra else _row_facts([appointment])
    return {
        "appointment": appointment,
        "now": datetime.now(UTC),
        "can_act": can_act,
        "focus_on": _focus_on(appointment, can_act, extra.get("panel")),
        **facts,
        "retry_warning": RETRY_WARNING,
        "panel": None,
        "oob": False,
    } | extra


def _with_twin_rows(response: BaseResponse, appointment_id: int) -> BaseResponse:
    """After a cancel, the rows of its former twins out of band, so their "possible duplicate" flag goes at once.

    Only for htmx and only once the appointment really is cancelled. A twin that is not on the screen (the detail
    page, a later page of the board) has no target: htmx skips it and only fires ``htmx:oobErrorNoTarget``.
    """
    if not is_htmx_request() or response.status_code != 200:
        return response
    cancelled = load_row(appointment_id)
    if cancelled is None or cancelled.status is not AppointmentStatus.CANCELLED:
        return response
    rows = [row for row in map(load_row, open_twin_ids(cancelled)) if row is not None]
    if rows:
        response.set_data(response.get_data(as_text=True) + _oob_rows(rows))
    return response


def _row_facts(rows: Sequence[Appointment]) -> dict[str, Any]:
    """What rows show beyond their own columns, looked up for all of them at once (a statement each, not per row):
    whose retry would repeat a refusal, possible duplicates, what holds a conflicted slot."""
    return {"warn_ids": repeat_failure_ids(rows), "twins": duplicate_twins(rows), "holders": slot_holders(rows)}


def _oob_rows(rows: Sequence[Appointment]) -> str:
    """Rows swapped in out of band (without taking the focus), their facts looked up together."""
    facts = _row_facts(rows)
    return "".join(
        render_template("review/_row.html", **_row_context(row, focus_on=None, oob=True, **facts)) for row in rows
    )


def _row_response(
    appointment: Appointment,
    status: int = 200,
    *,
    toast: tuple[str, str] | None = None,
    changed: bool = False,
    **extra: Any,
) -> BaseResponse:
    """The row fragment for htmx; for a plain browser form post, a flash and the detail page (post/redirect/get)."""
    if not is_htmx_request():
        if toast:
            flash(toast[1], toast[0])
        target = url_for("review.detail", appointment_id=appointment.id, panel=extra.get("panel"))
        if request.method == "GET":
            return _html("review/detail.html", _row_context(appointment, **extra) | {"history": history(appointment)})
        return redirect(target, code=303)
    response = _html("review/_row.html", _row_context(appointment, toast=toast, **extra), status)
    if changed:
        trigger(response, CHANGED_EVENT)
    return response


def row_answer(
    appointment: Appointment,
    status: int = 200,
    *,
    toast: tuple[str, str] | None = None,
    changed: bool = False,
    **extra: Any,
) -> BaseResponse:
    """The row as every action answers, for the other routes under /review (``ops_ui.cases.views``)."""
    return _row_response(appointment, status, toast=toast, changed=changed, **extra)


def _panel(appointment: Appointment, panel: str) -> BaseResponse:
    return _row_response(appointment, panel=panel, **PANELS[panel](appointment, None))


def _error_toast(message: str, panel: str | None) -> tuple[str, str] | None:
    """An error toast, unless htmx swaps in the panel that shows the error itself: a toast that stays until closed
    would only repeat it over the panel's buttons. A plain form post shows it as a message on the page."""
    return None if panel and is_htmx_request() else ("error", message)


def _invalid(appointment: Appointment, panel: str | None, form: FlaskForm) -> BaseResponse:
    errors = form.errors
    messages = [str(message) for field_errors in errors.values() for message in field_errors]
    return _row_response(
        appointment,
        422,
        toast=_error_toast(" ".join(messages) or _("Check your input."), panel),
        panel=panel,
        field_errors={name: " ".join(map(str, values)) for name, values in errors.items()},
        **(PANELS[panel](appointment, form) if panel else {}),
    )


def _run(
    appointment: Appointment,
    action: Callable[[], ActionResult],
    *,
    panel: str | None = None,
    form: FlaskForm | None = None,
    asks_informed: bool = False,
) -> BaseResponse:
    """Call the service and answer with the fresh row; Cal.com's refusals keep the panel open with its words.
    ``asks_informed``: the action changes what the customer was told, so a success asks whether they were informed
    (``ops_ui.cases``)."""
    appointment_id = appointment.id  # the action's commits leave ``appointment`` to be read again
    can_act = signed_in_user().can_act  # and the user too: read now, not once more for the answer
    try:
        result = action()
    except StaleAppointment as stale:
        return _stale(stale)
    except BeingChanged as busy:
        return _conflict(busy.appointment.id, f"{busy.sentence} — here is the current state.")
    except ClaimLost:
        return _conflict(appointment_id, TAKEN_OVER)
    except OutcomeNotStored:
        fresh = load_row(appointment_id) or appointment
        notice = str(NOT_STORED)
        return _row_response(fresh, toast=("error", notice), changed=True, notice=notice, can_act=can_act)
    except AppointmentNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    fresh = load_row(appointment_id) or result.appointment
    extra = PANELS[panel](fresh, form) if panel and not result.ok else {}
    if result.field_errors:
        return _row_response(
            fresh,
            422,
            toast=_error_toast(str(result.message), panel if is_open(fresh) else None),
            panel=panel,
            field_errors=dict(result.field_errors),
            can_act=can_act,
            **extra,
        )
    if result.ok:
        category = "info" if result.warning else "success"
        return _row_response(
            fresh,
            toast=(category, str(result.message)),
            changed=True,
            warning=result.warning,
            ask_informed=asks_informed,
            can_act=can_act,
        )
    return _row_response(
        fresh,
        toast=("error", str(result.message)),
        changed=True,
        panel=panel,
        failure=str(result.message),
        failure_detail=result.detail,
        can_act=can_act,
        **extra,
    )


def _conflict(appointment_id: int, message: str) -> BaseResponse:
    fresh = load_row(appointment_id)
    if fresh is None:
        abort(404)
    return _row_response(fresh, 409, toast=("error", message), changed=True, notice=message)


def _stale(stale: StaleAppointment) -> BaseResponse:
    when = page_time(stale.changed_at, stale.appointment.company.time_zone)
    message = _("Changed by %(who)s at %(when)s — here is the current state.", who=stale.changed_by, when=when)
    return _conflict(stale.appointment.id, message)
