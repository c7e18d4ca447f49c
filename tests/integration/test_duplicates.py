"""Possible duplicates on the review board: the same customer at the same start for the same service, both open.

Flagged on every row involved (board and detail page), computed for a page in one statement, and resolved with
"Cancel as duplicate": the ordinary cancel (claim, verified Cal.com write, audit) with the reason ``duplicate``,
keeping the other, whose flag then goes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import sync_appointment
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, Company, Customer, Role, Service, SyncStatus
from tests.support import factories
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.records import audits, fresh, state_of
from tests.support.salon import Salon, booking, make_salon_appointment, make_synced_salon, mark_failed, slot_start
from tests.support.statements import statements_run_by

Failed = Callable[..., Appointment]
FLAG = re.compile(r'<div class="duplicate-flag"[^>]*>(.*?)</div>', re.S)


# --- helpers -----------------------------------------------------------------------------------------------------


@pytest.fixture
def company(app: Flask) -> Company:
    return factories.make_company()


@pytest.fixture
def customer(company: Company) -> Customer:
    return factories.make_customer(company, name="Erika Muster")


@pytest.fixture
def service(company: Company) -> Service:
    return factories.make_service(company, "Dauerwelle", 135)


@pytest.fixture
def failed(now: datetime, customer: Customer, service: Service) -> Failed:
    """A failed appointment (on the board's default view), by default of ``customer`` for ``service`` at one start."""
    start = (now + timedelta(days=3)).replace(microsecond=0)

    def build(**fields: Any) -> Appointment:
        return factories.make_appointment(
            fields.pop("customer", customer),
            fields.pop("service", service),
            fields.pop("staff", None),
            starts_at=fields.pop("starts_at", start),
            sync_status=fields.pop("sync_status", SyncStatus.FAILED),
            last_error_category=fields.pop("last_error_category", ErrorCategory.HOST_CONFLICT),
            last_error_message="User already has booking at this time",
            attempt_count=1,
            failed_since=now - timedelta(hours=1),
            **fields,
        )

    return build


def _as(client: FlaskClient, company: Company, role: Role = Role.AGENT) -> FlaskClient:
    login(client, factories.make_user(role, company=company))
    return client


def _row(body: str, appointment_id: int) -> str:
    start = body.index(f'<tbody id="appt-{appointment_id}"')
    return body[start : body.index("</tbody>", start)]


def _flagged_as_duplicate_of(body: str, appointment_id: int) -> list[int]:
    """The ids the row's "Possible duplicate of" flag links to (empty when the row has no flag)."""
    match = FLAG.search(_row(body, appointment_id))
    if match is None:
        return []
    assert match.group(1).lstrip().startswith("Possible duplicate of"), match.group(1)
    return [int(found) for found in re.findall(r'<a href="/review/(\d+)">#\1</a>', match.group(1))]


def _board(client: FlaskClient) -> str:
    response = client.get("/review")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _detail(client: FlaskClient, appointment_id: int) -> str:
    response = client.get(f"/review/{appointment_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _post_htmx(client: FlaskClient, path: str, **data: Any):
    headers = {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}
    return client.post(path, data=data, headers=headers)


def _cancel_button(row: str) -> str:
    match = re.search(r'<form method="post" action="/review/\d+/cancel-as-duplicate".*?</form>', row, re.S)
    assert match, row
    return match.group(0)


# --- flags -------------------------------------------------------------------------------------------------------


def test_a_pair_is_flagged_on_both_board_rows_and_on_both_detail_pages(client, company, failed):
    first, second = failed(), failed()
    _as(client, company)

    board = _board(client)

    assert _flagged_as_duplicate_of(board, first.id) == [second.id]
    assert _flagged_as_duplicate_of(board, second.id) == [first.id]
    assert _flagged_as_duplicate_of(_detail(client, first.id), first.id) == [second.id]
    assert _flagged_as_duplicate_of(_detail(client, second.id), second.id) == [first.id]


def test_three_of_a_kind_each_name_the_other_two(client, company, failed):
    trio = [failed(), failed(), failed()]
    _as(client, company)

    board = _board(client)

    for appointment in trio:
        others = [other.id for other in trio if other.id != appointment.id]
        assert _flagged_as_duplicate_of(board, appointment.id) == others


def test_a_synced_twin_off_the_board_is_named_first_as_the_one_to_keep(client, company, failed):
    first = failed()
    synced = failed(sync_status=SyncStatus.SYNCED, last_error_category=None)
    last = failed()
    _as(client, company)

    board = _board(client)
    row = _row(board, last.id)

    assert f'<tbody id="appt-{synced.id}"' not in board
    assert _flagged_as_duplicate_of(board, last.id) == [synced.id, first.id]
    assert "(synced)" in row
    assert f'name="keep" value="{synced.id}"' in _cancel_button(row)


@pytest.mark.parametrize("closed", [AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED])
def test_no_flag_when_the_other_is_cancelled_or_expired(client, company, failed, closed):
    kept, other = failed(), failed()
    other.status = closed
    db.session.commit()
    _as(client, company)

    assert _flagged_as_duplicate_of(_board(client), kept.id) == []
    assert _flagged_as_duplicate_of(_detail(client, other.id), other.id) == []


def test_no_flag_when_service_start_or_customer_differ(client, company, failed, now):
    base = failed()
    other_service = failed(service=factories.make_service(company, "Föhnen", 30))
    other_start = failed(starts_at=base.starts_at + timedelta(minutes=30))
    namesake = failed(customer=factories.make_customer(company, name="Erika Muster"))  # same name, other customer
    _as(client, company)

    board = _board(client)

    for appointment in (base, other_service, other_start, namesake):
        assert _flagged_as_duplicate_of(board, appointment.id) == [], appointment.id
    assert "Cancel as duplicate" not in board


def test_duplicates_cost_one_statement_per_page_whatever_their_number(client, company, failed, now):
    failed(), failed()
    _as(client, company)
    server = client.application
    with statements_run_by(server) as few:
        _board(client)
    for index in range(10):
        person = factories.make_customer(company, name=f"Kunde {index}")
        failed(customer=person), failed(customer=person), failed(customer=person)
    with statements_run_by(server) as many:
        board = _board(client)

    assert board.count('<div class="duplicate-flag"') == 32
    assert few, "no statement of the request was seen"
    assert len(many) == len(few)


def test_names_in_the_flag_and_its_confirm_are_escaped(client, company, failed):
    customer = factories.make_customer(company, name='<img src=x onerror="alert(1)">')
    first, second = failed(customer=customer), failed(customer=customer)
    _as(client, company)

    board = _board(client)
    row = _row(board, first.id)

    assert "<img src=x" not in board
    assert "&lt;img src=x onerror=" in _cancel_button(row)
    assert _flagged_as_duplicate_of(board, first.id) == [second.id]


# --- Cancel as duplicate, through the view ------------------------------------------------------------------------


def test_cancel_as_duplicate_is_one_confirmed_post_of_the_row_version(client, company, failed):
    first, second = failed(), failed()
    _as(client, company)

    button = _cancel_button(_row(_board(client), first.id))

    assert f'name="version" value="{first.version}"' in button
    assert f'name="keep" value="{second.id}"' in button
    assert 'name="csrf_token"' in button
    assert f'hx-post="/review/{first.id}/cancel-as-duplicate"' in button
    assert f"as a duplicate of #{second.id}? #{second.id} is kept" in button
    assert 'hx-disabled-elt="this"' in button


def test_cancel_as_duplicate_cancels_one_keeps_the_other_and_its_flag_goes(client, company, failed):
    first, second = failed(), failed()
    kept_before = state_of(second.id)
    _as(client, company)

    response = _post_htmx(client, f"/review/{first.id}/cancel-as-duplicate", version=first.version, keep=second.id)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    cancelled = fresh(first.id)
    assert (cancelled.status, cancelled.cancellation_reason) == (
        AppointmentStatus.CANCELLED,
        f"duplicate: duplicate of #{second.id}",
    )
    [event] = audits(first.id, "cancel")
    assert event.note == f"duplicate: duplicate of #{second.id}"
    assert state_of(second.id) == kept_before
    assert ">Cancelled</span>" in _row(body, first.id)
    assert f'<tbody id="appt-{second.id}" hx-swap-oob="true"' in body  # the kept row, re-rendered out of band
    assert _flagged_as_duplicate_of(body, second.id) == []
    assert "autofocus" not in _row(body, second.id)
    assert "review-changed" in json.loads(response.headers["HX-Trigger"])
    assert _flagged_as_duplicate_of(_board(client), second.id) == []
    assert _flagged_as_duplicate_of(_detail(client, second.id), second.id) == []


def test_the_ordinary_cancel_also_clears_the_twins_flag(client, company, failed):
    first, second = failed(), failed()
    _as(client, company)

    response = _post_htmx(client, f"/review/{first.id}/cancel", version=first.version, reason_code="customer_request")

    assert response.status_code == 200
    assert _flagged_as_duplicate_of(response.get_data(as_text=True), second.id) == []


def test_cancel_as_duplicate_of_one_cancelled_meanwhile_is_refused_and_changes_nothing(client, company, failed):
    first, second = failed(), failed()
    second.status = AppointmentStatus.CANCELLED  # by a colleague, after the agent's screen was rendered
    db.session.commit()
    before = state_of(first.id)
    _as(client, company)

    response = _post_htmx(client, f"/review/{first.id}/cancel-as-duplicate", version=first.version, keep=second.id)

    assert response.status_code == 422
    assert "nothing was cancelled" in response.get_data(as_text=True)
    assert state_of(first.id) == before


def test_cancel_as_duplicate_from_a_stale_screen_is_a_409(client, company, failed):
    first, second = failed(), failed()
    seen = first.version
    first.last_error_message = "changed meanwhile"
    first.version += 1
    db.session.commit()
    before = state_of(first.id)
    _as(client, company)

    response = _post_htmx(client, f"/review/{first.id}/cancel-as-duplicate", version=seen, keep=second.id)

    assert response.status_code == 409
    assert state_of(first.id) == before


@pytest.mark.parametrize("data", [{}, {"keep": "x"}, {"keep": "0"}])
def test_cancel_as_duplicate_without_a_kept_one_is_a_422(client, company, failed, data):
    first, _ = failed(), failed()
    before = state_of(first.id)
    _as(client, company)

    response = _post_htmx(client, f"/review/{first.id}/cancel-as-duplicate", version=first.version, **data)

    assert response.status_code == 422
    assert state_of(first.id) == before


def test_cancel_as_duplicate_without_csrf_token_is_refused(client, company, failed):
    first, second = failed(), failed()
    before = state_of(first.id)
    _as(client, company)

    response = client.post(
        f"/review/{first.id}/cancel-as-duplicate", data={"version": first.version, "keep": second.id}
    )

    assert response.status_code == 400
    assert state_of(first.id) == before


def test_managers_see_the_flag_but_no_button_and_are_refused_with_403(client, company, failed):
    first, second = failed(), failed()
    before = state_of(first.id)
    _as(client, company, Role.MANAGER)

    board = _board(client)
    token = csrf_token(client, "/review")
    response = client.post(
        f"/review/{first.id}/cancel-as-duplicate",
        data={"csrf_token": token, "version": first.version, "keep": second.id},
    )

    assert _flagged_as_duplicate_of(board, first.id) == [second.id]
    assert "Cancel as duplicate" not in board
    assert response.status_code == 403
    assert state_of(first.id) == before


def test_another_companys_appointment_is_a_404(client, company, failed):
    first, second = failed(), failed()
    _as(client, factories.make_company("Other"))
    token = csrf_token(client, "/review")

    response = client.post(
        f"/review/{first.id}/cancel-as-duplicate",
        data={"csrf_token": token, "version": first.version, "keep": second.id},
    )

    assert response.status_code == 404
    assert fresh(first.id).status is AppointmentStatus.SCHEDULED


def test_without_javascript_the_form_posts_and_lands_on_the_detail_page(client, company, failed):
    first, second = failed(), failed()
    _as(client, company)
    token = csrf_token(client, "/review")

    response = client.post(
        f"/review/{first.id}/cancel-as-duplicate",
        data={"csrf_token": token, "version": first.version, "keep": second.id},
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/review/{first.id}")
    assert fresh(first.id).status is AppointmentStatus.CANCELLED


# --- against the Cal.com simulator -------------------------------------------------------------------------------


@pytest.fixture
def salon(app, sim) -> Salon:
    return make_synced_salon(sim.admin)


def _booked_twice(salon: Salon) -> tuple[Appointment, Appointment]:
    """The field's double booking: the same customer booked with Fabian and, a second time, with Mia; both in
    Cal.com, and both back on the board because a later change of each failed."""
    start = slot_start(4)
    first = make_salon_appointment(salon, start=start, name="Erika Muster", email="erika@kunden-mail.de")
    second = factories.make_appointment(first.customer, salon.service, salon.colleague, start)
    assert sync_appointment(second).synced
    mark_failed(fresh(first.id))
    mark_failed(fresh(second.id))
    return fresh(first.id), fresh(second.id)


@pytest.mark.calcom_simulator(timeout=0.5)
def test_simulator_pair_is_flagged_and_cancel_as_duplicate_cancels_its_booking_in_calcom(client, salon, sim):
    first, second = _booked_twice(salon)
    login(client, salon.agent)
    board = _board(client)
    assert _flagged_as_duplicate_of(board, first.id) == [second.id]
    assert _flagged_as_duplicate_of(board, second.id) == [first.id]
    assert _flagged_as_duplicate_of(_detail(client, second.id), second.id) == [first.id]

    response = _post_htmx(client, f"/review/{second.id}/cancel-as-duplicate", version=second.version, keep=first.id)

    assert response.status_code == 200, response.get_data(as_text=True)
    cancelled = fresh(second.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancellation_reason == f"duplicate: duplicate of #{first.id}"
    calcom = booking(sim, second.calcom_booking_uid)
    assert calcom["status"] == "cancelled"
    assert calcom["cancellationReason"] == f"Duplicate appointment: duplicate of #{first.id}"
    assert booking(sim, first.calcom_booking_uid)["status"] == "accepted"
    assert fresh(first.id).status is AppointmentStatus.SCHEDULED
    assert _flagged_as_duplicate_of(response.get_data(as_text=True), first.id) == []
    assert _flagged_as_duplicate_of(_board(client), first.id) == []


@pytest.mark.calcom_simulator(timeout=0.5)
def test_simulator_refusal_keeps_both_and_both_flags(client, salon, sim):
    first, second = _booked_twice(salon)
    before = state_of(second.id)
    login(client, salon.agent)
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", status=503, count=5)

    response = _post_htmx(client, f"/review/{second.id}/cancel-as-duplicate", version=second.version, keep=first.id)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "we checked and the booking was not cancelled" in body
    assert state_of(second.id) == before
    assert booking(sim, second.calcom_booking_uid)["status"] == "accepted"
    assert _flagged_as_duplicate_of(body, second.id) == [first.id]
    assert re.search(r">Cancel as duplicate</button>", _row(body, second.id))
