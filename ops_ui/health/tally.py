"""Keeps ``sync_attempt_tally`` in step with ``sync_attempt``: every flush that adds attempts adds their counts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, event, text
from sqlalchemy.orm import Session

from ops_ui.models import NO_COMPANY, SyncAttempt, SyncAttemptTally, utcnow

QUARTER_MINUTES = 15


def quarter_of(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % QUARTER_MINUTES, second=0, microsecond=0)


ADD_TO_TALLY = text(
    "INSERT INTO sync_attempt_tally (company_id, quarter, succeeded, failed) "
    "VALUES (:company_id, :quarter, :succeeded, :failed) "
    "ON CONFLICT (company_id, quarter) DO UPDATE SET succeeded = sync_attempt_tally.succeeded + excluded.succeeded, "
    "failed = sync_attempt_tally.failed + excluded.failed"
).bindparams(bindparam("quarter", type_=SyncAttemptTally.__table__.c.quarter.type))
"""One upsert that SQLite and PostgreSQL both understand, compiled once: the dialects' own ``on_conflict_do_update``
constructs have no cache key, so each flush would compile them anew."""


@event.listens_for(Session, "before_flush")
def _tally_new_attempts(session: Session, flush_context: Any, instances: Any) -> None:
    counts: Counter[tuple[int, datetime, bool]] = Counter()
    for attempt in session.new:
        if isinstance(attempt, SyncAttempt):
            if attempt.at is None:
                attempt.at = utcnow()
            counts[(attempt.company_id or NO_COMPANY, quarter_of(attempt.at), bool(attempt.succeeded))] += 1
    for (company_id, quarter, succeeded), number in counts.items():
        session.execute(
            ADD_TO_TALLY,
            {
                "company_id": company_id,
                "quarter": quarter,
                "succeeded": number if succeeded else 0,
                "failed": 0 if succeeded else number,
            },
        )


QUARTER_SQL = {
    "sqlite": "strftime('%Y-%m-%d %H:', at) || printf('%02d', CAST(strftime('%M', at) AS INTEGER) / 15 * 15)"
    " || '\\:00.000000'",
    "postgresql": "date_trunc('hour', at) + (CAST(extract(minute FROM at) AS INTEGER) / 15) * interval '15 minutes'",
}
"""The quarter hour of ``sync_attempt.at`` in each dialect's own SQL, in the form UTCDateTime stores there."""


def rebuild_tally(connection: Connection) -> int:
    """Recount the tally from scratch (SQLite or PostgreSQL), after attempts were bulk-inserted without the ORM;
    returns its rows."""
    quarter = QUARTER_SQL[connection.dialect.name]
    connection.execute(text("DELETE FROM sync_attempt_tally"))
    inserted = connection.execute(
        text(
            "INSERT INTO sync_attempt_tally (company_id, quarter, succeeded, failed) "
            f"SELECT coalesce(company_id, {NO_COMPANY}), {quarter}, "
            "sum(CASE WHEN succeeded THEN 1 ELSE 0 END), sum(CASE WHEN succeeded THEN 0 ELSE 1 END) "
            "FROM sync_attempt GROUP BY 1, 2"
        )
    )
    return inserted.rowcount
