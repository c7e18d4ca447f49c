"""A synced appointment whose start is ahead can still be moved or cancelled from its detail page: Cal.com's own
booking is rescheduled or cancelled (through the claim and the verified writes), never a second one made."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops_ui.extensions import db
from ops_ui.models import AppointmentStatus, SyncStatus
from tests.support import records
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.salon import Salon, active_bookings, booking, make_salon_appointment, make_synced_salon

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim) -> Salon:
    return make_synced_salon(sim.admin)


@pytest.fixture
def detail_page(client, salon: Salon) -> Any:
    """The detail page's requests: the page itself, then what its buttons send through htmx."""
    login(client, salon.agent)
    headers = {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}

    class DetailPage:
        def open(self, appointment_id: int) -> str:
            response = client.get(f"/review/{appointment_id}")
            assert response.status_code == 200
            return response.get_data(as_text=True)

        def get(self, path: str) -> Any:
            return client.get(path, headers=headers)

        def post(self, path: str, **data: Any) -> Any:
            return client.post(path, data=data, headers=headers)

    return DetailPage()


def _buttons(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r"<button\b[^>]*>([^<]+)</button>", page)]


def test_detail_page_of_a_future_synced_appointment_offers_reschedule_and_cancel_only(detail_page, salon):
    appointment = make_salon_appointment(salon)

    buttons = _buttons(detail_page.open(appointment.id))

    assert "Reschedule" in buttons and "Cancel appointment" in buttons
    assert "Retry sync" not in buttons and "Reassign" not in buttons


def test_detail_page_of_a_synced_appointment_whose_start_passed_offers_no_action(detail_page, salon):
    appointment = make_salon_appointment(salon)
    appointment.starts_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()

    buttons = _buttons(detail_page.open(appointment.id))

    assert "Reschedule" not in buttons and "Cancel appointment" not in buttons


def test_synced_appointment_rescheduled_from_its_detail_page_moves_its_own_calcom_booking(detail_page, salon, sim):
    appointment = make_salon_appointment(salon)
    old_uid = appointment.calcom_booking_uid
    assert old_uid

    panel = detail_page.get(f"/review/{appointment.id}/reschedule").get_data(as_text=True)
    slots = re.findall(r'name="start" value="([^"]+)"', panel)
    assert slots, panel
    target = slots[-1]
    response = detail_page.post(f"/review/{appointment.id}/reschedule", version=appointment.version, start=target)

    assert response.status_code == 200, response.get_data(as_text=True)
    fresh = records.fresh(appointment.id)
    assert fresh.sync_status is SyncStatus.SYNCED
    assert fresh.starts_at == datetime.fromisoformat(target).astimezone(UTC)
    assert fresh.calcom_booking_uid != old_uid
    [live] = active_bookings(sim)  # the old booking moved, not a second one made
    assert live["uid"] == fresh.calcom_booking_uid
    assert datetime.fromisoformat(live["start"].replace("Z", "+00:00")) == fresh.starts_at
    assert booking(sim, old_uid)["status"] == "cancelled"


def test_synced_appointment_cancelled_from_its_detail_page_cancels_its_calcom_booking(detail_page, salon, sim):
    appointment = make_salon_appointment(salon)
    uid = appointment.calcom_booking_uid

    panel = detail_page.get(f"/review/{appointment.id}/cancel")
    assert 'class="panel-row"' in panel.get_data(as_text=True)
    response = detail_page.post(
        f"/review/{appointment.id}/cancel", version=appointment.version, reason_code="customer_request"
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    fresh = records.fresh(appointment.id)
    assert fresh.status is AppointmentStatus.CANCELLED
    assert booking(sim, uid)["status"] == "cancelled"
    assert active_bookings(sim) == []
