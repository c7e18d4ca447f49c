"""Every Cal.com write whose answer is lost — a hang, a 500 or a dropped connection after Cal.com committed — ends
with exactly one live booking for the appointment: adopted at once when the look-up works, and settled by the
agent's next action when the look-up failed too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from ops_ui.actions.cancel import cancel
from ops_ui.actions.contact import update_contact
from ops_ui.actions.reassign import reassign
from ops_ui.actions.reschedule import reschedule
from ops_ui.actions.retry import retry_sync
from ops_ui.engine.claims import BeingChanged, OutcomeNotStored, claim
from ops_ui.engine.writes import METADATA_KEY, Verdict, Writer
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncOperation, SyncStatus
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.records import attempts, fresh
from tests.support.salon import active_bookings, make_salon_appointment, make_synced_salon, mark_failed, slot_start

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)

LOST_ANSWERS = {
    "hang": {"hangAfterCommitSeconds": 1.0},
    "500": {"statusAfterCommit": 500},
    "drop": {"dropAfterCommit": True},
}


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def lose_the_write(sim: Any, mode: str) -> None:
    """Cal.com commits the next write, but its answer never arrives; the look-up after it works."""
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", count=1, **LOST_ANSWERS[mode])


def lose_every_answer(sim: Any, mode: str) -> None:
    """Cal.com commits what it is asked, and no answer arrives: the write and every look-up after it."""
    sim.admin.set_faults(pathPrefix="/v2/bookings", count=50, **LOST_ANSWERS[mode])


def ours(sim: Any, appointment_id: int) -> list[dict[str, Any]]:
    return [b for b in active_bookings(sim) if b["metadata"].get(METADATA_KEY) == str(appointment_id)]


def assert_one_live_booking_matching(sim: Any, appointment_id: int) -> None:
    row = fresh(appointment_id)
    [live] = ours(sim, appointment_id)
    assert live["uid"] == row.calcom_booking_uid
    assert datetime.fromisoformat(live["start"].replace("Z", "+00:00")) == row.starts_at
    assert row.sync_status is SyncStatus.SYNCED and row.uncertain_request is None


# --- the look-up after the lost answer works: what Cal.com made is adopted ----------------------------------------


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_retry_whose_create_answer_is_lost_adopts_the_booking_instead_of_booking_twice(salon, sim, mode):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    lose_the_write(sim, mode)

    result = retry_sync(appointment.id, fresh(appointment.id).version, salon.agent)

    assert result.ok, result.message
    assert_one_live_booking_matching(sim, appointment.id)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_reschedule_whose_answer_is_lost_adopts_the_moved_booking(salon, sim, mode):
    appointment = make_salon_appointment(salon)
    target = slot_start(3)
    lose_the_write(sim, mode)

    result = reschedule(appointment.id, appointment.version, salon.agent, target)

    assert result.ok, result.message
    assert fresh(appointment.id).starts_at == target
    assert_one_live_booking_matching(sim, appointment.id)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_reassign_whose_create_answer_is_lost_adopts_it_and_cancels_the_old_booking(salon, sim, mode):
    appointment = make_salon_appointment(salon)
    lose_the_write(sim, mode)

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    assert result.ok, result.message
    assert fresh(appointment.id).staff_id == salon.colleague.id
    assert_one_live_booking_matching(sim, appointment.id)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_cancel_whose_answer_is_lost_is_confirmed_by_the_look_up(salon, sim, mode):
    appointment = make_salon_appointment(salon)
    lose_the_write(sim, mode)

    result = cancel(appointment.id, appointment.version, salon.agent, "duplicate")

    assert result.ok, result.message
    assert fresh(appointment.id).status is AppointmentStatus.CANCELLED
    assert ours(sim, appointment.id) == []


# --- the look-up fails too: the appointment is uncertain, and the next action settles it first --------------------


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_lost_create_then_the_agents_next_pick_leaves_one_booking_at_the_new_time(salon, sim, mode):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    lose_every_answer(sim, mode)

    first = reschedule(appointment.id, fresh(appointment.id).version, salon.agent, slot_start(3))

    sim.admin.clear_faults()
    assert not first.ok and "marked uncertain" in first.message
    assert fresh(appointment.id).uncertain_request is not None
    assert len(ours(sim, appointment.id)) == 1  # Cal.com did book, we could not see it

    second = reschedule(appointment.id, fresh(appointment.id).version, salon.agent, slot_start(4))

    assert second.ok, second.message
    assert fresh(appointment.id).starts_at == slot_start(4)
    assert_one_live_booking_matching(sim, appointment.id)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_lost_move_of_a_booking_then_another_move_adopts_the_moved_booking_first(salon, sim, mode):
    appointment = make_salon_appointment(salon)
    lose_every_answer(sim, mode)

    first = reschedule(appointment.id, appointment.version, salon.agent, slot_start(3))

    sim.admin.clear_faults()
    assert not first.ok and fresh(appointment.id).uncertain_request is not None
    [moved] = ours(sim, appointment.id)
    assert moved["uid"] != appointment.calcom_booking_uid  # Cal.com moved it; we could not see where

    second = reschedule(appointment.id, fresh(appointment.id).version, salon.agent, slot_start(4))

    assert second.ok, second.message
    assert "Cal.com keeps booking " + moved["uid"] in second.message
    assert fresh(appointment.id).starts_at == slot_start(4)
    assert_one_live_booking_matching(sim, appointment.id)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_lost_reassign_then_a_retry_keeps_the_recorded_booking_and_cancels_the_other(salon, sim, mode):
    appointment = make_salon_appointment(salon)
    kept = appointment.calcom_booking_uid
    lose_every_answer(sim, mode)

    first = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    sim.admin.clear_faults()
    assert not first.ok
    assert len(ours(sim, appointment.id)) == 2  # the colleague's new booking exists beside the old one

    second = retry_sync(appointment.id, fresh(appointment.id).version, salon.agent)

    assert second.ok, second.message
    assert fresh(appointment.id).calcom_booking_uid == kept
    assert_one_live_booking_matching(sim, appointment.id)


@pytest.mark.parametrize("mode", LOST_ANSWERS)
def test_a_lost_cancel_then_cancelling_again_finds_it_done_and_cancels_locally(salon, sim, mode):
    appointment = make_salon_appointment(salon)
    lose_every_answer(sim, mode)

    first = cancel(appointment.id, appointment.version, salon.agent, "duplicate")

    sim.admin.clear_faults()
    assert not first.ok
    assert fresh(appointment.id).status is AppointmentStatus.SCHEDULED
    assert ours(sim, appointment.id) == []

    second = cancel(appointment.id, fresh(appointment.id).version, salon.agent, "duplicate")

    assert second.ok, second.message
    row = fresh(appointment.id)
    assert row.status is AppointmentStatus.CANCELLED and row.uncertain_request is None
    assert ours(sim, appointment.id) == []


def test_while_the_look_up_still_fails_nothing_else_is_sent(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    lose_every_answer(sim, "500")
    reschedule(appointment.id, fresh(appointment.id).version, salon.agent, slot_start(3))
    posts = [a for a in attempts(appointment.id) if a.method == "POST"]

    again = reschedule(appointment.id, fresh(appointment.id).version, salon.agent, slot_start(4))

    assert not again.ok and again.message.startswith("An earlier request to Cal.com was never answered")
    assert [a for a in attempts(appointment.id) if a.method == "POST"] == posts
    assert fresh(appointment.id).uncertain_request is not None


# --- a process that dies, a commit that fails, a deadline that runs out -------------------------------------------


def test_a_claim_left_by_a_dead_process_blocks_until_it_expires_and_is_then_settled_by_a_look_up(salon, sim, now):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    lose_every_answer(sim, "drop")
    dying = Writer(claim(fresh(appointment.id), fresh(appointment.id).version, salon.other_agent), SyncOperation.CREATE)
    assert dying.create(salon.event_type_id, appointment.starts_at).verdict is Verdict.UNCERTAIN
    sim.admin.clear_faults()  # ... and the process dies here, before storing anything

    with pytest.raises(BeingChanged) as busy:
        retry_sync(appointment.id, fresh(appointment.id).version, salon.agent)
    assert busy.value.holder == salon.other_agent.name

    db.session.execute(  # the claim's time runs out
        update(Appointment).where(Appointment.id == appointment.id).values(claim_expires_at=now - timedelta(days=1))
    )
    db.session.commit()
    result = retry_sync(appointment.id, fresh(appointment.id).version, salon.agent)

    assert result.ok, result.message
    assert_one_live_booking_matching(sim, appointment.id)
    assert fresh(appointment.id).claim_token is None


def test_a_row_loaded_before_another_writer_left_an_unanswered_create_is_settled_not_booked_twice(app, salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    screen = fresh(appointment.id)  # loaded before the other writer came and went; its version stays current
    lose_every_answer(sim, "drop")
    with app.app_context():  # another process: its create's answer is lost, and so is the look-up after it
        other = Writer(claim(fresh(appointment.id), screen.version, salon.other_agent), SyncOperation.CREATE)
        assert other.create(salon.event_type_id, appointment.starts_at).verdict is Verdict.UNCERTAIN
        other.finish(lambda row: [])
    sim.admin.clear_faults()
    assert screen.uncertain_request is None

    result = retry_sync(appointment.id, screen.version, salon.agent)

    assert result.ok, result.message
    assert_one_live_booking_matching(sim, appointment.id)


@contextmanager
def database_refusing_cancellation() -> Iterator[None]:
    """The database refuses to store a cancelled status, as a full disk or a broken constraint would."""
    if db.engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_cancel() RETURNS trigger AS $$ BEGIN IF NEW.status = 'cancelled' THEN "
            "RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_cancel BEFORE UPDATE ON appointment FOR EACH ROW EXECUTE FUNCTION refuse_cancel()",
        ]
        drop = ["DROP TRIGGER refuse_cancel ON appointment", "DROP FUNCTION refuse_cancel()"]
    else:
        create = [
            "CREATE TRIGGER refuse_cancel BEFORE UPDATE OF status ON appointment "
            "WHEN NEW.status = 'cancelled' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ]
        drop = ["DROP TRIGGER refuse_cancel"]
    for statement in create:
        db.session.execute(text(statement))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        for statement in drop:
            db.session.execute(text(statement))
        db.session.commit()


def test_a_local_failure_after_cal_com_agreed_is_never_silent_and_the_next_action_repairs_it(salon, sim):
    appointment = make_salon_appointment(salon)
    uid = appointment.calcom_booking_uid

    with database_refusing_cancellation(), pytest.raises(OutcomeNotStored):
        cancel(appointment.id, appointment.version, salon.agent, "duplicate")

    row = fresh(appointment.id)
    assert ours(sim, appointment.id) == []  # Cal.com did cancel
    assert row.status is AppointmentStatus.SCHEDULED and row.claim_token is None
    assert row.uncertain_request is not None and uid in row.uncertain_request
    assert row.sync_status is SyncStatus.FAILED  # on the board, for a person or the next action
    assert [(a.operation, a.succeeded) for a in attempts(appointment.id)][-1] == (SyncOperation.CANCEL, True)

    again = cancel(appointment.id, fresh(appointment.id).version, salon.agent, "duplicate")

    assert again.ok, again.message
    assert fresh(appointment.id).status is AppointmentStatus.CANCELLED


def test_an_action_against_a_hanging_cal_com_ends_within_its_deadline(app, salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    app.config |= {"ACTION_DEADLINE_SECONDS": 1.2, "CALCOM_TIMEOUT_SECONDS": 0.8}
    sim.admin.set_faults(pathPrefix="/v2", hangSeconds=5)

    started = time.monotonic()
    result = reschedule(appointment.id, fresh(appointment.id).version, salon.agent, slot_start(3))
    took = time.monotonic() - started

    sim.admin.clear_faults()
    assert not result.ok and "marked uncertain" in result.message
    assert took < 1.2 + 0.5
    lookups = [a for a in attempts(appointment.id) if a.operation is SyncOperation.LOOKUP and a.method == "GET"]
    assert len(lookups) == 1  # the GET retries were cut by the deadline, not sent


def test_the_agent_sees_a_plain_message_not_a_500_when_storing_fails_after_cal_com_agreed(client, salon, sim):
    appointment = make_salon_appointment(salon)
    login(client, salon.agent)
    headers = {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}

    with database_refusing_cancellation():
        response = client.post(
            f"/review/{appointment.id}/cancel",
            data={"version": appointment.version, "reason_code": "duplicate"},
            headers=headers,
        )

    assert response.status_code == 200
    assert "saving the result here failed" in response.get_data(as_text=True)
    assert fresh(appointment.id).uncertain_request is not None


def test_a_failed_action_and_the_panel_shown_after_it_end_within_one_deadline(client, salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    login(client, salon.agent)
    headers = {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}
    # The claim's commits before the create are fsyncs, which a busy disk can stall for more than a second; the
    # create must still be sent for its lost answer to be tested. The look-up after it gets the last second, and the
    # panel finds no time left.
    client.application.config |= {"ACTION_DEADLINE_SECONDS": 3.0, "CALCOM_TIMEOUT_SECONDS": 2.0}
    sim.admin.set_faults(pathPrefix="/v2", hangSeconds=6)

    started = time.monotonic()
    response = client.post(
        f"/review/{appointment.id}/reschedule",
        data={"version": appointment.version, "start": slot_start(3).isoformat()},
        headers=headers,
    )
    took = time.monotonic() - started

    sim.admin.clear_faults()
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "marked uncertain" in body and "Could not list free times" in body
    assert took < 3.0 + 0.5  # the panel's slots request was not sent after the deadline


def test_reassign_tells_cal_com_not_answering_apart_from_a_busy_colleague(app, salon, sim):
    appointment = make_salon_appointment(salon)
    app.config["CALCOM_TIMEOUT_SECONDS"] = 0.3
    sim.admin.set_faults(method="GET", pathPrefix="/v2/slots", hangSeconds=2)

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id)

    sim.admin.clear_faults()
    assert not result.ok and not result.field_errors
    assert result.message.startswith("Could not check whether Mia Wagner is free: Cal.com did not answer within")
    assert "HTTPConnectionPool" not in result.message
    assert [b["uid"] for b in ours(sim, appointment.id)] == [appointment.calcom_booking_uid]


def test_a_contact_change_settles_an_unanswered_create_first_so_its_booking_is_still_found(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    mark_failed(appointment)
    lose_every_answer(sim, "500")
    retry_sync(appointment.id, fresh(appointment.id).version, salon.agent)
    sim.admin.clear_faults()
    [made] = ours(sim, appointment.id)  # booked under the old e-mail, which the look-up searches by

    saved = update_contact(appointment.id, fresh(appointment.id).version, salon.agent, "neu@kunden-mail.de", None)
    retried = retry_sync(appointment.id, fresh(appointment.id).version, salon.agent)

    assert saved.ok and "Cal.com keeps booking" in saved.message
    assert retried.ok, retried.message
    assert [b["uid"] for b in ours(sim, appointment.id)] == [made["uid"]]
    assert fresh(appointment.id).calcom_booking_uid == made["uid"]
