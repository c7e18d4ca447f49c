"""Health dashboard pages: the panel (page or htmx fragment), its JSON twin, the lists behind two figures, the probe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ops_ui.auth.permissions import public, signed_in_user
from ops_ui.cases.queries import not_informed_count
from ops_ui.company_time import home_zone
from ops_ui.extensions import db
from ops_ui.health import bp
from ops_ui.health.backlog import BacklogCount, backlog_by_age
from ops_ui.health.chart import trend_chart
from ops_ui.health.engine_status import EngineStatus, engine_status
from ops_ui.health.metrics import (
    DEFINITIONS,
    HealthFigures,
    Ratio,
    board_filter,
    breakdown_filter,
    desync_calls,
    desync_count,
    health_figures,
    recent_appointments,
)
from ops_ui.health.team import TeamFigures, team_figures, whole_minutes
from ops_ui.htmx import is_htmx_request, vary_on_htmx
from ops_ui.i18n import lazy_gettext as _l

if TYPE_CHECKING:  # the repair's service reads the desync definition from this package: no import at run time
    from ops_ui.actions.backfill import BackfillReport

LIST_LIMIT = 500


def clock() -> datetime:
    """The dashboard's idea of now; tests replace it to get deterministic windows."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class BoardLinks:
    """The board addresses behind a response's figures and breakdown rows (a hundred and more at scale): the board's
    path is looked up once, not once per link."""

    path: str
    failed_from: date | None

    def figure(self, figure: str) -> str:
        return f"{self.path}?{urlencode(board_filter(figure, self.failed_from))}"

    def breakdown(self, dimension: str, key: str | int) -> str:
        return f"{self.path}?{urlencode(breakdown_filter(dimension, key, self.failed_from))}"


def board_links(figures: HealthFigures) -> BoardLinks:
    return BoardLinks(url_for("review.index"), figures.failed_from)


def _figures() -> HealthFigures:
    return health_figures(db.session, clock(), signed_in_user().company_id)


def _engine(company_id: int | None) -> EngineStatus:
    return engine_status(clock(), company_id, current_app.config)


NOT_INFORMED_DEFINITION = _l(
    "Coming appointments rescheduled, reassigned or cancelled since the customer was last reached."
)


def _not_informed() -> int:
    """Coming appointments whose customer has not been told of the last reschedule, reassign or cancel."""
    company_id = signed_in_user().company_id
    return not_informed_count(None if company_id is None else [company_id], clock())


@bp.get("/health")
def index() -> ResponseReturnValue:
    figures = _figures()
    links = board_links(figures)
    context = {
        "figures": figures,
        "engine": _engine(figures.company_id),
        "chart": trend_chart(figures.trend),
        "definitions": DEFINITIONS | {"not_informed": NOT_INFORMED_DEFINITION},
        "board_url": links.figure,
        "breakdown_url": links.breakdown,
        "team": team_figures(db.session, figures.now, figures.company_id),
        "backlog": backlog_by_age(db.session, figures.now, figures.company_id),
        "not_informed": _not_informed(),
    }
    template = "health/_panel.html" if is_htmx_request() else "health/index.html"
    return vary_on_htmx(current_app.make_response(render_template(template, **context)))


def _team_json(team: TeamFigures, backlog: Sequence[BacklogCount]) -> dict[str, Any]:
    return {
        "team": [
            {
                "user_id": agent.user_id,
                "name": agent.name,
                "actions_24h": agent.actions_day,
                "actions_7d": agent.actions_week,
                "resolved_24h": agent.resolved_day,
                "resolved_7d": agent.resolved_week,
                "median_minutes_to_resolve_7d": whole_minutes(agent.median_to_resolve),
            }
            for agent in team.agents
        ],
        "median_minutes_to_resolve_7d": whole_minutes(team.median_to_resolve),
        "resolutions_timed_7d": team.resolutions_timed,
        "backlog_by_age": {item.bucket.key: item.count for item in backlog},
    }


def _ratio(ratio: Ratio) -> dict[str, Any]:
    return {"part": ratio.part, "whole": ratio.whole, "rate": ratio.rate}


def _json(figures: HealthFigures) -> dict[str, Any]:
    links = board_links(figures)

    def counted(figure: str, count: int) -> dict[str, Any]:
        return {"count": count, "definition": DEFINITIONS[figure], "link": links.figure(figure)}

    def rows(dimension: str, breakdown: Any) -> list[dict[str, Any]]:
        return [
            {
                "key": row.key,
                "label": row.label,
                "kind": row.kind,
                "count": row.count,
                "link": links.breakdown(dimension, row.key) if row.key else None,
            }
            for row in breakdown
        ]

    return {
        "generated_at": figures.now.isoformat(),
        "company_id": figures.company_id,
        "time_zone": figures.time_zone,
        "recent_success": {
            **_ratio(figures.recent_success),
            "definition": DEFINITIONS["recent_success"],
            "link": url_for("health.recent"),
        },
        "attempt_success": {**_ratio(figures.attempt_success), "definition": DEFINITIONS["attempt_success"]},
        "failed": counted("failed", figures.failed),
        "pending": counted("pending", figures.pending),
        "stuck": counted("stuck", figures.stuck),
        "critical": counted("critical", figures.critical),
        "manual_review": counted("manual_review", figures.manual_review),
        "technical": counted("technical", figures.technical),
        "ancient": counted("ancient", figures.ancient),
        "past": counted("past", figures.past),
        "closed_by_cleanup": {"count": figures.closed_by_cleanup, "definition": DEFINITIONS["closed_by_cleanup"]},
        "desync": {"count": figures.desync, "definition": DEFINITIONS["desync"], "link": url_for("health.desync")},
        "reconciliation_open": {
            "count": figures.reconciliation_open,
            "definition": DEFINITIONS["reconciliation_open"],
            "link": url_for("reconcile.index"),
        },
        "by_category": rows("category", figures.by_category),
        "by_staff": rows("staff", figures.by_staff),
        "by_service": rows("service", figures.by_service),
        "trend": [
            {"date": day.date.isoformat(), "synced": day.synced, "failed": day.failed, "rate": day.rate}
            for day in figures.trend
        ],
    }


@bp.get("/health.json")
def as_json() -> ResponseReturnValue:
    figures = _figures()
    team = team_figures(db.session, figures.now, figures.company_id)
    backlog = backlog_by_age(db.session, figures.now, figures.company_id)
    return (
        _json(figures)
        | _team_json(team, backlog)
        | {"engine": _engine(figures.company_id).as_json() | {"definition": DEFINITIONS["engine"]}}
    )


@bp.get("/health/desync")
def desync() -> ResponseReturnValue:
    return desync_page()


def desync_page(preview: BackfillReport | None = None) -> ResponseReturnValue:
    """The desync list with the repair (``backfill_views``); ``preview``: its dry run, shown open (no JavaScript)."""
    user = signed_in_user()
    calls = desync_calls(db.session, user.company_id, LIST_LIMIT)
    return render_template(
        "health/desync.html",
        calls=calls,
        count=desync_count(db.session, user.company_id),
        limit=LIST_LIMIT,
        time_zone=home_zone(user),
        definition=DEFINITIONS["desync"],
        report=preview,
        step="confirm" if preview is not None else "offer",
        can_act=user.can_act,
    )


@bp.get("/health/recent")
def recent() -> ResponseReturnValue:
    user = signed_in_user()
    now = clock()
    appointments = recent_appointments(db.session, now, user.company_id, LIST_LIMIT)
    return render_template(
        "health/recent.html",
        appointments=appointments,
        limit=LIST_LIMIT,
        now=now,
        time_zone=home_zone(user),
        definition=DEFINITIONS["recent_success"],
    )


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """Probe for the process manager: 200 when the database answers and the sync engine's worker ran a pass within
    the last three minutes; 503 (saying which) when either is not so."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health probe: database unreachable")
        try:
            db.session.rollback()
        except SQLAlchemyError:
            current_app.logger.debug("rollback after a failed probe failed too")
        return {"status": "unavailable", "database": "unreachable"}, 503, {"Cache-Control": "no-store"}
    engine = _engine(None)
    if engine.silent:
        body = {"status": "unavailable", "database": "ok", "engine": "silent", **engine.as_json()}
        return body, 503, {"Cache-Control": "no-store"}
    return {"status": "ok", "database": "ok", "engine": engine.as_json()}, 200, {"Cache-Control": "no-store"}


from ops_ui.health import backfill_views, export_views  # noqa: E402, F401  (registers more routes on bp)
