"""A small salon that exists both locally and in the Cal.com simulator, for tests that sync for real."""

from __future__ import annotations

from dataclasses import dataclass

from ops_ui.models import Company, Service, Staff
from tests.support import factories

OPENING_HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "startTime": "06:00", "endTime": "20:00"}]
"""Open every day, so tests do not depend on the weekday they run on."""


@dataclass
class Salon:
    company: Company
    service: Service
    staff: Staff
    colleague: Staff
    event_type_id: int
    colleague_event_type_id: int


def make_synced_salon(admin) -> Salon:  # admin: SimulatorAdmin
    company = factories.make_company()
    service = factories.make_service(company, "Dauerwelle", 135)
    hosts = []
    for name in ("Fabian Spitzer", "Mia Wagner"):
        user = admin.create_user(
            name=name,
            email=f"{name.split()[0].lower()}@salon.test",
            time_zone=company.time_zone,
            working_hours=OPENING_HOURS,
        )
        event_type = admin.create_event_type(
            title=f"Dauerwelle bei {name}",
            slug=f"dauerwelle-{user['id']}",
            length_in_minutes=service.duration_minutes,
            owner_id=user["id"],
        )
        staff = factories.make_staff(company, name, calcom_user_id=user["id"])
        factories.map_event_type(service, staff, event_type["id"])
        hosts.append((staff, event_type["id"]))
    (staff, event_type_id), (colleague, colleague_event_type_id) = hosts
    return Salon(company, service, staff, colleague, event_type_id, colleague_event_type_id)
