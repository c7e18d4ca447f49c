"""Rescheduling against the Cal.com simulator: real free slots, Cal.com first, nothing local on failure."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops_ui.actions.reschedule import free_slots, reschedule
from ops_ui.actions.retry import retry_sync
from ops_ui.categories import ErrorCategory
from ops_ui.engine.claims import StaleAppointment
from ops_ui.models import SyncOperation, SyncStatus
from tests.support.records import attempts, audits, state_of
from tests.support.salon import (
    TECHNICAL_FAILURES,
    TIME_ZONE,
    active_bookings,
    book_directly,
    booking,
    failure_faults,
    make_salon_appointment,
    make_synced_salon,
    slot_start,
)

HOST_BUSY = "User either already has booking at this time or is not available"


pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def test_free_slots_come_from_calcom_in_the_company_zone_and_count_the_own_booking_as_free(salon, sim):
    appointment = make_salon_appointment(salon)

    offer = free_slots(appointment, days=3)

    assert offer.ok
    local = appointment.starts_at.astimezone(ZoneInfo(TIME_ZONE))
    assert local in offer.slots  # its own slot, freed by bookingUidToReschedule
    assert all(slot.tzinfo is not None and slot.utcoffset() == slot.astimezone(ZoneInfo(TIME_ZONE)).utcoffset()
               for slot in offer.slots)  # fmt: skip
    assert offer.first_day == local.date()
    assert offer.last_day == local.date() + timedelta(days=2)
    assert {slot.time() for slot in offer.by_day()[local.date()]} == {
        time(6), time(8, 15), time(10, 30), time(12, 45), time(15), time(17, 15)
    }  # fmt: skip
    [lookup] = [a for a in attempts(appointment.id) if a.operation is SyncOperation.LOOKUP]
    assert "bookingUidToReschedule=" + appointment.calcom_booking_uid in lookup.path


def test_free_slots_for_a_past_appointment_start_today_and_leave_out_busy_times(salon, sim, now):
    appointment = make_salon_appointment(salon, start=slot_start(days_ahead=-3), synced=False)
    busy = slot_start(days_ahead=1, local=time(12, 45))
    book_directly(sim, salon.event_type_id, busy)

    offer = free_slots(appointment, days=2, now=now)

    assert offer.first_day == now.astimezone(ZoneInfo(TIME_ZONE)).date()
    assert all(slot > now for slot in offer.slots)
    assert busy not in offer.slots
    assert slot_start(days_ahead=1, local=time(15)) in offer.slots


def test_reschedule_records_the_new_uid_and_calcom_cancels_the_old_one(salon, sim):
    appointment = make_salon_appointment(salon)
    old_uid, version = appointment.calcom_booking_uid, appointment.version
    new_start = slot_start(days_ahead=3, local=time(8, 15))

    result = reschedule(appointment.id, version, salon.agent, new_start, reason="Kundin kann erst Freitag")

    assert result.ok, result.message
    fresh = result.appointment
    assert fresh.calcom_booking_uid == result.booking_uid != old_uid
    assert (fresh.starts_at, fresh.ends_at) == (new_start, new_start + timedelta(minutes=135))
    assert fresh.sync_status is SyncStatus.SYNCED
    assert fresh.version > version
    old = booking(sim, old_uid)
    assert (old["status"], old["rescheduledToUid"]) == ("cancelled", fresh.calcom_booking_uid)
    [live] = active_bookings(sim)
    assert live["uid"] == fresh.calcom_booking_uid
    assert live["start"].startswith(new_start.strftime("%Y-%m-%dT%H:%M"))
    [event] = audits(appointment.id, "reschedule")
    assert event.actor_id == salon.agent.id
    assert event.before["calcom_booking_uid"] == old_uid
    assert event.after["calcom_booking_uid"] == fresh.calcom_booking_uid
    assert event.note == "Kundin kann erst Freitag"
    assert attempts(appointment.id)[-1].operation is SyncOperation.RESCHEDULE


def test_reschedule_of_a_failed_sync_books_the_new_time_and_clears_the_error(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    book_directly(sim, salon.event_type_id, appointment.starts_at)
    retry_sync(appointment.id, appointment.version, salon.agent)
    failed = state_of(appointment.id)
    assert failed["last_error_category"] is ErrorCategory.HOST_CONFLICT
    new_start = slot_start(days_ahead=2, local=time(15))

    result = reschedule(appointment.id, failed["version"], salon.agent, new_start)

    assert result.ok, result.message
    fresh = result.appointment
    assert (fresh.sync_status, fresh.last_error_category, fresh.last_error_message) == (SyncStatus.SYNCED, None, None)
    assert fresh.starts_at == new_start
    assert fresh.calcom_booking_uid in {b["uid"] for b in active_bookings(sim)}
    assert len(active_bookings(sim)) == 2  # the direct booking and ours, no double booking


def test_reschedule_onto_a_busy_time_changes_nothing_locally_and_keeps_calcoms_answer(salon, sim):
    appointment = make_salon_appointment(salon)
    busy = slot_start(days_ahead=3)
    book_directly(sim, salon.event_type_id, busy)
    before = state_of(appointment.id)

    result = reschedule(appointment.id, appointment.version, salon.agent, busy)

    assert not result.ok
    assert result.category is ErrorCategory.HOST_CONFLICT
    assert result.message == f"Cal.com refused: {HOST_BUSY}"
    assert state_of(appointment.id) == before
    last = attempts(appointment.id)[-1]
    assert (last.operation, last.response_status, last.succeeded) == (SyncOperation.RESCHEDULE, 400, False)
    assert HOST_BUSY in last.response_body
    [event] = audits(appointment.id, "reschedule_failed")
    assert HOST_BUSY in event.note
    assert booking(sim, before["calcom_booking_uid"])["status"] == "accepted"


@pytest.mark.parametrize("kind", TECHNICAL_FAILURES)
def test_reschedule_that_calcom_does_not_confirm_changes_nothing_locally(salon, sim, kind):
    appointment = make_salon_appointment(salon)
    before = state_of(appointment.id)
    failure_faults(sim, kind)

    result = reschedule(appointment.id, appointment.version, salon.agent, slot_start(days_ahead=4))

    assert not result.ok
    assert result.category in {ErrorCategory.TIMEOUT, ErrorCategory.RATE_LIMITED, ErrorCategory.BAD_RESPONSE}
    assert state_of(appointment.id) == before
    reschedule_attempt = [a for a in attempts(appointment.id) if a.operation is SyncOperation.RESCHEDULE][-1]
    assert reschedule_attempt.succeeded is False
    if kind == "html502":
        assert "<html" in reschedule_attempt.response_body.lower()
    if kind == "rate_limited":
        assert "Too many requests" in reschedule_attempt.response_body
    assert audits(appointment.id, "reschedule_failed")
    assert [b["uid"] for b in active_bookings(sim)] == [before["calcom_booking_uid"]]


def test_reschedule_whose_answer_was_lost_finds_the_new_booking_through_the_old_one(salon, sim):
    appointment = make_salon_appointment(salon)
    sim.admin.set_faults(method="POST", hangAfterCommitSeconds=1.0, count=1)

    result = reschedule(appointment.id, appointment.version, salon.agent, slot_start(days_ahead=4))

    assert result.ok, result.message
    [live] = active_bookings(sim)
    assert result.appointment.calcom_booking_uid == live["uid"]
    assert result.appointment.starts_at == slot_start(days_ahead=4)


def test_reschedule_into_the_past_is_refused_without_asking_calcom(salon, sim, now):
    appointment = make_salon_appointment(salon)
    before, sent = state_of(appointment.id), len(attempts(appointment.id))

    result = reschedule(appointment.id, appointment.version, salon.agent, now - timedelta(hours=2), now=now)

    assert not result.ok
    assert "new_start" in result.field_errors
    assert state_of(appointment.id) == before
    assert len(attempts(appointment.id)) == sent


def test_reschedule_from_a_stale_screen_names_who_changed_it(salon, sim):
    appointment = make_salon_appointment(salon)
    seen = appointment.version
    assert reschedule(appointment.id, seen, salon.other_agent, slot_start(days_ahead=3)).ok

    with pytest.raises(StaleAppointment) as stale:
        reschedule(appointment.id, seen, salon.agent, slot_start(days_ahead=5))

    assert stale.value.changed_by == "Olga Other"
    assert stale.value.changed_at is not None
    assert stale.value.appointment.starts_at == slot_start(days_ahead=3)
    assert len(active_bookings(sim)) == 1
