"""A small salon that exists both locally and in the Cal.com simulator, for tests that sync for real: its staff and
agents, appointments on its slot grid, and what Cal.com is made to do behind Sync Desk's back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.types import Attendee
from ops_ui.engine.booking import sync_appointment
from ops_ui.extensions import db
from ops_ui.models import Appointment, Company, Role, Service, Staff, SyncStatus, User
from tests.support import factories

TIME_ZONE = "Europe/Berlin"
OPENING_HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "startTime": "06:00", "endTime": "20:00"}]
"""Open every day, so tests do not depend on the weekday they run on."""
LENGTH = 135
"""Slots start at 06:00 local and every 135 minutes: 06:00, 08:15, 10:30, 12:45, 15:00, 17:15."""
TECHNICAL_FAILURES = ("timeout", "rate_limited", "html502")
"""The ways ``failure_faults`` makes Cal.com fail a write without refusing it."""


@dataclass
class Salon:
    company: Company
    service: Service
    staff: Staff
    """Fabian Spitzer, who the salon's appointments are with."""
    colleague: Staff
    """Mia Wagner, who can take them over."""
    event_type_id: int
    colleague_event_type_id: int
    agent: User
    """Alex Agent, who acts in the tests."""
    other_agent: User
    """Olga Other, who changes an appointment behind the agent's back."""


def make_synced_salon(admin: Any) -> Salon:
    """The salon, its two hosts with one "Dauerwelle" event type each in the simulator (``admin``: its
    ``SimulatorAdmin``), both mapped locally, and two agents of the salon."""
    company = factories.make_company(time_zone=TIME_ZONE)
    service = factories.make_service(company, "Dauerwelle", LENGTH)
    hosts = []
    for name in ("Fabian Spitzer", "Mia Wagner"):
        user = admin.create_user(
            name, f"{name.split()[0].lower()}@salon.test", time_zone=TIME_ZONE, working_hours=OPENING_HOURS
        )
        event_type = admin.create_event_type(f"Dauerwelle bei {name}", f"dauerwelle-{user['id']}", LENGTH, user["id"])
        staff = factories.make_staff(company, name, calcom_user_id=user["id"])
        factories.map_event_type(service, staff, event_type["id"])
        hosts.append((staff, event_type["id"]))
    (staff, event_type_id), (colleague, colleague_event_type_id) = hosts
    agent = factories.make_user(Role.AGENT, company=company)
    agent.name = "Alex Agent"
    other = factories.make_user(Role.AGENT, company=company)
    other.name = "Olga Other"
    db.session.commit()
    return Salon(company, service, staff, colleague, event_type_id, colleague_event_type_id, agent, other)


def slot_start(days_ahead: int = 2, local: time = time(10, 30)) -> datetime:
    """A start on the simulator's slot grid, ``days_ahead`` days from today in the salon's zone, in UTC."""
    zone = ZoneInfo(TIME_ZONE)
    day = datetime.now(zone).date() + timedelta(days=days_ahead)
    return datetime.combine(day, local, zone).astimezone(UTC)


def make_salon_appointment(
    salon: Salon, *, start: datetime | None = None, synced: bool = True, **customer: Any
) -> Appointment:
    """An appointment with the salon's host for a new customer (``customer``: its fields), synced unless told."""
    person = factories.make_customer(salon.company, **customer)
    appointment = factories.make_appointment(person, salon.service, salon.staff, start or slot_start())
    if synced:
        assert sync_appointment(appointment).synced
    return db.session.get(Appointment, appointment.id, populate_existing=True)


def mark_failed(appointment: Appointment) -> None:
    appointment.sync_status = SyncStatus.FAILED
    db.session.commit()


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


def active_bookings(sim: Any) -> list[dict[str, Any]]:
    return [booking for booking in sim.admin.bookings() if booking["status"] != "cancelled"]


def booking(sim: Any, uid: str) -> dict[str, Any]:
    [found] = [b for b in sim.admin.bookings() if b["uid"] == uid]
    return found


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
