"""Companies, services, staff records and their Cal.com event types, for admins. Every change is audited and
committed here; an admin bound to a company changes only that company's records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ops_ui.auth.audit_trail import record
from ops_ui.extensions import db
from ops_ui.i18n import say
from ops_ui.models import Company, EventTypeMapping, Service, Staff, User

Record = Company | Service | Staff
T = TypeVar("T", bound=Record)


class RecordNotFound(LookupError):
    pass


class RecordRefused(ValueError):
    """The change cannot be made as asked; ``str()`` says why."""


def _company_of(row: Company | Service | Staff) -> int:
    return row.id if isinstance(row, Company) else row.company_id


def get_record(admin: User, model: type[T], ident: int) -> T:
    row = db.session.get(model, ident)
    if row is None or (admin.company_id is not None and _company_of(row) != admin.company_id):
        raise RecordNotFound(ident)
    return row


def visible(admin: User, model: type[T]) -> Sequence[T]:
    statement = select(model)
    if admin.company_id is not None:
        column = model.id if model is Company else model.company_id  # type: ignore[attr-defined]
        statement = statement.where(column == admin.company_id)
    return db.session.scalars(statement.order_by(model.id)).all()


def _values(row: object, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def save(admin: User, row: T, values: dict[str, Any]) -> T:
    """Create (``row.id`` None) or change a record with the form's values, audited as ``<table>.created/updated``."""
    if "company_id" in values:
        _check_company(admin, values["company_id"])
    elif isinstance(row, Company) and row.id is None and admin.company_id is not None:
        raise RecordRefused(say("Only an admin of all companies can add a company."))
    creating = row.id is None
    before = None if creating else _values(row, list(values))
    for name, value in values.items():
        setattr(row, name, value)
    if before == values:
        return row
    db.session.add(row)
    _flush_or_refuse()
    kind = row.__tablename__
    record(admin, f"{kind}.{'created' if creating else 'updated'}", f"{kind} {row.id}", before, dict(values))
    db.session.commit()
    return row


def _check_company(admin: User, company_id: int | None) -> None:
    if company_id is None or db.session.get(Company, company_id) is None:
        raise RecordRefused(say("Choose a company from the list."))
    if admin.company_id is not None and company_id != admin.company_id:
        raise RecordRefused(say("You can only change records of your own company."))


def _flush_or_refuse() -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise RecordRefused(
            say("Another record already has this value (a phone number or event type is unique).")
        ) from exc


def mappings_of(staff: Staff) -> Sequence[EventTypeMapping]:
    return db.session.scalars(
        select(EventTypeMapping).where(EventTypeMapping.staff_id == staff.id).order_by(EventTypeMapping.service_id)
    ).all()


def map_event_type(admin: User, staff: Staff, service: Service, event_type_id: int) -> EventTypeMapping:
    """Which Cal.com event type books ``service`` with ``staff``; replaces an existing mapping of the pair."""
    if service.company_id != staff.company_id:
        raise RecordRefused(say("The service belongs to another company than the staff member."))
    mapping = db.session.scalars(
        select(EventTypeMapping).where(EventTypeMapping.staff_id == staff.id, EventTypeMapping.service_id == service.id)
    ).first()
    before = {"calcom_event_type_id": mapping.calcom_event_type_id} if mapping else None
    if mapping is None:
        mapping = EventTypeMapping(staff_id=staff.id, service_id=service.id, calcom_event_type_id=event_type_id)
        db.session.add(mapping)
    mapping.calcom_event_type_id = event_type_id
    _flush_or_refuse()
    subject = f"staff {staff.id}, service {service.id}"
    record(admin, "mapping.saved", subject, before, {"calcom_event_type_id": event_type_id})
    db.session.commit()
    return mapping


def unmap_event_type(admin: User, staff: Staff, mapping_id: int) -> None:
    mapping = db.session.get(EventTypeMapping, mapping_id)
    if mapping is None or mapping.staff_id != staff.id:
        raise RecordNotFound(mapping_id)
    subject = f"staff {staff.id}, service {mapping.service_id}"
    record(admin, "mapping.removed", subject, {"calcom_event_type_id": mapping.calcom_event_type_id}, None)
    db.session.delete(mapping)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise RecordRefused(say("This mapping is still in use.")) from exc
