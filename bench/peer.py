"""The board's peer and floor, for ``bench.review_board``.

*Peer*: a stock Flask-Admin ModelView of the product's own ``Appointment`` model on the same database and app — what
a team would put up in an afternoon instead of the board. It shows the board's columns (joined relationships
included), 50 a page, in the board's order, and its query is narrowed by the board's own WHERE clause
(``queries.view_conditions`` from the same query string), so both list exactly the same rows. Flask-Admin does the
rest its own way: a ``COUNT`` of the view, ``OFFSET`` paging, its templates.

*Floor*: the statements the board itself issued for a request (recorded with their parameters), run again straight
on the DB-API connection, plus a bare Jinja table of the page's rows — what the request would cost with no ORM,
no view code and no row template at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from flask import Flask, request
from flask_admin import Admin, AdminIndexView  # type: ignore[import-untyped]
from flask_admin.contrib.sqla import ModelView  # type: ignore[import-untyped]
from jinja2 import Environment
from sqlalchemy import event

from ops_ui.extensions import db
from ops_ui.models import Appointment
from ops_ui.review.filters import parse_filters
from ops_ui.review.queries import PAGE_SIZE, view_conditions

PEER_URL = "/bench-admin/appointment/"


class BoardPeerView(ModelView):  # type: ignore[misc]
    """Flask-Admin's list of appointments, read-only, restricted to the board's view of the same query string."""

    can_create = can_edit = can_delete = False
    page_size = PAGE_SIZE
    can_set_page_size = False
    column_list = (
        "id",
        "customer.name",
        "customer.email",
        "customer.phone",
        "service.name",
        "staff.name",
        "starts_at",
        "sync_status",
        "last_error_category",
        "attempt_count",
        "last_attempt_at",
        "last_error_message",
    )
    column_default_sort: ClassVar = [("starts_at", False), ("id", False)]
    # Joined, as the board does: no query per row.
    column_select_related_list = (Appointment.customer, Appointment.service, Appointment.staff)

    def _as_board(self, query: Any) -> Any:
        filters = parse_filters(request.args)
        return query.filter(*view_conditions(filters, datetime.now(UTC), "Europe/Berlin"))

    def get_query(self) -> Any:
        return self._as_board(super().get_query())

    def get_count_query(self) -> Any:
        return self._as_board(super().get_count_query())


def install_peer(app: Flask) -> None:
    """Mount the peer on ``app`` under ``/bench-admin`` (its own endpoints, next to the product's)."""
    admin = Admin(
        app,
        name="Peer",
        url="/bench-admin",
        endpoint="bench_admin",
        index_view=AdminIndexView(endpoint="bench_admin", url="/bench-admin"),
    )
    admin.add_view(BoardPeerView(Appointment, db.session, endpoint="bench_appointment", url=PEER_URL.rstrip("/")))


@dataclass
class Recorded:
    """What a request sent to the database, with parameters."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def recording(app: Flask) -> Iterator[Recorded]:
    """Record every statement ``app``'s engine runs while the block runs."""
    with app.app_context():
        engine = db.engine
    recorded = Recorded()

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        recorded.statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield recorded
    finally:
        event.remove(engine, "before_cursor_execute", before)


BARE_TABLE = Environment(autoescape=True).from_string(
    "<table>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>"
)


class Floor:
    """The board's own statements for one request, replayed on a raw DB-API connection, and a bare table."""

    def __init__(self, app: Flask, statements: list[tuple[str, Any]]) -> None:
        with app.app_context():
            self.connection = db.engine.raw_connection()
        self.statements = statements

    def query(self) -> Sequence[Any]:
        """Every statement with all its rows fetched, and the most rows one of them returned.

        This is the board's SQL time: SQLite's driver steps through most of a result in ``fetchall``, after
        ``execute`` has returned, so the driver's ``execute`` alone would leave that part out."""
        cursor = self.connection.cursor()
        biggest: Sequence[Any] = []
        for statement, parameters in self.statements:
            cursor.execute(statement, parameters)
            rows = cursor.fetchall() if cursor.description else []
            biggest = rows if len(rows) > len(biggest) else biggest
        self.connection.rollback()
        cursor.close()
        return biggest

    def run(self) -> str:
        return BARE_TABLE.render(rows=self.query()[:PAGE_SIZE])

    def close(self) -> None:
        self.connection.close()
