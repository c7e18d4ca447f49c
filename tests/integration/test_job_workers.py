"""Real worker processes (``huey_consumer``) on the test's queue, database and simulator: the engine runs by itself,
and several writers at once still leave exactly one Cal.com booking per appointment."""

from __future__ import annotations

from collections import Counter
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from ops_ui.actions.bulk_retry import start_bulk_retry
from ops_ui.categories import ErrorCategory
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.models import Appointment, BulkItemOutcome, BulkRunItem, EnginePass, SyncStatus
from tests.support import factories
from tests.support.salon import active_bookings, make_synced_salon, slot_start
from tests.support.worker import running_workers, wait_until

pytestmark = pytest.mark.calcom_simulator(timeout=5.0)

SLOTS = [time(6, 0), time(8, 15), time(10, 30), time(12, 45), time(15, 0), time(17, 15)]


def _appointments(salon, count: int, **fields) -> list[Appointment]:
    starts = [slot_start(days_ahead=2 + index // len(SLOTS), local=SLOTS[index % len(SLOTS)]) for index in range(count)]
    return [
        factories.make_appointment(factories.make_customer(salon.company), salon.service, salon.staff, start, **fields)
        for start in starts
    ]


def _synced_count(ids: list[int]) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Appointment.id)).where(Appointment.id.in_(ids), Appointment.sync_status == SyncStatus.SYNCED)
    )


def _bookings_per_appointment(sim) -> Counter[str]:
    return Counter(booking["metadata"].get(METADATA_KEY) for booking in active_bookings(sim))


def test_a_worker_clears_due_appointments_on_its_own(app, app_config, sim, now, tmp_path):
    salon = make_synced_salon(sim.admin)
    new, technical, business = _appointments(salon, 3)
    technical.sync_status, technical.last_error_category = SyncStatus.FAILED, ErrorCategory.SERVER_ERROR
    technical.next_retry_at = now - timedelta(minutes=1)
    business.sync_status, business.last_error_category = SyncStatus.FAILED, ErrorCategory.HOST_CONFLICT
    db.session.commit()

    with running_workers(app_config, tmp_path):
        wait_until(lambda: _synced_count([new.id, technical.id]) == 2, 60, "the worker synced both due appointments")

    assert _bookings_per_appointment(sim) == {str(new.id): 1, str(technical.id): 1}
    assert db.session.get(Appointment, business.id).sync_status is SyncStatus.FAILED
    assert db.session.scalar(select(func.count(EnginePass.id)).where(EnginePass.synced == 2)) == 1


def test_two_workers_racing_for_every_appointment_book_each_once(app, app_config, sim, tmp_path):
    salon = make_synced_salon(sim.admin)
    ids = [appointment.id for appointment in _appointments(salon, 24)]
    # Two agents retry each appointment in runs queued side by side, so the two workers take the same appointment
    # at the same moment; Cal.com answers slowly, keeping both in flight. The workers' own due passes join in.
    for appointment_id in ids:
        start_bulk_retry(salon.agent, [appointment_id], include_unchanged=False)
        start_bulk_retry(salon.other_agent, [appointment_id], include_unchanged=False)
    sim.admin.set_faults(method="POST", latencyMs=300, count=1000)

    with running_workers(app_config, tmp_path, count=2):
        wait_until(lambda: _synced_count(ids) == len(ids), 90, "every appointment synced")

    assert _bookings_per_appointment(sim) == {str(appointment_id): 1 for appointment_id in ids}
    outcomes = Counter(item.outcome for item in db.session.scalars(select(BulkRunItem)))
    assert outcomes[BulkItemOutcome.FAILED] == 0  # the loser of each race heard it was taken or already synced
