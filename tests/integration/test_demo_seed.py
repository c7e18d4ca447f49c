"""The demo salon is produced by the real sync service against the simulator, and seeding is safe to repeat."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from ops_ui import queue_rules as rules
from ops_ui.categories import ErrorCategory
from ops_ui.demo.seed import DemoRefused, seed_demo
from ops_ui.engine.due import due_appointment_ids
from ops_ui.extensions import db
from ops_ui.models import Appointment, Call, Service, Staff, SyncAttempt, SyncStatus, User

HOST_CONFLICT = "User either already has booking at this time or is not available"


pytestmark = pytest.mark.calcom_simulator


@pytest.fixture
def seeded(app, sim, now):
    return seed_demo(sim.admin, reset=False, is_production=False, now=now)


def _failed() -> list[Appointment]:
    return list(db.session.scalars(select(Appointment).where(Appointment.sync_status == SyncStatus.FAILED)))


def test_demo_has_the_salon_and_the_situations_from_the_field(seeded, sim, now):
    staff_names = Counter(db.session.scalars(select(Staff.name)))
    assert len(staff_names) >= 4 and staff_names["Fabian Spitzer"] == 2
    perm = db.session.scalars(select(Service).where(Service.name == "Dauerwelle")).one()
    assert perm.duration_minutes == 135
    assert db.session.scalar(select(func.count(Service.id))) >= 6
    assert 180 <= seeded.appointments <= 260
    assert seeded.synced > seeded.appointments * 0.8

    failed = _failed()
    categories = Counter(appointment.last_error_category for appointment in failed)
    assert categories[ErrorCategory.HOST_CONFLICT] == 3
    assert categories[ErrorCategory.MISSING_CONTACT] == 1
    assert categories[ErrorCategory.NO_STAFF] == 2
    assert sum(appointment.starts_at < now for appointment in failed) == 12
    # A Cal.com outage minutes ago left coming appointments failed; their retry is due, for the job worker.
    outage = [a for a in failed if a.starts_at > now and a.last_error_category in rules.TECHNICAL_CATEGORIES]
    assert len(outage) == 4
    assert set(due_appointment_ids(now, 100)) >= {appointment.id for appointment in outage}
    assert (
        db.session.scalar(select(func.count(Appointment.id)).where(Appointment.sync_status == SyncStatus.PENDING)) == 2
    )
    desync = select(func.count(Call.id)).where(Call.booking_confirmed.is_(True), Call.appointment_id.is_(None))
    assert db.session.scalar(desync) == 9
    assert {user.role.value for user in db.session.scalars(select(User))} == {"agent", "manager", "admin"}


def test_demo_failures_are_the_simulators_real_answers(seeded, sim):
    conflicts = [a for a in _failed() if a.last_error_category is ErrorCategory.HOST_CONFLICT]
    for appointment in conflicts:
        assert appointment.last_error_message == HOST_CONFLICT
        attempt = db.session.scalars(select(SyncAttempt).where(SyncAttempt.appointment_id == appointment.id)).one()
        assert attempt.response_status == 400 and HOST_CONFLICT in attempt.response_body and attempt.request_id
    slot, count = Counter((a.customer_id, a.starts_at) for a in conflicts).most_common(1)[0]
    pair = [a for a in conflicts if (a.customer_id, a.starts_at) == slot]
    assert count == 2, "two conflicts are the same customer slot booked twice"
    assert len({a.staff_id for a in pair}) == 2 and len({a.staff.name for a in pair}) == 1

    synced_uids = set(
        db.session.scalars(select(Appointment.calcom_booking_uid).where(Appointment.sync_status == SyncStatus.SYNCED))
    )
    simulator_uids = {booking["uid"] for booking in sim.admin.bookings()}
    assert synced_uids <= simulator_uids


def test_seeding_twice_refuses_and_duplicates_nothing(seeded, sim):
    before = db.session.scalar(select(func.count(Appointment.id)))

    with pytest.raises(DemoRefused, match="--reset"):
        seed_demo(sim.admin, reset=False, is_production=False)

    assert db.session.scalar(select(func.count(Appointment.id))) == before


def test_seeding_refuses_in_production(app, sim):
    with pytest.raises(DemoRefused, match="production"):
        seed_demo(sim.admin, reset=False, is_production=True)
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


def test_reset_rebuilds_the_same_demo_without_duplicates(seeded, sim, now):
    again = seed_demo(sim.admin, reset=True, is_production=False, now=now)

    assert again.appointments == seeded.appointments
    assert db.session.scalar(select(func.count(Staff.id))) == 5


def test_the_newest_calls_came_through_the_intake_and_one_shows_calcoms_validation_error(seeded, sim):
    from ops_ui.models import AppointmentSource, AppointmentStatus, IntakeRequest

    intake = {
        call.external_call_id: call
        for call in db.session.scalars(select(Call).where(Call.external_call_id.startswith("call_demo_")))
    }
    assert len(intake) == 4
    by_caller = {call.caller_number: call for call in intake.values()}
    assert by_caller["+4917612345601"].booking_confirmed  # Sophie: free times, then booked
    assert by_caller["anonymous_1764590000_3fa9c1"].booking_confirmed  # asked for an e-mail, then booked
    refused = by_caller["+4917612345603"]  # Lena's e-mail ends in ".d"
    assert not refused.booking_confirmed and refused.appointment_id is None
    [validation] = [a for a in _failed() if a.last_error_category is ErrorCategory.VALIDATION_ERROR]
    assert "email property is wrong,email must be an email" in (validation.last_error_message or "")
    assert refused.booking_error == validation.last_error_message
    assert validation.source is AppointmentSource.VOICE_AGENT
    cancelled = db.session.get(Appointment, by_caller["+4917612345604"].appointment_id)
    assert cancelled is not None and cancelled.status is AppointmentStatus.CANCELLED
    # Four bookings and one cancellation; the retry found its request, the refusal at the door made none.
    assert db.session.scalar(select(func.count(IntakeRequest.id))) == 5
