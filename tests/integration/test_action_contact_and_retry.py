"""Fixing a customer's contact, then retrying: validation, normalised saving, and when a retry is pointless."""

from __future__ import annotations

import pytest

from ops_ui.actions.contact import update_contact
from ops_ui.actions.retry import repeat_failure_ids, retry_sync, retry_would_repeat_failure
from ops_ui.categories import ErrorCategory
from ops_ui.engine.claims import StaleAppointment
from ops_ui.extensions import db
from ops_ui.models import Customer, SyncStatus
from tests.support.records import attempts, audits, state_of
from tests.support.salon import (
    TECHNICAL_FAILURES,
    active_bookings,
    book_directly,
    failure_faults,
    make_salon_appointment,
    make_synced_salon,
)
from tests.support.statements import statements_run_by

ANONYMOUS = "anonymous_1712345678_ab12cd"


pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim):
    return make_synced_salon(sim.admin)


def _failed_for_contact(salon):
    appointment = make_salon_appointment(salon, synced=False, email=None, phone=ANONYMOUS)
    result = retry_sync(appointment.id, appointment.version, salon.agent)
    assert result.category is ErrorCategory.MISSING_CONTACT
    return result.appointment


@pytest.mark.parametrize(
    ("email", "phone", "field"),
    [
        ("", ANONYMOUS, "phone"),
        ("anonymous@example.com", "", "email"),
        ("kein-at-zeichen", "", "email"),
        ("", "0170 1234567", "phone"),
        ("", "", "email"),
    ],
)
def test_unusable_contact_is_refused_with_field_errors_and_not_saved(salon, sim, email, phone, field):
    appointment = _failed_for_contact(salon)
    before = state_of(appointment.id)

    result = update_contact(appointment.id, appointment.version, salon.agent, email, phone)

    assert not result.ok and field in result.field_errors
    customer = db.session.get(Customer, appointment.customer_id, populate_existing=True)
    assert (customer.email, customer.phone) == (None, ANONYMOUS)
    assert state_of(appointment.id) == before
    assert audits(appointment.id, "contact_update") == []


def test_contact_fix_is_saved_normalised_and_the_retry_then_books(salon, sim):
    appointment = _failed_for_contact(salon)
    assert retry_would_repeat_failure(appointment)
    seen = appointment.version

    saved = update_contact(appointment.id, seen, salon.agent, " Erika@Kunden-Mail.de ", "+49 170 1234567")

    assert saved.ok, saved.message
    customer = db.session.get(Customer, appointment.customer_id)
    assert (customer.email, customer.phone) == ("Erika@kunden-mail.de", "+491701234567")
    assert saved.appointment.version > seen
    [event] = audits(appointment.id, "contact_update")
    assert event.before["phone"] == ANONYMOUS and event.after["phone"] == "+491701234567"
    assert not retry_would_repeat_failure(saved.appointment)

    retried = retry_sync(appointment.id, saved.appointment.version, salon.agent)

    assert retried.ok, retried.message
    [live] = active_bookings(sim)
    assert live["uid"] == retried.appointment.calcom_booking_uid
    assert live["attendees"][0]["phoneNumber"] == "+491701234567"


def test_a_page_hears_which_of_its_refused_rows_would_repeat_the_refusal_in_one_statement(app, salon, sim):
    unchanged = _failed_for_contact(salon)
    fixed = _failed_for_contact(salon)
    assert update_contact(fixed.id, fixed.version, salon.agent, "erika@kunden-mail.de", "").ok
    for row in (unchanged, fixed):
        db.session.refresh(row)  # as the board's page loads them

    with statements_run_by(app) as statements:
        warned = repeat_failure_ids([unchanged, fixed])

    assert warned == {unchanged.id}
    assert len(statements) == 1


def test_contact_edit_from_a_stale_screen_is_refused(salon, sim):
    appointment = _failed_for_contact(salon)
    seen = appointment.version
    update_contact(appointment.id, seen, salon.other_agent, "erika@kunden-mail.de", "")

    with pytest.raises(StaleAppointment) as stale:
        update_contact(appointment.id, seen, salon.agent, "", "+491701234567")
    assert stale.value.changed_by == "Olga Other"


def test_retry_refused_by_calcom_keeps_time_staff_and_uid_and_records_the_answer(salon, sim):
    appointment = make_salon_appointment(salon, synced=False)
    book_directly(sim, salon.event_type_id, appointment.starts_at)
    before = state_of(appointment.id)

    result = retry_sync(appointment.id, appointment.version, salon.agent)

    assert not result.ok
    assert result.message.startswith("Cal.com refused: User either already has booking")
    after = state_of(appointment.id)
    kept = ("starts_at", "ends_at", "staff_id", "calcom_booking_uid", "status", "email", "phone")
    assert {key: after[key] for key in kept} == {key: before[key] for key in kept}
    assert (after["sync_status"], after["last_error_category"]) == (SyncStatus.FAILED, ErrorCategory.HOST_CONFLICT)
    assert "already has booking" in attempts(appointment.id)[-1].response_body
    [event] = audits(appointment.id, "sync")
    assert event.actor_id == salon.agent.id
    assert retry_would_repeat_failure(result.appointment)


@pytest.mark.parametrize("kind", TECHNICAL_FAILURES)
def test_retry_that_calcom_does_not_confirm_is_technical_and_never_warned_about(salon, sim, kind):
    appointment = make_salon_appointment(salon, synced=False)
    failure_faults(sim, kind)

    result = retry_sync(appointment.id, appointment.version, salon.agent)

    assert not result.ok
    # A rate limit is no failure of the appointment: it keeps its state and waits for the next window.
    expected = SyncStatus.PENDING if kind == "rate_limited" else SyncStatus.FAILED
    assert (result.appointment.sync_status, result.appointment.calcom_booking_uid) == (expected, None)
    assert not retry_would_repeat_failure(result.appointment)
    assert attempts(appointment.id)[0].succeeded is False


def test_retry_of_a_synced_appointment_does_not_book_again(salon, sim):
    appointment = make_salon_appointment(salon)

    result = retry_sync(appointment.id, appointment.version, salon.agent)

    assert result.ok and len(active_bookings(sim)) == 1
