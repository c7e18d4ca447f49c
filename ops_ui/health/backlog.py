"""The manual-review backlog by age: how long the appointments waiting for a person have been failing.

The backlog is the dashboard's "manual review" figure (``queue_rules.needs_person`` among failed appointments that
are not closed: the board's ``kind=business`` view), so the buckets add up to that tile. Age runs from
``failed_since`` (the first failure of the current streak; the creation where an old row lacks it) to ``now``; each
bucket includes its lower edge: exactly one hour old is "1–24 h".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from ops_ui import queue_rules as rules
from ops_ui.health.metrics import DbSession, count_if
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import Appointment, UTCDateTime


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: Any
    """A lazy translation, rendered in the request's language."""
    younger_than: timedelta | None
    """The upper edge (excluded); None: no upper edge."""


BUCKETS: tuple[AgeBucket, ...] = (
    AgeBucket("under_1h", _l("< 1 h"), timedelta(hours=1)),
    AgeBucket("1h_24h", _l("1–24 h"), timedelta(hours=24)),
    AgeBucket("1d_7d", _l("1–7 days"), timedelta(days=7)),
    AgeBucket("over_7d", _l("> 7 days"), None),
)


@dataclass(frozen=True)
class BacklogCount:
    bucket: AgeBucket
    count: int


def failing_since() -> ColumnElement[datetime]:
    return func.coalesce(Appointment.failed_since, Appointment.created_at, type_=UTCDateTime())


def _in_bucket(index: int, now: datetime) -> ColumnElement[bool]:
    """Older than the previous bucket's edge is excluded, younger than this one's is required."""
    since = failing_since()
    conditions = []
    upper = BUCKETS[index].younger_than
    if upper is not None:
        conditions.append(since > now - upper)
    lower = BUCKETS[index - 1].younger_than if index else None
    if lower is not None:
        conditions.append(since <= now - lower)
    return and_(*conditions)


def backlog_counts(now: datetime) -> Select[Any]:
    return select(*(count_if(_in_bucket(i, now)) for i in range(len(BUCKETS)))).where(
        rules.failed(), rules.not_closed(), rules.needs_person()
    )


def backlog_by_age(session: DbSession, now: datetime, company_id: int | None) -> Sequence[BacklogCount]:
    """One statement: the open manual-review appointments counted into every bucket at once."""
    statement = backlog_counts(now)
    if company_id is not None:
        statement = statement.where(Appointment.company_id == company_id)
    counts = session.execute(statement).one()
    return [BacklogCount(bucket, int(count)) for bucket, count in zip(BUCKETS, counts, strict=True)]
