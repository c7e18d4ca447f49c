"""The arguments the phone agent passes, read against the company's data; each problem is said in German."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select

from ops_ui.company_time import FIRST_YEAR, LAST_YEAR
from ops_ui.extensions import db
from ops_ui.intake.speech import spoken_list
from ops_ui.models import EventTypeMapping, Service, Staff


class Refused(ValueError):
    """An argument the call cannot go on with; ``args[0]`` is the sentence for the caller, ``field`` its name."""

    def __init__(self, sentence: str, field: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.field = field


def text(args: dict[str, Any], name: str, *, limit: int = 200) -> str | None:
    value = args.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise Refused(f"Die Angabe „{name}“ kann ich nicht lesen.", name)
    return value.strip()


def service_named(company_id: int, name: str | None) -> Service:
    """The company's service of that name (any case), offered by at least one active staff member."""
    offered = exists().where(
        EventTypeMapping.service_id == Service.id, EventTypeMapping.staff_id == Staff.id, Staff.active.is_(True)
    )
    statement = select(Service).where(Service.company_id == company_id, offered).order_by(Service.name)
    services = db.session.scalars(statement).all()
    found = next((service for service in services if name and service.name.lower() == name.lower()), None)
    if found is None:
        names = spoken_list([service.name for service in services], alternative=True)
        asked = f"„{name}“ bieten wir leider nicht an" if name else "Welche Leistung möchten Sie"
        raise Refused(f"{asked}. Wir bieten {names} an.", "service")
    return found


def staff_for(company_id: int, service: Service, name: str | None) -> Sequence[tuple[Staff, EventTypeMapping]]:
    """Who can do ``service``: the named staff member alone, or everyone active who offers it (oldest first)."""
    statement = (
        select(Staff, EventTypeMapping)
        .join(EventTypeMapping, EventTypeMapping.staff_id == Staff.id)
        .where(Staff.company_id == company_id, Staff.active.is_(True), EventTypeMapping.service_id == service.id)
        .order_by(Staff.id)
    )
    if name:
        statement = statement.where(func.lower(Staff.name) == name.lower())
    pairs = [(staff, mapping) for staff, mapping in db.session.execute(statement).tuples()]
    if not pairs and name:
        raise Refused(f"{name} bietet {service.name} bei uns nicht an.", "staff")
    if not pairs:
        raise Refused(f"{service.name} kann im Moment leider niemand bei uns buchen.", "service")
    return pairs


def moment(args: dict[str, Any], name: str, time_zone: str) -> datetime | None:
    """An ISO 8601 date and time; without an offset it is read in the company's time zone."""
    value = text(args, name, limit=40)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Refused("Diese Uhrzeit habe ich nicht verstanden.", name) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise Refused("Dieses Datum kann ich nicht eintragen.", name)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(time_zone))
