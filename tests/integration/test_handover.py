"""A technical failure that keeps failing is handed over to a person: the engine stops, the board and the dashboard
say why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ops_ui.categories import ErrorCategory
from ops_ui.engine.due import due_appointment_ids, sync_due
from ops_ui.engine.retry_policy import HANDOVER_AFTER_ATTEMPTS
from ops_ui.extensions import db
from ops_ui.health.metrics import health_figures
from ops_ui.models import Appointment, SyncStatus
from tests.support.auth import login
from tests.support.records import fresh
from tests.support.salon import make_salon_appointment, make_synced_salon, slot_start

pytestmark = pytest.mark.calcom_simulator


def _failing(salon, attempts: int, days_ahead: int, now) -> Appointment:
    start = now + timedelta(hours=12) if days_ahead == 0 else slot_start(days_ahead=days_ahead)
    appointment = make_salon_appointment(salon, start=start, synced=False)
    appointment.sync_status, appointment.last_error_category = SyncStatus.FAILED, ErrorCategory.SERVER_ERROR
    appointment.attempt_count, appointment.next_retry_at = attempts, now - timedelta(minutes=1)
    db.session.commit()
    return appointment


def test_failures_that_keep_failing_are_handed_over_and_left_alone_by_the_engine(app, sim, now):
    salon = make_synced_salon(sim.admin)
    fifth = _failing(salon, HANDOVER_AFTER_ATTEMPTS - 1, days_ahead=5, now=now)
    tomorrow = _failing(salon, 1, days_ahead=0, now=now)
    early = _failing(salon, 1, days_ahead=6, now=now)
    sim.admin.set_faults(method="POST", status=500, count=10)

    sync_due(now=now)

    assert fresh(fifth.id).handover_reason == "Failed 5 times in a row; the automatic retries have stopped."
    assert fresh(tomorrow.id).handover_reason.startswith("Starts in less than 24 hours")
    assert fresh(early.id).handover_reason is None  # two failures, a week ahead: the back-off goes on
    later = now + timedelta(days=1)
    assert set(due_appointment_ids(later, 10)) == {early.id}
    figures = health_figures(db.session, now, salon.company.id)
    assert (figures.manual_review, figures.technical) == (2, 1)


def test_the_board_lists_handed_over_failures_as_needing_a_person_and_says_why(app, client, sim, now):
    salon = make_synced_salon(sim.admin)
    handed = _failing(salon, 1, days_ahead=5, now=now)
    waiting = _failing(salon, 1, days_ahead=6, now=now)
    handed.handover_reason = "Failed 5 times in a row; the automatic retries have stopped."
    db.session.commit()
    login(client, salon.agent)

    needs_person = client.get("/review?kind=business").get_data(as_text=True)
    retried = client.get("/review?kind=technical").get_data(as_text=True)

    assert f'id="appt-{handed.id}"' in needs_person and f'id="appt-{waiting.id}"' not in needs_person
    assert "the automatic retries have stopped" in needs_person
    assert f'id="appt-{waiting.id}"' in retried and f'id="appt-{handed.id}"' not in retried
