"""Admin pages for companies, services and staff records (with their Cal.com event types): one list-and-add page
and one edit page per kind, described by a ``Kind``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms

from ops_ui.admin import bp
from ops_ui.admin.catalogue import (
    Record,
    RecordNotFound,
    RecordRefused,
    get_record,
    map_event_type,
    mappings_of,
    save,
    unmap_event_type,
    visible,
)
from ops_ui.admin.forms import CompanyForm, MappingForm, RemoveForm, ServiceForm, StaffForm
from ops_ui.admin.views import company_choices
from ops_ui.auth.permissions import signed_in_user
from ops_ui.i18n import gettext as _
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import Company, Service, Staff, User


@dataclass(frozen=True)
class Kind:
    model: type[Record]
    form: type[FlaskForm]
    title: str
    singular: str
    """The kind of one record, as a heading: "Company 3: Salon Nord"."""
    add_heading: str
    fields: tuple[str, ...]


KINDS = {
    "companies": Kind(
        Company, CompanyForm, _l("Companies"), _l("Company"), _l("Add a company"), ("name", "time_zone", "phone_number")
    ),
    "services": Kind(
        Service,
        ServiceForm,
        _l("Services"),
        _l("Service"),
        _l("Add a service"),
        ("company_id", "name", "duration_minutes"),
    ),
    "staff": Kind(
        Staff,
        StaffForm,
        _l("Staff"),
        _l("Staff member"),
        _l("Add a staff member"),
        ("company_id", "name", "email", "calcom_user_id", "active"),
    ),
}
KIND_URL = "<any(companies, services, staff):kind>"


def _form(kind: Kind, admin: User, obj: Any = None) -> FlaskForm:
    form = kind.form(obj=obj)
    if "company_id" in kind.fields:
        form.company_id.choices = company_choices(admin, allow_all=False)  # type: ignore[attr-defined]
    return form


def _values(kind: Kind, form: FlaskForm) -> dict[str, Any]:
    return {name: form[name].data for name in kind.fields}


def _list_page(name: str, admin: User, form: FlaskForm, error: str | None = None, status: int = 200) -> tuple[str, int]:
    kind = KINDS[name]
    context = {"kind": kind, "kind_name": name, "rows": visible(admin, kind.model), "form": form, "error": error}
    return render_template("admin/records.html", **context), status


@bp.get(f"/{KIND_URL}")
def records(kind: str) -> ResponseReturnValue:
    admin = signed_in_user()
    return _list_page(kind, admin, _form(KINDS[kind], admin))


@bp.post(f"/{KIND_URL}")
def add_record(kind: str) -> ResponseReturnValue:
    admin = signed_in_user()
    spec = KINDS[kind]
    form = _form(spec, admin)
    if not form.validate():
        return _list_page(kind, admin, form, status=422)
    try:
        row = save(admin, spec.model(), _values(spec, form))
    except RecordRefused as refused:
        return _list_page(kind, admin, form, str(refused), 422)
    flash(_("%(kind)s added: %(name)s.", kind=spec.singular, name=row.name), "success")
    return redirect(url_for("admin.edit_record", kind=kind, ident=row.id), code=303)


def _record_or_404(spec: Kind, admin: User, ident: int) -> Any:
    try:
        return get_record(admin, spec.model, ident)
    except RecordNotFound:
        abort(404)


def _edit_page(kind: str, row: Any, form: FlaskForm, error: str | None = None, status: int = 200) -> tuple[str, int]:
    context: dict[str, Any] = {"kind": KINDS[kind], "kind_name": kind, "row": row, "form": form, "error": error}
    if isinstance(row, Staff):
        context |= {"mappings": mappings_of(row), "mapping_form": _mapping_form(row), "remove": RemoveForm()}
    return render_template("admin/record.html", **context), status


def _mapping_form(staff: Staff) -> MappingForm:
    form = MappingForm()
    services = [service for service in visible(signed_in_user(), Service) if service.company_id == staff.company_id]
    form.service_id.choices = [SelectChoice(service.id, service.name) for service in services]
    return form


@bp.route(f"/{KIND_URL}/<int:ident>", methods=["GET", "POST"])
def edit_record(kind: str, ident: int) -> ResponseReturnValue:
    admin = signed_in_user()
    spec = KINDS[kind]
    row = _record_or_404(spec, admin, ident)
    form = _form(spec, admin, obj=row)
    if not form.is_submitted():
        return _edit_page(kind, row, form)
    if not form.validate():
        return _edit_page(kind, row, form, status=422)
    try:
        save(admin, row, _values(spec, form))
    except RecordRefused as refused:
        return _edit_page(kind, _record_or_404(spec, admin, ident), form, str(refused), 422)
    flash(_("Saved."), "success")
    return redirect(url_for("admin.edit_record", kind=kind, ident=ident), code=303)


@bp.post("/staff/<int:ident>/event-types")
def map_staff_event_type(ident: int) -> ResponseReturnValue:
    admin = signed_in_user()
    staff = _record_or_404(KINDS["staff"], admin, ident)
    form = _mapping_form(staff)
    if not form.validate() or form.service_id.data is None or form.calcom_event_type_id.data is None:
        return _edit_page(
            "staff", staff, _form(KINDS["staff"], admin, obj=staff), _("Choose a service and an id."), 422
        )
    service = _record_or_404(KINDS["services"], admin, form.service_id.data)
    try:
        map_event_type(admin, staff, service, form.calcom_event_type_id.data)
    except RecordRefused as refused:
        return _edit_page("staff", staff, _form(KINDS["staff"], admin, obj=staff), str(refused), 422)
    flash(_("Event type saved."), "success")
    return redirect(url_for("admin.edit_record", kind="staff", ident=ident), code=303)


@bp.post("/staff/<int:ident>/event-types/<int:mapping_id>/remove")
def unmap_staff_event_type(ident: int, mapping_id: int) -> ResponseReturnValue:
    admin = signed_in_user()
    staff = _record_or_404(KINDS["staff"], admin, ident)
    if not RemoveForm().validate():
        abort(400)
    try:
        unmap_event_type(admin, staff, mapping_id)
    except RecordNotFound:
        abort(404)
    except RecordRefused as refused:
        return _edit_page("staff", staff, _form(KINDS["staff"], admin, obj=staff), str(refused), 422)
    flash(_("Event type removed."), "success")
    return redirect(url_for("admin.edit_record", kind="staff", ident=ident), code=303)
