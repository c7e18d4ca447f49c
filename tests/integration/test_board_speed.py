"""What the board does to stay fast at scale, and that each shortcut gives the same answer as the long way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from ops_ui.categories import ErrorCategory
from ops_ui.models import Company, Role, SyncStatus
from ops_ui.review import queries
from ops_ui.review.filters import parse_filters
from ops_ui.review.selection import count_in_view
from tests.support.auth import login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user
from tests.support.statements import statements_run_by

BOARD_STATEMENTS = 6
"""Page 1 as a whole page: the user, the time zone, the page, its three row facts in three, the counts, the filter
choices. The same however many rows there are."""


@pytest.fixture
def company(app: Flask) -> Company:
    return make_company()


@pytest.fixture
def agent(client: FlaskClient, company: Company) -> FlaskClient:
    login(client, make_user(Role.AGENT, company=company))
    return client


def _failed(company: Company, days: int, category: ErrorCategory = ErrorCategory.HOST_CONFLICT, **fields):
    return make_appointment(
        make_customer(company),
        make_service(company),
        make_staff(company),
        starts_at=(datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0),
        sync_status=SyncStatus.FAILED,
        last_error_category=category,
        last_error_message="User already has booking at this time",
        attempt_count=1,
        failed_since=datetime.now(UTC) - timedelta(hours=1),
        **fields,
    )


def _in_view(body: str) -> str:
    match = re.search(r"<strong data-bulk-in-view>([^<]+)</strong>", body)
    assert match, "no bulk bar"
    return match.group(1)


def test_row_links_are_the_urls_url_for_builds(agent: FlaskClient, company: Company) -> None:
    appointment = _failed(company, 2)
    body = agent.get("/review").get_data(as_text=True)
    with agent.application.test_request_context():
        expected = {
            endpoint: url_for(endpoint, appointment_id=appointment.id)
            for endpoint in (
                "review.detail",
                "review.retry",
                "review.reschedule_panel",
                "review.reassign_panel",
                "review.contact_panel",
                "review.cancel_panel",
            )
        }
    for endpoint, url in expected.items():
        assert f'"{url}"' in body, endpoint


@pytest.mark.parametrize(
    "query", ["", "category=HOST_CONFLICT", "category=HOST_CONFLICT&category=TIMEOUT", "kind=technical", "past=1"]
)
def test_select_all_n_taken_from_the_counts_is_the_count_of_the_view(agent, company, query) -> None:
    for days, category in ((2, ErrorCategory.HOST_CONFLICT), (3, ErrorCategory.TIMEOUT), (4, ErrorCategory.TIMEOUT)):
        _failed(company, days, category)
    _failed(company, 5, ErrorCategory.TIMEOUT, handover_reason="failed 10 times")
    _failed(company, -2, ErrorCategory.VALIDATION_ERROR)
    body = agent.get(f"/review?{query}").get_data(as_text=True)
    colleague = make_user(Role.AGENT, company=company)
    filters = parse_filters(MultiDict([tuple(pair.split("=", 1)) for pair in query.split("&") if pair]))
    expected = count_in_view(colleague, filters, datetime.now(UTC), company.time_zone)
    assert expected > 0
    assert _in_view(body) == str(expected)


def test_counts_of_a_view_larger_than_the_cap_say_more_than(agent, company, monkeypatch) -> None:
    for days in range(2, 7):
        _failed(company, days)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)

    body = agent.get("/review").get_data(as_text=True)

    assert "More than <strong>3</strong> in this view" in body
    assert '<span class="count">4+</span>' in body
    assert _in_view(body) == "3+"  # "Select all 3+": not counted in full on every page; the retry resolves all


def test_counts_within_the_cap_are_exact(agent, company) -> None:
    for days in range(2, 7):
        _failed(company, days)
    body = agent.get("/review").get_data(as_text=True)
    assert "<strong>5</strong> in this view" in body
    assert '<span class="count">5</span>' in body


def test_page_one_runs_a_fixed_small_number_of_statements(agent, company) -> None:
    server = agent.application
    _failed(company, 2)
    with statements_run_by(server) as few:
        agent.get("/review")
    for days in range(3, 40):
        _failed(company, days)
    with statements_run_by(server) as many:
        body = agent.get("/review").get_data(as_text=True)
    assert body.count('<tbody id="appt-') == 38
    assert len(many) == len(few) <= BOARD_STATEMENTS, [" ".join(s.split())[:80] for s in many]


def test_filter_choices_are_names_and_ids_of_the_users_company_only(agent, company) -> None:
    other = make_company()
    make_staff(other, "Someone Else")
    make_staff(company, "Zora")
    make_staff(company, "Anna")
    body = agent.get("/review").get_data(as_text=True)
    staff = re.findall(r'<option value="\d+"[^>]*>([^<]+) \(#\d+\)</option>', body)
    assert staff == ["Anna", "Zora"]


def test_an_appointment_of_another_company_is_404_with_one_load(agent, company) -> None:
    foreign = _failed(make_company(), 2)
    mine = _failed(company, 2)
    assert agent.get(f"/review/{foreign.id}/row").status_code == 404
    with statements_run_by(agent.application) as statements:
        assert agent.get(f"/review/{mine.id}/row", headers={"HX-Request": "true"}).status_code == 200
    loads = [s for s in statements if s.lstrip().startswith("SELECT appointment.id") and "appointment.id = " in s]
    assert len(loads) == 1, loads
