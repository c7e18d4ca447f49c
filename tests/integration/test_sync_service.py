"""The sync service against the Cal.com simulator over real HTTP, with a real database."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from ops_ui.actions.cancel import cancel
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.types import Attendee
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.claims import BeingChanged
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncOperation, SyncStatus
from tests.support import factories
from tests.support.records import attempts
from tests.support.salon import Salon, active_bookings, make_salon_appointment, make_synced_salon

HOST_CONFLICT = "User either already has booking at this time or is not available"


pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim) -> Salon:
    return make_synced_salon(sim.admin)


def _appointment(salon: Salon, **customer_fields) -> Appointment:
    return make_salon_appointment(salon, synced=False, **customer_fields)


def test_successful_sync_marks_synced_with_the_booking_uid_and_records_the_exchange(salon, sim):
    appointment = _appointment(salon)

    result = sync_appointment(appointment)

    assert result.synced
    db.session.refresh(appointment)
    assert appointment.sync_status is SyncStatus.SYNCED
    assert appointment.calcom_booking_uid == result.booking_uid
    [booking] = active_bookings(sim)
    assert booking["uid"] == result.booking_uid
    assert booking["metadata"] == {METADATA_KEY: str(appointment.id)}
    [attempt] = attempts(appointment.id)
    assert (attempt.operation, attempt.method, attempt.response_status, attempt.succeeded) == (
        SyncOperation.CREATE,
        "POST",
        201,
        True,
    )
    assert result.booking_uid in attempt.response_body
    assert sim.api_key not in (attempt.request_body + attempt.path + attempt.response_body)
    assert attempt.request_id


def test_host_conflict_fails_with_the_full_calcom_message_and_waits_for_a_person(salon, sim):
    appointment = _appointment(salon)
    CalcomClient(sim.base_url, sim.api_key).create_booking(
        event_type_id=salon.event_type_id,
        start=appointment.starts_at,
        attendee=Attendee(name="Direct booking", time_zone="Europe/Berlin", email="direct@kunden-mail.de"),
    )

    result = sync_appointment(appointment)

    db.session.refresh(appointment)
    assert not result.synced
    assert appointment.sync_status is SyncStatus.FAILED
    assert appointment.last_error_category is ErrorCategory.HOST_CONFLICT
    assert appointment.last_error_message == HOST_CONFLICT
    assert appointment.last_error_status == 400
    assert appointment.next_retry_at is None
    assert appointment.calcom_booking_uid is None
    [attempt] = attempts(appointment.id)
    assert HOST_CONFLICT in attempt.response_body
    assert attempt.error_category is ErrorCategory.HOST_CONFLICT
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.appointment_id == appointment.id)).one()
    assert audit.after["error_category"] == "HOST_CONFLICT"


@pytest.mark.parametrize(
    ("change", "category"),
    [
        ("no_staff", ErrorCategory.NO_STAFF),
        ("no_mapping", ErrorCategory.NO_EVENT_TYPE),
        ("past", ErrorCategory.PAST_APPOINTMENT),
        ("anonymous", ErrorCategory.MISSING_CONTACT),
    ],
)
def test_local_prechecks_fail_without_calling_calcom(salon, sim, now, change, category):
    customer = factories.make_customer(salon.company)
    staff, start = salon.staff, factories.next_weekday_at(9)
    if change == "no_staff":
        staff = None
    elif change == "no_mapping":
        staff = factories.make_staff(salon.company, "Neu im Team")
    elif change == "past":
        start = now - timedelta(hours=1)
    else:
        customer.email, customer.phone = None, "anonymous_1712345678_ab12cd"
        db.session.commit()
    appointment = factories.make_appointment(customer, salon.service, staff, start)

    result = sync_appointment(appointment, now=now)

    db.session.refresh(appointment)
    assert (result.synced, result.category) == (False, category)
    assert appointment.sync_status is SyncStatus.FAILED
    assert appointment.last_error_category is category
    assert appointment.last_error_message
    assert appointment.attempt_count == 1
    assert attempts(appointment.id) == []
    assert sim.admin.bookings() == []


def test_anonymous_caller_id_is_left_out_when_an_email_can_carry_the_booking(salon, sim):
    appointment = _appointment(salon, email="erika@kunden-mail.de", phone="anonymous_1712345678_ab12cd")

    assert sync_appointment(appointment).synced

    [booking] = active_bookings(sim)
    assert booking["attendees"][0]["email"] == "erika@kunden-mail.de"
    assert "anonymous" not in str(booking["attendees"][0].get("phoneNumber"))


def test_timeout_after_calcom_booked_finds_the_booking_instead_of_declaring_failure(salon, sim):
    appointment = _appointment(salon)
    sim.admin.set_faults(method="POST", hangAfterCommitSeconds=1.5, count=1)

    result = sync_appointment(appointment)

    db.session.refresh(appointment)
    [booking] = active_bookings(sim)
    assert result.synced
    assert appointment.sync_status is SyncStatus.SYNCED
    assert appointment.calcom_booking_uid == booking["uid"]
    create, lookup = attempts(appointment.id)
    assert (create.operation, create.error_category, create.response_status) == (
        SyncOperation.CREATE,
        ErrorCategory.TIMEOUT,
        None,
    )
    assert (lookup.operation, lookup.method, lookup.succeeded) == (SyncOperation.LOOKUP, "GET", True)


def test_retry_after_timeout_finds_existing_booking_instead_of_double_booking(salon, sim):
    appointment = _appointment(salon)
    # The create is committed but its answer is lost; the lookup (a GET, retried by the client) is lost too.
    sim.admin.set_faults(pathPrefix="/v2/bookings", hangAfterCommitSeconds=1.5, count=4)
    first = sync_appointment(appointment)
    db.session.refresh(appointment)
    assert not first.synced
    assert appointment.last_error_category is ErrorCategory.TIMEOUT
    assert "Cal.com may have created the booking" in appointment.last_error_message
    assert appointment.next_retry_at is not None
    sim.admin.clear_faults()

    second = sync_appointment(appointment)

    db.session.refresh(appointment)
    assert second.synced
    assert len(active_bookings(sim)) == 1
    assert appointment.calcom_booking_uid == active_bookings(sim)[0]["uid"]
    assert [attempt.operation for attempt in attempts(appointment.id)][-1] is SyncOperation.LOOKUP


def test_timeout_before_calcom_booked_stays_failed_and_is_scheduled_for_retry(salon, sim, now):
    appointment = _appointment(salon)
    sim.admin.set_faults(method="POST", hangSeconds=1.5, count=1)

    result = sync_appointment(appointment, now=now)

    db.session.refresh(appointment)
    assert (result.synced, result.category) == (False, ErrorCategory.TIMEOUT)
    assert (appointment.sync_status, appointment.calcom_booking_uid) == (SyncStatus.FAILED, None)
    assert appointment.next_retry_at > now
    assert active_bookings(sim) == []
    assert [a.operation for a in attempts(appointment.id)] == [SyncOperation.CREATE, SyncOperation.LOOKUP]


def test_rate_limit_puts_the_appointment_back_unchanged_for_after_the_reset(salon, sim, now):
    appointment = _appointment(salon)
    version = appointment.version
    sim.admin.set_rate_limit(limit=1, window_seconds=60, block_seconds=45)
    CalcomClient(sim.base_url, sim.api_key).me()

    result = sync_appointment(appointment, now=now)

    db.session.refresh(appointment)
    assert (result.category, result.deferred) == (ErrorCategory.RATE_LIMITED, True)
    assert (appointment.sync_status, appointment.last_error_category) == (SyncStatus.PENDING, None)
    assert (appointment.attempt_count, appointment.version) == (0, version)
    assert now + timedelta(seconds=30) < appointment.next_retry_at < now + timedelta(seconds=90)
    assert [attempt.response_status for attempt in attempts(appointment.id)] == [429]
    assert active_bookings(sim) == []


def test_malformed_answer_is_stored_whole_and_classified(salon, sim):
    appointment = _appointment(salon)
    sim.admin.set_faults(method="POST", html502=True, count=1)

    result = sync_appointment(appointment)

    db.session.refresh(appointment)
    assert result.category is ErrorCategory.BAD_RESPONSE
    create = attempts(appointment.id)[0]
    assert create.response_status == 502
    assert "<html" in create.response_body.lower()
    assert active_bookings(sim) == []


def test_a_synced_appointment_is_never_booked_twice(salon, sim):
    appointment = _appointment(salon)
    sync_appointment(appointment)

    again = sync_appointment(appointment)

    assert again.synced
    assert len(active_bookings(sim)) == 1


def test_a_cancelled_appointment_is_never_booked(salon, sim):
    appointment = _appointment(salon)
    appointment.status = AppointmentStatus.CANCELLED
    db.session.commit()

    result = sync_appointment(appointment)

    assert not result.synced and "cancelled" in result.message
    assert sim.admin.bookings() == []
    assert attempts(appointment.id) == []


def test_an_agent_action_meeting_a_running_sync_is_refused_before_it_reaches_cal_com(app, salon, sim):
    appointment = _appointment(salon)
    appointment_id, seen = appointment.id, appointment.version
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", hangAfterCommitSeconds=1.0, count=1)
    app.config["CALCOM_TIMEOUT_SECONDS"] = 5.0
    outcome = {}

    def sync_in_another_request():
        with app.app_context():
            outcome["result"] = sync_appointment(db.session.get(Appointment, appointment_id))

    worker = threading.Thread(target=sync_in_another_request)
    worker.start()
    while not sim.admin.bookings():  # Cal.com has booked; its answer is still on the way
        worker.join(timeout=0.05)
    with pytest.raises(BeingChanged) as busy:
        cancel(appointment_id, seen, salon.agent, "duplicate")
    worker.join()

    assert busy.value.holder == "the sync engine"
    db.session.refresh(appointment)
    [booking] = sim.admin.bookings()
    assert booking["status"] == "accepted" and outcome["result"].synced
    assert appointment.calcom_booking_uid == booking["uid"] and appointment.status is AppointmentStatus.SCHEDULED
    assert SyncOperation.CANCEL not in [a.operation for a in attempts(appointment.id)]
