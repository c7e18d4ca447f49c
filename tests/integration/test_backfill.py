"""The desync repair: every confirmed call without appointment gets one, once, from its stored booking details.

Against the demo salon and hand-made calls; Cal.com is the simulator over loopback where it is asked at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from ops_ui.actions import backfill
from ops_ui.actions.backfill import Outcome, backfill_call, backfill_calls
from ops_ui.categories import ErrorCategory
from ops_ui.demo.seed import seed_demo
from ops_ui.engine.due import run_due_pass
from ops_ui.extensions import db
from ops_ui.health.metrics import desync_count
from ops_ui.models import (
    Appointment,
    AppointmentSource,
    AuditEvent,
    Call,
    Company,
    Customer,
    DeliveryOutcome,
    ExternalBooking,
    Role,
    Service,
    Staff,
    SyncStatus,
    WebhookDelivery,
)
from tests.support import factories
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.records import appointment_count, audits, fresh
from tests.support.salon import active_bookings, book_directly, make_synced_salon, slot_start

ANONYMOUS = "anonymous_1732188000_9f3a2c"


def _call(company: Company, details: Any, *, caller: str | None = "+4915112345678", name: str = "lost") -> Call:
    call = Call(
        external_call_id=f"call_{name}_{factories.next_weekday_at(10).timestamp():.0f}_{id(details) % 10_000}",
        company_id=company.id,
        caller_number=caller,
        booking_confirmed=True,
        booking_details=details,
    )
    db.session.add(call)
    db.session.commit()
    return call


def _details(service: Service, staff: Staff | None, start: datetime, **customer: Any) -> dict[str, Any]:
    person = {
        "customer_name": "Erika Muster",
        "customer_phone": "+4915112345678",
        "customer_email": "erika@kunden.test",
    }
    return (
        person
        | customer
        | {"service": service.name, "staff": staff.name if staff else None, "start": start.isoformat()}
    )


def _linked(call: Call) -> int | None:
    return db.session.get(Call, call.id, populate_existing=True).appointment_id  # type: ignore[union-attr]


@pytest.fixture
def sent_to_calcom(monkeypatch: pytest.MonkeyPatch) -> list[requests.PreparedRequest]:
    """Every request this process sends to Cal.com's API (not the simulator's admin endpoints)."""
    sent: list[requests.PreparedRequest] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if "/v2/" in (request.url or ""):
            sent.append(request)
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", send)
    return sent


# --- the demo salon ------------------------------------------------------------------------------------------


@pytest.mark.calcom_simulator
def test_backfill_over_the_demo_salon_makes_each_missing_appointment_once_and_the_desync_count_drops(
    app: Flask, sim: Any
) -> None:
    seed_demo(sim.admin, reset=False, is_production=False)
    assert desync_count(db.session, None) == 9
    before = appointment_count()

    report = backfill_calls(None, None)

    print("\n".join(report.lines()))  # the report, for whoever runs this with -s
    assert len(report.outcomes) == 9 and report.errors == 0, report.lines()
    assert report.created + report.linked + report.skipped == 9
    assert appointment_count() == before + report.created + report.linked_booking
    assert desync_count(db.session, None) == report.skipped
    made = db.session.scalars(select(Appointment).where(Appointment.source == AppointmentSource.BACKFILL)).all()
    assert all(appointment.sync_status is SyncStatus.PENDING for appointment in made)
    _assert_each_audited_with_its_call(report)

    again = backfill_calls(None, None)
    assert (again.created, again.linked, len(again.outcomes)) == (0, 0, report.skipped)
    assert appointment_count() == before + report.created + report.linked_booking

    # The engine books them: each is synced or refused by Cal.com for a reason a person reads, never booked twice.
    run_due_pass()
    _assert_booked_or_refused_never_twice(sim)


def _assert_each_audited_with_its_call(report: backfill.BackfillReport) -> None:
    for item in report.of(Outcome.CREATED):
        [event] = audits(item.appointment_id, backfill.ACTION)  # type: ignore[arg-type]
        assert item.external_call_id in (event.note or "")
        assert backfill.COMMAND_LINE in (event.note or "")
        assert event.after is not None and event.after["call_id"] == item.call_id


def _assert_booked_or_refused_never_twice(sim: Any) -> None:
    statement = select(Appointment).where(Appointment.source == AppointmentSource.BACKFILL)
    for appointment in db.session.scalars(statement.execution_options(populate_existing=True)):
        assert appointment.sync_status in (SyncStatus.SYNCED, SyncStatus.FAILED)
        if appointment.sync_status is SyncStatus.FAILED:
            assert appointment.last_error_category is ErrorCategory.HOST_CONFLICT, appointment.last_error_message
    uids = [booking["uid"] for booking in active_bookings(sim)]
    assert len(uids) == len(set(uids))


# --- hand-made calls against the simulator ---------------------------------------------------------------------


@pytest.mark.calcom_simulator
def test_anonymous_caller_gets_the_appointment_but_no_invented_email_reaches_calcom(
    app: Flask, sim: Any, sent_to_calcom: list[requests.PreparedRequest]
) -> None:
    salon = make_synced_salon(sim.admin)
    details = _details(
        salon.service,
        salon.staff,
        slot_start(),
        customer_name="Anonymer Anrufer",
        customer_phone=ANONYMOUS,
        customer_email=None,
    )
    call = _call(salon.company, details, caller=ANONYMOUS)

    outcome = backfill_call(call.id, salon.agent)

    assert outcome.outcome is Outcome.CREATED, outcome
    appointment = fresh(outcome.appointment_id)  # type: ignore[arg-type]
    assert _linked(call) == appointment.id
    customer = db.session.get(Customer, appointment.customer_id)
    assert customer is not None and (customer.name, customer.email, customer.phone) == ("Anonymer Anrufer", None, None)
    assert fresh(appointment.id).sync_status is SyncStatus.PENDING

    run_due_pass()

    appointment = fresh(appointment.id)
    assert appointment.sync_status is SyncStatus.FAILED
    assert appointment.last_error_category is ErrorCategory.MISSING_CONTACT
    assert active_bookings(sim) == []
    for request in sent_to_calcom:
        assert request.method == "GET", f"{request.method} {request.url}"
        assert "@" not in (request.url or "").replace("%40", "@") and not request.body, request.url


@pytest.mark.calcom_simulator
def test_call_whose_booking_exists_in_calcom_is_linked_to_it_not_booked_again(app: Flask, sim: Any) -> None:
    salon = make_synced_salon(sim.admin)
    start = slot_start()
    uid = book_directly(sim, salon.event_type_id, start, name="Direct booking")  # attendee direct@kunden.test
    details = _details(
        salon.service, salon.staff, start, customer_name="Direct booking", customer_email="direct@kunden.test"
    )
    call = _call(salon.company, details)

    preview = backfill_calls(salon.agent, salon.company.id, dry_run=True)
    assert (preview.linked_booking, preview.created, appointment_count()) == (1, 0, 0)

    outcome = backfill_call(call.id, salon.agent)

    assert (outcome.outcome, outcome.booking_uid) == (Outcome.LINKED_BOOKING, uid)
    appointment = fresh(outcome.appointment_id)  # type: ignore[arg-type]
    assert (appointment.sync_status, appointment.calcom_booking_uid) == (SyncStatus.SYNCED, uid)
    assert (appointment.starts_at, appointment.staff_id) == (start, salon.staff.id)
    [event] = audits(appointment.id, backfill.ACTION)
    assert event.actor_id == salon.agent.id and uid in (event.note or "")
    run_due_pass()
    assert [booking["uid"] for booking in active_bookings(sim)] == [uid]
    assert fresh(appointment.id).sync_status is SyncStatus.SYNCED


# --- hand-made calls, no Cal.com needed --------------------------------------------------------------------------


@pytest.fixture
def shop(app: Flask) -> Iterator[tuple[Company, Service, Staff]]:
    company = factories.make_company()
    yield company, factories.make_service(company, "Dauerwelle", 135), factories.make_staff(company, "Fabian Spitzer")


def _start() -> datetime:
    return (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


def test_call_whose_booking_cal_com_told_us_about_is_linked_without_asking_cal_com(
    shop: tuple[Company, Service, Staff],
) -> None:
    company, service, staff = shop
    start = _start()
    delivery = WebhookDelivery(
        raw_body="{}", signature_valid=True, outcome=DeliveryOutcome.EXTERNAL_BOOKING, replay_key="k" * 64
    )
    db.session.add(delivery)
    db.session.flush()
    db.session.add(
        ExternalBooking(
            uid="ext-uid-1",
            company_id=company.id,
            staff_id=staff.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=135),
            attendee_name="Erika Muster",
            attendee_email="ERIKA@kunden.test",
            status="accepted",
            source_delivery_id=delivery.id,
            last_delivery_id=delivery.id,
        )
    )
    db.session.commit()
    call = _call(company, _details(service, staff, start))

    outcome = backfill_call(call.id, None)  # Cal.com is unreachable here: asking it would be an error

    assert (outcome.outcome, outcome.booking_uid) == (Outcome.LINKED_BOOKING, "ext-uid-1"), outcome
    assert fresh(outcome.appointment_id).calcom_booking_uid == "ext-uid-1"  # type: ignore[arg-type]


def test_call_for_an_appointment_that_exists_already_is_linked_to_it(shop: tuple[Company, Service, Staff]) -> None:
    company, service, staff = shop
    start = _start()
    customer = factories.make_customer(company, email="erika@kunden.test")
    existing = factories.make_appointment(customer, service, staff, start)
    call = _call(company, _details(service, staff, start, customer_email="Erika@Kunden.test"))

    outcome = backfill_call(call.id, None)

    assert (outcome.outcome, outcome.appointment_id) == (Outcome.LINKED_APPOINTMENT, existing.id)
    assert appointment_count() == 1 and _linked(call) == existing.id
    assert len(audits(existing.id, backfill.LINK_ACTION)) == 1
    again = backfill_call(call.id, None)
    assert again.outcome is Outcome.SKIPPED and f"Already linked to appointment #{existing.id}" in (again.reason or "")
    assert len(audits(existing.id, backfill.LINK_ACTION)) == 1


def test_customer_is_found_by_phone_in_the_company_and_a_call_without_staff_waits_for_one(
    shop: tuple[Company, Service, Staff],
) -> None:
    company, service, _ = shop
    customer = factories.make_customer(company, email=None, phone="+4915112345678")
    other_company = factories.make_company("Other")
    factories.make_customer(other_company, email="erika@kunden.test")
    call = _call(company, _details(service, None, _start(), customer_phone="+49 151 12345678"))

    outcome = backfill_call(call.id, None)

    assert outcome.outcome is Outcome.CREATED
    appointment = fresh(outcome.appointment_id)  # type: ignore[arg-type]
    assert (appointment.customer_id, appointment.staff_id) == (customer.id, None)
    assert db.session.scalar(select(func.count(Customer.id))) == 2


def _past() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).isoformat()


BROKEN = {
    "nothing stored": (None, "No booking details"),
    "not an object": (["Dauerwelle"], "not an object"),
    "no service": ({"staff": "Fabian Spitzer", "start": "2099-01-01T10:00:00+00:00"}, "no 'service'"),
    "unknown service": ({"service": "Glatze", "start": "2099-01-01T10:00:00+00:00"}, "no service 'Glatze'"),
    "unknown staff": ({"service": "Dauerwelle", "staff": "Nobody", "start": "2099-01-01T10:00:00+00:00"}, "Nobody"),
    "no start": ({"service": "Dauerwelle"}, "no 'start'"),
    "start no date": ({"service": "Dauerwelle", "start": "tomorrow at ten"}, "not a date"),
    "naive start": ({"service": "Dauerwelle", "start": "2099-01-01T10:00:00"}, "no UTC offset"),
    "start not text": ({"service": "Dauerwelle", "start": 1732188000}, "not text"),
    "past start": ({"service": "Dauerwelle", "start": None}, "has passed"),
    "no customer": ({"service": "Dauerwelle", "start": "2099-01-01T10:00:00+00:00"}, "name no customer"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_booking_details_are_skipped_with_the_reason(shop: tuple[Company, Service, Staff], case: str) -> None:
    company, _, _ = shop
    details, reason = BROKEN[case]
    if case == "past start":
        details = details | {"start": _past()}
    call = _call(company, details, caller=ANONYMOUS)

    report = backfill_calls(None, company.id)

    [outcome] = report.outcomes
    assert outcome.outcome is Outcome.SKIPPED and reason in (outcome.reason or ""), outcome
    assert appointment_count() == 0 and _linked(call) is None
    assert db.session.scalar(select(func.count(Customer.id))) == 0
    assert desync_count(db.session, company.id) == 1


def test_a_run_that_loses_the_race_for_a_call_rolls_its_appointment_back(
    shop: tuple[Company, Service, Staff], monkeypatch: pytest.MonkeyPatch
) -> None:
    company, service, staff = shop
    call = _call(company, _details(service, staff, _start()))
    theirs = factories.make_appointment(factories.make_customer(company, "Other run"), service, staff, _start())

    def other_run_links_it_meanwhile(*args: Any) -> None:
        """While this run looks for a Cal.com booking, another run links the call (its own transaction)."""
        with db.engine.begin() as connection:
            connection.execute(update(Call).where(Call.id == call.id).values(appointment_id=theirs.id))

    monkeypatch.setattr(backfill, "_existing_booking", other_run_links_it_meanwhile)

    outcome = backfill_call(call.id, None)

    assert outcome.outcome is Outcome.SKIPPED and "meanwhile" in (outcome.reason or ""), outcome
    assert appointment_count() == 1 and _linked(call) == theirs.id
    assert db.session.scalar(select(func.count(Customer.id))) == 1  # the customer this run made went too
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_command_prints_the_report_and_a_dry_run_changes_nothing(
    app: Flask, shop: tuple[Company, Service, Staff]
) -> None:
    company, service, _ = shop
    _call(company, _details(service, None, _start()))
    _call(company, {"service": "Glatze"}, name="broken")
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["sync", "backfill", "--dry-run", "--company-id", str(company.id)])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "created 1" in dry.output and "skipped 1" in dry.output
    assert "no service 'Glatze'" in dry.output and appointment_count() == 0

    run = runner.invoke(args=["sync", "backfill"])
    assert run.exit_code == 0 and "created 1" in run.output and appointment_count() == 1
    assert "created 0" in runner.invoke(args=["sync", "backfill"]).output


# --- the desync page -----------------------------------------------------------------------------------------


def _page_calls(shop: tuple[Company, Service, Staff], *, broken: bool = True) -> list[Call]:
    """Two calls of two customers the repair can make appointments for, and one it must skip."""
    company, service, _ = shop
    calls = [
        _call(
            company,
            _details(service, None, _start(), customer_email=f"c{n}@kunden.test", customer_phone=f"+49151123456{n}0"),
            caller=None,
            name=f"p{n}",
        )
        for n in range(2)
    ]
    return calls + ([_call(company, {"service": "Glatze"}, name="broken")] if broken else [])


def test_managers_see_the_preview_but_may_not_run_the_repair(
    shop: tuple[Company, Service, Staff], client: FlaskClient
) -> None:
    _page_calls(shop)
    login(client, factories.make_user(Role.MANAGER, company=shop[0]))

    page = client.get("/health/desync").get_data(as_text=True)
    assert "Repair: create the missing appointments" in page
    preview = client.get("/health/desync/repair", headers=HTMX_HEADERS)
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert (
        'data-backfill="created">2<' in text and "Only agents and admins" in text and '<form method="post"' not in text
    )

    token = csrf_token(client, "/health/desync")
    refused = client.post("/health/desync/repair", data={"csrf_token": token}, headers=HTMX_HEADERS)
    assert refused.status_code == 403
    assert appointment_count() == 0 and desync_count(db.session, None) == 3


def test_agent_previews_then_repairs_and_the_desync_figure_drops_to_the_skipped_call(
    shop: tuple[Company, Service, Staff], client: FlaskClient
) -> None:
    _page_calls(shop)
    login(client, factories.make_user(Role.AGENT, company=shop[0]))

    preview = client.get("/health/desync/repair", headers=HTMX_HEADERS).get_data(as_text=True)
    assert 'data-backfill="created">2<' in preview and 'data-backfill="skipped">1<' in preview
    assert "no service &#39;Glatze&#39;" in preview and "Repair 2 calls" in preview
    assert appointment_count() == 0, "the preview made something"

    assert client.post("/health/desync/repair", headers=HTMX_HEADERS).status_code == 400  # no CSRF token
    token = csrf_token(client, "/health/desync")
    done = client.post("/health/desync/repair", data={"csrf_token": token}, headers=HTMX_HEADERS)

    assert done.status_code == 200
    assert {"desync-repaired", "review-changed"} <= set(json.loads(done.headers["HX-Trigger"]))
    body = done.get_data(as_text=True)
    assert 'data-backfill="created">2<' in body and 'role="status"' in body
    assert appointment_count() == 2
    assert client.get("/health.json").get_json()["desync"]["count"] == 1
    page = client.get("/health/desync").get_data(as_text=True)
    assert page.count('<tr id="call-') == 1 and 'data-figure="desync">1<' in page


def test_without_javascript_the_preview_is_the_page_and_the_repair_redirects_with_a_flash(
    shop: tuple[Company, Service, Staff], client: FlaskClient
) -> None:
    calls = _page_calls(shop, broken=False)
    login(client, factories.make_user(Role.ADMIN))

    preview = client.get("/health/desync/repair")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<html" in text and "Repair 2 calls" in text
    assert 'id="desync-calls"' in text

    token = csrf_token(client, "/health/desync")
    run = client.post("/health/desync/repair", data={"csrf_token": token})
    assert run.status_code == 303 and run.headers["Location"].endswith("/health/desync")
    after = client.get(run.headers["Location"]).get_data(as_text=True)
    assert "created 2" in after and "Every confirmed call has its appointment." in after
    assert all(_linked(call) for call in calls)
