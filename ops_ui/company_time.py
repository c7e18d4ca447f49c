"""The company's time zone and its local days: where the board reads dates and the dashboard cuts its days.

Day boundaries are computed in Python rather than with the database's date functions: SQLite and PostgreSQL disagree
on those, and only zoneinfo knows that a Berlin day in late March lasts 23 hours and one in late October 25.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from ops_ui.formatting import zone
from ops_ui.models import Company, User

FIRST_YEAR, LAST_YEAR = 2000, 2100
"""The years a date typed or spoken into Sync Desk may fall in; anything else is a mistake (or an attack) and is
refused before any date arithmetic can overflow."""


def company_zone(session: Session | scoped_session[Any], company_id: int | None) -> str:
    """The company's zone; with no company (a user who sees all of them), the first company's."""
    statement = select(Company.time_zone).order_by(Company.id).limit(1)
    if company_id is not None:
        statement = statement.where(Company.id == company_id)
    return zone(session.scalar(statement)).key


def home_zone(user: User) -> str:
    """``company_zone`` of the user's own company, read from the user's row (``User.home_time_zone``)."""
    return zone(user.home_time_zone).key


def local_midnight(day: date, time_zone: ZoneInfo | str) -> datetime:
    """The UTC instant at which ``day`` begins in ``time_zone``."""
    local = time_zone if isinstance(time_zone, ZoneInfo) else zone(time_zone)
    return datetime.combine(day, time(0), tzinfo=local).astimezone(UTC)
