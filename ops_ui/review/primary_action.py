"""Which of a row's actions the board highlights, and which it offers at all.

A row shows one primary control chosen by its problem and keeps the others in a small "more" menu. The choice lives
here, not in the template: what fixes a host conflict (another time), a refused contact (the contact) or a start
that has passed (the clean-up, since no retry can work) is a rule of the queue, tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ops_ui.categories import ErrorCategory
from ops_ui.models import Appointment, AppointmentStatus
from ops_ui.queue_rules import is_open

Action = Literal["retry", "reschedule", "reassign", "contact", "cancel", "duplicate", "cleanup"]

MOVE_CATEGORIES = frozenset({ErrorCategory.HOST_CONFLICT, ErrorCategory.OUT_OF_BOUNDS})
"""The host is not free or not bookable then: another time fixes it."""
CONTACT_CATEGORIES = frozenset({ErrorCategory.MISSING_CONTACT})
PAST_CATEGORIES = frozenset({ErrorCategory.PAST_APPOINTMENT, ErrorCategory.PAST_START})
ATTENDEE_WORDS = re.compile(r"attendee|e-?mail|phone", re.IGNORECASE)
"""A Cal.com validation error about these is about the customer's contact (the only free text a booking sends)."""
FUTURE_ACTIONS: tuple[Action, ...] = ("reschedule", "cancel")
"""What a future appointment that agrees with Cal.com (synced) can still have done to it from its page."""


@dataclass(frozen=True)
class RowActions:
    """The highlighted action and the rest, in menu order; empty when nothing may be done."""

    primary: Action | None
    others: tuple[Action, ...]

    def __contains__(self, action: object) -> bool:
        return action == self.primary or action in self.others


NO_ACTIONS = RowActions(None, ())


def primary_action(appointment: Appointment, now: datetime) -> Action:
    """The action most likely to fix an open appointment's problem.

    A passed start comes first whatever the error: Cal.com refuses every booking in the past, so a retry cannot
    work and the clean-up closes it. Then the refusal decides; technical failures and pending rows are retried.
    """
    category = appointment.last_error_category
    if appointment.starts_at <= now or category in PAST_CATEGORIES:
        return "cleanup"
    if category in MOVE_CATEGORIES:
        return "reschedule"
    if category is ErrorCategory.NO_STAFF:
        return "reassign"
    if category in CONTACT_CATEGORIES or _refused_contact(appointment):
        return "contact"
    return "retry"


def row_actions(appointment: Appointment, now: datetime, *, can_act: bool, has_twins: bool) -> RowActions:
    """What the row offers: for an open appointment every action, its primary first; for one already in step with
    Cal.com (synced, uncancelled) only a move or a cancel, while its start is still ahead."""
    if not can_act or appointment.status is AppointmentStatus.CANCELLED:
        return NO_ACTIONS
    if not is_open(appointment):
        return RowActions(None, FUTURE_ACTIONS) if appointment.starts_at > now else NO_ACTIONS
    primary = primary_action(appointment, now)
    everything: list[Action] = ["retry", "reschedule", "reassign", "contact", "cancel"]
    if has_twins:
        everything.append("duplicate")
    return RowActions(primary, tuple(action for action in everything if action != primary))


def _refused_contact(appointment: Appointment) -> bool:
    message = appointment.last_error_message or ""
    return appointment.last_error_category is ErrorCategory.VALIDATION_ERROR and bool(ATTENDEE_WORDS.search(message))
