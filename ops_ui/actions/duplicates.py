"""Possible duplicates: the same customer booked twice at the same start for the same service, and the cancel of one.

The voice agent sometimes books a caller twice (the demo's "Fabian Spitzer" exists under two staff records, so the
same slot looks free twice). Neither the customer nor the salon wants two appointments, so the board flags them and
offers to cancel one as a duplicate of the other. Only open appointments count: a cancelled or expired twin is no
longer a duplicate of anything, so the kept one's flag goes away once its twin is cancelled.

Cancelling a duplicate is the ordinary cancel (claim, verified Cal.com write, audit) with the reason ``duplicate``
and a note naming the appointment that is kept; this module only checks that the kept one still is a twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from ops_ui.actions.cancel import cancel
from ops_ui.actions.results import ActionResult, invalid_input
from ops_ui.engine.claims import load_for_action
from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncStatus, User
from ops_ui.queue_rules import CLOSED_STATUSES

OTHER = aliased(Appointment)
"""Another appointment, for self-joins: made once, as a new alias per call costs its columns and events anew."""

ACTION = "cancel"
REASON_CODE = "duplicate"
"""The cancellation reason code of ``ops_ui.actions.cancel.REASONS`` that a duplicate is cancelled with."""


@dataclass(frozen=True)
class Twin:
    """Another open appointment of the same customer at the same start for the same service."""

    id: int
    synced: bool
    """Already in Cal.com: the one worth keeping, since cancelling the other needs no new booking."""


def duplicate_note(kept_id: int) -> str:
    """The words stored with the reason (``duplicate: duplicate of #3``) and sent to Cal.com: which one was kept."""
    return f"duplicate of #{kept_id}"


def _same_booking(
    one: type[Appointment] | AliasedClass[Appointment], other: type[Appointment] | AliasedClass[Appointment]
) -> ColumnElement[bool]:
    """What makes two appointments twins: same customer, start and service, both open, not the same row."""
    return and_(
        other.customer_id == one.customer_id,
        other.starts_at == one.starts_at,
        other.service_id == one.service_id,
        other.id != one.id,
        other.status.not_in(CLOSED_STATUSES),
    )


def duplicate_twins(appointments: Sequence[Appointment]) -> dict[int, list[Twin]]:
    """The possible duplicates of each appointment of a board page, in one statement (the board must not ask once
    per row), like ``repeat_failure_ids``. Twins may be off the page (a synced one is never on the board). Each list
    starts with the twin best kept: a synced one first, then the oldest."""
    if not appointments:
        return {}
    rows = db.session.execute(TWINS, {"ids": [appointment.id for appointment in appointments]}).all()
    twins: dict[int, list[Twin]] = {}
    for appointment_id, twin_id, sync_status in rows:
        twins.setdefault(appointment_id, []).append(Twin(twin_id, sync_status is SyncStatus.SYNCED))
    return twins


def _twins() -> Select[tuple[int, int, SyncStatus]]:
    other = OTHER
    return (
        select(Appointment.id, other.id, other.sync_status)
        .join(other, _same_booking(Appointment, other))
        .where(Appointment.id.in_(bindparam("ids", expanding=True)), Appointment.status.not_in(CLOSED_STATUSES))
        .order_by(Appointment.id, case((other.sync_status == SyncStatus.SYNCED, 0), else_=1), other.id)
    )


TWINS = _twins()
"""Built once and given each page's ids: putting it together at every call cost more than running it."""


def open_twin_ids(appointment: Appointment) -> list[int]:
    """The open appointments with this one's customer, start and service, whatever its own status: after it was
    cancelled, the rows whose flag must be re-rendered."""
    other = OTHER
    return list(
        db.session.scalars(
            select(other.id)
            .join(Appointment, _same_booking(Appointment, other))
            .where(Appointment.id == appointment.id)
            .order_by(other.id)
        )
    )


def cancel_as_duplicate(
    appointment_id: int, expected_version: int, actor: User, kept_id: int, *, now: datetime | None = None
) -> ActionResult:
    """Cancel the appointment as a duplicate of ``kept_id``, which stays as it is.

    Refused (422, nothing sent) unless ``kept_id`` is still an open twin: the agent's screen may be old, and
    cancelling "as a duplicate" of an appointment that was cancelled meanwhile would lose the customer's booking.
    """
    appointment = load_for_action(appointment_id, expected_version, actor)
    twins = {twin.id for twin in duplicate_twins([appointment]).get(appointment.id, [])}
    if kept_id not in twins:
        problem = (
            f"#{kept_id} is not an open appointment of the same customer at the same time for the same service "
            f"(any more) — nothing was cancelled; here is the current state."
        )
        return invalid_input(ACTION, appointment, {"keep": problem})
    return cancel(appointment_id, expected_version, actor, REASON_CODE, duplicate_note(kept_id), now=now)
