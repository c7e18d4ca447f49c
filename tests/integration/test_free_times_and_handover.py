"""Free times across everyone who offers the service, weeks ahead; taking a colleague's time moves and reassigns in
one action, leaving one live booking; the contact panel's anonymous caller and the customer's name."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from ops_ui.actions.contact import update_contact
from ops_ui.actions.reassign import reassign, reassign_options
from ops_ui.actions.reschedule import free_slots, next_free_times, reschedule
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.models import Appointment, SyncStatus
from tests.support import factories, records
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.salon import (
    TIME_ZONE,
    Salon,
    active_bookings,
    book_directly,
    booking,
    make_salon_appointment,
    make_synced_salon,
    mark_failed,
    slot_start,
)

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)

ZONE = ZoneInfo(TIME_ZONE)
ANONYMOUS = "anonymous_1712345678_ab12cd"
WHOLE_DAY = 14 * 60
"""06:00–20:00: one booking of this length makes a host busy for the whole opening day."""


@pytest.fixture
def salon(app, sim) -> Salon:
    return make_synced_salon(sim.admin)


@pytest.fixture
def htmx(client: FlaskClient, salon: Salon) -> Any:
    login(client, salon.agent)
    headers = {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}

    class Htmx:
        def get(self, path: str):
            return client.get(path, headers=headers)

        def post(self, path: str, **data: Any):
            return client.post(path, data=data, headers=headers)

    return Htmx()


def book_out(sim: Any, calcom_user_id: int, first_day: int, days: int) -> None:
    """Make a host busy all day for ``days`` days from ``first_day`` days ahead (a whole-day booking each day)."""
    blocker = sim.admin.create_event_type("Urlaub", f"urlaub-{calcom_user_id}-{first_day}", WHOLE_DAY, calcom_user_id)
    for day in range(first_day, first_day + days):
        book_directly(sim, blocker["id"], slot_start(day, time(6)), name="Urlaub")


def ours(sim: Any, appointment_id: int) -> list[dict[str, Any]]:
    return [b for b in active_bookings(sim) if b["metadata"].get(METADATA_KEY) == str(appointment_id)]


def on_the_board(salon: Salon) -> Appointment:
    """A booked appointment whose last sync failed, so the board offers its actions."""
    appointment = make_salon_appointment(salon)
    mark_failed(appointment)
    return records.fresh(appointment.id)


def _offers(appointment: Appointment):
    return next_free_times(appointment, free_slots(appointment)).offers


# --- the next free times -------------------------------------------------------------------------------------------


def test_next_free_times_name_the_colleague_when_the_own_staff_is_booked_out_and_look_beyond_the_first_week(salon, sim):
    appointment = make_salon_appointment(salon, start=slot_start(2), synced=False)
    book_out(sim, salon.staff.calcom_user_id, 2, 10)

    offers = _offers(appointment)

    assert [(offer.staff.id, offer.own) for offer in offers] == [(salon.colleague.id, False)] * 5
    assert offers[0].start == slot_start(2, time(6)).astimezone(ZONE)

    book_out(sim, salon.colleague.calcom_user_id, 2, 10)  # now everybody is booked out for ten days

    offers = _offers(appointment)

    day_twelve = slot_start(12, time(6)).astimezone(ZONE).date()
    assert len(offers) == 5
    assert {offer.start.date() for offer in offers} == {day_twelve}
    assert {offer.staff.id for offer in offers} == {salon.staff.id, salon.colleague.id}
    assert offers[0].own and offers[0].start.time() == time(6)  # the own staff first at the same time


def test_the_reschedule_panel_names_each_colleague_and_their_time_posts_to_the_combined_action(htmx, salon, sim):
    appointment = on_the_board(salon)
    book_out(sim, salon.staff.calcom_user_id, 3, 10)

    body = htmx.get(f"/review/{appointment.id}/reschedule").get_data(as_text=True)

    assert "Next free times with everyone who offers Dauerwelle" in body
    assert "with Mia Wagner (reassigns)" in body
    forms = re.findall(r'<form method="post" action="([^"]+)".*?</form>', body, re.S)
    assert f"/review/{appointment.id}/reassign" in forms


# --- taking a colleague's time -------------------------------------------------------------------------------------


def test_taking_a_colleagues_time_leaves_one_live_booking_on_the_new_host_at_the_new_time(htmx, salon, sim):
    appointment = on_the_board(salon)
    old_uid = appointment.calcom_booking_uid
    new_start = slot_start(3, time(8, 15))

    response = htmx.post(
        f"/review/{appointment.id}/reassign",
        version=appointment.version,
        staff_id=salon.colleague.id,
        start=new_start.astimezone(ZONE).isoformat(),
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    row = records.fresh(appointment.id)
    assert (row.staff_id, row.starts_at, row.sync_status) == (salon.colleague.id, new_start, SyncStatus.SYNCED)
    assert row.ends_at == new_start + timedelta(minutes=135)
    [live] = ours(sim, appointment.id)
    assert live["uid"] == row.calcom_booking_uid != old_uid
    assert live["hosts"][0]["id"] == salon.colleague.calcom_user_id
    assert datetime.fromisoformat(live["start"].replace("Z", "+00:00")) == new_start
    assert booking(sim, old_uid)["status"] == "cancelled"


def test_an_unsynced_appointment_taken_with_a_colleague_is_booked_there(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    new_start = slot_start(4, time(12, 45))

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id, new_start=new_start)

    assert result.ok, result.message
    assert "with Mia Wagner" in result.message
    [live] = ours(sim, appointment.id)
    assert (live["uid"], live["eventTypeId"]) == (result.appointment.calcom_booking_uid, salon.colleague_event_type_id)
    assert (result.appointment.staff_id, result.appointment.starts_at) == (salon.colleague.id, new_start)


def test_a_colleague_busy_at_the_picked_time_is_refused_before_any_write(salon, sim):
    appointment = make_salon_appointment(salon)
    taken = slot_start(3, time(8, 15))
    book_directly(sim, salon.colleague_event_type_id, taken)
    before = records.state_of(appointment.id)

    result = reassign(appointment.id, appointment.version, salon.agent, salon.colleague.id, new_start=taken)

    assert not result.ok and "not free at this time" in result.field_errors["staff_id"]
    assert records.state_of(appointment.id) == before
    assert [b["uid"] for b in ours(sim, appointment.id)] == [appointment.calcom_booking_uid]


def test_a_lost_cancel_of_the_old_booking_ends_with_one_live_booking_on_the_new_host_after_the_next_action(salon, sim):
    appointment = make_salon_appointment(salon)
    old_uid = appointment.calcom_booking_uid
    # Every request about the old booking fails (its cancel and the look-up after it); the new booking is made.
    sim.admin.set_faults(pathPrefix=f"/v2/bookings/{old_uid}", status=500, count=50)

    first = reassign(
        appointment.id, appointment.version, salon.agent, salon.colleague.id, new_start=slot_start(3, time(8, 15))
    )

    sim.admin.clear_faults()
    assert first.ok, first.message
    assert "did not confirm that the old booking" in first.warning
    row = records.fresh(appointment.id)
    assert row.staff_id == salon.colleague.id and row.uncertain_request is not None
    assert {b["uid"] for b in ours(sim, appointment.id)} == {old_uid, row.calcom_booking_uid}

    second = reschedule(appointment.id, row.version, salon.agent, slot_start(3, time(12, 45)))

    assert second.ok, second.message
    row = records.fresh(appointment.id)
    [live] = ours(sim, appointment.id)
    assert live["uid"] == row.calcom_booking_uid
    assert live["hosts"][0]["id"] == salon.colleague.calcom_user_id
    assert datetime.fromisoformat(live["start"].replace("Z", "+00:00")) == slot_start(3, time(12, 45))
    assert booking(sim, old_uid)["status"] == "cancelled"
    assert row.uncertain_request is None and row.sync_status is SyncStatus.SYNCED


# --- a busy colleague's next free time ------------------------------------------------------------------------------


def test_a_busy_colleague_shows_their_next_free_time_and_taking_it_moves_and_reassigns(htmx, salon, sim):
    appointment = on_the_board(salon)
    book_out(sim, salon.colleague.calcom_user_id, 2, 9)

    [option] = reassign_options(appointment)

    assert not option.free
    assert option.next_free == slot_start(11, time(6)).astimezone(ZONE)  # beyond the first week
    body = htmx.get(f"/review/{appointment.id}/reassign").get_data(as_text=True)
    assert "busy — next free" in body
    take = re.search(r'<button type="submit" name="start" value="([^"]+)"[^>]*>Take ([^<]+) with Mia Wagner', body)
    assert take and datetime.fromisoformat(take.group(1)) == option.next_free

    response = htmx.post(
        f"/review/{appointment.id}/reassign",
        version=appointment.version,
        staff_id=salon.colleague.id,
        start=take.group(1),
    )

    assert response.status_code == 200
    row = records.fresh(appointment.id)
    assert (row.staff_id, row.starts_at) == (salon.colleague.id, slot_start(11, time(6)))
    [live] = ours(sim, appointment.id)
    assert live["hosts"][0]["id"] == salon.colleague.calcom_user_id


def test_an_offered_start_that_is_not_a_time_is_a_422(htmx, salon, sim):
    appointment = on_the_board(salon)
    before = records.state_of(appointment.id)

    response = htmx.post(
        f"/review/{appointment.id}/reassign", version=appointment.version, staff_id=salon.colleague.id, start="soon"
    )

    assert response.status_code == 422
    assert "Pick one of the free times." in response.get_data(as_text=True)
    assert records.state_of(appointment.id) == before


# --- the contact panel ---------------------------------------------------------------------------------------------


def _anonymous_caller(salon: Salon) -> Appointment:
    customer = factories.make_customer(salon.company, "Anonymer Anrufer", email=None, phone=ANONYMOUS)
    appointment = factories.make_appointment(customer, salon.service, salon.staff, slot_start(3))
    sync_appointment(appointment)
    return records.fresh(appointment.id)


def test_the_contact_panel_shows_an_anonymous_caller_as_such_and_does_not_offer_the_id_as_phone(htmx, salon, sim):
    appointment = _anonymous_caller(salon)

    body = htmx.get(f"/review/{appointment.id}/contact").get_data(as_text=True)

    panel = body[body.index(f'id="appt-{appointment.id}-panel-contact"') :]
    assert "Anonymous caller — no number transmitted." in panel
    assert ANONYMOUS not in panel  # the row names the caller id; the panel does not offer it
    phone = re.search(rf'<input[^>]*id="appt-{appointment.id}-phone"[^>]*>', body)
    assert phone and 'value=""' in phone.group(0)
    name = re.search(rf'<input[^>]*id="appt-{appointment.id}-name"[^>]*>', body)
    assert name and 'value="Anonymer Anrufer"' in name.group(0)


def test_the_corrected_name_reaches_the_booking_and_the_caller_id_is_kept(htmx, salon, sim):
    appointment = _anonymous_caller(salon)

    response = htmx.post(
        f"/review/{appointment.id}/contact",
        version=appointment.version,
        name="  Erika Muster ",
        email="erika@kunden-mail.de",
        phone="",
        and_retry="1",
    )

    assert response.status_code == 200
    row = records.fresh(appointment.id)
    assert row.sync_status is SyncStatus.SYNCED
    assert (row.customer.name, row.customer.phone) == ("Erika Muster", ANONYMOUS)
    [live] = ours(sim, appointment.id)
    assert live["attendees"][0]["name"] == "Erika Muster"


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "Give the customer's name."), ("Erika\x07 Muster", "control characters"), ("E" * 201, "200")],
)
def test_an_unusable_name_is_a_422_with_the_field_error_and_nothing_saved(htmx, salon, sim, name, problem):
    appointment = _anonymous_caller(salon)
    before = records.state_of(appointment.id)

    response = htmx.post(
        f"/review/{appointment.id}/contact", version=appointment.version, name=name, email="erika@kunden-mail.de"
    )

    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f'id="appt-{appointment.id}-name-error"' in body and problem in body
    assert records.state_of(appointment.id) == before
    assert records.fresh(appointment.id).customer.name == "Anonymer Anrufer"


def test_renaming_a_booked_customer_says_cal_com_keeps_the_old_name(salon, sim):
    appointment = make_salon_appointment(salon, name="Anonymer Anrufer")

    result = update_contact(
        appointment.id, appointment.version, salon.agent, "erika@kunden-mail.de", None, name="Erika Muster"
    )

    assert result.ok, result.message
    assert "keeps the name 'Anonymer Anrufer'" in result.warning
    assert records.fresh(appointment.id).customer.name == "Erika Muster"


def test_renaming_a_booked_customer_found_by_name_only_is_refused(salon, sim):
    appointment = make_salon_appointment(salon, name="Erika Muster", email=None, phone="+491701234567")

    result = update_contact(appointment.id, appointment.version, salon.agent, None, "+491701234567", name="Erika M.")

    assert not result.ok and "finds this customer's bookings by name" in result.field_errors["name"]
    assert records.fresh(appointment.id).customer.name == "Erika Muster"
