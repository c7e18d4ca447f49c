"""A cancellation Cal.com did not confirm: the caller's stands and the engine finishes it; an agent's whose answer
was lost is never booked again behind their back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.actions.cancel import cancel
from ops_ui.categories import ErrorCategory
from ops_ui.engine.due import run_due_pass
from ops_ui.models import AppointmentStatus, SyncStatus, utcnow
from tests.support.phone_agent import PhoneAgent, new_call_id, phone_salon
from tests.support.records import fresh
from tests.support.salon import Salon, active_bookings, booking, make_salon_appointment, slot_start

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)

LATER = timedelta(hours=1)
"""Past every back-off and the wait before an unanswered write is settled."""


@pytest.fixture
def salon(app: Flask, sim: Any) -> Salon:
    return phone_salon(sim.admin)


def _booked_by_phone(client: FlaskClient) -> tuple[PhoneAgent, int, str]:
    agent = PhoneAgent(client, new_call_id())
    answer = agent.ask("book_appointment", name="Erika Muster", service="Dauerwelle", start=slot_start().isoformat())
    assert answer["status"] == "booked"
    appointment = fresh(answer["appointment_id"])
    assert appointment.calcom_booking_uid is not None
    return agent, appointment.id, appointment.calcom_booking_uid


def test_a_callers_cancellation_refused_by_calcom_stands_and_the_engine_finishes_it(
    client: FlaskClient, salon: Salon, sim
):
    agent, appointment_id, uid = _booked_by_phone(client)
    sim.admin.set_faults(method="POST", pathPrefix=f"/v2/bookings/{uid}/cancel", status=500)

    answer = agent.ask("cancel_appointment")

    assert answer["status"] == "cancel_noted" and "Absage" in answer["message"] and "notiert" in answer["message"]
    held = fresh(appointment_id)
    assert (held.status, held.sync_status) == (AppointmentStatus.CANCELLED, SyncStatus.FAILED)
    assert held.last_error_category is ErrorCategory.SERVER_ERROR and held.next_retry_at is not None
    assert booking(sim, uid)["status"] != "cancelled"

    sim.admin.clear_faults()
    run_due_pass(now=utcnow() + LATER)

    done = fresh(appointment_id)
    assert (done.status, done.sync_status) == (AppointmentStatus.CANCELLED, SyncStatus.SYNCED)
    assert booking(sim, uid)["status"] == "cancelled" and active_bookings(sim) == []


def test_a_callers_cancellation_whose_answer_was_lost_is_settled_not_booked_again(
    client: FlaskClient, salon: Salon, sim
):
    agent, appointment_id, uid = _booked_by_phone(client)
    sim.admin.set_faults(pathPrefix="/v2/bookings", hangAfterCommitSeconds=1.5, count=4)  # cancel, look-up, its retries

    assert agent.ask("cancel_appointment")["status"] == "cancel_noted"
    sim.admin.clear_faults()
    assert fresh(appointment_id).uncertain_request is not None

    run_due_pass(now=utcnow() + LATER)

    done = fresh(appointment_id)
    assert (done.status, done.sync_status, done.uncertain_request) == (
        AppointmentStatus.CANCELLED,
        SyncStatus.SYNCED,
        None,
    )
    assert booking(sim, uid)["status"] == "cancelled" and active_bookings(sim) == []


def test_an_agents_cancellation_whose_answer_was_lost_is_never_booked_again(salon: Salon, sim):
    appointment = make_salon_appointment(salon)
    sim.admin.set_faults(pathPrefix="/v2/bookings", hangAfterCommitSeconds=1.5, count=4)  # cancel, look-up, its retries

    result = cancel(appointment.id, appointment.version, salon.agent, "customer_request")

    assert not result.ok
    sim.admin.clear_faults()
    assert booking(sim, appointment.calcom_booking_uid)["status"] == "cancelled"  # Cal.com did cancel it

    run_due_pass(now=utcnow() + LATER)

    after = fresh(appointment.id)
    assert after.status is AppointmentStatus.SCHEDULED and after.sync_status is SyncStatus.FAILED
    assert "no live booking" in (after.last_error_message or "") and after.uncertain_request is None
    assert active_bookings(sim) == []  # nothing booked again: a person decides
