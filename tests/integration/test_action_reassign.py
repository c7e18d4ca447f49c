"""Reassigning against the Cal.com simulator: round-robin handover, or new booking first and old one cancelled."""

from __future__ import annotations

from datetime import time

import pytest

from ops_ui.actions.reassign import reassign, reassign_options
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.claims import StaleAppointment
from ops_ui.extensions import db
from ops_ui.models import SyncOperation, SyncStatus
from tests.support import factories
from tests.support.records import attempts, audits, state_of
from tests.support.salon import (
    LENGTH,
    OPENING_HOURS,
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

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def _round_robin_service(salon, sim):
    """A service booked through one round-robin team type whose hosts are both staff members."""
    service = factories.make_service(salon.company, "Farbe", LENGTH)
    team = sim.admin.create_event_type(
        "Farbe im Team", "farbe-team", LENGTH, salon.staff.calcom_user_id,
        host_ids=[salon.staff.calcom_user_id, salon.colleague.calcom_user_id],
    )  # fmt: skip
    for staff in (salon.staff, salon.colleague):
        factories.map_event_type(service, staff, team["id"])
    return service, team["id"]


def test_options_list_other_active_staff_with_free_busy_and_the_same_person_twice(salon, sim):
    appointment = make_salon_appointment(salon)
    duplicate = factories.make_staff(salon.company, "Fabian S. (alt)", calcom_user_id=salon.staff.calcom_user_id)
    factories.map_event_type(salon.service, duplicate, salon.event_type_id)
    retired = factories.make_staff(salon.company, "Ex Kollegin", calcom_user_id=None)
    retired.active = False
    db.session.commit()
    factories.map_event_type(salon.service, retired, salon.colleague_event_type_id)

    options = {option.staff.id: option for option in reassign_options(appointment)}

    assert set(options) == {salon.colleague.id, duplicate.id}
    assert options[salon.colleague.id].free
    assert options[salon.colleague.id].event_type_id == salon.colleague_event_type_id
    assert (options[duplicate.id].free, options[duplicate.id].same_person) == (False, True)

    book_directly(sim, salon.colleague_event_type_id, appointment.starts_at)
    [colleague] = [o for o in reassign_options(appointment) if o.staff.id == salon.colleague.id]
    assert not colleague.free


def test_reassign_without_a_booking_books_the_new_staff_and_moves_the_appointment(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    assert result.ok, result.message
    fresh = result.appointment
    assert (fresh.staff_id, fresh.sync_status) == (salon.colleague.id, SyncStatus.SYNCED)
    [live] = active_bookings(sim)
    assert live["uid"] == fresh.calcom_booking_uid
    assert live["eventTypeId"] == salon.colleague_event_type_id
    assert live["hosts"][0]["id"] == salon.colleague.calcom_user_id
    [event] = audits(appointment.id, "reassign")
    assert (event.before["staff_id"], event.after["staff_id"]) == (salon.staff.id, salon.colleague.id)


def test_reassign_between_individual_types_books_the_new_one_first_then_cancels_the_old(salon, sim):
    appointment = make_salon_appointment(salon)
    old_uid = appointment.calcom_booking_uid

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id, reason="Fabian krank")

    assert result.ok, result.message
    assert result.warning is None
    fresh = result.appointment
    assert fresh.staff_id == salon.colleague.id
    assert fresh.calcom_booking_uid != old_uid
    assert booking(sim, old_uid)["status"] == "cancelled"
    [live] = active_bookings(sim)
    assert (live["uid"], live["hosts"][0]["id"]) == (fresh.calcom_booking_uid, salon.colleague.calcom_user_id)
    operations = [a.operation for a in attempts(appointment.id)]
    assert operations[-2:] == [SyncOperation.CREATE, SyncOperation.CANCEL]


def test_reassign_of_a_round_robin_booking_hands_the_same_uid_to_the_new_host(salon, sim):
    service, team_id = _round_robin_service(salon, sim)
    customer = factories.make_customer(salon.company)
    appointment = factories.make_appointment(customer, service, salon.staff, slot_start())
    assert sync_appointment(appointment).synced
    uid = appointment.calcom_booking_uid
    assert booking(sim, uid)["hosts"][0]["id"] == salon.staff.calcom_user_id

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    assert result.ok, result.message
    assert result.appointment.calcom_booking_uid == uid
    assert result.appointment.staff_id == salon.colleague.id
    [live] = active_bookings(sim)
    assert (live["uid"], live["hosts"][0]["id"], live["eventTypeId"]) == (
        uid,
        salon.colleague.calcom_user_id,
        team_id,
    )
    assert attempts(appointment.id)[-1].operation is SyncOperation.REASSIGN


def test_reassign_to_a_colleague_cal_com_shows_busy_is_refused_before_any_write(salon, sim):
    appointment = make_salon_appointment(salon)
    book_directly(sim, salon.colleague_event_type_id, appointment.starts_at)
    before = state_of(appointment.id)

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    assert not result.ok
    assert "not free at this time" in result.field_errors["staff_id"]
    assert state_of(appointment.id) == before
    assert booking(sim, before["calcom_booking_uid"])["status"] == "accepted"
    assert [a.method for a in attempts(appointment.id) if a.operation is not SyncOperation.CREATE] == ["GET"]


@pytest.mark.parametrize("kind", TECHNICAL_FAILURES)
def test_reassign_that_calcom_does_not_confirm_changes_nothing_locally(salon, sim, kind):
    appointment = make_salon_appointment(salon)
    before = state_of(appointment.id)
    failure_faults(sim, kind)

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    assert not result.ok
    assert state_of(appointment.id) == before
    assert [b["uid"] for b in active_bookings(sim)] == [before["calcom_booking_uid"]]
    create = [a for a in attempts(appointment.id) if a.operation is SyncOperation.CREATE][-1]
    assert create.succeeded is False
    if kind != "timeout":
        assert create.response_body


def test_when_the_old_booking_cannot_be_cancelled_the_new_one_is_kept_and_the_old_uid_is_named(salon, sim):
    appointment = make_salon_appointment(salon)
    old_uid = appointment.calcom_booking_uid
    failure_faults(sim, "html502", path_prefix=f"/v2/bookings/{old_uid}/cancel")

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    assert result.ok
    assert old_uid in result.warning and "still needs cancelling" in result.message
    assert result.appointment.staff_id == salon.colleague.id
    assert result.appointment.calcom_booking_uid != old_uid
    assert {b["uid"] for b in active_bookings(sim)} == {old_uid, result.appointment.calcom_booking_uid}
    [loud] = audits(appointment.id, "cancel_old_booking_failed")
    assert old_uid in loud.note
    cancel = [a for a in attempts(appointment.id) if a.operation is SyncOperation.CANCEL][-1]
    assert cancel.response_status == 502


@pytest.mark.parametrize("who", ["the same person twice", "someone without an event type", "the current staff"])
def test_reassign_refuses_staff_who_cannot_take_it_without_asking_calcom(salon, sim, who):
    appointment = make_salon_appointment(salon)
    if who == "the same person twice":
        staff = factories.make_staff(salon.company, "Fabian S. (alt)", calcom_user_id=salon.staff.calcom_user_id)
        factories.map_event_type(salon.service, staff, salon.event_type_id)
    elif who == "someone without an event type":
        staff = factories.make_staff(salon.company, "Neu im Team", calcom_user_id=None)
    else:
        staff = salon.staff
    before, sent = state_of(appointment.id), len(attempts(appointment.id))

    result = reassign(appointment.id, appointment.version, salon.agent, staff.id)

    assert not result.ok and "staff_id" in result.field_errors
    assert len(attempts(appointment.id)) == sent
    assert state_of(appointment.id) == before


def test_reassign_from_a_stale_screen_names_the_sync_engine(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    seen = appointment.version
    sync_appointment(appointment)

    with pytest.raises(StaleAppointment) as stale:
        reassign(appointment.id, seen, salon.agent, salon.colleague.id)
    assert stale.value.changed_by == "the sync engine"


def test_off_the_slot_grid_whoever_is_shown_free_is_accepted_and_whoever_is_shown_busy_is_refused(salon, sim):
    busy_host = sim.admin.create_user("Lena Busy", "lena@salon.test", time_zone=TIME_ZONE, working_hours=OPENING_HOURS)
    busy_type = sim.admin.create_event_type("Dauerwelle bei Lena", "dauerwelle-lena", LENGTH, busy_host["id"])
    busy_staff = factories.make_staff(salon.company, "Lena Busy", calcom_user_id=busy_host["id"])
    factories.map_event_type(salon.service, busy_staff, busy_type["id"])
    off_grid = slot_start(2, time(9, 0))  # the grid is 06:00, 08:15, 10:30 …: 09:00 is between two slots
    book_directly(sim, busy_type["id"], slot_start(2, time(10, 30)))  # Lena is busy from 10:30, inside 09:00–11:15
    appointment = make_salon_appointment(salon, start=off_grid)

    shown = {option.staff.id: option.free for option in reassign_options(appointment)}

    assert shown == {salon.colleague.id: True, busy_staff.id: False}
    refused = reassign(appointment.id, appointment.version, salon.agent, busy_staff.id)
    assert not refused.ok and "not free at this time" in refused.field_errors["staff_id"]
    accepted = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)
    assert accepted.ok, accepted.message
    assert state_of(appointment.id)["staff_id"] == salon.colleague.id
