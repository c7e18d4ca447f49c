"""What the phone agent reads to the caller: German sentences about days and times, formatted by Babel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.lists import format_list

LOCALE = "de_DE"


def spoken_day(moment: datetime, time_zone: str) -> str:
    """``Mittwoch, 2. Dezember``."""
    return format_date(moment.astimezone(ZoneInfo(time_zone)), "EEEE, d. MMMM", locale=LOCALE)


def spoken_clock(moment: datetime, time_zone: str) -> str:
    """``10:00``."""
    return format_time(moment.astimezone(ZoneInfo(time_zone)), "HH:mm", locale=LOCALE)


def spoken_moment(moment: datetime, time_zone: str) -> str:
    """``Mittwoch, 2. Dezember, um 10:00 Uhr``."""
    return f"{spoken_day(moment, time_zone)}, um {spoken_clock(moment, time_zone)} Uhr"


def spoken_list(words: Sequence[str], *, alternative: bool = False) -> str:
    """``A, B und C`` (``A, B oder C`` for choices)."""
    return format_list(list(words), style="or" if alternative else "standard", locale=LOCALE)
