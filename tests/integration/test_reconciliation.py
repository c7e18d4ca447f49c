"""Reconciliation compares calls, appointments and Cal.com's bookings, finds each kind of mismatch planted behind
Sync Desk's back, repairs it once through the claim and the verified writes, and finds nothing more afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ops_ui.calcom.client import CalcomClient, to_utc_z
from ops_ui.calcom.types import Attendee
from ops_ui.engine.claims import claim, release
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.jobs.queue import huey
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    Call,
    Mismatch,
    MismatchKind,
    ReconciliationRun,
    Role,
    SyncStatus,
)
from ops_ui.reconcile.repairs import repair
from ops_ui.reconcile.run import reconcile_company
from tests.support import factories
from tests.support.auth import HTMX_HEADERS, csrf_token_in, login
from tests.support.records import audits, fresh
from tests.support.salon import (
    TIME_ZONE,
    active_bookings,
    booking,
    make_salon_appointment,
    make_synced_salon,
    slot_start,
)

pytestmark = pytest.mark.calcom_simulator(timeout=1.0)


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def _run(salon: Any) -> ReconciliationRun:
    run = reconcile_company(salon.company.id)
    assert run.finished_at is not None and run.error is None, run.error
    return run


def _found(run: ReconciliationRun) -> list[Mismatch]:
    return list(db.session.scalars(select(Mismatch).where(Mismatch.run_id == run.id).order_by(Mismatch.id)))


def _kinds(run: ReconciliationRun) -> list[tuple[MismatchKind, int | None, str | None]]:
    return [(m.kind, m.appointment_id, m.booking_uid) for m in _found(run)]


def _repair_twice(mismatch: Mismatch, actor: Any) -> None:
    """The repair does its work; a second click finds nothing more to do and says so."""
    first = repair(mismatch.id, actor)
    assert first.ok and first.changed, first.message
    again = repair(mismatch.id, actor)
    assert again.ok and not again.changed and "nothing more to do" in again.message


def _orphan(sim: Any, appointment: Appointment, event_type_id: int, days: int = 3) -> str:
    """A live booking carrying the appointment's id that the appointment does not keep (a lost answer's leftover)."""
    return (
        CalcomClient(sim.base_url, sim.api_key)
        .create_booking(
            event_type_id=event_type_id,
            start=slot_start(days),
            attendee=Attendee(name=appointment.customer.name, time_zone=TIME_ZONE, email=appointment.customer.email),
            metadata={METADATA_KEY: str(appointment.id)},
        )
        .uid
    )


def _drain() -> int:
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


# --- finding nothing where nothing is wrong ------------------------------------------------------------------------


def test_appointments_in_step_with_calcom_give_no_mismatch_nor_do_completed_ones(salon, sim):
    make_salon_appointment(salon)
    make_salon_appointment(salon, start=slot_start(3), name="Zweite Kundin", email="zweite@kunden-mail.de")

    done = make_salon_appointment(salon, start=slot_start(4), name="Dritte Kundin", email="dritte@kunden-mail.de")
    done.status = AppointmentStatus.COMPLETED  # Cal.com knows no "completed": its booking stays live, and its own
    db.session.commit()

    run = _run(salon)

    assert _found(run) == []
    assert run.bookings_seen == 3 and run.appointments_seen == 2
    assert set(run.counts.values()) == {0}


# --- 2. booking cancelled in Cal.com -------------------------------------------------------------------------------


def test_a_booking_cancelled_in_calcom_is_found_and_accepting_it_cancels_the_appointment_once(salon, sim):
    appointment = make_salon_appointment(salon)
    uid = appointment.calcom_booking_uid
    sim.admin.ui_cancel(uid, "Kundin ist krank", by="erika@kunden-mail.de")

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.BOOKING_CANCELLED, appointment.id, uid)]
    [mismatch] = _found(run)
    assert "Kundin ist krank" in mismatch.detail and mismatch.repair == "accept_cancellation"
    _repair_twice(mismatch, salon.agent)
    row = fresh(appointment.id)
    assert row.status is AppointmentStatus.CANCELLED and row.sync_status is SyncStatus.SYNCED
    assert row.cancellation_reason == "cancelled in Cal.com by erika@kunden-mail.de: Kundin ist krank"
    assert [event.actor_id for event in audits(appointment.id, "reconcile_accept_cancellation")] == [salon.agent.id]
    assert active_bookings(sim) == []
    assert _found(_run(salon)) == []


# --- 4. time and host differ ---------------------------------------------------------------------------------------


def test_a_booking_moved_in_calcom_is_a_changed_time_not_a_cancellation_nor_an_orphan(salon, sim):
    appointment = make_salon_appointment(salon)
    old_uid, length = appointment.calcom_booking_uid, appointment.ends_at - appointment.starts_at
    moved = sim.admin.ui_reschedule(old_uid, to_utc_z(slot_start(4)))

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.TIME_DIFFERS, appointment.id, moved["uid"])]
    _repair_twice(_found(run)[0], salon.agent)
    row = fresh(appointment.id)
    assert (row.starts_at, row.calcom_booking_uid) == (slot_start(4), moved["uid"])
    assert row.ends_at - row.starts_at == length
    assert audits(appointment.id, "reconcile_accept_calcom")[0].before["calcom_booking_uid"] == old_uid
    assert [b["uid"] for b in active_bookings(sim)] == [moved["uid"]]
    assert _found(_run(salon)) == []


def test_a_host_that_differs_from_calcom_is_found_and_cal_coms_host_accepted(salon, sim):
    appointment = make_salon_appointment(salon)
    appointment.staff_id = salon.colleague.id  # changed here, never told to Cal.com
    db.session.commit()

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.HOST_DIFFERS, appointment.id, appointment.calcom_booking_uid)]
    _repair_twice(_found(run)[0], salon.agent)
    assert fresh(appointment.id).staff_id == salon.staff.id
    assert _found(_run(salon)) == []


# --- 3. booking unknown to Cal.com ---------------------------------------------------------------------------------


def test_a_uid_cal_com_does_not_know_is_booked_anew_once(salon, sim):
    customer = factories.make_customer(salon.company)
    appointment = factories.make_appointment(
        customer, salon.service, salon.staff, slot_start(), sync_status=SyncStatus.SYNCED, calcom_booking_uid="ghost-1"
    )

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.BOOKING_MISSING, appointment.id, "ghost-1")]
    _repair_twice(_found(run)[0], salon.agent)
    row = fresh(appointment.id)
    assert row.sync_status is SyncStatus.SYNCED and row.calcom_booking_uid not in (None, "ghost-1")
    [live] = active_bookings(sim)
    assert live["uid"] == row.calcom_booking_uid
    assert audits(appointment.id, "reconcile_rebook")[0].before["calcom_booking_uid"] == "ghost-1"
    assert _found(_run(salon)) == []


def test_rebooking_adopts_a_live_booking_with_our_id_instead_of_booking_twice(salon, sim):
    customer = factories.make_customer(salon.company)
    appointment = factories.make_appointment(
        customer, salon.service, salon.staff, slot_start(), sync_status=SyncStatus.SYNCED, calcom_booking_uid="ghost-2"
    )
    kept = _orphan(sim, appointment, salon.event_type_id, days=2)

    run = _run(salon)
    missing = next(m for m in _found(run) if m.kind is MismatchKind.BOOKING_MISSING)

    assert {m.kind for m in _found(run)} == {MismatchKind.BOOKING_MISSING, MismatchKind.ORPHAN_BOOKING}
    _repair_twice(missing, salon.agent)
    assert fresh(appointment.id).calcom_booking_uid == kept
    assert [b["uid"] for b in active_bookings(sim)] == [kept]
    orphan = next(m for m in _found(run) if m.kind is MismatchKind.ORPHAN_BOOKING)
    assert "keeps booking" in repair(orphan.id, salon.agent).message  # the adoption closed it too
    assert _found(_run(salon)) == []


# --- 5. orphan bookings --------------------------------------------------------------------------------------------


def test_an_orphan_booking_with_our_id_is_found_and_cancelled_in_calcom_once(salon, sim):
    appointment = make_salon_appointment(salon)
    kept = appointment.calcom_booking_uid
    orphan = _orphan(sim, appointment, salon.event_type_id)

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.ORPHAN_BOOKING, appointment.id, orphan)]
    assert _found(run)[0].repair == "cancel_orphan"
    _repair_twice(_found(run)[0], salon.agent)
    assert booking(sim, orphan)["status"] == "cancelled"
    assert [b["uid"] for b in active_bookings(sim)] == [kept]
    assert fresh(appointment.id).calcom_booking_uid == kept
    assert audits(appointment.id, "cancel_orphan")[0].after["orphan_uid"] == orphan
    assert _found(_run(salon)) == []


def test_the_live_booking_of_a_cancelled_appointment_is_an_orphan(salon, sim):
    appointment = make_salon_appointment(salon)
    appointment.status = AppointmentStatus.CANCELLED  # cancelled here; the cancel never reached Cal.com
    db.session.commit()

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.ORPHAN_BOOKING, appointment.id, appointment.calcom_booking_uid)]
    _repair_twice(_found(run)[0], salon.agent)
    assert active_bookings(sim) == []


def test_an_orphan_of_an_appointment_without_live_booking_is_adopted_once(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    orphan = _orphan(sim, appointment, salon.event_type_id, days=2)

    run = _run(salon)

    assert _kinds(run) == [(MismatchKind.ORPHAN_BOOKING, appointment.id, orphan)]
    assert _found(run)[0].repair == "adopt_orphan"
    _repair_twice(_found(run)[0], salon.agent)
    row = fresh(appointment.id)
    assert (row.calcom_booking_uid, row.sync_status) == (orphan, SyncStatus.SYNCED)
    assert [b["uid"] for b in active_bookings(sim)] == [orphan]
    assert _found(_run(salon)) == []


# --- 1. confirmed calls without appointment ------------------------------------------------------------------------


def test_a_confirmed_call_without_appointment_is_found_and_linked_to_the_backfill(client: FlaskClient, salon, sim):
    call = Call(
        external_call_id="call-77", company_id=salon.company.id, caller_number="+4930123", booking_confirmed=True
    )
    db.session.add(call)
    db.session.commit()

    run = _run(salon)

    assert [(m.kind, m.call_id) for m in _found(run)] == [(MismatchKind.CALL_WITHOUT_APPOINTMENT, call.id)]
    login(client, salon.agent)
    page = client.get("/reconcile").get_data(as_text=True)
    assert "call-77" in page and 'href="/health/desync"' in page


# --- the page, its permissions and Cal.com's failures -------------------------------------------------------------


def test_an_agent_repairs_from_the_page_and_the_row_then_says_it_is_repaired(client: FlaskClient, salon, sim):
    appointment = make_salon_appointment(salon)
    sim.admin.ui_cancel(appointment.calcom_booking_uid, "<script>alert(1)</script>")
    [mismatch] = _found(_run(salon))
    login(client, salon.agent)
    page = client.get("/reconcile").get_data(as_text=True)
    assert "Accept the cancellation" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    path = f"/reconcile/mismatches/{mismatch.id}/repair"
    assert client.post(path, headers=HTMX_HEADERS).status_code == 400  # no CSRF token
    response = client.post(path, data={"csrf_token": csrf_token_in(page)}, headers=HTMX_HEADERS)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="mismatch-{mismatch.id}"' in body and "Repaired" in body and "Accept the cancellation" not in body
    assert "review-changed" in response.headers["HX-Trigger"]
    assert fresh(appointment.id).status is AppointmentStatus.CANCELLED
    again = client.post(path, data={"csrf_token": csrf_token_in(page)}, headers=HTMX_HEADERS)
    assert again.status_code == 200 and "nothing more to do" in again.get_data(as_text=True)
    assert "HX-Trigger" not in again.headers


def test_managers_see_mismatches_but_their_repairs_are_refused(client: FlaskClient, salon, sim):
    appointment = make_salon_appointment(salon)
    sim.admin.ui_cancel(appointment.calcom_booking_uid, "weg")
    [mismatch] = _found(_run(salon))
    manager = factories.make_user(Role.MANAGER, company=salon.company)
    login(client, manager)
    page = client.get("/reconcile").get_data(as_text=True)
    assert "An agent repairs it" in page and '<button type="submit" class="button">Accept' not in page

    response = client.post(
        f"/reconcile/mismatches/{mismatch.id}/repair", data={"csrf_token": csrf_token_in(page)}, headers=HTMX_HEADERS
    )

    assert response.status_code == 403
    assert fresh(appointment.id).status is AppointmentStatus.SCHEDULED
    assert db.session.get(Mismatch, mismatch.id, populate_existing=True).repaired_at is None


def test_a_repair_while_another_writer_holds_the_appointment_answers_409(client: FlaskClient, salon, sim):
    appointment = make_salon_appointment(salon)
    sim.admin.ui_cancel(appointment.calcom_booking_uid, "weg")
    [mismatch] = _found(_run(salon))
    held = claim(appointment, appointment.version, salon.other_agent)
    login(client, salon.agent)
    page = client.get("/reconcile").get_data(as_text=True)

    response = client.post(
        f"/reconcile/mismatches/{mismatch.id}/repair", data={"csrf_token": csrf_token_in(page)}, headers=HTMX_HEADERS
    )

    assert response.status_code == 409 and "Olga Other" in response.get_data(as_text=True)
    assert fresh(appointment.id).status is AppointmentStatus.SCHEDULED
    release(held)


def test_run_now_enqueues_the_job_and_a_calcom_outage_is_stored_not_a_500(client: FlaskClient, salon, sim):
    make_salon_appointment(salon)
    sim.admin.set_faults(method="GET", pathPrefix="/v2/bookings", status=500, count=20)
    login(client, factories.make_user(Role.MANAGER, company=salon.company))  # managers may ask for a run
    page = client.get("/reconcile").get_data(as_text=True)

    response = client.post("/reconcile/run", data={"csrf_token": csrf_token_in(page)})
    assert response.status_code == 303
    waiting = client.get("/reconcile").get_data(as_text=True)
    assert "waiting for the job worker" in waiting and 'hx-trigger="every 2s"' in waiting
    assert _drain() == 1

    [run] = db.session.scalars(select(ReconciliationRun)).all()
    assert run.finished_at is not None and run.error is not None
    assert "HTTP 500" in run.error and "Internal server error" in run.error
    assert _found(run) == []
    status = client.get(f"/reconcile/runs/{run.id}/status", headers=HTMX_HEADERS)
    assert status.status_code == 200 and status.headers["HX-Redirect"] == "/reconcile"
    shown = client.get("/reconcile")
    assert shown.status_code == 200 and "Cal.com could not be read" in shown.get_data(as_text=True)


def test_the_dashboard_shows_the_open_mismatches_of_the_latest_run(client: FlaskClient, salon, sim):
    appointment = make_salon_appointment(salon)
    sim.admin.ui_cancel(appointment.calcom_booking_uid, "weg")
    login(client, salon.agent)
    assert "not run yet" in client.get("/health").get_data(as_text=True)
    [mismatch] = _found(_run(salon))

    page = client.get("/health").get_data(as_text=True)
    assert 'data-figure="reconciliation_open">1<' in page and 'href="/reconcile"' in page
    assert client.get("/health.json").get_json()["reconciliation_open"]["count"] == 1

    repair(mismatch.id, salon.agent)
    assert 'data-figure="reconciliation_open">0<' in client.get("/health").get_data(as_text=True)
