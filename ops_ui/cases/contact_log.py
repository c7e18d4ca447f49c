"""An appointment's case log: free notes and contacts with the customer, newest first, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ops_ui.engine.claims import AppointmentNotFound, NotAllowed
from ops_ui.extensions import db
from ops_ui.models import Appointment, CaseEntry, CaseEntryKind, ContactChannel, ContactOutcome, User


def add_note(appointment_id: int, author: User, text: str, *, now: datetime) -> CaseEntry:
    return _add(appointment_id, author, CaseEntry(kind=CaseEntryKind.NOTE, text=text, at=now))


def add_contact(
    appointment_id: int,
    author: User,
    channel: ContactChannel,
    outcome: ContactOutcome,
    text: str | None,
    *,
    now: datetime,
) -> CaseEntry:
    """A contact with the customer; one that reached them tells them about every change before it (``queries``)."""
    entry = CaseEntry(kind=CaseEntryKind.CONTACT, channel=channel, outcome=outcome, text=text or None, at=now)
    return _add(appointment_id, author, entry)


def entries(appointment: Appointment) -> Sequence[CaseEntry]:
    """The log, newest first."""
    return db.session.scalars(
        select(CaseEntry)
        .where(CaseEntry.appointment_id == appointment.id)
        .options(joinedload(CaseEntry.author))
        .order_by(CaseEntry.at.desc(), CaseEntry.id.desc())
    ).all()


def _add(appointment_id: int, author: User, entry: CaseEntry) -> CaseEntry:
    if not author.is_active or not author.can_act:
        raise NotAllowed(f"{author.name} may not write to case logs")
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or (author.company_id is not None and appointment.company_id != author.company_id):
        raise AppointmentNotFound(appointment_id)
    entry.appointment_id = appointment.id
    entry.author_id = author.id
    db.session.add(entry)
    db.session.commit()
    return entry
