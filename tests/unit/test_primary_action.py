"""Which action a board row highlights, and which it offers: chosen by the problem, never a retry that cannot work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops_ui.categories import ErrorCategory
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus
from ops_ui.review.primary_action import primary_action, row_actions

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TOMORROW = NOW + timedelta(days=1)


def _appointment(
    category: ErrorCategory | None = None,
    *,
    starts_at: datetime = TOMORROW,
    sync_status: SyncStatus = SyncStatus.FAILED,
    status: AppointmentStatus = AppointmentStatus.SCHEDULED,
    message: str | None = None,
) -> Appointment:
    return Appointment(
        starts_at=starts_at,
        last_error_category=category,
        last_error_message=message,
        sync_status=sync_status,
        status=status,
    )


@pytest.mark.parametrize(
    "category, message, expected",
    [
        (ErrorCategory.HOST_CONFLICT, None, "reschedule"),
        (ErrorCategory.OUT_OF_BOUNDS, None, "reschedule"),
        (ErrorCategory.NO_STAFF, None, "reassign"),
        (ErrorCategory.MISSING_CONTACT, None, "contact"),
        (ErrorCategory.VALIDATION_ERROR, "attendee property is wrong, email: invalid email", "contact"),
        (ErrorCategory.VALIDATION_ERROR, "eventTypeId must be a number", "retry"),
        (ErrorCategory.SERVER_ERROR, None, "retry"),
        (ErrorCategory.TIMEOUT, None, "retry"),
        (ErrorCategory.PAST_APPOINTMENT, None, "cleanup"),
        (None, None, "retry"),
    ],
)
def test_primary_action_follows_the_problem(category, message, expected):
    assert primary_action(_appointment(category, message=message), NOW) == expected


@pytest.mark.parametrize("category", [ErrorCategory.SERVER_ERROR, ErrorCategory.HOST_CONFLICT, None])
def test_a_start_that_has_passed_highlights_the_clean_up_never_a_retry(category):
    past = _appointment(category, starts_at=NOW - timedelta(minutes=1))
    actions = row_actions(past, NOW, can_act=True, has_twins=False)
    assert actions.primary == "cleanup"
    assert "retry" in actions.others  # still reachable, in the menu


def test_an_open_row_keeps_every_action_reachable_and_the_duplicate_cancel_only_for_twins():
    conflict = _appointment(ErrorCategory.HOST_CONFLICT)
    alone = row_actions(conflict, NOW, can_act=True, has_twins=False)
    assert alone.primary == "reschedule"
    assert set(alone.others) == {"retry", "reassign", "contact", "cancel"}
    assert "duplicate" in row_actions(conflict, NOW, can_act=True, has_twins=True).others


def test_a_synced_future_appointment_is_only_moved_or_cancelled_and_a_past_or_cancelled_one_not_at_all():
    synced = _appointment(sync_status=SyncStatus.SYNCED)
    assert row_actions(synced, NOW, can_act=True, has_twins=False).others == ("reschedule", "cancel")
    assert row_actions(synced, NOW, can_act=True, has_twins=False).primary is None
    started = _appointment(sync_status=SyncStatus.SYNCED, starts_at=NOW - timedelta(hours=1))
    assert not row_actions(started, NOW, can_act=True, has_twins=False).others
    cancelled = _appointment(sync_status=SyncStatus.SYNCED, status=AppointmentStatus.CANCELLED)
    assert not row_actions(cancelled, NOW, can_act=True, has_twins=False).others


def test_a_reader_is_offered_nothing():
    actions = row_actions(_appointment(ErrorCategory.HOST_CONFLICT), NOW, can_act=False, has_twins=True)
    assert actions.primary is None and not actions.others
