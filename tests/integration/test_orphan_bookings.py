"""The detail page lists every live Cal.com booking carrying the appointment's id, and an orphan can be cancelled."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from ops_ui.actions.orphans import cancel_orphan
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.types import Attendee
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.models import Appointment
from tests.support.auth import csrf_token_in, login
from tests.support.records import audits, state_of
from tests.support.salon import TIME_ZONE, active_bookings, make_salon_appointment, make_synced_salon, slot_start

pytestmark = pytest.mark.calcom_simulator(timeout=1.0)


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def _orphan_for(sim: Any, appointment: Appointment, event_type_id: int) -> str:
    """A second live booking carrying the appointment's id, as a lost answer before verified writes left behind."""
    return (
        CalcomClient(sim.base_url, sim.api_key)
        .create_booking(
            event_type_id=event_type_id,
            start=slot_start(3),
            attendee=Attendee(name=appointment.customer.name, time_zone=TIME_ZONE, email=appointment.customer.email),
            metadata={METADATA_KEY: str(appointment.id)},
        )
        .uid
    )


def test_detail_page_marks_the_kept_booking_and_offers_to_cancel_the_orphan(client: FlaskClient, salon, sim):
    appointment = make_salon_appointment(salon)
    orphan = _orphan_for(sim, appointment, salon.event_type_id)
    login(client, salon.agent)

    page = client.get(f"/review/{appointment.id}").get_data(as_text=True)

    section = page[page.index("Bookings in Cal.com for this appointment") :]
    kept_at = section.index(appointment.calcom_booking_uid)
    orphan_at = section.index(orphan)
    assert "kept by Sync Desk" in section[kept_at:orphan_at]
    assert "Cancel this booking in Cal.com" in section[orphan_at:]
    assert section.count("Cancel this booking in Cal.com") == 1

    response = client.post(
        f"/review/{appointment.id}/orphans/{orphan}/cancel",
        data={"version": appointment.version, "csrf_token": csrf_token_in(page)},
    )

    assert response.status_code == 303
    assert [b["uid"] for b in active_bookings(sim)] == [appointment.calcom_booking_uid]
    assert audits(appointment.id, "cancel_orphan")[0].after["orphan_uid"] == orphan
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Orphan booking {orphan} cancelled in Cal.com." in page
    assert "Cancel this booking in Cal.com" not in page


def test_the_kept_booking_is_never_cancelled_as_an_orphan(salon, sim):
    appointment = make_salon_appointment(salon)
    before = state_of(appointment.id)

    result = cancel_orphan(appointment.id, appointment.version, salon.agent, appointment.calcom_booking_uid)

    assert not result.ok and "the one this appointment keeps" in result.field_errors["uid"]
    assert [b["uid"] for b in active_bookings(sim)] == [appointment.calcom_booking_uid]
    assert state_of(appointment.id) == before


def test_a_booking_that_is_not_ours_is_not_cancelled(salon, sim):
    appointment = make_salon_appointment(salon)
    stranger = (
        CalcomClient(sim.base_url, sim.api_key)
        .create_booking(
            event_type_id=salon.event_type_id,
            start=slot_start(4),
            attendee=Attendee(name="Someone", time_zone=TIME_ZONE, email="someone@kunden.test"),
        )
        .uid
    )

    result = cancel_orphan(appointment.id, appointment.version, salon.agent, stranger)

    assert not result.ok and "not a live orphan" in result.field_errors["uid"]
    assert len(active_bookings(sim)) == 2
