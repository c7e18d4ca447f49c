"""Was the customer told? After a reschedule, reassign or cancel on the board, the appointment counts as "customer
not yet informed" until a contact that reached the customer is logged after it.

"Reached" means the customer got the news: spoken to (reached, agreed, declined) or a message left; a call nobody
answered informs nobody. Only appointments that have not started count: afterwards there is nothing left to tell.
The changes are read from the audit trail, where every board action already records itself, so no action has to
remember to raise a flag.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ops_ui.actions import cancel, reassign, reschedule
from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, CaseEntry, CaseEntryKind, ContactOutcome

CUSTOMER_CHANGES = (cancel.ACTION, reassign.ACTION, reschedule.ACTION)
"""Audit actions of changes the customer must hear about."""
INFORMING_OUTCOMES = (
    ContactOutcome.REACHED,
    ContactOutcome.LEFT_MESSAGE,
    ContactOutcome.AGREED,
    ContactOutcome.DECLINED,
)


def informed_since(
    appointment_id: ColumnElement[int] | InstrumentedAttribute[int], since: ColumnElement[datetime]
) -> ColumnElement[bool]:
    """A contact that reached the customer was logged at or after ``since``."""
    return exists().where(
        CaseEntry.appointment_id == appointment_id,
        CaseEntry.kind == CaseEntryKind.CONTACT,
        CaseEntry.outcome.in_(INFORMING_OUTCOMES),
        CaseEntry.at >= since,
    )


def _last_change() -> ScalarSelect[datetime]:
    """When the appointment of the enclosing query last changed in a way its customer must hear about."""
    return (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.appointment_id == Appointment.id, AuditEvent.action.in_(CUSTOMER_CHANGES))
        .scalar_subquery()
    )


def not_informed(now: datetime) -> ColumnElement[bool]:
    """The board's "customer not yet informed" filter, a condition on ``Appointment``."""
    changed_at = _last_change()
    return and_(Appointment.starts_at >= now, changed_at.is_not(None), ~informed_since(Appointment.id, changed_at))


def not_informed_count(company_ids: list[int] | None, now: datetime) -> int:
    """How many appointments of the companies (None: all) still wait for their customer to be told of a change.

    Starts from the change events (an index on action, appointment and time), not from every appointment."""
    changes = (
        select(AuditEvent.appointment_id, func.max(AuditEvent.at).label("changed_at"))
        .where(AuditEvent.action.in_(CUSTOMER_CHANGES), AuditEvent.appointment_id.is_not(None))
        .group_by(AuditEvent.appointment_id)
        .subquery()
    )
    statement = (
        select(func.count())
        .select_from(changes)
        .join(Appointment, Appointment.id == changes.c.appointment_id)
        .where(Appointment.starts_at >= now, ~informed_since(changes.c.appointment_id, changes.c.changed_at))
    )
    if company_ids is not None:
        statement = statement.where(Appointment.company_id.in_(company_ids))
    return int(db.session.scalar(statement) or 0)


def is_not_informed(appointment: Appointment, now: datetime) -> bool:
    """The same question for one appointment (its detail page)."""
    return bool(db.session.scalar(select(not_informed(now)).where(Appointment.id == appointment.id)))
