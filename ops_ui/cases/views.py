"""The case routes, under the review board (``/review/<id>/…``) so they answer with the board's own row.

Taking and assigning answer like the board's actions: the appointment's row (``review/_row.html``) with a toast, and
the detail page's case section out of band (a board has no such section; htmx skips it). 409 when the owner is not
the one the screen showed, or someone else owns it and taking it over was not confirmed. The log's forms answer
with the log section (422 with field errors). Writes need an agent or admin (403) and the appointment's company
(404); without JavaScript every form redirects to the detail page with a flash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from ops_ui.auth.permissions import can_see_company, require_actor, signed_in_user
from ops_ui.cases.contact_log import add_contact, add_note
from ops_ui.cases.forms import ContactEntryForm, InformedForm, NoteForm, TakeForm
from ops_ui.cases.ownership import NotAColleague, OwnerChanged, TakeoverNeeded, assign, take
from ops_ui.cases.page import assign_form, case_context
from ops_ui.engine.claims import AppointmentNotFound, NotAllowed
from ops_ui.htmx import CHANGED_EVENT, is_htmx_request, trigger, vary_on_htmx
from ops_ui.i18n import gettext as _
from ops_ui.models import Appointment
from ops_ui.review import bp
from ops_ui.review.queries import load_row
from ops_ui.review.views import row_answer


@bp.post("/<int:appointment_id>/take")
@require_actor
def take_case(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    form = TakeForm()
    if not form.validate():
        return _owner_invalid(appointment, form.errors)
    try:
        with _refusals():
            fresh = take(
                appointment.id, signed_in_user(), form.owner.data, takeover=form.takeover.data, now=datetime.now(UTC)
            )
    except TakeoverNeeded as needed:
        message = _("%(owner)s owns this case; confirm to take it over.", owner=needed.owner.name)
        return _owner_answer(needed.appointment, 409, ("error", message), notice=message)
    except OwnerChanged as changed:
        return _owner_changed(changed)
    return _owner_answer(fresh, 200, ("success", _("You own this case now.")))


@bp.post("/<int:appointment_id>/assign")
@require_actor
def assign_case(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    form = assign_form(appointment, request.form)
    if not form.validate():
        return _owner_invalid(appointment, form.errors, assign_form=form)
    try:
        with _refusals():
            fresh = assign(appointment.id, signed_in_user(), form.owner.data, form.assignee.data, now=datetime.now(UTC))
    except NotAColleague:
        return _owner_invalid(appointment, {"assignee": [_("Choose a colleague from the list.")]}, assign_form=form)
    except OwnerChanged as changed:
        return _owner_changed(changed)
    owner = fresh.owner.name if fresh.owner else ""
    return _owner_answer(fresh, 200, ("success", _("The case is %(owner)s's now.", owner=owner)))


@bp.post("/<int:appointment_id>/notes")
@require_actor
def add_case_note(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    form = NoteForm()
    if not form.validate():
        return _log_answer(appointment, 422, ("error", _("Check your input.")), note_form=form, errors=form.errors)
    with _refusals():
        add_note(appointment.id, signed_in_user(), form.text.data or "", now=datetime.now(UTC))
    return _log_answer(appointment, 200, ("success", _("Note added.")))


@bp.post("/<int:appointment_id>/contacts")
@require_actor
def add_case_contact(appointment_id: int) -> ResponseReturnValue:
    appointment = _visible(appointment_id)
    form = ContactEntryForm()
    if not form.validate():
        return _log_answer(appointment, 422, ("error", _("Check your input.")), contact_form=form, errors=form.errors)
    actor = signed_in_user()
    with _refusals():
        add_contact(
            appointment.id, actor, form.chosen_channel, form.chosen_outcome, form.text.data, now=datetime.now(UTC)
        )
    return _log_answer(appointment, 200, ("success", _("Contact logged.")), changed=True)


@bp.post("/<int:appointment_id>/informed")
@require_actor
def customer_informed(appointment_id: int) -> ResponseReturnValue:
    """The row's one-click answer to "was the customer informed?"; "later" only closes the question."""
    appointment = _visible(appointment_id)
    form = InformedForm()
    if not form.validate():
        message = " ".join(str(message) for messages in form.errors.values() for message in messages)
        return row_answer(appointment, 422, toast=("error", message), ask_informed=True)
    if form.contact is None:
        return row_answer(appointment, toast=("info", _("Asked again on the case's page until a contact is logged.")))
    channel, outcome = form.contact
    with _refusals():
        add_contact(appointment.id, signed_in_user(), channel, outcome, None, now=datetime.now(UTC))
    response = row_answer(
        load_row(appointment.id) or appointment, toast=("success", _("Contact logged.")), changed=True
    )
    return _with_case_section(response, appointment)


# --- helpers -----------------------------------------------------------------------------------------------------


@contextmanager
def _refusals() -> Iterator[None]:
    """The services' own checks of who may act on what, as the views' answers (never a 500)."""
    try:
        yield
    except NotAllowed:
        abort(403)
    except AppointmentNotFound:
        abort(404)


def _visible(appointment_id: int) -> Appointment:
    appointment = load_row(appointment_id)
    if appointment is None or not can_see_company(appointment.company_id):
        abort(404)
    return appointment


def _owner_answer(appointment: Appointment, status: int, toast: tuple[str, str], **extra: Any) -> BaseResponse:
    """The fresh row (owner and its "Take" control), and the detail page's case section out of band."""
    fresh = load_row(appointment.id) or appointment
    response = row_answer(fresh, status, toast=toast, changed=status == 200, **extra)
    return _with_case_section(response, fresh)


def _owner_changed(changed: OwnerChanged) -> BaseResponse:
    owner = changed.owner.name if changed.owner else None
    message = (
        _("%(owner)s owns this case now — here is the current state.", owner=owner)
        if owner
        else _("Nobody owns this case any more — here is the current state.")
    )
    return _owner_answer(changed.appointment, 409, ("error", message), notice=message)


def _owner_invalid(appointment: Appointment, errors: dict[str, Any], **forms: Any) -> BaseResponse:
    messages = [str(message) for field_errors in errors.values() for message in field_errors]
    toast = ("error", " ".join(messages) or _("Check your input."))
    if not is_htmx_request():
        flash(toast[1], "error")
        return redirect(url_for("review.detail", appointment_id=appointment.id), code=303)
    response = row_answer(appointment, 422, toast=toast)
    return _with_case_section(response, appointment, errors=errors, **forms)


def _with_case_section(response: BaseResponse, appointment: Appointment, **forms: Any) -> BaseResponse:
    if not is_htmx_request():
        return response
    section = render_template(
        "cases/_case.html", appointment=appointment, can_act=True, oob=True, **case_context(appointment, **forms)
    )
    response.set_data(response.get_data(as_text=True) + section)
    return response


def _log_answer(
    appointment: Appointment, status: int, toast: tuple[str, str], *, changed: bool = False, **forms: Any
) -> BaseResponse:
    """The log section (with the forms' errors); without JavaScript, the detail page with a flash."""
    if not is_htmx_request():
        flash(toast[1], toast[0])
        return redirect(url_for("review.detail", appointment_id=appointment.id), code=303)
    body = render_template(
        "cases/_log.html", appointment=appointment, can_act=True, toast=toast, **case_context(appointment, **forms)
    )
    response = vary_on_htmx(make_response(body, status))
    if changed:
        trigger(response, CHANGED_EVENT)  # the board's "not yet informed" may have changed
    return response
