"""The review board page: failed appointments the user may see, soonest first, error text whole and escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from ops_ui.categories import ErrorCategory
from ops_ui.models import Appointment, AppointmentStatus, Company, Role, SyncStatus
from tests.support.auth import login
from tests.support.factories import (
    make_appointment,
    make_company,
    make_customer,
    make_service,
    make_staff,
    make_user,
    next_weekday_at,
)
from tests.support.statements import statements_run_by

FULL_ERROR = (
    "Cal.com answered 400 Bad Request\n"
    '{"status":"error","error":{"code":"BadRequestException",'
    '"message":"<script>alert(1)</script> attendee.email must be an email"}}\n'
    "X-Request-Id: req_123"
)


def _failed(company: Company, starts_at: datetime | None = None, **fields: object) -> Appointment:
    customer = fields.pop("customer", None) or make_customer(company)
    staff = fields.pop("staff", None)
    return make_appointment(
        customer,
        make_service(company),
        staff,
        starts_at=starts_at,
        sync_status=SyncStatus.FAILED,
        last_error_category=fields.pop("last_error_category", ErrorCategory.VALIDATION_ERROR),
        last_error_message=fields.pop("last_error_message", "attendee.email must be an email"),
        attempt_count=fields.pop("attempt_count", 1),
        **fields,
    )


def _ids_on_page(body: str) -> list[int]:
    return [int(match) for match in re.findall(r'<tbody id="appt-(\d+)"', body)]


def _row(body: str, appointment: Appointment) -> str:
    """The appointment's ``<tbody>``, from its opening tag to its end."""
    start = body.index(f'<tbody id="appt-{appointment.id}"')
    return body[start : body.index("</tbody>", start)]


def _row_classes(body: str, appointment: Appointment) -> set[str]:
    opening = _row(body, appointment).split(">", 1)[0]
    match = re.search(r'\sclass="([^"]*)"', opening)
    assert match, opening
    return set(match.group(1).split())


def test_root_redirects_to_the_review_board(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/review"


def test_lists_only_failed_not_cancelled_appointments_soonest_first(client: FlaskClient) -> None:
    company = make_company()
    later = _failed(company, next_weekday_at(12, days_ahead=5))
    sooner = _failed(company, next_weekday_at(9, days_ahead=2))
    _failed(company, status=AppointmentStatus.CANCELLED)
    make_appointment(make_customer(company), make_service(company), None, sync_status=SyncStatus.SYNCED)
    make_appointment(make_customer(company), make_service(company), None, sync_status=SyncStatus.PENDING)
    login(client, make_user(Role.MANAGER))

    response = client.get("/review")

    assert response.status_code == 200
    assert _ids_on_page(response.get_data(as_text=True)) == [sooner.id, later.id]
    assert "HX-Request" in response.headers["Vary"]


def test_company_scoped_user_sees_only_their_company(client: FlaskClient) -> None:
    mine, other = make_company("Mine"), make_company("Other")
    own = _failed(mine)
    _failed(other)
    login(client, make_user(Role.AGENT, company=mine))
    assert _ids_on_page(client.get("/review").get_data(as_text=True)) == [own.id]


def test_unscoped_user_sees_every_company(client: FlaskClient) -> None:
    first, second = _failed(make_company("A")), _failed(make_company("B"))
    login(client, make_user(Role.ADMIN))
    assert sorted(_ids_on_page(client.get("/review").get_data(as_text=True))) == sorted([first.id, second.id])


def test_full_error_text_is_shown_escaped_in_an_expandable_block(client: FlaskClient) -> None:
    appointment = _failed(make_company(), last_error_message=FULL_ERROR)
    login(client, make_user(Role.AGENT))
    body = client.get("/review").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; attendee.email must be an email" in body
    assert "X-Request-Id: req_123</pre>" in body
    row = body[body.index(f'id="appt-{appointment.id}"') :]
    assert "<summary>Cal.com answered 400 Bad Request</summary>" in row


def test_start_time_is_shown_in_the_company_time_zone(client: FlaskClient) -> None:
    berlin = make_company("Berlin", time_zone="Europe/Berlin")
    winter = _failed(berlin, datetime(2030, 11, 25, 13, 0, tzinfo=UTC))
    summer = _failed(berlin, datetime(2030, 7, 1, 8, 30, tzinfo=UTC))
    login(client, make_user(Role.AGENT))
    body = client.get("/review").get_data(as_text=True)
    assert "Mon 25 Nov 2030, 14:00 CET" in _row(body, winter)
    assert 'datetime="2030-11-25T13:00:00Z"' in _row(body, winter)
    assert "Mon 01 Jul 2030, 10:30 CEST" in _row(body, summer)


def test_contact_problems_are_flagged(client: FlaskClient) -> None:
    company = make_company()
    anonymous = make_customer(company, name="Anon", email=None, phone="anonymous_4917_ab12cd")
    placeholder = make_customer(company, name="Placeholder", email="noreply@example.com", phone="+4930123456")
    _failed(company, customer=anonymous, last_error_category=ErrorCategory.MISSING_CONTACT)
    _failed(company, customer=placeholder, last_error_category=ErrorCategory.MISSING_CONTACT)
    login(client, make_user(Role.AGENT))
    body = client.get("/review").get_data(as_text=True)
    assert "anonymous caller" in body
    assert "placeholder e-mail" in body
    assert "no e-mail" in body
    assert "+4930123456" in body


def test_business_and_technical_failures_have_different_badges(client: FlaskClient, now: datetime) -> None:
    company = make_company()
    _failed(company, staff=make_staff(company, name="Fabian Spitzer"), last_error_category=ErrorCategory.HOST_CONFLICT)
    _failed(company, last_error_category=ErrorCategory.TIMEOUT, attempt_count=4, last_attempt_at=now)
    login(client, make_user(Role.AGENT))
    body = client.get("/review").get_data(as_text=True)
    assert 'class="badge badge-business">Needs a person' in body
    assert 'class="badge badge-technical">Technical — the engine retries it' in body
    assert "Fabian Spitzer" in body
    assert "no staff" in body
    assert "Dauerwelle" in body
    assert "2 h 15 min" in body


def test_appointment_starting_within_two_days_is_marked_critical(client: FlaskClient, now: datetime) -> None:
    company = make_company()
    soon = _failed(company, now + timedelta(hours=3))
    _failed(company, now + timedelta(hours=49))
    login(client, make_user(Role.AGENT))
    body = client.get("/review").get_data(as_text=True)
    assert body.count(">Critical</span>") == 1
    assert {"row-business", "row-critical"} <= _row_classes(body, soon)
    assert "in 2 h" in body or "in 3 h" in body


def test_empty_board_says_so(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    assert "No failed syncs" in client.get("/review").get_data(as_text=True)


def test_page_query_count_does_not_grow_with_rows(client: FlaskClient) -> None:
    company = make_company()
    staff = make_staff(company)
    login(client, make_user(Role.AGENT))
    _failed(company, staff=staff)
    with statements_run_by(client.application) as few:
        client.get("/review")
    for _ in range(6):
        _failed(make_company(), staff=None)
    with statements_run_by(client.application) as many:
        body = client.get("/review").get_data(as_text=True)
    assert len(_ids_on_page(body)) == 7
    assert few, "no statement of the request was seen"
    assert len(many) == len(few)
