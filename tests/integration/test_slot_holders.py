"""A host-conflict row on the board says what holds the slot: a booking made directly in Cal.com, or a synced
appointment of our own with the same staff member, at the company's local times; looked up once per page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    Company,
    DeliveryOutcome,
    ExternalBooking,
    Role,
    Service,
    Staff,
    SyncStatus,
    WebhookDelivery,
)
from tests.support.auth import login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user
from tests.support.statements import statements_run_by

TIME_ZONE = "Europe/Berlin"


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(TIME_ZONE)).astimezone(UTC)


def _day(days_ahead: int = 3) -> date:
    return datetime.now(ZoneInfo(TIME_ZONE)).date() + timedelta(days=days_ahead)


@pytest.fixture
def company(app: Flask) -> Company:
    return make_company(time_zone=TIME_ZONE)


@pytest.fixture
def service(company: Company) -> Service:
    return make_service(company, "Dauerwelle", 135)


@pytest.fixture
def agent_client(client: FlaskClient, company: Company) -> FlaskClient:
    login(client, make_user(Role.AGENT, company=company))
    return client


def _conflicted(company: Company, service: Service, staff: Staff, start: datetime, name: str = "Erika") -> Appointment:
    return make_appointment(
        make_customer(company, name),
        service,
        staff,
        starts_at=start,
        sync_status=SyncStatus.FAILED,
        last_error_category=ErrorCategory.HOST_CONFLICT,
        last_error_message="User already has booking at this time",
        attempt_count=1,
        failed_since=datetime.now(UTC) - timedelta(hours=1),
    )


def _external(staff: Staff, uid: str, start: datetime, end: datetime, status: str = "accepted") -> ExternalBooking:
    delivery = WebhookDelivery(
        trigger="BOOKING_CREATED",
        booking_uid=uid,
        raw_body="{}",
        signature_valid=True,
        outcome=DeliveryOutcome.EXTERNAL_BOOKING,
        replay_key=f"key-{uid}",
        company_id=staff.company_id,
    )
    db.session.add(delivery)
    db.session.flush()
    booking = ExternalBooking(
        uid=uid,
        company_id=staff.company_id,
        staff_id=staff.id,
        starts_at=start,
        ends_at=end,
        status=status,
        source_delivery_id=delivery.id,
        last_delivery_id=delivery.id,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def _row(body: str, appointment_id: int) -> str:
    match = re.search(rf'<tbody id="appt-{appointment_id}".*?</tbody>', body, re.S)
    assert match, f"row {appointment_id} is not on the board"
    return re.sub(r"\s+", " ", match.group(0))


def _board(client: FlaskClient) -> str:
    response = client.get("/review?sync_status=failed")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_booking_made_directly_in_calcom_is_named_on_the_conflicted_row_with_local_times(
    agent_client, company, service
):
    fabian = make_staff(company, "Fabian Spitzer")
    day = _day()
    appointment = _conflicted(company, service, fabian, _local(day, 10, 30))
    _external(fabian, "walkin-uid-1", _local(day, 10), _local(day, 12, 15))
    _external(make_staff(company, "Mia Wagner"), "other-host-uid", _local(day, 10), _local(day, 12, 15))
    _external(fabian, "later-uid", _local(day, 12, 45), _local(day, 13, 30))

    row = _row(_board(agent_client), appointment.id)

    assert "Held by booking walkin-uid-1, 10:00–12:15, made directly in Cal.com" in row
    assert "other-host-uid" not in row
    assert "later-uid" not in row


def test_own_synced_appointment_of_the_same_staff_is_named_on_the_conflicted_row(agent_client, company, service):
    fabian = make_staff(company, "Fabian Spitzer")
    day = _day()
    appointment = _conflicted(company, service, fabian, _local(day, 10, 30))
    holder = make_appointment(
        make_customer(company, "Jonas Weber"),
        service,
        fabian,
        starts_at=_local(day, 9),
        sync_status=SyncStatus.SYNCED,
        calcom_booking_uid="own-uid",
    )
    make_appointment(make_customer(company, "Still Pending"), service, fabian, starts_at=_local(day, 11))

    row = _row(_board(agent_client), appointment.id)

    assert (
        f'Held by <a href="/review/{holder.id}">appointment #{holder.id}</a> (Jonas Weber, 09:00–11:15, synced)' in row
    )
    assert "Still Pending" not in row


def test_cancelled_external_booking_does_not_hold_the_slot(agent_client, company, service):
    fabian = make_staff(company, "Fabian Spitzer")
    day = _day()
    appointment = _conflicted(company, service, fabian, _local(day, 10, 30))
    _external(fabian, "cancelled-uid", _local(day, 10), _local(day, 12, 15), status="cancelled")

    row = _row(_board(agent_client), appointment.id)

    assert "cancelled-uid" not in row
    assert "Held by" not in row


def test_the_row_alone_names_its_holder_too(agent_client, company, service):
    fabian = make_staff(company, "Fabian Spitzer")
    day = _day()
    appointment = _conflicted(company, service, fabian, _local(day, 10, 30))
    _external(fabian, "walkin-uid-2", _local(day, 10), _local(day, 12, 15))

    body = agent_client.get(f"/review/{appointment.id}/row", headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "Held by booking walkin-uid-2, 10:00–12:15, made directly in Cal.com" in _row(body, appointment.id)


def test_slot_holders_cost_no_extra_statement_per_row(agent_client, company, service):
    server = agent_client.application

    def conflicted_with_holders(days_ahead: int) -> Appointment:
        staff = make_staff(company, f"Host {days_ahead}")
        day = _day(days_ahead)
        appointment = _conflicted(company, service, staff, _local(day, 10, 30), f"Customer {days_ahead}")
        _external(staff, f"walkin-{days_ahead}", _local(day, 10), _local(day, 12, 15))
        make_appointment(
            make_customer(company, f"Holder {days_ahead}"),
            service,
            staff,
            starts_at=_local(day, 12),
            sync_status=SyncStatus.SYNCED,
        )
        return appointment

    conflicted_with_holders(2)
    with statements_run_by(server) as one:
        body = _board(agent_client)
    assert body.count("Held by") == 2
    for days_ahead in range(3, 12):
        conflicted_with_holders(days_ahead)
    with statements_run_by(server) as ten:
        body = _board(agent_client)

    assert body.count("Held by") == 20
    assert len(ten) == len(one)
