"""The dashboard's tables as CSV downloads: failed appointments by category, staff and service, and the team's work.

Each file holds what its table on the dashboard shows, for the same moment (``views.clock``) and company scope; the
format is ``ops_ui.spreadsheet``'s (``;``, UTF-8 with BOM, formula-safe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import abort
from flask.typing import ResponseReturnValue

from ops_ui.auth.permissions import signed_in_user
from ops_ui.company_time import company_zone
from ops_ui.extensions import db
from ops_ui.formatting import zone
from ops_ui.health import bp, views
from ops_ui.health.metrics import Breakdown, failed_by_staff_and_service, open_counts
from ops_ui.health.team import team_figures, whole_minutes
from ops_ui.i18n import gettext as _
from ops_ui.spreadsheet import Cell, csv_response

Table = tuple[list[str], list[Sequence[Cell]]]


def _breakdown(heading: str, rows: Sequence[Breakdown], with_kind: bool = False) -> Table:
    header = [heading, _("Kind"), _("Failed")] if with_kind else [heading, _("Failed")]
    cells: list[Sequence[Cell]] = [
        [row.label, row.kind, row.count] if with_kind else [row.label, row.count] for row in rows
    ]
    return header, cells


def _by_category(company_id: int | None) -> Table:
    _counts, by_category, _earliest = open_counts(db.session, views.clock(), company_id)
    return _breakdown(_("Category"), by_category, with_kind=True)


def _by_staff(company_id: int | None) -> Table:
    return _breakdown(_("Staff"), failed_by_staff_and_service(db.session, company_id)[0])


def _by_service(company_id: int | None) -> Table:
    return _breakdown(_("Service"), failed_by_staff_and_service(db.session, company_id)[1])


def _team(company_id: int | None) -> Table:
    team = team_figures(db.session, views.clock(), company_id)
    header = [
        _("Person"),
        _("Actions (24 h)"),
        _("Actions (7 days)"),
        _("Resolved (24 h)"),
        _("Resolved (7 days)"),
        _("Median minutes to resolve (7 days)"),
    ]
    rows: list[Sequence[Cell]] = [
        [
            agent.name,
            agent.actions_day,
            agent.actions_week,
            agent.resolved_day,
            agent.resolved_week,
            whole_minutes(agent.median_to_resolve),
        ]
        for agent in team.agents
    ]
    return header, rows


TABLES: dict[str, Callable[[int | None], Table]] = {
    "category": _by_category,
    "staff": _by_staff,
    "service": _by_service,
    "team": _team,
}


@bp.get("/health/export/<table>.csv")
def export_csv(table: str) -> ResponseReturnValue:
    """One dashboard table as a CSV download; an unknown table is a 404."""
    build = TABLES.get(table)
    if build is None:
        abort(404)
    company_id = signed_in_user().company_id
    header, rows = build(company_id)
    stamp = views.clock().astimezone(zone(company_zone(db.session, company_id))).strftime("%Y-%m-%d-%H%M")
    return csv_response(f"sync-desk-{table}-{stamp}.csv", header, rows)
