"""The phone agent's intake: requests signed as the platform signs them, answered in German, and a call confirmed
only once its appointment exists here and in Cal.com (the simulator, over loopback)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentSource, AppointmentStatus, Call, IntakeRequest, SyncStatus
from tests.support.phone_agent import ANONYMOUS, PhoneAgent, new_call_id, phone_salon
from tests.support.records import fresh
from tests.support.salon import Salon, active_bookings, book_directly, slot_start

pytestmark = pytest.mark.calcom_simulator

CUSTOMER = {"name": "Erika Muster", "service": "Dauerwelle"}


@pytest.fixture
def salon(app: Flask, sim: Any) -> Salon:
    return phone_salon(sim.admin)


@pytest.fixture
def agent(client: FlaskClient, salon: Salon) -> PhoneAgent:
    return PhoneAgent(client, new_call_id())


def _call(call_id: str) -> Call:
    statement = select(Call).where(Call.external_call_id == call_id).execution_options(populate_existing=True)
    return db.session.scalars(statement).one()


def _appointments() -> list[Appointment]:
    statement = select(Appointment).order_by(Appointment.id).execution_options(populate_existing=True)
    return list(db.session.scalars(statement))


def _ours(sim: Any) -> list[dict[str, Any]]:
    return [b for b in active_bookings(sim) if "syncDeskAppointmentId" in (b.get("metadata") or {})]


def test_free_times_come_from_calcoms_slots_as_data_and_as_a_german_sentence(agent: PhoneAgent, salon: Salon, sim):
    start = slot_start(days_ahead=3)
    book_directly(sim, salon.event_type_id, start)  # Fabian is busy at 10:30, Mia is not

    answer = agent.ask("check_availability", service="Dauerwelle", staff="Fabian Spitzer", date=_local_day(start))

    assert answer["status"] == "available" and answer["confirmed"] is False
    starts = [datetime.fromisoformat(slot["start"]) for slot in answer["slots"]]
    assert starts and start not in starts
    assert all(slot["staff"] == ["Fabian Spitzer"] for slot in answer["slots"])
    assert answer["message"].startswith("Frei ist am ") and " Uhr" in answer["message"]
    assert _german_weekday(start) in answer["message"]

    everyone = agent.ask("check_availability", service="dauerwelle", date=_local_day(start))
    [at_half_past_ten] = [slot for slot in everyone["slots"] if datetime.fromisoformat(slot["start"]) == start]
    assert at_half_past_ten["staff"] == ["Mia Wagner"]


def test_a_person_with_two_staff_records_is_named_once_per_free_time(agent: PhoneAgent, salon: Salon, sim):
    from tests.support import factories

    again = factories.make_staff(salon.company, salon.staff.name, calcom_user_id=salon.staff.calcom_user_id)
    factories.map_event_type(salon.service, again, salon.event_type_id)

    answer = agent.ask("check_availability", service="Dauerwelle", date=_local_day(slot_start()))

    assert answer["slots"] and all(len(slot["staff"]) == len(set(slot["staff"])) for slot in answer["slots"])
    assert any(slot["staff"] == ["Fabian Spitzer", "Mia Wagner"] for slot in answer["slots"])


def test_a_booking_is_confirmed_only_with_its_appointment_here_and_in_calcom(agent: PhoneAgent, salon: Salon, sim):
    start = slot_start(days_ahead=2)

    answer = agent.ask("book_appointment", **CUSTOMER, start=_iso(start), email="erika@kunden-mail.de")

    assert answer["status"] == "booked" and answer["confirmed"] is True
    assert "Ihr Termin ist eingetragen: Dauerwelle am " in answer["message"] and "10:30 Uhr" in answer["message"]
    [appointment] = _appointments()
    assert appointment.sync_status is SyncStatus.SYNCED and appointment.source is AppointmentSource.VOICE_AGENT
    assert (appointment.starts_at, appointment.customer.phone) == (start, "+4915112345678")
    call = _call(agent.call_id)
    assert (call.booking_confirmed, call.appointment_id, call.booking_error) == (True, appointment.id, None)
    assert [b["uid"] for b in _ours(sim)] == [appointment.calcom_booking_uid]


def test_an_anonymous_caller_is_asked_for_an_e_mail_and_nothing_is_booked(client: FlaskClient, salon: Salon, sim):
    agent = PhoneAgent(client, new_call_id(), caller=ANONYMOUS)

    answer = agent.ask("book_appointment", **CUSTOMER, start=_iso(slot_start()))

    assert answer["status"] == "needs_email" and answer["confirmed"] is False
    assert "E-Mail-Adresse" in answer["message"] and "Nummer wird nicht übertragen" in answer["message"]
    assert _appointments() == [] and _ours(sim) == []
    assert _call(agent.call_id).booking_confirmed is False

    answer = agent.ask("book_appointment", **CUSTOMER, start=_iso(slot_start()), email="erika@kunden-mail.de")
    assert answer["status"] == "booked"
    [appointment] = _appointments()
    assert (appointment.customer.email, appointment.customer.phone) == ("erika@kunden-mail.de", None)


def test_the_same_customer_service_and_start_is_answered_with_the_existing_appointment(
    client: FlaskClient, salon: Salon, sim
):
    start = slot_start()
    first = PhoneAgent(client, new_call_id()).ask("book_appointment", **CUSTOMER, start=_iso(start))
    again = PhoneAgent(client, new_call_id())  # the caller rings again and asks for the same

    answer = again.ask("book_appointment", **CUSTOMER, start=_iso(start), staff="Fabian Spitzer")

    assert answer["status"] == "already_booked" and answer["confirmed"] is True
    assert answer["appointment_id"] == first["appointment_id"] and "schon" in answer["message"]
    assert len(_appointments()) == 1 and len(_ours(sim)) == 1
    assert _call(again.call_id).appointment_id == first["appointment_id"]


def test_a_retried_request_gets_the_first_answer_and_books_nothing_twice(agent: PhoneAgent, salon: Salon, sim):
    args = dict(CUSTOMER, start=_iso(slot_start()), phone="0151 12345678")

    first = agent.ask("book_appointment", **args)
    retried = agent.ask("book_appointment", **args)

    assert retried == first and first["status"] == "booked"
    assert len(_appointments()) == 1 and len(_ours(sim)) == 1
    assert db.session.scalar(select(func.count(IntakeRequest.id))) == 1


def test_a_lost_answer_from_calcom_is_looked_up_and_the_retry_hears_the_same(agent: PhoneAgent, salon: Salon, sim):
    """Cal.com books but its answer never arrives (the client gives up first): the engine's verified write looks
    the booking up instead of sending it twice."""
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", hangAfterCommitSeconds=5, count=1)
    args = dict(CUSTOMER, start=_iso(slot_start()))

    first = agent.ask("book_appointment", **args)
    sim.admin.clear_faults()
    retried = agent.ask("book_appointment", **args)

    assert retried == first
    assert len(_ours(sim)) == 1 and len(_appointments()) == 1
    [appointment] = _appointments()
    if first["confirmed"]:
        assert appointment.calcom_booking_uid == _ours(sim)[0]["uid"]
    else:  # not looked up in time: honest, and the engine settles it
        assert appointment.sync_status is not SyncStatus.SYNCED and _call(agent.call_id).booking_confirmed is False


def test_two_identical_requests_at_once_make_one_appointment(app_config: dict, salon: Salon, sim):
    from ops_ui import create_app

    call_id = new_call_id()
    args = dict(CUSTOMER, start=_iso(slot_start()))
    answers: list[dict[str, Any]] = []
    ready = threading.Barrier(2)
    # Two app instances, as two workers run; made here, since Python 3.11.7's ast.parse (which werkzeug's routing
    # uses while an app is made) can fail when two threads parse at once.
    servers = [create_app(app_config) for _ in range(2)]

    def send(server: Flask) -> None:
        agent = PhoneAgent(server.test_client(), call_id)
        ready.wait()
        answers.append(agent.ask("book_appointment", **args))

    threads = [threading.Thread(target=send, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for server in servers:
        with server.app_context():
            db.engine.dispose()

    assert len(answers) == 2 and answers[0] == answers[1] and answers[0]["status"] == "booked"
    assert len(_appointments()) == 1 and len(_ours(sim)) == 1


def test_a_time_taken_before_the_booking_is_refused_and_nothing_is_made(agent: PhoneAgent, salon: Salon, sim):
    start = slot_start()
    book_directly(sim, salon.event_type_id, start)

    answer = agent.ask("book_appointment", **CUSTOMER, start=_iso(start), staff="Fabian Spitzer")

    assert answer["status"] == "taken" and answer["confirmed"] is False
    assert "nicht frei" in answer["message"]
    assert _appointments() == [] and _call(agent.call_id).booking_confirmed is False


def test_a_time_taken_between_the_check_and_the_booking_is_told_honestly_and_lands_on_the_board(
    agent: PhoneAgent, salon: Salon, sim, monkeypatch: pytest.MonkeyPatch
):
    from ops_ui.actions.availability import Availability
    from ops_ui.intake import booking

    start = slot_start()
    book_directly(sim, salon.event_type_id, start)
    # The slots were free when looked at; another booking came in before ours reached Cal.com.
    monkeypatch.setattr(booking, "free_at", lambda *args: Availability(True))

    answer = agent.ask("book_appointment", **CUSTOMER, start=_iso(start), staff="Fabian Spitzer")

    assert answer["status"] == "not_confirmed" and answer["confirmed"] is False
    assert "gerade eben vergeben" in answer["message"]
    [appointment] = _appointments()
    assert appointment.sync_status is SyncStatus.FAILED
    assert appointment.last_error_category is ErrorCategory.HOST_CONFLICT
    call = _call(agent.call_id)
    assert call.booking_confirmed is False and call.appointment_id is None
    assert call.booking_error == appointment.last_error_message
    assert "User either already has booking at this time or is not available" in call.booking_error
    assert call.booking_details is not None and call.booking_details["start"] == _iso(start)
    assert _ours(sim) == []


@pytest.mark.calcom_simulator(timeout=1.0)
def test_calcom_failing_keeps_the_full_error_and_confirms_nothing(agent: PhoneAgent, salon: Salon, sim):
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", html502=True)

    answer = agent.ask("book_appointment", **CUSTOMER, start=_iso(slot_start()))

    assert answer["status"] == "not_confirmed" and "noch nicht fest eintragen" in answer["message"]
    [appointment] = _appointments()
    assert appointment.sync_status is SyncStatus.FAILED and "502" in (appointment.last_error_message or "")
    call = _call(agent.call_id)
    assert call.booking_confirmed is False and call.booking_error == appointment.last_error_message
    assert _ours(sim) == []


def test_a_request_whose_process_died_is_taken_over_with_its_appointment(
    agent: PhoneAgent, salon: Salon, sim, monkeypatch: pytest.MonkeyPatch
):
    from ops_ui.intake import booking

    class Killed(BaseException):
        pass

    def die(appointment: Appointment) -> None:
        raise Killed  # the process ends after the local transaction, before Cal.com is asked

    args = dict(CUSTOMER, start=_iso(slot_start()))
    with monkeypatch.context() as patched:
        patched.setattr(booking, "sync_appointment", die)
        with pytest.raises(Killed):
            agent.send("book_appointment", **args)
    [made] = _appointments()
    assert made.sync_status is SyncStatus.PENDING and _ours(sim) == []
    row = db.session.scalars(select(IntakeRequest)).one()
    assert (row.appointment_id, row.answered_at) == (made.id, None)
    row.lease_expires_at = datetime.now(UTC) - timedelta(seconds=1)  # its lease ran out
    db.session.commit()

    answer = agent.ask("book_appointment", **args)

    assert answer["status"] == "booked" and answer["appointment_id"] == made.id
    assert len(_appointments()) == 1 and [b["uid"] for b in _ours(sim)] == [fresh(made.id).calcom_booking_uid]
    assert _call(agent.call_id).booking_confirmed is True


def test_the_caller_cancels_the_booking_of_their_call(agent: PhoneAgent, salon: Salon, sim):
    start = slot_start()
    agent.ask("book_appointment", **CUSTOMER, start=_iso(start))

    answer = agent.ask("cancel_appointment", reason="krank")

    assert answer["status"] == "cancelled" and "ist abgesagt" in answer["message"]
    [appointment] = _appointments()
    assert appointment.status is AppointmentStatus.CANCELLED and "krank" in (appointment.cancellation_reason or "")
    assert _ours(sim) == []


def test_a_caller_with_two_bookings_is_asked_which_one(client: FlaskClient, salon: Salon, sim):
    for days in (2, 3):
        PhoneAgent(client, new_call_id()).ask("book_appointment", **CUSTOMER, start=_iso(slot_start(days)))
    agent = PhoneAgent(client, new_call_id())

    assert agent.ask("cancel_appointment")["status"] == "which_one"
    answer = agent.ask("cancel_appointment", start=_iso(slot_start(3)))

    assert answer["status"] == "cancelled"
    assert [a.status for a in _appointments()] == [AppointmentStatus.SCHEDULED, AppointmentStatus.CANCELLED]


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        ({"service": "Glatze polieren"}, "invalid", "bieten wir leider nicht an. Wir bieten Dauerwelle an."),
        ({"start": "2020-01-01T10:00:00+01:00"}, "invalid", "liegt in der Vergangenheit"),
        ({"start": "9999-12-31T23:59:00"}, "invalid", "Dieses Datum kann ich nicht eintragen"),
        ({"start": "morgen früh"}, "invalid", "Diese Uhrzeit habe ich nicht verstanden"),
        ({"name": ""}, "invalid", "Auf welchen Namen"),
        ({"name": "Erika\x00"}, "invalid", "kann ich nicht lesen"),
        ({"email": "erika@", "phone": None}, "needs_email", "E-Mail-Adresse scheint nicht zu stimmen"),
        ({"staff": "Zorro"}, "invalid", "Zorro bietet Dauerwelle bei uns nicht an"),
    ],
)
def test_bad_arguments_get_an_answer_the_agent_can_speak(agent: PhoneAgent, salon: Salon, sim, args, status, words):
    answer = agent.ask("book_appointment", **(CUSTOMER | {"start": _iso(slot_start())} | args))

    assert answer["status"] == status and answer["confirmed"] is False
    assert words in answer["message"]
    assert _appointments() == []


# --- helpers -------------------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _local_day(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()


def _german_weekday(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    names = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
    return names[moment.astimezone(ZoneInfo("Europe/Berlin")).weekday()]
