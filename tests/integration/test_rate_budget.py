"""One rate budget per API key, shared by processes, and rate limits that put appointments back instead of failing
them — on the configured store (SQLite file, or Redis when REDIS_URL is set)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from ops_ui.actions.bulk_retry import start_bulk_retry
from ops_ui.calcom.budget import SqliteBudgetStore
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.errors import BudgetSpent, RateLimitedError
from ops_ui.engine.due import sync_due
from ops_ui.engine.gateway import rate_budget
from ops_ui.extensions import db
from ops_ui.jobs.queue import huey
from ops_ui.models import Appointment, AuditEvent, BulkRunItem, SyncAttempt, SyncStatus
from tests.support.salon import active_bookings, make_salon_appointment, make_synced_salon, slot_start
from tests.support.worker import wait_until

SETTINGS = ("REDIS_URL", "RATE_BUDGET_FILE", "CALCOM_API_KEY", "CALCOM_RATE_LIMIT_PER_MINUTE", "CALCOM_RATE_HEADROOM")


def _take_what_the_budget_gives(settings: dict[str, object], tries: int) -> int:
    budget = rate_budget(settings)
    granted = 0
    for _ in range(tries):
        try:
            budget.acquire(deadline=time.monotonic())  # no waiting: granted now, or spent
        except BudgetSpent:
            continue
        granted += 1
    return granted


def test_processes_share_one_budget_per_api_key(app: Flask):
    settings = {name: app.config[name] for name in SETTINGS} | {"CALCOM_RATE_LIMIT_PER_MINUTE": 12}
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        granted = pool.starmap(_take_what_the_budget_gives, [(settings, 10)] * 3)
    assert sum(granted) == 12 - app.config["CALCOM_RATE_HEADROOM"]
    other_key = settings | {"CALCOM_API_KEY": "cal_test_another_company"}
    assert _take_what_the_budget_gives(other_key, 3) == 3


def _failed_ever(ids: list[int]) -> int:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.appointment_id.in_(ids))).all()
    return sum(1 for event in events if (event.after or {}).get("sync_status") == SyncStatus.FAILED.value)


@pytest.mark.calcom_simulator(timeout=5.0)
def test_a_429_storm_fails_no_appointment(app, sim):
    salon = make_synced_salon(sim.admin)
    starts = [slot_start(days_ahead=3 + day) for day in range(8)]
    appointments = [make_salon_appointment(salon, start=start, synced=False) for start in starts]
    ids = [appointment.id for appointment in appointments]
    # Another client of the same key spends Cal.com's window behind our back: Cal.com blocks the key.
    sim.admin.set_rate_limit(limit=3, window_seconds=2, block_seconds=2)
    outsider = CalcomClient(sim.base_url, sim.api_key)
    with pytest.raises(RateLimitedError):
        for _ in range(4):
            outsider.me()

    def all_synced() -> bool:
        sync_due()
        db.session.expire_all()
        synced = select(func.count(Appointment.id)).where(
            Appointment.id.in_(ids), Appointment.sync_status == SyncStatus.SYNCED
        )
        return db.session.scalar(synced) == len(ids)

    wait_until(all_synced, 60, "the due passes synced every appointment")

    assert _failed_ever(ids) == 0
    refused = select(func.count(SyncAttempt.id)).where(SyncAttempt.response_status == 429)
    assert db.session.scalar(refused) >= 1  # the storm reached us
    assert [db.session.get(Appointment, i).attempt_count for i in ids] == [1] * len(ids)  # 429s are not attempts
    assert len(active_bookings(sim)) == len(ids)


@pytest.mark.calcom_simulator(timeout=5.0)
def test_a_bulk_item_the_rate_limit_refuses_waits_on_the_queue_and_syncs_after_the_reset(app, sim):
    salon = make_synced_salon(sim.admin)
    appointment = make_salon_appointment(salon, synced=False)
    sim.admin.set_rate_limit(limit=1, window_seconds=2, block_seconds=2)
    with pytest.raises(RateLimitedError):
        for _ in range(2):
            CalcomClient(sim.base_url, sim.api_key).me()
    run = start_bulk_retry(salon.agent, [appointment.id], include_unchanged=False)

    huey.execute(huey.dequeue())

    [item] = db.session.scalars(select(BulkRunItem).where(BulkRunItem.run_id == run.id)).all()
    assert item.outcome is None
    assert db.session.get(Appointment, appointment.id, populate_existing=True).sync_status is SyncStatus.PENDING
    again = huey.dequeue()  # the same item, back on the queue for after Cal.com's reset
    now = datetime.now(UTC).replace(tzinfo=None)
    assert again is not None and now < again.eta < now + timedelta(seconds=3)
    huey.execute(again, timestamp=again.eta)

    assert db.session.get(Appointment, appointment.id, populate_existing=True).sync_status is SyncStatus.SYNCED
    assert len(active_bookings(sim)) == 1


def _count_up(store: SqliteBudgetStore, times: int) -> None:
    for _ in range(times):
        store.update("key", lambda state: (replace(state, used=state.used + 1), None))


def test_threads_and_a_forked_child_count_in_one_sqlite_budget(tmp_path):
    store = SqliteBudgetStore(tmp_path / "budget.sqlite")
    _count_up(store, 1)  # this thread's connection exists before the others start and before the fork
    threads = [threading.Thread(target=_count_up, args=(store, 25)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    child = multiprocessing.get_context("fork").Process(target=_count_up, args=(store, 10))
    child.start()
    child.join()
    assert child.exitcode == 0
    assert store.update("key", lambda state: (state, state.used)) == 111


def test_an_unchanged_budget_state_is_not_written_again(tmp_path):
    store = SqliteBudgetStore(tmp_path / "budget.sqlite")
    connection = sqlite3.connect(tmp_path / "budget.sqlite", isolation_level=None)
    connection.executescript(
        "CREATE TABLE writes (at INTEGER);"
        "CREATE TRIGGER counted AFTER INSERT ON rate_budget BEGIN INSERT INTO writes VALUES (1); END;"
    )
    store.update("key", lambda state: (replace(state, used=3), None))
    store.update("key", lambda state: (state, None))
    store.update("key", lambda state: (replace(state, used=4), None))
    assert connection.execute("SELECT count(*) FROM writes").fetchone() == (2,)
