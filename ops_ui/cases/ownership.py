"""Who owns an appointment's case: taking it, taking it over, giving it to a colleague.

Ownership is not a Cal.com write, so it takes no claim and leaves the version alone (an agent's open panel stays
current). It is still safe against a colleague acting at the same moment: each change is one conditional
``UPDATE … WHERE owner_id IS <the owner the screen showed>``, so of two agents taking the same case at once one
wins and the other hears who has it (``OwnerChanged``). Taking a case someone else owns needs an explicit
``takeover``; without it nothing changes (``TakeoverNeeded``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from ops_ui.audit import CASE_PREFIX, audit_event
from ops_ui.engine.claims import AppointmentNotFound, NotAllowed
from ops_ui.extensions import db
from ops_ui.models import Appointment, Role, User

TAKE_ACTION = f"{CASE_PREFIX}take"
ASSIGN_ACTION = f"{CASE_PREFIX}assign"
ACTING_ROLES = (Role.AGENT, Role.ADMIN)


class TakeoverNeeded(Exception):
    """Someone else owns the case and the agent did not confirm taking it over; nothing was changed."""

    def __init__(self, appointment: Appointment, owner: User) -> None:
        self.appointment = appointment
        self.owner = owner
        super().__init__(f"Appointment {appointment.id} is owned by {owner.name}")


class OwnerChanged(Exception):
    """The owner is no longer the one the agent's screen showed (a colleague was quicker); nothing was changed."""

    def __init__(self, appointment: Appointment) -> None:
        self.appointment = appointment
        self.owner = appointment.owner
        super().__init__(f"Appointment {appointment.id} now belongs to {self.owner.name if self.owner else 'nobody'}")


class NotAColleague(ValueError):
    """The chosen person may not work on this appointment (another company, a manager, inactive)."""


def take(
    appointment_id: int, actor: User, expected_owner_id: int | None, *, takeover: bool, now: datetime
) -> Appointment:
    """Make ``actor`` the owner; ``expected_owner_id`` is the owner the agent's screen showed."""
    appointment = _for_change(appointment_id, actor)
    owner = appointment.owner
    if owner is not None and owner.id == expected_owner_id and owner.id != actor.id and not takeover:
        raise TakeoverNeeded(appointment, owner)
    note = f"Taken over from {owner.name}" if owner is not None and owner.id != actor.id else None
    return _change_owner(appointment, actor, expected_owner_id, actor, TAKE_ACTION, note, now)


def assign(
    appointment_id: int, actor: User, expected_owner_id: int | None, assignee_id: int, *, now: datetime
) -> Appointment:
    """Give the case to a colleague who may work on it (``colleagues``)."""
    appointment = _for_change(appointment_id, actor)
    assignee = next((person for person in colleagues(appointment) if person.id == assignee_id), None)
    if assignee is None:
        raise NotAColleague(assignee_id)
    return _change_owner(
        appointment, actor, expected_owner_id, assignee, ASSIGN_ACTION, f"Assigned to {assignee.name}", now
    )


def colleagues(appointment: Appointment) -> Sequence[User]:
    """Everyone who may own the case: active agents and admins who see the appointment's company, by name."""
    return db.session.scalars(
        select(User)
        .where(
            User.active.is_(True),
            User.role.in_(ACTING_ROLES),
            or_(User.company_id.is_(None), User.company_id == appointment.company_id),
        )
        .order_by(User.name, User.id)
    ).all()


def _for_change(appointment_id: int, actor: User) -> Appointment:
    if not actor.is_active or not actor.can_act:
        raise NotAllowed(f"{actor.name} may not change cases")
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    if appointment is None or (actor.company_id is not None and appointment.company_id != actor.company_id):
        raise AppointmentNotFound(appointment_id)
    return appointment


def _change_owner(
    appointment: Appointment,
    actor: User,
    expected_owner_id: int | None,
    new_owner: User,
    action: str,
    note: str | None,
    now: datetime,
) -> Appointment:
    """One conditional UPDATE from the expected owner to the new one, and its audit event, in one transaction."""
    if appointment.owner_id == new_owner.id:
        return appointment  # already theirs (a double click, or a colleague did the same): nothing to change
    expected = (
        Appointment.owner_id.is_(None) if expected_owner_id is None else Appointment.owner_id == expected_owner_id
    )
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id, expected)
            .values(owner_id=new_owner.id, owner_since=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise OwnerChanged(_fresh(appointment.id))
    db.session.add(
        audit_event(
            appointment,
            actor,
            action,
            before={"owner_id": expected_owner_id},
            after={"owner_id": new_owner.id},
            note=note,
            at=now,
        )
    )
    db.session.commit()
    return _fresh(appointment.id)


def _fresh(appointment_id: int) -> Appointment:
    fresh = db.session.get(Appointment, appointment_id, populate_existing=True)
    assert fresh is not None
    return fresh
