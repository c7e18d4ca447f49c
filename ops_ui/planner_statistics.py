"""Statistics for the database's query planner, refreshed every hour by the job workers (``ops_ui.jobs.tasks``).

SQLite plans from the statistics ``ANALYZE`` leaves in ``sqlite_stat1``, and nothing in SQLite gathers them by
itself. Without them it guesses from the indexes and the tables' sizes, and at a million appointments some guesses
are ruinous: the look-up of what holds a conflicted slot read every synced appointment (over a minute) instead of the
diaries of the page's staff members (a few milliseconds). ``analysis_limit`` lets ANALYZE sample each index instead
of reading all of it: 26 ms at a million appointments, for the same plans as a full count. PostgreSQL's autovacuum
keeps its own.
"""

from __future__ import annotations

from sqlalchemy import Engine

ANALYSIS_LIMIT = 1000
"""Index entries ANALYZE reads per index (SQLite recommends between 100 and 1000)."""


def refresh_planner_statistics(engine: Engine) -> str:
    """Fresh statistics for SQLite's planner; PostgreSQL is left to autovacuum. What was done, for the job's log."""
    if engine.dialect.name != "sqlite":
        return f"left to {engine.dialect.name}'s autovacuum"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
    return "statistics refreshed"
