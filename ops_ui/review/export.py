"""The board as a CSV file: every row of the current filter (not only the loaded page), for a spreadsheet.

The same parameters as the board (``ops_ui.review.filters``; a page cursor is ignored: the file starts at the first
row), the same conditions (``queries.view_conditions``) and the same company scope, in the board's order (soonest
start first). At most ``EXPORT_LIMIT`` rows; the rows are read in batches while the file is sent, so a large export
never sits in memory. Managers, agents and admins may export: it only reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from flask import abort, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ops_ui.auth.permissions import scope_to_user, signed_in_user
from ops_ui.company_time import home_zone
from ops_ui.extensions import db
from ops_ui.formatting import first_line, zone
from ops_ui.i18n import gettext as _
from ops_ui.models import Appointment, Customer, Service, Staff, User
from ops_ui.review import bp
from ops_ui.review.filters import ReviewFilters, parse_filters
from ops_ui.review.queries import view_conditions
from ops_ui.spreadsheet import Cell, csv_response

EXPORT_LIMIT = 50_000
BATCH = 1_000
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
ERROR_LINE_LIMIT = 500
CUSTOMER = aliased(Customer)
"""The row's customer under an alias of its own: the text search's ``EXISTS`` over ``customer`` must stay a
correlated subquery, not merge with the joined table."""


def _header(time_zone: str) -> list[str]:
    return [
        _("ID"),
        _("Customer"),
        _("E-mail"),
        _("Phone"),
        _("Service"),
        _("Staff"),
        _("Start (%(zone)s)", zone=time_zone),
        _("Status"),
        _("Sync status"),
        _("Category"),
        _("Attempts"),
        _("Last error"),
    ]


def board_rows(
    user: User, filters: ReviewFilters, now: datetime, time_zone: str, limit: int
) -> Iterator[Sequence[Cell]]:
    """The cells of every row of the view, up to ``limit``, start in the company's time zone."""
    local = zone(time_zone)
    statement = (
        select(
            Appointment.id,
            CUSTOMER.name,
            CUSTOMER.email,
            CUSTOMER.phone,
            Service.name,
            Staff.name,
            Appointment.starts_at,
            Appointment.status,
            Appointment.sync_status,
            Appointment.last_error_category,
            Appointment.attempt_count,
            Appointment.last_error_message,
        )
        .join(CUSTOMER, CUSTOMER.id == Appointment.customer_id)
        .join(Service, Service.id == Appointment.service_id)
        .outerjoin(Staff, Staff.id == Appointment.staff_id)
        .where(*view_conditions(filters, now, time_zone))
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    for row in db.session.execute(scope_to_user(statement, Appointment.company_id, user)):
        ident, customer, email, phone, service, staff, starts_at, status, sync_status, category, attempts, error = row
        yield (
            ident,
            customer,
            email,
            phone,
            service,
            staff,
            starts_at.astimezone(local).strftime(LOCAL_FORMAT),
            status.value,
            sync_status.value,
            category.label if category else None,
            attempts,
            first_line(error, ERROR_LINE_LIMIT),
        )


@bp.get("/export.csv")
def export_csv() -> ResponseReturnValue:
    """The current board view as a CSV download; a wrong filter is a 422, as on the board."""
    user = signed_in_user()
    filters = parse_filters(request.args)
    if filters.errors:
        abort(422, " ".join(filters.errors.values()))
    time_zone = home_zone(user)
    now = datetime.now(UTC)
    rows = board_rows(user, filters, now, time_zone, EXPORT_LIMIT)
    stamp = now.astimezone(zone(time_zone)).strftime("%Y-%m-%d-%H%M")
    return csv_response(f"sync-desk-board-{filters.sync_status}-{stamp}.csv", _header(time_zone), rows)
