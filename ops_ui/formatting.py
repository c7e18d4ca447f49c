"""Jinja filters and globals for showing data to people.

Times are stored in UTC and shown in the company's time zone with its abbreviation (CET/CEST), so an agent on the
phone with a salon reads the same clock as the salon. Names of days and months are spelled here, not taken from
the process locale, so output does not change with the server's settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from ops_ui.audit import SYNC_ENGINE
from ops_ui.contact import is_anonymous_phone, is_placeholder_email
from ops_ui.queue_rules import ANCIENT_AFTER_DAYS, CRITICAL_WITHIN_HOURS, STUCK_AFTER_MINUTES, is_open

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone(time_zone: str | None) -> ZoneInfo:
    """The named zone, or UTC for an empty or unknown name (a typo in company data must not break the page)."""
    if not time_zone:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(moment: datetime | None, time_zone: str | None = None) -> str:
    """``Mon 24 Nov 2026, 14:00 CET`` in the given zone; naive datetimes are taken as UTC."""
    if moment is None:
        return "—"
    local = _aware(moment).astimezone(zone(time_zone))
    return (
        f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


def local_date(moment: datetime | None, time_zone: str | None = None) -> str:
    """``Mon 24 Nov 2026`` in the given zone."""
    if moment is None:
        return "—"
    local = _aware(moment).astimezone(zone(time_zone))
    return f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} {local.year}"


def _count(value: int, unit: str, plural: str | None = None) -> str:
    return f"{value} {unit if value == 1 else (plural or unit + 's')}"


def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    """``in 3 h``, ``2 days ago``, ``just now``: elapsed real time, so a DST change does not shift it by an hour."""
    if moment is None:
        return "—"
    now = _aware(now) if now is not None else datetime.now(UTC)
    delta = _aware(moment) - now
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        amount = f"{int(seconds // 60)} min"
    elif seconds < 86400:
        amount = f"{int(seconds // 3600)} h"
    elif seconds < 60 * 86400:
        amount = _count(int(seconds // 86400), "day")
    elif seconds < 730 * 86400:
        amount = _count(int(seconds // (30 * 86400)), "month")
    else:
        amount = _count(int(seconds // (365 * 86400)), "year")
    return f"in {amount}" if delta > timedelta(0) else f"{amount} ago"


def iso_utc(moment: datetime | None) -> str:
    """Machine-readable instant for ``<time datetime=…>``."""
    if moment is None:
        return ""
    return _aware(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


def first_line(text: str | None, limit: int = 140) -> str:
    """The first non-empty line, shortened for a summary; the full text is always shown next to it."""
    if not text:
        return ""
    line = next((candidate.strip() for candidate in text.splitlines() if candidate.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def duration(minutes: int | None) -> str:
    """``2 h 15 min``, ``45 min``."""
    if minutes is None:
        return "—"
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def hours_until(moment: datetime | None, now: datetime | None = None) -> float | None:
    """Real hours from ``now`` to ``moment`` (negative once it has passed)."""
    if moment is None:
        return None
    now = _aware(now) if now is not None else datetime.now(UTC)
    return (_aware(moment) - now).total_seconds() / 3600


def slot_time(moment: datetime, time_zone: str | None = None) -> str:
    """``14:15`` in the given zone: a free slot listed under its day."""
    local = _aware(moment).astimezone(zone(time_zone))
    return f"{local.hour:02d}:{local.minute:02d}"


def register_template_helpers(app: Flask) -> None:
    filters: tuple[Callable[..., Any], ...] = (
        local_time, local_date, relative_time, iso_utc, first_line, duration, hours_until, slot_time,
    )  # fmt: skip
    for function in filters:
        app.add_template_filter(function)
    for helper in (is_anonymous_phone, is_placeholder_email, is_open):
        app.add_template_global(helper)
    app.jinja_env.globals |= {
        "CRITICAL_WITHIN_HOURS": CRITICAL_WITHIN_HOURS,
        "STUCK_AFTER_MINUTES": STUCK_AFTER_MINUTES,
        "ANCIENT_AFTER_DAYS": ANCIENT_AFTER_DAYS,
        "SYNC_ENGINE": SYNC_ENGINE,
    }
