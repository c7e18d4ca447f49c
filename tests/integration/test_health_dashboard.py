"""The health dashboard against known data: every figure, its window edges, its link, and who sees what."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from ops_ui import create_app, queue_rules
from ops_ui.categories import ErrorCategory
from ops_ui.engine.due import due_condition
from ops_ui.extensions import db
from ops_ui.health import views
from ops_ui.health.metrics import BOARD_FILTERS, HEADLINE_COUNTS
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    Call,
    Company,
    EnginePass,
    Role,
    Service,
    Staff,
    SyncAttempt,
    SyncOperation,
    SyncStatus,
)
from ops_ui.review.filters import parse_filters
from ops_ui.review.queries import board_page
from tests.support.auth import login
from tests.support.factories import (
    make_appointment,
    make_company,
    make_customer,
    make_service,
    make_staff,
    make_user,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=30)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "clock", lambda: NOW)


@dataclass
class Salon:
    company: Company
    fabian: Staff
    anna: Staff
    perm: Service
    cut: Service
    appointments: dict[str, Appointment]


def _appointment(salon_company: Company, service: Service, staff: Staff | None, **fields: Any) -> Appointment:
    fields.setdefault("created_at", LONG_AGO)
    fields.setdefault("starts_at", NOW + timedelta(days=10))
    return make_appointment(make_customer(salon_company), service, staff, **fields)


def _failed(company: Company, service: Service, staff: Staff | None, category: ErrorCategory, **fields: Any):
    fields.setdefault("attempt_count", 1)
    fields.setdefault("failed_since", NOW - timedelta(hours=1))
    return _appointment(company, service, staff, sync_status=SyncStatus.FAILED, last_error_category=category, **fields)


def _attempt(at: datetime, succeeded: bool, appointment: Appointment | None = None) -> None:
    db.session.add(
        SyncAttempt(
            appointment_id=appointment.id if appointment else None,
            company_id=appointment.company_id if appointment else None,
            operation=SyncOperation.CREATE,
            method="POST",
            path="/v2/bookings",
            succeeded=succeeded,
            at=at,
        )
    )
    db.session.commit()


def _call(company: Company, confirmed: bool, appointment: Appointment | None = None) -> Call:
    call = Call(
        external_call_id=f"call-{company.id}-{db.session.query(Call).count() + 1}",
        company_id=company.id,
        caller_number="anonymous_1732100000_ab12",
        booking_confirmed=confirmed,
        booking_details={"service": "Dauerwelle", "start": "2026-11-24T10:00:00+01:00"},
        appointment_id=appointment.id if appointment else None,
        created_at=NOW - timedelta(hours=2),
    )
    db.session.add(call)
    db.session.commit()
    return call


def build_salon() -> Salon:
    """One salon with every kind of appointment the dashboard counts, each placed on or next to a window edge."""
    company = make_company()
    fabian = make_staff(company, "Fabian Spitzer")
    anna = make_staff(company, "Anna Berg")
    perm = make_service(company, "Dauerwelle", 135)
    cut = make_service(company, "Schnitt", 45)
    a: dict[str, Appointment] = {}
    # Failed, not cancelled: five.
    a["conflict"] = _failed(
        company,
        perm,
        fabian,
        ErrorCategory.HOST_CONFLICT,
        starts_at=NOW + timedelta(hours=10),
        created_at=NOW - timedelta(hours=3),
    )  # critical, business, counted in the 24 h success rate (not synced)
    a["invalid"] = _failed(
        company,
        perm,
        fabian,
        ErrorCategory.VALIDATION_ERROR,
        starts_at=NOW + timedelta(hours=47, minutes=59),
        failed_since=NOW - timedelta(days=8),
    )  # critical (just inside 48 h), business, ancient (failing 8 days)
    a["timeout"] = _failed(
        company,
        cut,
        anna,
        ErrorCategory.TIMEOUT,
        starts_at=NOW + timedelta(hours=48),
        failed_since=NOW - timedelta(days=7),
    )  # not critical (48 h exactly), technical, not ancient (7 days exactly)
    a["past"] = _failed(
        company, cut, fabian, ErrorCategory.PAST_APPOINTMENT, starts_at=NOW - timedelta(hours=1)
    )  # past: ancient, not critical, business
    a["no_staff"] = _failed(
        company,
        cut,
        None,
        ErrorCategory.RATE_LIMITED,
        starts_at=NOW + timedelta(days=5),
        failed_since=NOW - timedelta(days=7, seconds=1),
    )  # technical, ancient (7 days and a second)
    a["cancelled"] = _failed(
        company,
        perm,
        fabian,
        ErrorCategory.HOST_CONFLICT,
        starts_at=NOW + timedelta(hours=2),
        status=AppointmentStatus.CANCELLED,
    )  # counted nowhere
    # Pending: four, two stuck.
    a["fresh"] = _appointment(company, cut, anna, created_at=NOW - timedelta(minutes=10))
    a["forgotten"] = _appointment(company, cut, anna, created_at=NOW - timedelta(minutes=16))
    a["retry_later"] = _appointment(
        company,
        cut,
        anna,
        attempt_count=1,
        last_attempt_at=NOW - timedelta(minutes=20),
        next_retry_at=NOW + timedelta(minutes=30),
    )
    a["retry_overdue"] = _appointment(
        company,
        cut,
        anna,
        attempt_count=1,
        last_attempt_at=NOW - timedelta(hours=1),
        next_retry_at=NOW - timedelta(minutes=16),
    )
    a["pending_cancelled"] = _appointment(
        company, cut, anna, created_at=NOW - timedelta(hours=5), status=AppointmentStatus.CANCELLED
    )
    # Synced: two inside the 24 h window, one on its edge, one in the future, one never attempted.
    for name, created in (
        ("new_ok", NOW - timedelta(hours=23, minutes=59)),
        ("newer_ok", NOW - timedelta(hours=1)),
        ("edge", NOW - timedelta(hours=24)),
        ("future", NOW + timedelta(minutes=1)),
    ):
        a[name] = _appointment(company, perm, anna, sync_status=SyncStatus.SYNCED, attempt_count=1, created_at=created)
    a["unattempted_synced"] = _appointment(
        company, perm, anna, sync_status=SyncStatus.SYNCED, attempt_count=0, created_at=NOW - timedelta(hours=1)
    )
    # Attempts: 24 h window is now - 24 h < at <= now.
    _attempt(NOW - timedelta(hours=24), True, a["edge"])
    _attempt(NOW - timedelta(hours=23, minutes=59), True, a["new_ok"])
    _attempt(NOW - timedelta(hours=1), False, a["conflict"])
    _attempt(NOW, True, a["newer_ok"])
    _attempt(NOW + timedelta(seconds=1), True, a["future"])
    # Calls: one desync.
    _call(company, confirmed=True)
    _call(company, confirmed=True, appointment=a["new_ok"])
    _call(company, confirmed=False)
    return Salon(company, fabian, anna, perm, cut, a)


def build_other_company() -> Company:
    other = make_company("Haarwerk", "Europe/Vienna")
    staff = make_staff(other, "Other Stylist")
    service = make_service(other, "Färben", 90)
    _failed(other, service, staff, ErrorCategory.HOST_CONFLICT, starts_at=NOW + timedelta(hours=5))
    _call(other, confirmed=True)
    return other


def _query(href: str) -> dict[str, list[str]]:
    parts = urlsplit(html.unescape(href))
    assert parts.path == "/review", href
    return parse_qs(parts.query)


def _tile(page: str, key: str) -> tuple[str, str]:
    """(href, value) of a headline tile."""
    match = re.search(
        rf'id="health-{key}">\s*<a href="([^"]+)"[^>]*>.*?data-figure="[^"]+">([^<]+)</span>', page, re.DOTALL
    )
    assert match, f"no tile {key}"
    return match.group(1), match.group(2).strip()


def _manager(company: Company | None = None) -> Any:
    return make_user(Role.MANAGER, company=company)


def test_every_headline_figure_counts_exactly_its_definition(app: Flask, client: FlaskClient) -> None:
    build_salon()
    login(client, _manager())
    data = client.get("/health.json").get_json()

    assert data["recent_success"] | {"definition": None, "link": None} == {
        "part": 2,
        "whole": 3,
        "rate": pytest.approx(2 / 3),
        "definition": None,
        "link": None,
    }
    assert (data["attempt_success"]["part"], data["attempt_success"]["whole"]) == (2, 3)
    figures = {
        key: data[key]["count"]
        for key in ("failed", "pending", "stuck", "critical", "manual_review", "technical", "ancient", "past", "desync")
    }
    assert figures == {
        "failed": 5,
        "pending": 4,
        "stuck": 2,
        "critical": 2,
        "manual_review": 3,
        "technical": 2,
        "ancient": 3,
        "past": 1,
        "desync": 1,
    }
    assert data["time_zone"] == "Europe/Berlin"
    assert data["generated_at"] == NOW.isoformat()


SINCE = ["2026-11-20"]
"""The day of the earliest failed start, which has passed: the board then shows past starts."""


@pytest.mark.parametrize(
    ("key", "query", "value"),
    [
        ("failed", {"sync_status": ["failed"], "from": SINCE}, "5"),
        ("pending", {"sync_status": ["pending"]}, "4"),
        ("stuck", {"sync_status": ["stuck"]}, "2"),
        ("critical", {"sync_status": ["failed"], "critical": ["1"]}, "2"),
        ("manual-review", {"sync_status": ["failed"], "kind": ["business"], "from": SINCE}, "3"),
        ("technical", {"sync_status": ["failed"], "kind": ["technical"], "from": SINCE}, "2"),
        ("ancient", {"sync_status": ["failed"], "ancient": ["1"]}, "3"),
    ],
)
def test_each_headline_links_to_the_board_filtered_to_its_appointments(
    app: Flask, client: FlaskClient, key: str, query: dict[str, list[str]], value: str
) -> None:
    build_salon()
    login(client, _manager())
    page = client.get("/health").get_data(as_text=True)

    href, shown = _tile(page, key)

    assert (_query(href), shown) == (query, value)


def test_success_rate_and_desync_link_to_their_lists_and_every_figure_says_what_it_counts(
    app: Flask, client: FlaskClient
) -> None:
    build_salon()
    login(client, _manager())
    page = client.get("/health").get_data(as_text=True)

    assert _tile(page, "recent-success") == ("/health/recent", "66.67 %")
    assert "2/3 synced" in page
    assert _tile(page, "desync") == ("/health/desync", "1")
    assert "1 already past their start" in page
    # Every figure carries its definition as visible help text and as a tooltip.
    assert page.count('class="health-tile-help"') == 12  # the customers not informed included
    assert 'title="Failed appointments starting within the next 48 hours (not already started)."' in page


def test_breakdowns_count_failed_by_category_staff_and_service_with_board_links(
    app: Flask, client: FlaskClient
) -> None:
    salon = build_salon()
    login(client, _manager())
    data = client.get("/health.json").get_json()

    by_category = {(row["key"], row["kind"]): row["count"] for row in data["by_category"]}
    assert by_category == {
        ("HOST_CONFLICT", "business"): 1,
        ("VALIDATION_ERROR", "business"): 1,
        ("PAST_APPOINTMENT", "business"): 1,
        ("TIMEOUT", "technical"): 1,
        ("RATE_LIMITED", "technical"): 1,
    }
    assert [row["kind"] for row in data["by_category"]] == ["business"] * 3 + ["technical"] * 2
    conflict = next(row for row in data["by_category"] if row["key"] == "HOST_CONFLICT")
    assert _query(conflict["link"]) == {"sync_status": ["failed"], "category": ["HOST_CONFLICT"], "from": SINCE}

    assert [(row["label"], row["count"]) for row in data["by_staff"]] == [
        ("Fabian Spitzer", 3),
        ("Anna Berg", 1),
        ("No staff", 1),
    ]
    assert _query(data["by_staff"][0]["link"]) == {
        "sync_status": ["failed"],
        "staff": [str(salon.fabian.id)],
        "from": SINCE,
    }
    assert data["by_staff"][2]["link"] is None

    assert [(row["label"], row["count"]) for row in data["by_service"]] == [("Schnitt", 3), ("Dauerwelle", 2)]
    assert _query(data["by_service"][1]["link"]) == {
        "sync_status": ["failed"],
        "service": [str(salon.perm.id)],
        "from": SINCE,
    }

    page = client.get("/health").get_data(as_text=True)
    assert f'href="/review?sync_status=failed&amp;staff={salon.fabian.id}&amp;from=2026-11-20">3</a>' in page
    assert 'href="/review?sync_status=failed&amp;category=TIMEOUT&amp;from=2026-11-20">1</a>' in page


@pytest.mark.parametrize(
    ("figure", "names"),
    [
        ("failed", {"conflict", "invalid", "timeout", "past", "no_staff"}),
        ("pending", {"fresh", "forgotten", "retry_later", "retry_overdue"}),
        ("stuck", {"forgotten", "retry_overdue"}),
        ("critical", {"conflict", "invalid"}),
        ("manual_review", {"conflict", "invalid", "past"}),
        ("technical", {"timeout", "no_staff"}),
        ("ancient", {"invalid", "past", "no_staff"}),
        ("past", {"past"}),
    ],
)
def test_every_link_makes_the_board_list_exactly_the_counted_appointments(
    app: Flask, client: FlaskClient, figure: str, names: set[str]
) -> None:
    """Follows each figure's link through the board's own filter parsing and query, at the dashboard's moment."""
    salon = build_salon()
    user = _manager()
    login(client, user)
    data = client.get("/health.json").get_json()

    assert data[figure]["count"] == len(names)
    assert _board_ids(user, data[figure]["link"]) == {salon.appointments[name].id for name in names}


@pytest.mark.parametrize("dimension", ["by_category", "by_staff", "by_service"])
def test_every_breakdown_link_makes_the_board_list_as_many_appointments_as_counted(
    app: Flask, client: FlaskClient, dimension: str
) -> None:
    build_salon()
    user = _manager()
    login(client, user)
    rows = client.get("/health.json").get_json()[dimension]

    linked = [row for row in rows if row["link"]]
    assert linked, "no breakdown row has a link"
    assert {row["label"]: len(_board_ids(user, row["link"])) for row in linked} == {
        row["label"]: row["count"] for row in linked
    }


def _board_ids(user: Any, link: str) -> set[int]:
    filters = parse_filters(MultiDict(parse_qsl(urlsplit(html.unescape(link)).query)))
    assert not filters.errors, filters.errors
    return {appointment.id for appointment in board_page(user, filters, NOW, "Europe/Berlin", limit=1000).appointments}


def test_without_past_failures_the_links_keep_the_boards_plain_failed_view(app: Flask, client: FlaskClient) -> None:
    company = make_company()
    service = make_service(company)
    _failed(company, service, None, ErrorCategory.HOST_CONFLICT, starts_at=NOW + timedelta(days=3))
    login(client, _manager())
    data = client.get("/health.json").get_json()
    assert _query(data["failed"]["link"]) == {"sync_status": ["failed"]}
    assert _query(data["by_service"][0]["link"]) == {"sync_status": ["failed"], "service": [str(service.id)]}


def test_lists_behind_success_rate_and_desync_show_exactly_the_counted_rows(app: Flask, client: FlaskClient) -> None:
    salon = build_salon()
    login(client, _manager())

    recent = client.get("/health/recent").get_data(as_text=True)
    shown = set(map(int, re.findall(r'<tr id="appt-(\d+)"', recent)))
    assert shown == {salon.appointments[name].id for name in ("conflict", "new_ok", "newer_ok")}
    assert recent.index(f'id="appt-{salon.appointments["conflict"].id}"') < recent.index(
        f'id="appt-{salon.appointments["new_ok"].id}"'
    ), "not synced first"

    desync = client.get("/health/desync").get_data(as_text=True)
    assert desync.count('<tr id="call-') == 1
    assert "anonymous caller" in desync
    assert "Dauerwelle" in desync


def test_company_user_sees_only_their_company(app: Flask, client: FlaskClient) -> None:
    build_salon()
    other = build_other_company()

    login(client, _manager(other))
    mine = client.get("/health.json").get_json()
    assert (mine["failed"]["count"], mine["critical"]["count"], mine["desync"]["count"]) == (1, 1, 1)
    assert mine["pending"]["count"] == 0
    assert (mine["recent_success"]["whole"], mine["attempt_success"]["whole"]) == (0, 0)
    assert mine["recent_success"]["rate"] is None
    assert mine["time_zone"] == "Europe/Vienna"
    assert [row["label"] for row in mine["by_staff"]] == ["Other Stylist"]
    assert "Fabian" not in client.get("/health").get_data(as_text=True)
    assert "Fabian" not in client.get("/health/desync").get_data(as_text=True)
    assert client.get("/health/recent").get_data(as_text=True).count('<tr id="appt-') == 0


def test_user_without_company_sees_all_companies_with_days_in_the_first_ones_zone(
    app: Flask, client: FlaskClient
) -> None:
    build_salon()
    build_other_company()
    login(client, make_user(Role.ADMIN))
    everything = client.get("/health.json").get_json()
    assert (everything["failed"]["count"], everything["critical"]["count"], everything["desync"]["count"]) == (6, 3, 2)
    conflicts = [row["count"] for row in everything["by_category"] if row["key"] == "HOST_CONFLICT"]
    assert conflicts == [2], "one row per category, summed over the companies"
    assert everything["company_id"] is None
    assert everything["time_zone"] == "Europe/Berlin", "aggregate days are cut in the first company's zone"
    assert "all companies, days in Europe/Berlin" in client.get("/health").get_data(as_text=True)


def test_agent_of_the_salon_sees_the_salon_figures(app: Flask, client: FlaskClient) -> None:
    salon = build_salon()
    build_other_company()
    login(client, make_user(Role.AGENT, company=salon.company))
    data = client.get("/health.json").get_json()
    assert (data["failed"]["count"], data["desync"]["count"], data["company_id"]) == (5, 1, salon.company.id)


def test_htmx_request_gets_the_self_refreshing_panel_only(app: Flask, client: FlaskClient) -> None:
    build_salon()
    login(client, _manager())
    full = client.get("/health")
    fragment = client.get("/health", headers={"HX-Request": "true"})

    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="health-panel"')
    assert "<html" not in body
    assert 'hx-trigger="every 60s, review-changed from:body"' in body
    assert 'hx-get="/health"' in body and 'hx-swap="outerHTML"' in body
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in full.headers["Vary"]
    assert _tile(body, "failed")[1] == "5"


def test_trend_table_and_chart_show_the_last_30_days(app: Flask, client: FlaskClient) -> None:
    build_salon()
    login(client, _manager())
    data = client.get("/health.json").get_json()
    assert len(data["trend"]) == 30
    assert data["trend"][0]["date"] == "2026-10-22" and data["trend"][-1]["date"] == "2026-11-20"
    # Today up to now: the failed attempt at 11:00 and the one exactly at 12:00; the one a second later is future.
    assert data["trend"][-1] | {"rate": None} == {"date": "2026-11-20", "synced": 1, "failed": 1, "rate": None}
    assert data["trend"][-2] == {"date": "2026-11-19", "synced": 2, "failed": 0, "rate": 1.0}
    assert all(day["rate"] is None for day in data["trend"][:-2])

    page = client.get("/health").get_data(as_text=True)
    assert '<svg viewBox="0 0 720 220"' in page and 'role="img"' in page
    assert "<title>2026-11-19: 2 synced, 0 failed, 100% succeeded</title>" in page
    assert '<time datetime="2026-11-20">2026-11-20</time></th>\n            <td class="num">1</td>' in page


@pytest.mark.parametrize("path", ["/health", "/health.json", "/health/desync", "/health/recent"])
def test_health_pages_need_a_session(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def _engine_passed(seconds_ago: float) -> None:
    started = NOW - timedelta(seconds=seconds_ago)  # the dashboard's clock
    db.session.add(EnginePass(started_at=started, finished_at=started, tried=0, synced=0, failed=0, deferred=0))
    db.session.commit()


def test_healthz_answers_without_login_when_the_database_does_and_the_engine_runs(client: FlaskClient) -> None:
    _engine_passed(30)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"], body["engine"]["silent"]) == ("ok", "ok", False)
    assert body["engine"]["seconds_since_pass"] == 30
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("seconds_ago", [None, 200])
def test_healthz_answers_503_when_the_engine_is_silent(client: FlaskClient, seconds_ago: float | None) -> None:
    if seconds_ago is not None:
        _engine_passed(seconds_ago)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.get_json()["status"], response.get_json()["engine"]) == ("unavailable", "silent")


def test_the_engine_tile_shows_the_last_pass_what_is_due_and_turns_red_when_silent(
    app: Flask, client: FlaskClient
) -> None:
    build_salon()
    login(client, _manager())
    silent = client.get("/health").get_data(as_text=True)
    assert 'class="health-tile health-tile-critical" id="health-engine"' in silent
    assert "not retried: the sync engine is not running" in silent

    _engine_passed(12)
    running = client.get("/health").get_data(as_text=True)
    assert 'class="health-tile" id="health-engine"' in running
    assert _tile(running, "engine")[1] == "12 s ago"
    engine = client.get("/health.json").get_json()["engine"]
    assert engine["silent"] is False and engine["queue_length"] == 0
    assert engine["due_now"] == db.session.scalar(select(func.count(Appointment.id)).where(due_condition(NOW)))


def test_healthz_answers_503_when_the_database_does_not(app_config: dict[str, object], tmp_path: Any) -> None:
    broken = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_empty_database_shows_dashes_not_errors(app: Flask, client: FlaskClient) -> None:
    login(client, _manager())
    data = client.get("/health.json").get_json()
    assert data["recent_success"]["rate"] is None and data["failed"]["count"] == 0
    page = client.get("/health").get_data(as_text=True)
    assert _tile(page, "recent-success")[1] == "—"
    assert "No failed appointments." in page


@pytest.fixture
def moved_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stuck, critical and ancient rules changed in their one place, ``ops_ui.queue_rules``."""
    monkeypatch.setattr(queue_rules, "STUCK_AFTER", timedelta(minutes=5))
    monkeypatch.setattr(queue_rules, "CRITICAL_WINDOW", timedelta(hours=12))
    monkeypatch.setattr(queue_rules, "ANCIENT_AFTER", timedelta(days=1))


@pytest.mark.parametrize(
    ("figure", "names"),
    [
        ("stuck", {"fresh", "forgotten", "retry_overdue"}),
        ("critical", {"conflict"}),
        ("ancient", {"invalid", "timeout", "past", "no_staff"}),
    ],
)
def test_dashboard_and_board_read_one_definition_of_stuck_critical_and_ancient(
    app: Flask, client: FlaskClient, moved_rules: None, figure: str, names: set[str]
) -> None:
    """Change the rules in their one place: each figure and the board rows behind its link move together."""
    salon = build_salon()
    user = _manager()
    login(client, user)
    data = client.get("/health.json").get_json()

    assert data[figure]["count"] == len(names)
    assert _board_ids(user, data[figure]["link"]) == {salon.appointments[name].id for name in names}


def test_every_headline_count_has_a_board_filter() -> None:
    assert set(HEADLINE_COUNTS) == set(BOARD_FILTERS)


@pytest.mark.parametrize("figure", HEADLINE_COUNTS)
def test_with_the_rules_moved_every_headline_count_is_what_its_link_lists(
    app: Flask, client: FlaskClient, moved_rules: None, figure: str
) -> None:
    build_salon()
    user = _manager()
    login(client, user)
    data = client.get("/health.json").get_json()

    assert data[figure]["count"] == len(_board_ids(user, data[figure]["link"]))


def test_every_public_endpoint_named_in_the_allow_list_exists(app: Flask) -> None:
    from ops_ui.auth.permissions import PUBLIC_ENDPOINTS, is_public_endpoint

    assert {endpoint for endpoint in PUBLIC_ENDPOINTS if endpoint not in app.view_functions} == set()
    assert is_public_endpoint(app, "health.healthz")
    assert not is_public_endpoint(app, "health.index")
