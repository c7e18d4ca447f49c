"""Read-only queries of the review board, scoped to what the user may see.

Every board request runs a fixed number of statements whatever the data size: one page (keyset, ``LIMIT n+1`` to
know whether there is more — never ``OFFSET`` or a full ``COUNT``), one grouped count over the filter scope, the
filter form's choices, one statement for the retry warnings of the page and one for its possible duplicates
(``ops_ui.actions.duplicates.duplicate_twins``). Customer, service, staff and company come joined into the page
query: one row needs all four.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ops_ui import queue_rules as rules
from ops_ui.auth.permissions import scope_to_user
from ops_ui.cases.queries import not_informed
from ops_ui.categories import ErrorCategory
from ops_ui.company_time import local_midnight
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AuditEvent,
    Call,
    Customer,
    Service,
    Staff,
    SyncAttempt,
    User,
)
from ops_ui.review.filters import Cursor, ReviewFilters, is_id

PAGE_SIZE = 50

ROW_PARTS = (
    joinedload(Appointment.customer),
    joinedload(Appointment.service),
    joinedload(Appointment.staff),
    joinedload(Appointment.company),
    joinedload(Appointment.owner),
)
"""What a row shows besides the appointment, joined into the statement that loads it."""


@dataclass(frozen=True)
class BoardPage:
    appointments: Sequence[Appointment]
    next_cursor: Cursor | None


@dataclass(frozen=True)
class CategoryCount:
    category: ErrorCategory | None
    count: int


def view_conditions(
    filters: ReviewFilters, now: datetime, time_zone: str, *, with_category: bool = True, viewer: User | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE clause of a board view. The sync views and the critical, past and ancient flags are the health
    dashboard's figures of the same name: both read their conditions from ``ops_ui.queue_rules``.

    ``viewer`` is who "mine" means (needed only with ``owner=mine``). "Customer not yet informed" replaces the sync
    view: the question follows a fix, so those appointments are synced or cancelled by then."""
    conditions: list[ColumnElement[bool]] = (
        [not_informed(now)] if filters.not_informed else [rules.not_closed(), *_sync_view_conditions(filters, now)]
    )
    conditions += _owner_conditions(filters, viewer)
    if with_category:
        conditions += _category_conditions(filters)
    conditions += _staff_service_date_conditions(filters, time_zone)
    time_flags = (
        (filters.critical, rules.starts_soon),
        (filters.past, rules.started),
        (filters.ancient, rules.long_failing),
        (filters.future_only, rules.not_started),
    )
    conditions += [rule(now) for wanted, rule in time_flags if wanted]
    if filters.q:
        conditions.append(_text_match(filters.q))
    return conditions


def _sync_view_conditions(filters: ReviewFilters, now: datetime) -> list[ColumnElement[bool]]:
    """Stuck is pending for too long, so it narrows the pending view rather than being a state of its own."""
    if filters.sync_status == "failed":
        return [rules.failed()]
    if filters.sync_status == "stuck":
        return [rules.pending(), rules.overdue(now)]
    return [rules.pending()]


def _owner_conditions(filters: ReviewFilters, viewer: User | None) -> list[ColumnElement[bool]]:
    if filters.owner == "unassigned":
        return [Appointment.owner_id.is_(None)]
    if filters.owner == "mine":
        if viewer is None:
            raise ValueError("owner=mine needs the viewer")
        return [Appointment.owner_id == viewer.id]
    return []


def _category_conditions(filters: ReviewFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.categories:
        conditions.append(Appointment.last_error_category.in_(filters.categories))
    if filters.kind == "business":
        conditions.append(rules.needs_person())
    elif filters.kind == "technical":
        conditions.append(rules.waits_for_retry())
    return conditions


def _staff_service_date_conditions(filters: ReviewFilters, time_zone: str) -> list[ColumnElement[bool]]:
    """Staff, service and the date range; ``to`` is inclusive, so it ends at the next local midnight."""
    conditions: list[ColumnElement[bool]] = []
    if filters.staff_id is not None:
        conditions.append(Appointment.staff_id == filters.staff_id)
    if filters.service_id is not None:
        conditions.append(Appointment.service_id == filters.service_id)
    if filters.date_from is not None:
        conditions.append(Appointment.starts_at >= local_midnight(filters.date_from, time_zone))
    if filters.date_to is not None:
        conditions.append(Appointment.starts_at < local_midnight(filters.date_to + timedelta(days=1), time_zone))
    return conditions


class _Contains(FunctionElement[bool]):
    """``column`` holds ``pattern`` (``%…%``, backslash-escaped), whatever the case of ASCII letters.

    SQLite's own ``LIKE`` already ignores that case, as its ``lower()`` does: SQLAlchemy's ``ilike`` adds
    ``lower()`` on both sides anyway, a call per row and column of the failed queue that a search scans (its page
    and counts took 9.8 ms instead of 8.2 at a million appointments). PostgreSQL says ``ILIKE``, which its trigram
    index of the customers serves."""

    type = Boolean()
    inherit_cache = True
    name = "contains"


@compiles(_Contains)
def _contains(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern = (compiler.process(clause, **kw) for clause in element.clauses)
    operator = "LIKE" if compiler.dialect.name == "sqlite" else "ILIKE"
    return f"{column} {operator} {pattern} ESCAPE '\\'"


def _text_match(q: str) -> ColumnElement[bool]:
    """Customer name, e-mail or phone, or the last error's text, contain the words; ``#748`` or ``748`` also finds
    appointment 748.

    The error text is matched on the appointment row itself, within the view's other conditions (a failed or
    pending queue, a company): no index of its own, the queue is small next to the customer table.
    """
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    error_matches = _Contains(Appointment.last_error_message, pattern)
    customer_matches = exists().where(
        Customer.id == Appointment.customer_id,
        or_(
            _Contains(Customer.name, pattern),
            _Contains(Customer.email, pattern),
            _Contains(Customer.phone, pattern),
        ),
    )
    digits = q.removeprefix("#").strip()
    if is_id(digits):
        return or_(Appointment.id == int(digits), customer_matches, error_matches)
    return or_(customer_matches, error_matches)


def _scoped(statement: Select[Any], user: User) -> Select[Any]:
    return scope_to_user(statement, Appointment.company_id, user)


def board_page(user: User, filters: ReviewFilters, now: datetime, time_zone: str, limit: int = PAGE_SIZE) -> BoardPage:
    """One page, soonest start first, after ``filters.after``; ``next_cursor`` is set when more rows follow."""
    statement = (
        select(Appointment)
        .where(*view_conditions(filters, now, time_zone, viewer=user))
        .options(*ROW_PARTS)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit + 1)
    )
    if filters.after is not None:
        cursor = filters.after
        statement = statement.where(
            Appointment.starts_at >= cursor.starts_at,
            or_(
                Appointment.starts_at > cursor.starts_at,
                and_(Appointment.starts_at == cursor.starts_at, Appointment.id > cursor.id),
            ),
        )
    rows = db.session.scalars(_scoped(statement, user)).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = Cursor(rows[-1].starts_at, rows[-1].id) if more and rows else None
    return BoardPage(rows, next_cursor)


COUNT_CAP = 1_000
"""The counts read at most this many rows (plus one, to know there are more), so a board request costs the same at
ten thousand appointments as at a million: a view of every past failure would otherwise group tens of thousands of
rows on every request and every refresh. Past a thousand the board says "more than 1000"; nobody works through
more by hand, and the health dashboard has the exact figures."""


@dataclass(frozen=True)
class BoardCounts:
    """Rows per error category; when ``capped``, the view holds more than ``COUNT_CAP`` rows and the categories
    were counted over ``COUNT_CAP`` + 1 of them (each a lower bound)."""

    items: Sequence[CategoryCount]
    capped: bool = False
    cap: int = COUNT_CAP

    def __iter__(self) -> Iterator[CategoryCount]:
        return iter(self.items)

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)


def category_counts(
    user: User, filters: ReviewFilters, now: datetime, time_zone: str, cap: int | None = None
) -> BoardCounts:
    """Rows per error category in the current scope, ignoring the category and kind filters themselves, so each
    count says what choosing that category would show. Largest first. Bounded: see ``COUNT_CAP``."""
    cap = COUNT_CAP if cap is None else cap
    rows = db.session.execute(_counts_statement(user, filters, now, time_zone, cap)).all()
    return _board_counts([(category, int(number)) for category, number in rows], cap)


def counts_of_page(user: User, filters: ReviewFilters, page: BoardPage, now: datetime, time_zone: str) -> BoardCounts:
    """``category_counts`` for the view ``page`` shows: counted from the page's rows when they are the whole view."""
    known = _whole_view_counts(filters, page)
    return category_counts(user, filters, now, time_zone) if known is None else known


def _whole_view_counts(filters: ReviewFilters, page: BoardPage) -> BoardCounts | None:
    """The counts from the page's own rows, when they are the counts' whole scope: the first page, nothing after it,
    no category or kind chosen (the counts leave those out), and no more rows than the counts read. Else None.

    A search for a rare term checks every failed row ahead; counting the same rows in a second statement doubled
    its time at a million appointments."""
    whole = filters.after is None and page.next_cursor is None and len(page.appointments) <= COUNT_CAP
    if not whole or _category_conditions(filters):
        return None
    tally = Counter(row.last_error_category for row in page.appointments)
    return _board_counts(list(tally.items()), COUNT_CAP)


def _counts_statement(user: User, filters: ReviewFilters, now: datetime, time_zone: str, cap: int) -> Select[Any]:
    scope = _scoped(
        select(Appointment.last_error_category.label("category"))
        .where(*view_conditions(filters, now, time_zone, with_category=False, viewer=user))
        .limit(cap + 1),
        user,
    ).subquery()
    return select(scope.c.category, func.count()).group_by(scope.c.category)


def _board_counts(rows: Sequence[tuple[ErrorCategory | None, int]], cap: int) -> BoardCounts:
    counts = [CategoryCount(category, number) for category, number in rows]
    ordered = sorted(counts, key=lambda item: (-item.count, item.category.value if item.category else ""))
    return BoardCounts(ordered, capped=sum(item.count for item in counts) > cap, cap=cap)


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


STAFF, SERVICE, CATEGORY = 0, 1, 2
"""What a row of the filter form's statement is (its ``kind`` column)."""


def _choices(user: User) -> list[Select[Any]]:
    """Staff and services in the user's scope: kind, id and name, no ORM objects."""
    return [
        scope_to_user(
            select(literal(STAFF).label("kind"), Staff.id, Staff.name, cast(null(), BigInteger).label("number")),
            Staff.company_id,
            user,
        ),
        scope_to_user(
            select(literal(SERVICE), Service.id, Service.name, cast(null(), BigInteger)), Service.company_id, user
        ),
    ]


def filter_choices(user: User) -> tuple[list[Choice], list[Choice]]:
    """Staff and services for the filter form, in the user's scope, in one statement. Staff keep their id in the
    label: the same person can exist twice."""
    both = union_all(*_choices(user)).subquery()
    rows = db.session.execute(select(both).order_by(both.c.kind, both.c.name, both.c.id)).all()
    return _split_choices(rows)


def _split_choices(rows: Sequence[Any]) -> tuple[list[Choice], list[Choice]]:
    return (
        [Choice(ident, name) for kind, ident, name, _ in rows if kind == STAFF],
        [Choice(ident, name) for kind, ident, name, _ in rows if kind == SERVICE],
    )


@dataclass(frozen=True)
class FilterForm:
    """What the full page's filter form shows: the counts per category, and the staff and services to choose."""

    counts: BoardCounts
    staff: list[Choice]
    services: list[Choice]


def filter_form(user: User, filters: ReviewFilters, page: BoardPage, now: datetime, time_zone: str) -> FilterForm:
    """``counts_of_page`` and ``filter_choices`` together in one statement, for the full page."""
    known = _whole_view_counts(filters, page)
    if known is not None:
        return FilterForm(known, *filter_choices(user))
    counts = _counts_statement(user, filters, now, time_zone, COUNT_CAP).subquery()
    by_category = select(literal(CATEGORY), cast(null(), Integer), cast(counts.c.category, String), counts.c[1])
    everything = union_all(*_choices(user), by_category).subquery()
    rows = db.session.execute(select(everything).order_by(everything.c.kind, everything.c.name, everything.c.id)).all()
    staff, services = _split_choices(rows)
    tallies = [
        (ErrorCategory(name) if name else None, int(number)) for kind, _, name, number in rows if kind == CATEGORY
    ]
    return FilterForm(_board_counts(tallies, COUNT_CAP), staff, services)


def changed_since(user: User, since: datetime, limit: int) -> Sequence[Appointment]:
    """The user's appointments changed after ``since`` (by anyone: an agent, the engine, a Cal.com webhook), newest
    change first, with what their rows show."""
    statement = (
        select(Appointment)
        .where(Appointment.updated_at > since)
        .options(*ROW_PARTS)
        .order_by(Appointment.updated_at.desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(scope_to_user(statement, Appointment.company_id, user)).unique().all()


def load_row(appointment_id: int) -> Appointment | None:
    """One appointment with everything its board row shows, fresh from the database."""
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .options(*ROW_PARTS)
        .execution_options(populate_existing=True)
    ).first()


@dataclass(frozen=True)
class History:
    attempts: Sequence[SyncAttempt]
    audit: Sequence[AuditEvent]
    calls: Sequence[Call]


def history(appointment: Appointment) -> History:
    """Everything said to and by Cal.com about the appointment, who changed it, and the calls that booked it;
    newest first."""
    attempts = db.session.scalars(
        select(SyncAttempt)
        .where(SyncAttempt.appointment_id == appointment.id)
        .order_by(SyncAttempt.at.desc(), SyncAttempt.id.desc())
    ).all()
    audit = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.appointment_id == appointment.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    calls = db.session.scalars(
        select(Call).where(Call.appointment_id == appointment.id).order_by(Call.created_at.desc())
    ).all()
    return History(attempts, audit, calls)
