"""The dashboard's counts over appointments name only columns of ``ix_appointment_health``, so both databases count
index entries instead of visiting the table's rows (an index-only scan on PostgreSQL). A PostgreSQL index holds no row
id: a ``count(id)`` there read every failed appointment from the table (45 ms instead of 7 ms at a million)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Select
from sqlalchemy.sql import visitors

from ops_ui.health import metrics
from ops_ui.health.backlog import backlog_counts
from ops_ui.models import Appointment

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HEALTH_INDEX = next(index for index in Appointment.__table__.indexes if index.name == "ix_appointment_health")


def _appointment_columns(statement: Select[Any]) -> set[str]:
    return {
        element.name
        for element in visitors.iterate(statement)
        if isinstance(element, Column) and element.table is Appointment.__table__
    }


@pytest.mark.parametrize(
    "statement",
    [
        metrics.failed_groups(NOW),
        metrics.pending_counts(NOW),
        metrics.failed_per_staff_and_service(),
        backlog_counts(NOW),
    ],
    ids=["failed groups", "pending", "staff and service", "backlog"],
)
def test_a_dashboard_count_reads_only_columns_of_the_health_index(statement: Select[Any]) -> None:
    indexed = {column.name for column in HEALTH_INDEX.columns}
    scoped = statement.where(Appointment.company_id == 1)  # as a user of one company asks

    assert _appointment_columns(scoped) - indexed == set()
    assert "sync_status" in _appointment_columns(scoped)  # the walk sees the statement's columns at all
