"""The review board's GET filters: parsed and checked once, so queries and templates see typed values only.

The parameter names are a contract: the health dashboard links to the board with them, and a copied URL must
reproduce the view. A wrong value is the agent's (or a stale link's) mistake, so it becomes a field error shown on
the form (422), never a 500 and never a silently ignored filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from ops_ui.bounded_ids import MAX_ID
from ops_ui.categories import ErrorCategory
from ops_ui.company_time import FIRST_YEAR, LAST_YEAR
from ops_ui.i18n import gettext

SyncView = Literal["failed", "pending", "stuck"]
Kind = Literal["business", "technical"]
OwnerView = Literal["mine", "unassigned"]

SYNC_VIEWS: tuple[SyncView, ...] = ("failed", "pending", "stuck")
KINDS: tuple[Kind, ...] = ("business", "technical")
OWNER_VIEWS: tuple[OwnerView, ...] = ("mine", "unassigned")
Q_MAX = 200
ID = re.compile(r"[0-9]{1,12}")
"""An id as typed in a URL: ASCII digits only (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""Control characters: never typed on purpose, and a NUL makes PostgreSQL refuse the whole query."""
"""Dates outside these years are typing mistakes; refusing them keeps the day arithmetic far from its limits."""
TRUE_VALUES = frozenset({"1", "true", "on", "yes"})
FALSE_VALUES = frozenset({"", "0", "false", "off", "no"})


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: the last row's start and id (the board's sort key)."""

    starts_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.starts_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{self.id}"


@dataclass(frozen=True)
class ReviewFilters:
    sync_status: SyncView = "failed"
    categories: tuple[ErrorCategory, ...] = ()
    kind: Kind | None = None
    staff_id: int | None = None
    service_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    critical: bool = False
    past: bool = False
    ancient: bool = False
    q: str = ""
    owner: OwnerView | None = None
    not_informed: bool = False
    """Appointments whose customer was not yet told about a change made on the board (``ops_ui.cases.queries``)."""
    after: Cursor | None = None
    errors: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def future_only(self) -> bool:
        """The default failed queue holds what can still be saved; past starts have their own filter (``past=1``).

        An explicit time scope (past, ancient, a date range) replaces the default; pending and stuck views are
        about the sync engine, not the agent's queue, so they are never cut by time.
        """
        if self.not_informed:
            return False  # a scope of its own, of appointments not started yet
        return self.sync_status == "failed" and not (self.past or self.ancient or self.date_from or self.date_to)

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The query parameters that reproduce this view (``after`` only when set), optionally changed."""
        view = replace(self, **changes) if changes else self
        pairs: list[tuple[str, str]] = [("sync_status", view.sync_status)]
        pairs += [("category", category.value) for category in view.categories]
        for name, value in (
            ("kind", view.kind),
            ("staff", view.staff_id),
            ("service", view.service_id),
            ("from", view.date_from.isoformat() if view.date_from else None),
            ("to", view.date_to.isoformat() if view.date_to else None),
            ("critical", "1" if view.critical else None),
            ("past", "1" if view.past else None),
            ("ancient", "1" if view.ancient else None),
            ("q", view.q or None),
            ("owner", view.owner),
            ("not_informed", "1" if view.not_informed else None),
            ("after", view.after.encode() if view.after else None),
        ):
            if value is not None:
                pairs.append((name, str(value)))
        return pairs

    def query_string(self, **changes: object) -> str:
        return urlencode(self.params(**changes))

    @property
    def is_default(self) -> bool:
        return self.params() == [("sync_status", "failed")]

    @property
    def active_count(self) -> int:
        """How many of the folded filters narrow the view (the search box stays in sight, so it does not count):
        the number on the form's "Filters (3 active)"."""
        narrowing = (
            self.sync_status != "failed",
            bool(self.categories),
            self.kind is not None,
            self.staff_id is not None,
            self.service_id is not None,
            self.date_from is not None,
            self.date_to is not None,
            self.critical,
            self.past,
            self.ancient,
        )
        return sum(narrowing)


def parse_filters(args: MultiDict[str, str]) -> ReviewFilters:
    """Typed filters from the query string; problems are collected in ``errors`` (field name → sentence)."""
    errors: dict[str, str] = {}
    sync_status = _sync_status(args, errors)
    categories = _categories(args, errors)
    kind = _kind(args, errors)
    staff_id = _positive_int(args, "staff", errors, "Choose a staff member from the list.")
    service_id = _positive_int(args, "service", errors, "Choose a service from the list.")
    date_from = _date(args, "from", errors)
    date_to = _date(args, "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The end date is before the start date."
    q = _search(args, errors)
    owner = _owner(args, errors)
    after = _cursor(args.get("after"), errors)
    return ReviewFilters(
        sync_status=sync_status,
        categories=categories,
        kind=kind,
        staff_id=staff_id,
        service_id=service_id,
        date_from=date_from,
        date_to=date_to,
        critical=_flag(args, "critical", errors),
        past=_flag(args, "past", errors),
        ancient=_flag(args, "ancient", errors),
        q=q,
        owner=owner,
        not_informed=_flag(args, "not_informed", errors),
        after=after,
        errors=errors,
    )


def _sync_status(args: MultiDict[str, str], errors: dict[str, str]) -> SyncView:
    raw = (args.get("sync_status") or "failed").strip()
    if raw not in SYNC_VIEWS:
        errors["sync_status"] = "Choose failed, pending or stuck."
        return "failed"
    return raw


def _categories(args: MultiDict[str, str], errors: dict[str, str]) -> tuple[ErrorCategory, ...]:
    """Repeated ``category`` parameters, in the order given and without duplicates; case does not matter."""
    categories: list[ErrorCategory] = []
    for raw in args.getlist("category"):
        raw = raw.strip()
        if not raw:
            continue
        try:
            category = ErrorCategory(raw.upper())
        except ValueError:
            errors["category"] = f"Unknown error category {raw!r}."
            continue
        if category not in categories:
            categories.append(category)
    return tuple(categories)


def _kind(args: MultiDict[str, str], errors: dict[str, str]) -> Kind | None:
    raw = (args.get("kind") or "").strip()
    if not raw:
        return None
    if raw not in KINDS:
        errors["kind"] = "Choose business or technical."
        return None
    return raw


def _owner(args: MultiDict[str, str], errors: dict[str, str]) -> OwnerView | None:
    raw = (args.get("owner") or "").strip()
    if not raw:
        return None
    if raw not in OWNER_VIEWS:
        errors["owner"] = gettext("Choose mine or unassigned.")
        return None
    return raw


def _search(args: MultiDict[str, str], errors: dict[str, str]) -> str:
    q = (args.get("q") or "").strip()
    if CONTROL.search(q):
        errors["q"] = "Remove the invisible control characters from the search."
        return CONTROL.sub("", q)[:Q_MAX]
    if len(q) > Q_MAX:
        errors["q"] = f"Search for at most {Q_MAX} characters."
        return q[:Q_MAX]
    return q


def is_id(raw: str) -> bool:
    """ASCII digits that fit an id column (at most 2^31 - 1 on every database)."""
    return ID.fullmatch(raw) is not None and int(raw) <= MAX_ID


def _positive_int(args: MultiDict[str, str], name: str, errors: dict[str, str], message: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not is_id(raw) or int(raw) <= 0:
        errors[name] = message
        return None
    return int(raw)


def _in_range(moment: date) -> bool:
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def _date(args: MultiDict[str, str], name: str, errors: dict[str, str]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Use a date like 2026-11-24."
        return None
    if not _in_range(day):
        errors[name] = f"Use a date between {FIRST_YEAR} and {LAST_YEAR}."
        return None
    return day


def _flag(args: MultiDict[str, str], name: str, errors: dict[str, str]) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in TRUE_VALUES:
        return True
    if raw not in FALSE_VALUES:
        errors[name] = "Use 1 to turn this filter on."
    return False


def _cursor(raw: str | None, errors: dict[str, str]) -> Cursor | None:
    """``<ISO start>,<id>`` as written by ``Cursor.encode``; a damaged one is an error, not page 1 again."""
    if not raw:
        return None
    start, _, ident = raw.rpartition(",")
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
        if moment.tzinfo is None or not is_id(ident):
            raise ValueError(raw)
        moment = moment.astimezone(UTC)
        if not _in_range(moment):
            raise ValueError(raw)
    except (ValueError, OverflowError):
        errors["after"] = "This page link is damaged; start from the first page."
        return None
    return Cursor(moment, int(ident))
