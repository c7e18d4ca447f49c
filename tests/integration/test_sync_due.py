"""The periodic pass picks up new and transiently failed appointments, never those waiting for a person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ops_ui.categories import ErrorCategory
from ops_ui.engine.due import sync_due
from ops_ui.models import AppointmentStatus, SyncStatus
from tests.support import factories
from tests.support.records import fresh
from tests.support.salon import make_synced_salon

pytestmark = pytest.mark.calcom_simulator


def test_due_pass_books_new_and_backed_off_technical_failures_but_leaves_business_ones(app, sim, now):
    salon = make_synced_salon(sim.admin)
    customer = factories.make_customer(salon.company)

    def appointment(hour: int, **fields):
        return factories.make_appointment(
            customer, salon.service, salon.staff, factories.next_weekday_at(hour, days_ahead=3), **fields
        )

    new = appointment(6)
    technical_due = appointment(
        9,
        sync_status=SyncStatus.FAILED,
        last_error_category=ErrorCategory.SERVER_ERROR,
        next_retry_at=now - timedelta(minutes=1),
    )
    technical_later = appointment(
        12,
        sync_status=SyncStatus.FAILED,
        last_error_category=ErrorCategory.TIMEOUT,
        next_retry_at=now + timedelta(minutes=10),
    )
    business = appointment(15, sync_status=SyncStatus.FAILED, last_error_category=ErrorCategory.HOST_CONFLICT)
    cancelled = appointment(18, status=AppointmentStatus.CANCELLED)

    results = sync_due(now=now)

    assert sorted(result.appointment_id for result in results) == sorted([new.id, technical_due.id])
    assert all(result.synced for result in results)
    untouched = (technical_later, business, cancelled)
    assert {row.id: fresh(row.id).attempt_count for row in untouched} == {row.id: 0 for row in untouched}
    booked = {booking["metadata"]["syncDeskAppointmentId"] for booking in sim.admin.bookings()}
    assert booked == {str(new.id), str(technical_due.id)}


def test_run_due_command_reports_what_it_did(app, sim):
    salon = make_synced_salon(sim.admin)
    factories.make_appointment(factories.make_customer(salon.company), salon.service, salon.staff)

    output = app.test_cli_runner().invoke(args=["sync", "run-due"]).output

    assert "1 appointments tried: synced 1" in output
