"""The inputs the attack pass crashed the app with, each answered at the edge (404/422) on every database."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.models import Appointment, Role, SyncStatus
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user


@pytest.fixture
def appointment(app: Flask) -> Appointment:
    company = make_company()
    return make_appointment(
        make_customer(company), make_service(company), make_staff(company), sync_status=SyncStatus.FAILED
    )


@pytest.fixture
def agent(client: FlaskClient) -> FlaskClient:
    login(client, make_user(Role.AGENT))
    return client


@pytest.mark.parametrize("ident", [2**31, 2**63, 2**64, 10**40])
@pytest.mark.parametrize("path", ["/review/{}", "/review/{}/row", "/review/bulk/{}", "/reconcile/runs/{}/status"])
def test_path_ids_beyond_an_integer_column_are_not_found(agent: FlaskClient, path: str, ident: int) -> None:
    assert agent.get(path.format(ident)).status_code == 404


def test_the_largest_id_is_still_looked_up(agent: FlaskClient) -> None:
    assert agent.get(f"/review/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize("name", ["staff", "service"])
@pytest.mark.parametrize("value", ["2147483648", "99999999999", "999999999999"])
def test_board_filters_with_too_large_ids_are_a_field_error(agent: FlaskClient, name: str, value: str) -> None:
    assert agent.get("/review", query_string={name: value}).status_code == 422


@pytest.mark.parametrize("q", ["#99999999999", "999999999999", "#2147483648"])
def test_searching_for_a_too_large_appointment_number_finds_nothing_instead_of_crashing(
    agent: FlaskClient, q: str
) -> None:
    assert agent.get("/review", query_string={"q": q}).status_code == 200


@pytest.mark.parametrize("q", ["a\x00b", "\x00", "x\x1by"])
def test_control_characters_in_the_search_are_a_field_error(agent: FlaskClient, q: str) -> None:
    response = agent.get("/review", query_string={"q": q})
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)


def test_a_nul_in_the_login_email_is_a_field_error(client: FlaskClient) -> None:
    data = {"email": "agent\x00@syncdesk.test", "password": "whatever12", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "start",
    ["9999-12-31T23:59:59+14:00", "9999-12-31T23:30:00-14:00", "0001-01-01T00:00:00+14:00", "2500-01-01T10:00Z"],
)
def test_a_reschedule_start_outside_the_sane_years_is_a_field_error(
    agent: FlaskClient, appointment: Appointment, start: str
) -> None:
    token = csrf_token(agent, "/review")
    response = agent.post(
        f"/review/{appointment.id}/reschedule",
        data={"csrf_token": token, "version": str(appointment.version), "start": start},
        headers=HTMX_HEADERS,
    )
    assert response.status_code == 422
    assert "one of the free times." in response.get_data(as_text=True)  # refused by the form, before any maths
