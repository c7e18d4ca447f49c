"""The dashboard's figures of the team's work, from planted audit events, attempts and failing appointments."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.health import views
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Company,
    Role,
    Service,
    Staff,
    SyncAttempt,
    SyncOperation,
    SyncStatus,
    User,
)
from tests.support.auth import login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user
from tests.support.statements import statements_run_by

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FAILED = {"sync_status": "failed"}
SYNCED = {"sync_status": "synced"}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "clock", lambda: NOW)


def _person(company: Company | None, name: str, role: Role = Role.AGENT) -> User:
    user = make_user(role, company=company)
    user.name = name
    db.session.commit()
    return user


def _salon(name: str = "Salon Schnitt") -> tuple[Company, Service, Staff]:
    company = make_company(name)
    return company, make_service(company, "Dauerwelle", 135), make_staff(company, "Fabian Spitzer")


def _appointment(company: Company, service: Service, staff: Staff, **fields: Any) -> Appointment:
    fields.setdefault("starts_at", NOW + timedelta(days=5))
    fields.setdefault("sync_status", SyncStatus.SYNCED)
    fields.setdefault("created_at", NOW - timedelta(days=20))
    return make_appointment(make_customer(company), service, staff, **fields)


def _event(
    appointment: Appointment,
    actor: User | None,
    action: str,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            appointment_id=appointment.id,
            action=action,
            before=before,
            after=after,
            at=at,
        )
    )
    db.session.commit()


def _attempt(appointment: Appointment, at: datetime, succeeded: bool) -> None:
    db.session.add(
        SyncAttempt(
            appointment_id=appointment.id,
            company_id=appointment.company_id,
            operation=SyncOperation.CREATE,
            method="POST",
            path="/v2/bookings",
            succeeded=succeeded,
            at=at,
        )
    )
    db.session.commit()


def _plant_team_work() -> dict[str, Any]:
    """Two agents of one salon, the engine, and an agent of another salon, each with a known record."""
    company, service, staff = _salon()
    anna, ben = _person(company, "Anna Agent"), _person(company, "Ben Agent")
    p1, p2, p3, p4 = (_appointment(company, service, staff) for _ in range(4))
    # p1: failed twice from 90 min ago, resolved by Anna's reschedule an hour ago: 30 minutes.
    _attempt(p1, NOW - timedelta(minutes=90), False)
    _attempt(p1, NOW - timedelta(minutes=70), False)
    _event(p1, None, "sync", NOW - timedelta(minutes=90), {"sync_status": "pending"}, FAILED)
    _event(p1, anna, "reschedule", NOW - timedelta(hours=1), FAILED, SYNCED)
    _attempt(p1, NOW - timedelta(hours=1), True)
    # p2: an old failure that was cured (not part of this streak), then a pre-check failure (no call to Cal.com)
    # 2 h before Anna's retry synced it 3 days ago: 2 hours.
    _attempt(p2, NOW - timedelta(days=5), False)
    _event(p2, None, "sync", NOW - timedelta(days=5), {"sync_status": "pending"}, FAILED)
    _event(p2, None, "sync", NOW - timedelta(days=4), FAILED, SYNCED)
    _event(p2, None, "sync", NOW - timedelta(days=3, hours=2), SYNCED, FAILED)
    _event(p2, anna, "sync", NOW - timedelta(days=3), FAILED, SYNCED)
    # Anna's refused cancellation counts as an action, the skipped bulk item and the events outside 7 days do not;
    # an event exactly 24 h ago is in the week only.
    _event(p4, anna, "cancel_failed", NOW - timedelta(hours=2), FAILED, None)
    _event(p4, anna, "bulk_retry_skipped_failed", NOW - timedelta(hours=1))
    _event(p4, anna, "reschedule", NOW - timedelta(days=8), FAILED, SYNCED)
    _event(p4, anna, "contact_update", NOW - timedelta(hours=24))
    _event(p4, anna, "contact_update", NOW + timedelta(minutes=1))
    # p3: failed 2 h 30 min ago, cancelled by Ben 30 minutes ago: 2 hours.
    _attempt(p3, NOW - timedelta(hours=2, minutes=30), False)
    _event(
        p3,
        ben,
        "cancel",
        NOW - timedelta(minutes=30),
        {"status": "scheduled", "sync_status": "failed"},
        {"status": "cancelled", "sync_status": "synced"},
    )
    # Ben's reschedule of a synced appointment is an action, not a resolution.
    _event(p4, ben, "reschedule", NOW - timedelta(hours=3), SYNCED, SYNCED)
    # The engine's own sync of p4 is nobody's action.
    _event(p4, None, "sync", NOW - timedelta(hours=4), FAILED, SYNCED)
    # Another salon's agent, on their salon's appointment.
    other, other_service, other_staff = _salon("Haarwerk")
    carla = _person(other, "Carla Other")
    _event(_appointment(other, other_service, other_staff), carla, "sync", NOW - timedelta(hours=1), FAILED, SYNCED)
    return {"company": company, "service": service, "staff": staff, "anna": anna, "ben": ben, "carla": carla}


def _row(page: str, user: User) -> dict[str, str]:
    match = re.search(rf'<tr data-user="{user.id}">(.*?)</tr>', page, re.DOTALL)
    assert match, f"no row for {user.name}"
    return dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', match.group(1)))


def test_actions_and_resolutions_per_agent_count_the_planted_events_in_each_window(
    app: Flask, client: FlaskClient
) -> None:
    team = _plant_team_work()
    login(client, _person(team["company"], "Mia Manager", Role.MANAGER))
    page = client.get("/health").get_data(as_text=True)

    assert _row(page, team["anna"]) == {
        "actions_day": "2",
        "actions_week": "4",
        "resolved_day": "1",
        "resolved_week": "2",
        "median_to_resolve": "1 h 15 min",
    }
    assert _row(page, team["ben"]) == {
        "actions_day": "2",
        "actions_week": "2",
        "resolved_day": "1",
        "resolved_week": "1",
        "median_to_resolve": "2 h",
    }
    assert f'data-user="{team["carla"].id}"' not in page  # another salon's agent
    assert "Measured from the first failure" in page


def test_median_time_to_resolve_runs_from_the_first_failure_of_the_streak_per_agent_and_overall(
    app: Flask, client: FlaskClient
) -> None:
    team = _plant_team_work()
    login(client, _person(team["company"], "Mia Manager", Role.MANAGER))
    figures = client.get("/health.json").get_json()

    by_name = {row["name"]: row for row in figures["team"]}
    assert by_name["Anna Agent"]["median_minutes_to_resolve_7d"] == 75  # 30 min and 2 h (not the cured failure)
    assert by_name["Ben Agent"]["median_minutes_to_resolve_7d"] == 120
    assert figures["median_minutes_to_resolve_7d"] == 120  # 30 min, 2 h, 2 h
    assert figures["resolutions_timed_7d"] == 3
    assert [row["name"] for row in figures["team"]] == ["Anna Agent", "Ben Agent"]


def test_a_user_of_all_companies_sees_every_agent(app: Flask, client: FlaskClient) -> None:
    _plant_team_work()
    login(client, _person(None, "Ada Admin", Role.ADMIN))
    names = {row["name"] for row in client.get("/health.json").get_json()["team"]}
    assert names == {"Anna Agent", "Ben Agent", "Carla Other"}


def _failing(company: Company, service: Service, staff: Staff, age: timedelta, **fields: Any) -> Appointment:
    fields.setdefault("last_error_category", ErrorCategory.HOST_CONFLICT)
    return _appointment(company, service, staff, sync_status=SyncStatus.FAILED, failed_since=NOW - age, **fields)


def test_backlog_buckets_count_open_manual_review_items_by_how_long_they_have_failed(
    app: Flask, client: FlaskClient
) -> None:
    company, service, staff = _salon()
    for age in (timedelta(minutes=59), timedelta(hours=1), timedelta(hours=5), timedelta(hours=23, minutes=59)):
        _failing(company, service, staff, age)
    _failing(company, service, staff, timedelta(hours=24))
    _failing(company, service, staff, timedelta(days=6), last_error_category=ErrorCategory.TIMEOUT,
             handover_reason="failed 5 times in a row")  # fmt: skip
    _failing(company, service, staff, timedelta(days=7))
    _failing(company, service, staff, timedelta(days=40), starts_at=NOW - timedelta(days=1))  # past: still waiting
    # Not in the backlog: a technical failure the engine still retries, a cancelled one, another salon's.
    _failing(company, service, staff, timedelta(days=2), last_error_category=ErrorCategory.TIMEOUT)
    _failing(company, service, staff, timedelta(days=2), status=AppointmentStatus.CANCELLED)
    other, other_service, other_staff = _salon("Haarwerk")
    _failing(other, other_service, other_staff, timedelta(days=2))
    login(client, make_user(Role.MANAGER, company=company))

    page = client.get("/health").get_data(as_text=True)
    buckets = dict(re.findall(r'data-bucket="([a-z0-9_]+)">(\d+)<', page))
    assert buckets == {"under_1h": "1", "1h_24h": "3", "1d_7d": "2", "over_7d": "2", "total": "8"}
    manual_review = re.search(r'data-figure="manual_review">(\d+)<', page)
    assert manual_review and manual_review.group(1) == "8"
    total_link = re.search(r'<a href="([^"]+)" data-bucket="total">', page)
    tile_link = re.search(r'id="health-manual-review">\s*<a href="([^"]+)"', page)
    assert total_link and tile_link and total_link.group(1) == tile_link.group(1)
    assert client.get("/health.json").get_json()["backlog_by_age"] == {
        "under_1h": 1,
        "1h_24h": 3,
        "1d_7d": 2,
        "over_7d": 2,
    }


def test_dashboard_statements_do_not_grow_with_the_team(app: Flask, client: FlaskClient) -> None:
    team = _plant_team_work()
    login(client, _person(team["company"], "Mia Manager", Role.MANAGER))
    client.get("/health")
    with statements_run_by(client.application) as few:
        assert client.get("/health").status_code == 200
    for number in range(6):
        agent = _person(team["company"], f"Agent {number}")
        appointment = _appointment(team["company"], team["service"], team["staff"])
        _attempt(appointment, NOW - timedelta(hours=3), False)
        _event(appointment, agent, "sync", NOW - timedelta(hours=2), FAILED, SYNCED)
    with statements_run_by(client.application) as many:
        page = client.get("/health").get_data(as_text=True)
    assert page.count("<tr data-user=") == 8
    assert len(many) == len(few)
    assert len(many) <= 20, many


def test_customers_not_informed_counts_the_companys_moved_appointments_and_links_to_the_board(
    app: Flask, client: FlaskClient
) -> None:
    company, service, staff = _salon()
    other, other_service, other_staff = _salon("Salon Gegenüber")
    agent = _person(company, "Agent Lena")
    _event(_appointment(company, service, staff), agent, "reschedule", NOW - timedelta(hours=1))
    _event(_appointment(company, service, staff), agent, "cancel", NOW - timedelta(hours=2))
    _event(_appointment(other, other_service, other_staff), None, "reschedule", NOW - timedelta(hours=1))
    db.session.commit()
    login(client, make_user(Role.MANAGER, company=company))

    page = client.get("/health").get_data(as_text=True)

    tile = re.search(r'id="health-not-informed">(.*?)</li>', page, re.DOTALL)
    assert tile is not None
    assert 'data-figure="not_informed">2<' in tile.group(1)
    assert "/review?not_informed=1" in tile.group(1)


def _csv(client: FlaskClient, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


def test_dashboard_tables_download_as_csv_with_the_same_figures(app: Flask, client: FlaskClient) -> None:
    team = _plant_team_work()
    company, service, staff = team["company"], team["service"], team["staff"]
    _failing(company, service, staff, timedelta(hours=2))
    _failing(company, service, staff, timedelta(hours=2), last_error_category=ErrorCategory.TIMEOUT)
    login(client, _person(company, "Mia Manager", Role.MANAGER))

    page = client.get("/health").get_data(as_text=True)
    for table in ("category", "staff", "service", "team"):
        assert f'href="/health/export/{table}.csv"' in page

    rows = _csv(client, "/health/export/team.csv")
    assert rows[0] == [
        "Person",
        "Actions (24 h)",
        "Actions (7 days)",
        "Resolved (24 h)",
        "Resolved (7 days)",
        "Median minutes to resolve (7 days)",
    ]
    assert rows[1:] == [["Anna Agent", "2", "4", "1", "2", "75"], ["Ben Agent", "2", "2", "1", "1", "120"]]
    assert _csv(client, "/health/export/category.csv")[1:] == [
        ["Host conflict", "business", "1"],
        ["Timeout", "technical", "1"],
    ]
    assert _csv(client, "/health/export/staff.csv") == [["Staff", "Failed"], ["Fabian Spitzer", "2"]]
    assert client.get("/health/export/nothing.csv").status_code == 404


def test_dashboard_csv_needs_a_session(client: FlaskClient) -> None:
    response = client.get("/health/export/team.csv")
    assert response.status_code == 302
