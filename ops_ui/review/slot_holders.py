"""What holds the slot of an appointment Cal.com refused with a host conflict, for the board's rows.

Cal.com only says "User already has booking at this time"; the agent has to know what to do next, and that depends
on what is in the way: a booking made directly in Cal.com (known from its webhooks, ``ExternalBooking``) is the
salon's business, another appointment of Sync Desk's own for the same staff member is a double booking on our
side. Both are looked up for a whole board page at once — one statement for external bookings and one for own
appointments, and none when the page shows no host conflict — like ``repeat_failure_ids`` and ``duplicate_twins``.

The board's views pass the answer to the row template as ``holders`` (appointment id → its holders), with the
other per-page row facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, Customer, ExternalBooking, SyncStatus

FREED_STATUSES = ("cancelled", "rejected")
"""Cal.com statuses of a booking that no longer holds its host's time."""


@dataclass(frozen=True)
class SlotHolder:
    """A booking in Cal.com (``uid`` set) or a synced appointment of ours (``appointment_id`` set) that overlaps."""

    starts_at: datetime
    ends_at: datetime
    uid: str | None = None
    appointment_id: int | None = None
    customer_name: str | None = None

    @property
    def external(self) -> bool:
        return self.uid is not None


def _conflicted(appointments: Sequence[Appointment]) -> list[Appointment]:
    """The rows worth asking about: failed with a host conflict, with a staff member, still scheduled."""
    return [
        appointment
        for appointment in appointments
        if appointment.sync_status is SyncStatus.FAILED
        and appointment.last_error_category is ErrorCategory.HOST_CONFLICT
        and appointment.staff_id is not None
        and appointment.status is AppointmentStatus.SCHEDULED
    ]


def slot_holders(appointments: Sequence[Appointment]) -> dict[int, list[SlotHolder]]:
    """What overlaps each conflicted appointment of a page with the same staff member: bookings made in Cal.com
    (not cancelled) first, then our own synced appointments, each in start order."""
    ids = [appointment.id for appointment in _conflicted(appointments)]
    if not ids:
        return {}
    holders: dict[int, list[SlotHolder]] = {}
    external = db.session.execute(
        select(Appointment.id, ExternalBooking.uid, ExternalBooking.starts_at, ExternalBooking.ends_at)
        .join(
            ExternalBooking,
            and_(
                ExternalBooking.company_id == Appointment.company_id,
                ExternalBooking.staff_id == Appointment.staff_id,
                ExternalBooking.starts_at < Appointment.ends_at,
                ExternalBooking.ends_at > Appointment.starts_at,
                ExternalBooking.status.not_in(FREED_STATUSES),
            ),
        )
        .where(Appointment.id.in_(ids))
        .order_by(Appointment.id, ExternalBooking.starts_at, ExternalBooking.id)
    ).all()
    for appointment_id, uid, starts_at, ends_at in external:
        holders.setdefault(appointment_id, []).append(SlotHolder(starts_at, ends_at, uid=uid))
    other = aliased(Appointment)
    own = db.session.execute(
        select(Appointment.id, other.id, other.starts_at, other.ends_at, Customer.name)
        .join(
            other,
            and_(
                other.staff_id == Appointment.staff_id,
                other.id != Appointment.id,
                other.starts_at < Appointment.ends_at,
                other.ends_at > Appointment.starts_at,
                other.sync_status == SyncStatus.SYNCED,
                other.status == AppointmentStatus.SCHEDULED,
            ),
        )
        .join(Customer, Customer.id == other.customer_id)
        .where(Appointment.id.in_(ids))
        .order_by(Appointment.id, other.starts_at, other.id)
    ).all()
    for appointment_id, other_id, starts_at, ends_at, name in own:
        holders.setdefault(appointment_id, []).append(
            SlotHolder(starts_at, ends_at, appointment_id=other_id, customer_name=name)
        )
    return holders
