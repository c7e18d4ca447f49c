"""What holds the slot of an appointment Cal.com refused with a host conflict, for the board's rows.

Cal.com only says "User already has booking at this time"; the agent has to know what to do next, and that depends
on what is in the way: a booking made directly in Cal.com (known from its webhooks, ``ExternalBooking``) is the
salon's business, another appointment of Sync Desk's own for the same staff member is a double booking on our
side. Both are looked up for a whole board page at once — one statement (external bookings and own appointments
together), and none when the page shows no host conflict — like ``repeat_failure_ids`` and ``duplicate_twins``.

The board's views pass the answer to the row template as ``holders`` (appointment id → its holders), with the
other per-page row facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, cast, literal, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, Customer, ExternalBooking, SyncStatus, UTCDateTime

OTHER = aliased(Appointment)
"""Another appointment, for self-joins: made once, as a new alias per call costs its columns and events anew."""

FREED_STATUSES = ("cancelled", "rejected")
"""Cal.com statuses of a booking that no longer holds its host's time."""
LONGEST_APPOINTMENT = timedelta(days=1)
"""No salon appointment lasts longer: what overlaps a start began at most this long before it. The bound lets the
own-appointment look-up seek the staff member's appointments from a day before each row's start instead of reading
all of them (3.4 s at a million appointments without it)."""


class _LongestAppointmentBefore(FunctionElement[datetime]):
    """A row's moment less ``LONGEST_APPOINTMENT``, worked out by the database for each row: one bound for the whole
    page would make a row late in it read every appointment since the page's first (4 ms instead of 0.1 ms for a
    text search at a million appointments). SQLite and PostgreSQL write the arithmetic differently."""

    type = UTCDateTime()
    inherit_cache = True
    name = "longest_appointment_before"


_BOUND_SECONDS = int(LONGEST_APPOINTMENT.total_seconds())
PAGE_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
"""The conflicted rows of a page, given at each call."""


@compiles(_LongestAppointmentBefore, "sqlite")
def _in_sqlite(element: _LongestAppointmentBefore, compiler: SQLCompiler, **kw: Any) -> str:
    # Its text is stored as "2026-12-03 12:00:00.000000"; datetime() drops the fraction, so the bound is at most a
    # second earlier: never too late.
    return f"datetime({compiler.process(element.clauses, **kw)}, '-{_BOUND_SECONDS} seconds')"


@compiles(_LongestAppointmentBefore, "postgresql")
def _in_postgresql(element: _LongestAppointmentBefore, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - INTERVAL '{_BOUND_SECONDS} seconds')"


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
    (not cancelled) first, then our own synced appointments, each in start order. One statement for both kinds."""
    conflicted = _conflicted(appointments)
    if not conflicted:
        return {}
    rows = db.session.execute(HOLDERS, {"ids": [appointment.id for appointment in conflicted]}).all()
    holders: dict[int, list[SlotHolder]] = {}
    for appointment_id, uid, other_id, starts_at, ends_at, name in rows:
        holder = (
            SlotHolder(starts_at, ends_at, uid=uid)
            if uid is not None
            else SlotHolder(starts_at, ends_at, appointment_id=other_id, customer_name=name)
        )
        holders.setdefault(appointment_id, []).append(holder)
    return holders


def _external() -> Select[Any]:
    """Bookings made directly in Cal.com that hold the staff member's time (kind 0: listed first)."""
    return (
        select(
            Appointment.id.label("appointment_id"),
            literal(0).label("kind"),
            ExternalBooking.uid.label("uid"),
            cast(null(), Integer).label("other_id"),
            ExternalBooking.starts_at.label("starts_at"),
            ExternalBooking.ends_at.label("ends_at"),
            cast(null(), String).label("name"),
            ExternalBooking.id.label("holder_id"),
        )
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
        .where(Appointment.id.in_(PAGE_IDS))
    )


def _own() -> Select[Any]:
    """Our own synced appointments of the same staff member at that time (kind 1)."""
    other = OTHER
    return (
        select(
            Appointment.id,
            literal(1),
            cast(null(), String),
            other.id,
            other.starts_at,
            other.ends_at,
            Customer.name,
            other.id,
        )
        .join(
            other,
            and_(
                other.staff_id == Appointment.staff_id,
                other.id != Appointment.id,
                other.starts_at > _LongestAppointmentBefore(Appointment.starts_at),
                other.starts_at < Appointment.ends_at,
                other.ends_at > Appointment.starts_at,
                other.sync_status == SyncStatus.SYNCED,
                other.status == AppointmentStatus.SCHEDULED,
            ),
        )
        .join(Customer, Customer.id == other.customer_id)
        .where(Appointment.id.in_(PAGE_IDS))
    )


def _holders() -> Select[Any]:
    both = union_all(_external(), _own()).subquery()
    return select(
        both.c.appointment_id, both.c.uid, both.c.other_id, both.c.starts_at, both.c.ends_at, both.c.name
    ).order_by(both.c.appointment_id, both.c.kind, both.c.starts_at, both.c.holder_id)


HOLDERS = _holders()
"""Built once and given each page's ids: putting its parts together took about a millisecond at every call."""
