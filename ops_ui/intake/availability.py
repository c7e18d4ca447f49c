"""``check_availability``: the free times of a service (with one staff member, or anyone who offers it), from
Cal.com's own slots, as data and as a sentence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from ops_ui.calcom.errors import CalcomError
from ops_ui.company_time import LAST_YEAR, local_midnight
from ops_ui.engine.gateway import calcom_client
from ops_ui.intake.answers import CALENDAR_UNREACHABLE, Answer, Status, invalid
from ops_ui.intake.arguments import Refused, moment, service_named, staff_for, text
from ops_ui.intake.speech import spoken_clock, spoken_day, spoken_list
from ops_ui.models import Company

DEFAULT_DAYS = 2
MAX_DAYS = 7
SPOKEN_TIMES = 5
LISTED_TIMES = 50


def check_availability(company: Company, args: dict[str, Any], now: datetime) -> Answer:
    try:
        service = service_named(company.id, text(args, "service"))
        pairs = staff_for(company.id, service, text(args, "staff"))
        start, end = _window(args, company.time_zone, now)
    except Refused as refused:
        return invalid(refused.sentence, **{refused.field: refused.sentence})
    client = calcom_client()
    free: dict[datetime, list[str]] = {}
    for staff, mapping in pairs:
        try:
            slots = client.get_slots(mapping.calcom_event_type_id, start, end, company.time_zone)
        except CalcomError:
            return CALENDAR_UNREACHABLE
        for slot in slots:
            if start <= slot.start < end and slot.start > now:
                names = free.setdefault(slot.start, [])
                names += [] if staff.name in names else [staff.name]  # one person may have two staff records
    times = sorted(free)
    listed = [{"start": at.isoformat(), "staff": free[at]} for at in times[:LISTED_TIMES]]
    data = {"service": service.name, "slots": listed}
    if not times:
        return Answer(Status.NOTHING_FREE, f"Für {service.name} ist in dieser Zeit leider nichts frei.", data)
    return Answer(Status.AVAILABLE, _sentence(times[:SPOKEN_TIMES], company.time_zone), data)


def _window(args: dict[str, Any], time_zone: str, now: datetime) -> tuple[datetime, datetime]:
    """``date`` (a whole day), or ``window_start``/``window_end``; by default the next two days. At most a week."""
    day = text(args, "date", limit=10)
    if day is not None:
        try:
            asked = date.fromisoformat(day)
        except ValueError:
            raise Refused("Dieses Datum habe ich nicht verstanden.", "date") from None
        if asked.year > LAST_YEAR:
            raise Refused("Dieses Datum kann ich nicht eintragen.", "date")
        start = local_midnight(asked, time_zone)
        end = local_midnight(asked + timedelta(days=1), time_zone)
    else:
        start = moment(args, "window_start", time_zone) or now
        end = moment(args, "window_end", time_zone) or start + timedelta(days=DEFAULT_DAYS)
    start = max(start, now)
    if end <= start:
        raise Refused("Dieser Zeitraum liegt in der Vergangenheit.", "date")
    if end - start > timedelta(days=MAX_DAYS):
        raise Refused("Ich kann höchstens eine Woche auf einmal nachsehen.", "window_end")
    return start, end


def _sentence(times: Sequence[datetime], time_zone: str) -> str:
    zone = ZoneInfo(time_zone)
    days = []
    for day, group in groupby(times, key=lambda at: at.astimezone(zone).date()):
        clocks = [spoken_clock(at, time_zone) for at in group]
        first = next(at for at in times if at.astimezone(zone).date() == day)
        days.append(f"am {spoken_day(first, time_zone)} um {spoken_list(clocks, alternative=True)} Uhr")
    return f"Frei ist {spoken_list(days, alternative=True)}."
