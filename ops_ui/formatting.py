"""Jinja filters and globals for showing data to people.

Times are stored in UTC and shown in the company's time zone with its abbreviation (CET/CEST, MEZ/MESZ), so an agent
on the phone with a salon reads the same clock as the salon. Names of days and months come from Babel's data for the
page's language (``ops_ui.i18n``), never from the process locale, so output does not change with the server's
settings. Called from Python (stored reasons, log lines) the functions speak English; the template filters speak the
language of the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from flask import Flask

from ops_ui.audit import SYNC_ENGINE
from ops_ui.contact import is_anonymous_phone, is_placeholder_email
from ops_ui.i18n import current_locale, gettext, ngettext
from ops_ui.queue_rules import ANCIENT_AFTER_DAYS, CRITICAL_WITHIN_HOURS, STUCK_AFTER_MINUTES, is_open
from ops_ui.status_labels import status_label

DATE_PATTERNS: dict[str, str] = {"de": "EEE, d. MMM y", "en": "EEE dd MMM y"}
"""CLDR patterns of a day: ``Mi., 2. Dez. 2026`` and ``Wed 02 Dec 2026``."""


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


def _known(locale: str) -> str:
    """A language the patterns are written for; anything else is shown in English rather than break the page."""
    return locale if locale in DATE_PATTERNS else "en"


_ABBREVIATIONS: dict[tuple[object, timedelta | None, timedelta | None, str], str] = {}
"""Zone abbreviations worked out so far, by zone, offset, summer time and language: a handful, asked on every row."""


def _zone_abbreviation(local: datetime, locale: str) -> str:
    """MEZ/MESZ in German; in English Babel only knows offsets (+0100), so Python's CET/CEST is used."""
    key = (local.tzinfo, local.utcoffset(), local.dst(), locale)
    if key not in _ABBREVIATIONS:
        named = format_datetime(local, "z", locale=locale) if locale != "en" else ""
        usable = named and named[0].isalpha() and not named.startswith("GMT")
        _ABBREVIATIONS[key] = named if usable else (local.tzname() or "")
    return _ABBREVIATIONS[key]


@lru_cache(maxsize=4096)
def _day(day: date, locale: str) -> str:
    """``Mi., 2. Dez. 2026``: a page's rows share a few days, each put into words once."""
    return format_date(day, DATE_PATTERNS[locale], locale=locale)


def local_time(moment: datetime | None, time_zone: str | None = None, locale: str = "en") -> str:
    """``Wed 02 Dec 2026, 10:00 CET`` (``Mi., 2. Dez. 2026, 10:00 MEZ``) in the given zone; naive means UTC."""
    if moment is None:
        return "—"
    local = _aware(moment).astimezone(zone(time_zone))
    locale = _known(locale)
    return f"{_day(local.date(), locale)}, {local.hour:02d}:{local.minute:02d} {_zone_abbreviation(local, locale)}"


def local_date(moment: datetime | None, time_zone: str | None = None, locale: str = "en") -> str:
    """``Wed 02 Dec 2026`` (``Mi., 2. Dez. 2026``) in the given zone."""
    if moment is None:
        return "—"
    return _day(_aware(moment).astimezone(zone(time_zone)).date(), _known(locale))


def _amount(seconds: float) -> str:
    if seconds < 3600:
        return gettext("%(num)d min", num=int(seconds // 60))
    if seconds < 86400:
        return gettext("%(num)d h", num=int(seconds // 3600))
    if seconds < 60 * 86400:
        return ngettext("%(num)d day", "%(num)d days", int(seconds // 86400))
    if seconds < 730 * 86400:
        return ngettext("%(num)d month", "%(num)d months", int(seconds // (30 * 86400)))
    return ngettext("%(num)d year", "%(num)d years", int(seconds // (365 * 86400)))


def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    """``in 3 h``, ``2 days ago``, ``just now``: elapsed real time, so a DST change does not shift it by an hour.

    In the request's language (German: ``in 3 Std.``, ``vor 2 Tagen``); English outside a request.
    """
    if moment is None:
        return "—"
    now = _aware(now) if now is not None else datetime.now(UTC)
    delta = _aware(moment) - now
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return gettext("just now")
    amount = _amount(seconds)
    return gettext("in %(amount)s", amount=amount) if delta > timedelta(0) else gettext("%(amount)s ago", amount=amount)


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
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    return gettext("%(num)d h", num=hours) if hours else gettext("%(num)d min", num=rest)


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


def page_time(moment: datetime | None, time_zone: str | None = None) -> str:
    """The ``local_time`` filter: in the language of the page."""
    return local_time(moment, time_zone, current_locale())


@dataclass(frozen=True)
class LocalTime:
    """A moment inside a sentence (``say("Rescheduled to %(when)s.", when=LocalTime(start, zone))``), written when
    the sentence is: in the reader's language on a page, in English in what is stored, always in ``time_zone``."""

    moment: datetime
    time_zone: str | None = None

    def __str__(self) -> str:
        return page_time(self.moment, self.time_zone)


def page_date(moment: datetime | None, time_zone: str | None = None) -> str:
    """The ``local_date`` filter: in the language of the page."""
    return local_date(moment, time_zone, current_locale())


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(page_time, "local_time")
    app.add_template_filter(page_date, "local_date")
    filters: tuple[Callable[..., Any], ...] = (
        relative_time,
        iso_utc,
        first_line,
        duration,
        hours_until,
        slot_time,
        status_label,
    )
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
