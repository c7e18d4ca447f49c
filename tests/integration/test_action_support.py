"""Shared builders for the action-service tests (no tests here): a salon in the simulator, times on its slot grid,
and a snapshot of everything the failure rule says must not change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.types import Attendee
from ops_ui.engine.booking import sync_appointment
from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, Company, Role, Service, Staff, SyncAttempt, SyncStatus, User
from tests.support import factories

TIME_ZONE = "Europe/Berlin"
OPEN_ALL_WEEK = [{"days": [1, 2, 3, 4, 5, 6, 7], "startTime": "06:00", "endTime": "20:00"}]
LENGTH = 135
"""Slots start at 06:00 local and every 135 minutes: 06:00, 08:15, 10:30, 12:45, 15:00, 17:15."""


@dataclass
class ActionSalon:
    company: Company
    service: Service
    staff: Staff
    colleague: Staff
    event_type_id: int
    colleague_event_type_id: int
    agent: User
    other_agent: User


def make_action_salon(sim: Any) -> ActionSalon:
    company = factories.make_company(time_zone=TIME_ZONE)
    service = factories.make_service(company, "Dauerwelle", LENGTH)
    hosts = []
    for name in ("Fabian Spitzer", "Mia Wagner"):
        user = sim.admin.create_user(
            name, f"{name.split()[0].lower()}@salon.test", time_zone=TIME_ZONE, working_hours=OPEN_ALL_WEEK
        )
        event_type = sim.admin.create_event_type(
            f"Dauerwelle bei {name}", f"dauerwelle-{user['id']}", LENGTH, user["id"]
        )
        staff = factories.make_staff(company, name, calcom_user_id=user["id"])
        factories.map_event_type(service, staff, event_type["id"])
        hosts.append((staff, event_type["id"]))
    (staff, event_type_id), (colleague, colleague_event_type_id) = hosts
    agent = factories.make_user(Role.AGENT, company=company)
    agent.name = "Alex Agent"
    other = factories.make_user(Role.AGENT, company=company)
    other.name = "Olga Other"
    db.session.commit()
    return ActionSalon(company, service, staff, colleague, event_type_id, colleague_event_type_id, agent, other)


def slot_start(days_ahead: int = 2, local: time = time(10, 30)) -> datetime:
    """A start on the simulator's slot grid, ``days_ahead`` days from today in the salon's zone, in UTC."""
    zone = ZoneInfo(TIME_ZONE)
    day = datetime.now(zone).date() + timedelta(days=days_ahead)
    return datetime.combine(day, local, zone).astimezone(UTC)


def make_appointment(salon: ActionSalon, *, start: datetime | None = None, synced: bool = True, **customer: Any):
    person = factories.make_customer(salon.company, **customer)
    appointment = factories.make_appointment(person, salon.service, salon.staff, start or slot_start())
    if synced:
        assert sync_appointment(appointment).synced
    return db.session.get(Appointment, appointment.id, populate_existing=True)


def book_directly(sim: Any, event_type_id: int, start: datetime, name: str = "Direct booking") -> str:
    """A booking made in Cal.com behind our back (makes the host busy)."""
    return (
        CalcomClient(sim.base_url, sim.api_key)
        .create_booking(
            event_type_id=event_type_id,
            start=start,
            attendee=Attendee(name=name, time_zone=TIME_ZONE, email="direct@kunden.test"),
        )
        .uid
    )


def state_of(appointment_id: int) -> dict[str, Any]:
    """What the failure rule protects: status, times, staff, uid, version, sync fields."""
    row = db.session.get(Appointment, appointment_id, populate_existing=True)
    return {
        "status": row.status,
        "sync_status": row.sync_status,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "staff_id": row.staff_id,
        "calcom_booking_uid": row.calcom_booking_uid,
        "version": row.version,
        "last_error_category": row.last_error_category,
        "attempt_count": row.attempt_count,
        "cancellation_reason": row.cancellation_reason,
    }


def attempts(appointment_id: int) -> list[SyncAttempt]:
    return list(
        db.session.scalars(
            select(SyncAttempt).where(SyncAttempt.appointment_id == appointment_id).order_by(SyncAttempt.id)
        )
    )


def audits(appointment_id: int, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.appointment_id == appointment_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def active_bookings(sim: Any) -> list[dict[str, Any]]:
    return [booking for booking in sim.admin.bookings() if booking["status"] != "cancelled"]


def booking(sim: Any, uid: str) -> dict[str, Any]:
    [found] = [b for b in sim.admin.bookings() if b["uid"] == uid]
    return found


def appointment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment))


def mark_failed(appointment: Appointment) -> None:
    appointment.sync_status = SyncStatus.FAILED
    db.session.commit()


def failure_faults(sim: Any, kind: str, method: str = "POST", path_prefix: str = "/v2") -> None:
    """Make Cal.com fail one write in the way ``kind`` says: a lost answer, a throttle or a proxy's HTML page."""
    if kind == "timeout":
        sim.admin.set_faults(method=method, pathPrefix=path_prefix, hangSeconds=1.0, count=1)
    elif kind == "rate_limited":
        sim.admin.set_faults(method=method, pathPrefix=path_prefix, status=429, count=1)
    elif kind == "html502":
        sim.admin.set_faults(method=method, pathPrefix=path_prefix, html502=True, count=1)
    else:
        raise ValueError(kind)


TECHNICAL_FAILURES = ("timeout", "rate_limited", "html502")
