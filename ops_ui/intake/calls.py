"""The ``Call`` row behind a phone agent's request, made by the call's first request, and its confirmation."""

from __future__ import annotations

from sqlalchemy import func, select, true, update
from sqlalchemy.exc import IntegrityError

from ops_ui.extensions import db
from ops_ui.intake.request import FunctionCall
from ops_ui.models import Call, Company


class CallOfAnotherCompany(Exception):
    """The call id is known, but for another company's number: refused, nothing is mixed."""


def call_for(request: FunctionCall, company: Company) -> Call:
    """The call with the platform's ``call_id``; the first request of a call makes it (once, even concurrently)."""
    found = _by_external_id(request.call_id)
    if found is None:
        db.session.add(Call(external_call_id=request.call_id, company_id=company.id, caller_number=request.from_number))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        found = _by_external_id(request.call_id)
    assert found is not None
    if found.company_id != company.id:
        raise CallOfAnotherCompany(request.call_id)
    return found


def _by_external_id(call_id: str) -> Call | None:
    return db.session.scalars(
        select(Call).where(Call.external_call_id == call_id).execution_options(populate_existing=True)
    ).first()


def confirm(call_id: int, appointment_id: int) -> None:
    """The appointment exists here and in Cal.com: only now is the call "booking confirmed" and linked (to its
    first appointment, when the caller booked more than one)."""
    db.session.execute(
        update(Call)
        .where(Call.id == call_id)
        .values(
            booking_confirmed=true(),
            appointment_id=func.coalesce(Call.appointment_id, appointment_id),
            booking_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def keep_error(call_id: int, message: str) -> None:
    """Why the booking was not confirmed, in full; the call stays unconfirmed."""
    db.session.execute(
        update(Call)
        .where(Call.id == call_id)
        .values(booking_error=message)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
