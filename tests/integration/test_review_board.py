"""The review board's filters, keyset pages, counts, scope, roles and detail page, through the real views."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import Appointment, AuditEvent, Call, Company, Role, SyncAttempt, SyncOperation, SyncStatus
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user
from tests.support.records import state_of
from tests.support.statements import statements_run_by

Failed = Callable[..., Appointment]
ACTION_LABELS = ("Retry sync", "Reschedule", "Reassign", "Cancel appointment", "Edit contact")
ACTION_POSTS = ("/retry", "/reschedule", "/reassign", "/cancel", "/contact")
PANEL_GETS = ("/reschedule", "/reassign", "/cancel", "/contact")


@pytest.fixture
def failed(now: datetime) -> Failed:
    """Builds a failed appointment starting ``starts_in`` after the test's ``now`` (the board reads the real clock,
    which is a moment later)."""

    def build(company: Company, starts_in: timedelta = timedelta(days=3), **fields: Any) -> Appointment:
        customer = fields.pop("customer", None) or make_customer(company)
        service = fields.pop("service", None) or make_service(company)
        staff = fields.pop("staff", None)
        return make_appointment(
            customer,
            service,
            staff,
            starts_at=(now + starts_in).replace(microsecond=0),
            sync_status=fields.pop("sync_status", SyncStatus.FAILED),
            last_error_category=fields.pop("last_error_category", ErrorCategory.HOST_CONFLICT),
            last_error_message=fields.pop("last_error_message", "User already has booking at this time"),
            attempt_count=1,
            failed_since=fields.pop("failed_since", now - timedelta(hours=1)),
            **fields,
        )

    return build


def _ids(body: str) -> list[int]:
    return [int(match) for match in re.findall(r'<tbody id="appt-(\d+)"', body)]


def _board(client: FlaskClient, query: str = "", **headers: str) -> tuple[int, str]:
    response = client.get(f"/review?{query}", headers=headers)
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def company(app: Flask) -> Company:
    return make_company()


@pytest.fixture
def agent_client(client: FlaskClient, company: Company) -> FlaskClient:
    login(client, make_user(Role.AGENT, company=company))
    return client


def test_default_view_is_future_failures_soonest_first_and_past_ones_have_their_own_filter(
    agent_client, company, failed
):
    later = failed(company, timedelta(days=5))
    sooner = failed(company, timedelta(hours=5))
    past = failed(company, timedelta(days=-2), last_error_category=ErrorCategory.SERVER_ERROR)

    assert _ids(_board(agent_client)[1]) == [sooner.id, later.id]
    assert _ids(_board(agent_client, "past=1")[1]) == [past.id]
    assert _ids(_board(agent_client, "ancient=1")[1]) == [past.id]


@pytest.fixture
def narrowing_board(company: Company, failed: Failed, now: datetime) -> dict[str, Any]:
    """Four failures and a pending one that each filter tells apart; their ids and the names filters take."""
    anna, mia = make_staff(company, "Anna Becker"), make_staff(company, "Mia Wagner")
    perm, cut = make_service(company, "Dauerwelle", 135), make_service(company, "Herrenhaarschnitt", 30)
    rows = {
        "conflict": failed(company, timedelta(hours=30), staff=anna, service=perm),
        "timeout": failed(
            company, timedelta(days=4), staff=mia, service=cut, last_error_category=ErrorCategory.TIMEOUT
        ),
        "contact": failed(
            company,
            timedelta(days=10),
            staff=mia,
            service=perm,
            last_error_category=ErrorCategory.MISSING_CONTACT,
            customer=make_customer(company, "Anonymer Anrufer", email=None, phone="anonymous_1732_9f3a2c"),
            failed_since=now - timedelta(days=9),
        ),
        "pending": failed(company, timedelta(days=2), sync_status=SyncStatus.PENDING, last_error_category=None),
    }
    timeout_day = (now + timedelta(days=4)).astimezone(ZoneInfo(company.time_zone)).date().isoformat()
    names = {"mia": mia.id, "perm": perm.id, "timeout_day": timeout_day, "timeout": rows["timeout"].id}
    return {"ids": {name: row.id for name, row in rows.items()}, "names": names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=HOST_CONFLICT", ["conflict"]),
        ("category=HOST_CONFLICT&category=TIMEOUT", ["conflict", "timeout"]),
        ("kind=business", ["conflict", "contact"]),
        ("kind=technical", ["timeout"]),
        ("staff={mia}", ["timeout", "contact"]),
        ("service={perm}", ["conflict", "contact"]),
        ("from={timeout_day}&to={timeout_day}", ["timeout"]),
        ("critical=1", ["conflict"]),
        ("ancient=1", ["contact"]),
        ("q=anonym", ["contact"]),
        ("q=%23{timeout}", ["timeout"]),
        ("q=erika@kunden", ["conflict", "timeout"]),
        ("sync_status=pending", ["pending"]),
        ("kind=business&staff={mia}&service={perm}", ["contact"]),
    ],
)
def test_each_filter_narrows_the_board(agent_client, narrowing_board, query, expected):
    status, body = _board(agent_client, query.format(**narrowing_board["names"]))
    assert (status, _ids(body)) == (200, [narrowing_board["ids"][name] for name in expected])


def test_stuck_means_pending_and_overdue_by_more_than_a_quarter_hour(agent_client, company, failed, now):
    stuck = failed(company, sync_status=SyncStatus.PENDING, last_error_category=None)
    stuck.created_at = now - timedelta(hours=1)
    waiting = failed(company, sync_status=SyncStatus.PENDING, last_error_category=None)
    waiting.next_retry_at = now + timedelta(minutes=30)
    db.session.commit()
    assert _ids(_board(agent_client, "sync_status=stuck")[1]) == [stuck.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=NOPE", "category"),
        ("kind=urgent", "kind"),
        ("staff=abc", "staff"),
        ("service=-1", "service"),
        ("from=24.11.2026", "from"),
        ("from=2026-11-24&to=2026-11-01", "to"),
        ("critical=maybe", "critical"),
        ("sync_status=lost", "sync_status"),
        ("after=garbage", "after"),
        ("staff=%C2%B2", "staff"),
        ("service=%C2%B2", "service"),
        ("to=9999-12-31", "to"),
        ("from=0001-01-01", "from"),
        ("after=2026-11-24T09:00:00%2B00:00,%C2%B2", "after"),
        ("after=2026-11-24T09:00:00%2B00:00," + "9" * 30, "after"),
        ("after=0001-01-01T00:30:00%2B01:00,1", "after"),
    ],
)
def test_invalid_filter_values_answer_422_with_the_field_named(agent_client, query, field):
    status, body = _board(agent_client, query)
    assert status == 422
    assert f'id="filter-{field}-error"' in body
    status, fragment = _board(agent_client, query, **HTMX_HEADERS)
    assert status == 422
    assert f"<strong>{field}</strong>" in fragment
    assert "<html" not in fragment


def test_search_finds_words_of_the_error_text_as_well_as_the_customer(agent_client, company, failed):
    refused = failed(company, last_error_message="Invalid attendee e-mail: anna@example.d\nBody: {...}")
    failed(company, last_error_message="Simulated 503 Service Unavailable")

    assert _ids(_board(agent_client, "q=attendee+e-mail")[1]) == [refused.id]
    assert _ids(_board(agent_client, "q=503%25")[1]) == []  # a % is a character, not a wildcard


def test_search_ignores_case_with_the_databases_own_match_and_no_lower_call_per_row(agent_client, company, failed):
    """On SQLite, ``lower(column) LIKE lower(pattern)`` cost a call per row and column of the failed queue the search
    scans; SQLite's ``LIKE`` already ignores the case of ASCII letters. PostgreSQL says ``ILIKE``."""
    refused = failed(company, last_error_message="Invalid attendee e-mail", customer=make_customer(company, "Ida Roth"))

    with statements_run_by(agent_client.application) as statements:
        by_error = _ids(_board(agent_client, "q=ATTENDEE")[1])
    by_name = _ids(_board(agent_client, "q=iDA+r")[1])

    assert by_error == by_name == [refused.id]
    searches = [statement for statement in statements if "LIKE " in statement]
    assert searches and not [statement for statement in searches if "lower(" in statement]


LOOKS_LIKE_A_NUMBER = ["²", "#²", "١٢", "9" * 13]


@pytest.mark.parametrize("q", LOOKS_LIKE_A_NUMBER)
def test_search_for_something_that_only_looks_like_a_number_is_a_text_search(agent_client, company, failed, q):
    appointment = failed(company, customer=make_customer(company, f"Kundin {q}"))
    assert _ids(agent_client.get("/review", query_string={"q": q}).get_data(as_text=True)) == [appointment.id]


@pytest.mark.parametrize("path", ["/review", "/review/counts"])
@pytest.mark.parametrize("q", LOOKS_LIKE_A_NUMBER)
def test_htmx_search_for_something_that_only_looks_like_a_number_answers_200(agent_client, company, failed, path, q):
    failed(company, customer=make_customer(company, f"Kundin {q}"))
    assert agent_client.get(path, query_string={"q": q}, headers=HTMX_HEADERS).status_code == 200


def test_filters_apply_live_and_push_the_url(agent_client):
    body = _board(agent_client)[1]
    form = body[body.index('<form id="filters"') : body.index(">", body.index('<form id="filters"'))]
    assert 'method="get"' in form
    assert 'hx-push-url="true"' in form
    assert 'hx-trigger="change, keyup changed delay:300ms from:input[name=q]"' in form
    assert 'hx-target="#board-results"' in form


def test_htmx_request_gets_the_results_fragment_with_vary(agent_client, company, failed):
    failed(company)
    response = agent_client.get("/review?kind=business", headers=HTMX_HEADERS)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="board-results"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def _cursor_of(body: str) -> str | None:
    match = re.search(r'hx-get="([^"]*after=[^"]*)"', body)
    if not match:
        return None
    url = match.group(1).replace("&amp;", "&")
    return parse_qs(urlsplit(url).query)["after"][0]


def test_load_more_pages_by_keyset_without_duplicates_or_gaps(agent_client, company, failed):
    agent_client.application.config["REVIEW_PAGE_SIZE"] = 7
    same_start = timedelta(days=2)
    created = [failed(company, same_start).id for _ in range(5)]  # ties on the start: the id breaks them
    created += [failed(company, timedelta(days=3, hours=index)).id for index in range(12)]

    seen: list[int] = []
    status, body = _board(agent_client, "kind=business")
    seen += _ids(body)
    pages = 1
    while cursor := _cursor_of(body):
        status, body = _board(agent_client, f"kind=business&after={cursor}", **HTMX_HEADERS)
        assert status == 200
        assert "<thead>" not in body
        seen += _ids(body)
        pages += 1
    assert pages == 3
    assert seen == created
    assert len(set(seen)) == len(seen)


def test_counts_per_category_follow_the_filter_scope_and_refresh_on_review_changed(agent_client, company, failed):
    staff = make_staff(company)
    for _ in range(3):
        failed(company, staff=staff)
    failed(company, last_error_category=ErrorCategory.TIMEOUT)
    failed(company, timedelta(days=-1), last_error_category=ErrorCategory.TIMEOUT)  # past: not in the default view

    body = _board(agent_client, "category=HOST_CONFLICT")[1]
    counts = body[body.index('<section id="counts"') :]
    assert 'hx-trigger="review-changed from:body"' in counts
    assert re.search(r'data-category="HOST_CONFLICT">\s*Host conflict <span class="count">3</span>', counts)
    assert re.search(r'data-category="TIMEOUT">\s*Timeout <span class="count">1</span>', counts)
    assert len(_ids(body)) == 3

    fragment = agent_client.get(f"/review/counts?staff={staff.id}").get_data(as_text=True)
    assert fragment.startswith('<section id="counts"')
    assert '<span class="count">3</span>' in fragment
    assert "TIMEOUT" not in fragment


def _counts_section(body: str) -> str:
    return body[body.index('<section id="counts"') : body.index("</section>", body.index('<section id="counts"'))]


@pytest.mark.parametrize("headers", [{}, HTMX_HEADERS], ids=["page", "htmx"])
def test_a_view_on_one_page_is_counted_from_its_rows_with_the_counts_the_database_gives(
    agent_client, company, failed, headers
):
    """A search for a rare term checks every failed row ahead, in the page's statement and again in the counts'."""
    for _ in range(2):
        failed(company, customer=make_customer(company, "Ida Roth"))
    failed(company, last_error_category=ErrorCategory.TIMEOUT, customer=make_customer(company, "Ida Roth"))
    failed(company, last_error_category=ErrorCategory.TIMEOUT)  # another customer: not found

    with statements_run_by(agent_client.application) as statements:
        status, body = _board(agent_client, "q=Ida+Roth", **headers)

    from_database = agent_client.get("/review/counts?q=Ida+Roth").get_data(as_text=True)
    assert status == 200 and len(_ids(body)) == 3
    assert re.search(r'data-category="HOST_CONFLICT">\s*Host conflict <span class="count">2</span>', body)
    assert re.search(r'data-category="TIMEOUT">\s*Timeout <span class="count">1</span>', body)
    assert _counts_section(body) == _counts_section(from_database)
    assert not [statement for statement in statements if "count(*)" in statement]


def test_a_view_over_more_than_one_page_is_counted_by_the_database_on_each_of_its_pages(agent_client, company, failed):
    for _ in range(3):
        failed(company, customer=make_customer(company, "Ida Roth"))
    agent_client.application.config["REVIEW_PAGE_SIZE"] = 2

    first = _board(agent_client, "q=Ida+Roth")[1]
    cursor = _cursor_of(first)
    assert cursor is not None
    last = _board(agent_client, f"q=Ida+Roth&after={cursor}")[1]  # without JavaScript: the whole page again

    assert (len(_ids(first)), len(_ids(last))) == (2, 1)
    for body in (first, last):
        assert re.search(r'data-category="HOST_CONFLICT">\s*Host conflict <span class="count">3</span>', body)


def test_query_count_does_not_grow_with_rows_or_pages(agent_client, company, failed):
    server = agent_client.application
    failed(company, staff=make_staff(company))
    with statements_run_by(server) as few:
        _board(agent_client)
    for index in range(30):
        failed(company, timedelta(days=1, hours=index), staff=make_staff(company, f"Staff {index}"))
    with statements_run_by(server) as many:
        body = _board(agent_client)[1]
    assert len(_ids(body)) == 31
    assert few, "no statement of the request was seen"
    assert len(many) == len(few)

    server.config["REVIEW_PAGE_SIZE"] = 10
    body = _board(agent_client)[1]
    per_page = []
    while cursor := _cursor_of(body):
        with statements_run_by(server) as statements:
            body = _board(agent_client, f"after={cursor}", **HTMX_HEADERS)[1]
        per_page.append((len(_ids(body)), len(statements)))
    assert [rows for rows, _ in per_page] == [10, 10, 1]
    assert len({count for _, count in per_page}) == 1, per_page


def test_company_scope_hides_other_companies_from_the_board_and_its_search(client, failed):
    mine, other = make_company("Mine"), make_company("Other")
    own = failed(mine)
    foreign = failed(other)
    login(client, make_user(Role.AGENT, company=mine))

    assert _ids(client.get("/review").get_data(as_text=True)) == [own.id]
    assert _ids(client.get(f"/review?q=%23{foreign.id}").get_data(as_text=True)) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", path) for path in ("", "/row", *PANEL_GETS)] + [("POST", path) for path in ACTION_POSTS],
)
def test_another_companys_appointment_answers_404_on_every_route_and_is_left_alone(client, failed, method, path):
    mine, other = make_company("Mine"), make_company("Other")
    failed(mine)
    foreign = failed(other)
    before = state_of(foreign.id)
    login(client, make_user(Role.AGENT, company=mine))
    token = csrf_token(client, "/review")

    response = client.open(
        f"/review/{foreign.id}{path}", method=method, data={"csrf_token": token, "version": foreign.version}
    )

    assert response.status_code == 404
    assert state_of(foreign.id) == before


def test_manager_sees_the_board_read_only(client, company, failed):
    appointment = failed(company)
    login(client, make_user(Role.MANAGER, company=company))
    body = client.get("/review").get_data(as_text=True)
    assert appointment.id in _ids(body)
    assert [label for label in ACTION_LABELS if f">{label}</button>" in body] == []
    assert "read-only" in body


@pytest.mark.parametrize(
    ("method", "path"), [("GET", path) for path in PANEL_GETS] + [("POST", path) for path in ACTION_POSTS]
)
def test_manager_is_refused_every_action_with_403_and_changes_nothing(client, company, failed, method, path):
    appointment = failed(company)
    before = state_of(appointment.id)
    login(client, make_user(Role.MANAGER, company=company))
    token = csrf_token(client, "/review")

    response = client.open(
        f"/review/{appointment.id}{path}", method=method, data={"csrf_token": token, "version": appointment.version}
    )

    assert response.status_code == 403
    assert state_of(appointment.id) == before


def test_agent_sees_every_action_button_with_the_version_it_was_based_on(agent_client, company, failed):
    appointment = failed(company)
    body = _board(agent_client)[1]
    assert [label for label in ACTION_LABELS if f">{label}</button>" not in body] == []
    assert f'name="version" value="{appointment.version}"' in body
    assert 'hx-disabled-elt="this"' in body
    assert f'hx-post="/review/{appointment.id}/retry"' in body


def test_post_without_csrf_token_is_refused_and_changes_nothing(agent_client, company, failed):
    appointment = failed(company)
    before = state_of(appointment.id)

    response = agent_client.post(
        f"/review/{appointment.id}/cancel", data={"version": appointment.version, "reason_code": "duplicate"}
    )

    assert response.status_code == 400
    assert state_of(appointment.id) == before


@pytest.mark.parametrize("page", ["board", "detail"])
def test_markup_in_error_text_and_customer_name_is_escaped(agent_client, company, failed, page):
    customer = make_customer(company, name="<b>Bold</b> Kunde")
    appointment = failed(company, customer=customer, last_error_message='<img src=x onerror="alert(1)">\nline two')
    path = "/review" if page == "board" else f"/review/{appointment.id}"

    body = agent_client.get(path).get_data(as_text=True)

    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=" in body
    assert "<b>Bold</b>" not in body
    assert "&lt;b&gt;Bold&lt;/b&gt; Kunde" in body


def test_detail_page_shows_call_attempts_with_full_bodies_and_audit_newest_first(agent_client, company, failed, now):
    appointment = failed(company)
    long_body = '{"status":"error","error":{"message":"<x>' + "y" * 70_000 + '"}}'
    db.session.add_all(
        [
            Call(
                external_call_id="call_9f3a", company_id=company.id, booking_confirmed=True,
                appointment_id=appointment.id,
            ),
            SyncAttempt(
                appointment_id=appointment.id, operation=SyncOperation.CREATE, method="POST", path="/v2/bookings",
                request_body='{"start":"2026-11-24T09:00:00Z"}', response_status=409, response_body=long_body,
                error_category=ErrorCategory.HOST_CONFLICT, error_message="first", at=now - timedelta(hours=2),
            ),
            SyncAttempt(
                appointment_id=appointment.id, operation=SyncOperation.CREATE, method="POST", path="/v2/bookings",
                response_status=500, error_message="second", at=now - timedelta(hours=1),
            ),
            AuditEvent(
                appointment_id=appointment.id, action="retry_failed", note="older", at=now - timedelta(hours=2)
            ),
            AuditEvent(
                appointment_id=appointment.id, action="contact_update", note="newer", at=now - timedelta(hours=1)
            ),
        ]
    )  # fmt: skip
    db.session.commit()

    response = agent_client.get(f"/review/{appointment.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "call_9f3a" in body
    assert "&lt;x&gt;" + "y" * 70_000 in body
    assert body.index(">second</pre>") < body.index(">first</pre>")
    assert body.index(">newer</pre>") < body.index(">older</pre>")
    assert "{&#34;start&#34;:&#34;2026-11-24T09:00:00Z&#34;}" in body or '{"start":"2026-11-24T09:00:00Z"}' in body
