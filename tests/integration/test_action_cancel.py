"""Cancelling against the Cal.com simulator: a reason is required, Cal.com first, nothing is ever deleted."""

from __future__ import annotations

import pytest

from ops_ui.actions.cancel import cancel
from ops_ui.calcom.client import CalcomClient
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.claims import StaleAppointment
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncOperation, SyncStatus
from tests.support.records import appointment_count, attempts, audits, state_of
from tests.support.salon import (
    TECHNICAL_FAILURES,
    active_bookings,
    booking,
    failure_faults,
    make_salon_appointment,
    make_synced_salon,
)

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def test_cancel_cancels_the_calcom_booking_then_the_appointment_and_deletes_nothing(salon, sim):
    appointment = make_salon_appointment(salon)
    uid, count = appointment.calcom_booking_uid, appointment_count()

    result = cancel(appointment.id, appointment.version, salon.agent, "customer_request", "Ruft nächste Woche an")

    assert result.ok, result.message
    fresh = result.appointment
    assert fresh.status is AppointmentStatus.CANCELLED
    assert fresh.cancellation_reason == "customer_request: Ruft nächste Woche an"
    assert (fresh.calcom_booking_uid, fresh.sync_status, fresh.next_retry_at) == (uid, SyncStatus.SYNCED, None)
    calcom = booking(sim, uid)
    assert calcom["status"] == "cancelled"
    assert calcom["cancellationReason"] == "Customer asked to cancel: Ruft nächste Woche an"
    assert len(sim.admin.bookings()) == 1 and appointment_count() == count
    [event] = audits(appointment.id, "cancel")
    assert (event.before["status"], event.after["status"]) == ("scheduled", "cancelled")
    assert attempts(appointment.id)[-1].operation is SyncOperation.CANCEL


def test_cancel_without_a_booking_needs_no_calcom_call(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)

    result = cancel(appointment.id, appointment.version, salon.agent, "duplicate")

    assert result.ok
    assert result.appointment.status is AppointmentStatus.CANCELLED
    assert result.appointment.cancellation_reason == "duplicate"
    assert attempts(appointment.id) == []


def test_a_booking_already_cancelled_in_calcom_counts_as_done(salon, sim):
    appointment = make_salon_appointment(salon)
    CalcomClient(sim.base_url, sim.api_key).cancel_booking(appointment.calcom_booking_uid, "Am Telefon storniert")

    result = cancel(appointment.id, appointment.version, salon.agent, "no_longer_possible")

    assert result.ok, result.message
    assert result.appointment.status is AppointmentStatus.CANCELLED
    assert attempts(appointment.id)[-2].response_status == 400  # "cancelled already", then checked by a read


@pytest.mark.parametrize("kind", TECHNICAL_FAILURES)
def test_cancel_that_calcom_does_not_confirm_changes_nothing_locally(salon, sim, kind):
    appointment = make_salon_appointment(salon)
    before = state_of(appointment.id)
    failure_faults(sim, kind)

    result = cancel(appointment.id, appointment.version, salon.agent, "staff_unavailable")

    assert not result.ok
    assert state_of(appointment.id) == before
    assert booking(sim, before["calcom_booking_uid"])["status"] == "accepted"
    cancel_attempt = [a for a in attempts(appointment.id) if a.operation is SyncOperation.CANCEL][-1]
    assert cancel_attempt.succeeded is False
    [event] = audits(appointment.id, "cancel_failed")
    assert "staff_unavailable" in event.note


def test_cancel_refused_by_calcom_changes_nothing_locally(salon, sim):
    appointment = make_salon_appointment(salon)
    before = state_of(appointment.id)
    sim.admin.set_faults(method="POST", status=409, count=1)

    result = cancel(appointment.id, appointment.version, salon.agent, "duplicate")

    assert not result.ok
    assert result.message.startswith("Cal.com refused: ")
    assert state_of(appointment.id) == before
    assert active_bookings(sim)


@pytest.mark.parametrize(
    ("code", "text", "field"),
    [("", None, "reason_code"), ("bored", None, "reason_code"), ("other", "  ", "reason_text")],
)
def test_cancel_needs_a_known_reason_and_words_for_other(salon, sim, code, text, field):
    appointment = make_salon_appointment(salon)
    before = state_of(appointment.id)

    result = cancel(appointment.id, appointment.version, salon.agent, code, text)

    assert not result.ok and field in result.field_errors
    assert state_of(appointment.id) == before
    assert active_bookings(sim)


def test_cancel_from_a_stale_screen_is_refused(salon, sim):
    appointment = make_salon_appointment(salon)
    seen = appointment.version
    assert cancel(appointment.id, seen, salon.other_agent, "duplicate").ok

    with pytest.raises(StaleAppointment) as stale:
        cancel(appointment.id, seen, salon.agent, "customer_request")
    assert stale.value.changed_by == "Olga Other"
    assert stale.value.appointment.cancellation_reason == "duplicate"


def test_cancel_after_a_lost_create_answer_finds_and_cancels_the_booking_cal_com_made(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    sim.admin.set_faults(pathPrefix="/v2/bookings", hangAfterCommitSeconds=1.5, count=4)
    sync_appointment(appointment)  # create and lookup answers both lost: Cal.com booked, we do not know the uid
    sim.admin.clear_faults()
    assert state_of(appointment.id)["calcom_booking_uid"] is None
    [made] = active_bookings(sim)
    appointment = db.session.get(Appointment, appointment.id, populate_existing=True)

    result = cancel(appointment.id, appointment.version, salon.agent, "duplicate")

    assert result.ok, result.message
    assert booking(sim, made["uid"])["status"] == "cancelled"
    assert result.appointment.calcom_booking_uid == made["uid"]
    assert [a.operation for a in attempts(appointment.id)][-2:] == [SyncOperation.LOOKUP, SyncOperation.CANCEL]
