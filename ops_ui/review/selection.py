"""What "all in this view" means for a bulk action: every appointment the board's filter matches, not one page.

The board shows one keyset page at a time; a bulk action over the view must cover the whole filter, resolved on
the server when the action starts (never from the ids the browser happened to load). Both functions read the
board's own WHERE clause (``queries.view_conditions``) and company scope, so "all N in this view" and the board can
never disagree about what is in it. The page cursor (``after``) is ignored: it is where the agent scrolled to, not
part of the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from ops_ui.auth.permissions import scope_to_user
from ops_ui.extensions import db
from ops_ui.models import Appointment, User
from ops_ui.review.filters import ReviewFilters
from ops_ui.review.queries import BoardCounts, view_conditions


def count_in_view(user: User, filters: ReviewFilters, now: datetime, time_zone: str) -> int:
    """How many appointments the whole filter matches (the N of "Select all N in this view")."""
    statement = select(func.count(Appointment.id)).where(*view_conditions(filters, now, time_zone, viewer=user))
    return int(db.session.scalar(scope_to_user(statement, Appointment.company_id, user)) or 0)


def in_view_from_counts(filters: ReviewFilters, counts: BoardCounts) -> int | None:
    """``count_in_view`` from the board's category counts of the same filter, when they hold it: they ignore only the
    category and kind filters, so without a kind the categories' counts add up to it (a kind also reads the
    hand-over column, which the counts do not group by; capped counts are not all of it). None: count it."""
    if filters.kind is not None or counts.capped:
        return None
    wanted = set(filters.categories)
    return sum(item.count for item in counts if not wanted or item.category in wanted)


def ids_in_view(user: User, filters: ReviewFilters, now: datetime, time_zone: str) -> Sequence[int]:
    """The ids of every appointment the whole filter matches, in the board's order."""
    statement = (
        select(Appointment.id)
        .where(*view_conditions(filters, now, time_zone, viewer=user))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return db.session.scalars(scope_to_user(statement, Appointment.company_id, user)).all()
