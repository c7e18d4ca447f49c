"""The clean-up of appointments that can never sync: what it closes, what it leaves alone, that it deletes nothing,
goes through the claim, and what the board, its buttons and the dashboard show before and after."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ops_ui.categories import ErrorCategory
from ops_ui.engine import cleanup
from ops_ui.engine.claims import claim, release
from ops_ui.engine.cleanup import count_expirable, expire_past_unsynced
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, Company, Role, SyncStatus, User
from tests.support.auth import HTMX_HEADERS, csrf_token, csrf_token_in, login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_user
from tests.support.records import audits, fresh, state_of

LAST_ERROR = "User already has booking at this time"


def _appointment(company: Company, now: datetime, starts_in: timedelta, **fields: Any) -> Appointment:
    fields.setdefault("sync_status", SyncStatus.FAILED)
    if fields["sync_status"] is SyncStatus.FAILED:
        fields.setdefault("last_error_category", ErrorCategory.HOST_CONFLICT)
        fields.setdefault("last_error_message", LAST_ERROR)
        fields.setdefault("attempt_count", 1)
        fields.setdefault("failed_since", now - timedelta(days=2))
        fields.setdefault("next_retry_at", now + timedelta(hours=1))
    return make_appointment(
        make_customer(company),
        make_service(company),
        None,
        starts_at=(now + starts_in).replace(microsecond=0),
        **fields,
    )


def _past_failed(company: Company, now: datetime, **fields: Any) -> Appointment:
    return _appointment(company, now, -timedelta(hours=3), **fields)


def _count(model: type[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def company(app: Flask) -> Company:
    return make_company()


@pytest.fixture
def agent(company: Company) -> User:
    return make_user(Role.AGENT, company=company)


# --- the service ---------------------------------------------------------------------------------------------------


def test_closes_past_failed_and_pending_appointments_keeping_them_with_reason_and_audit_event(company, agent, now):
    failed = _past_failed(company, now)
    pending = _past_failed(company, now, sync_status=SyncStatus.PENDING)
    rows_before, audits_before, version_before = _count(Appointment), _count(AuditEvent), failed.version

    closed = expire_past_unsynced(now, agent, company.id)

    assert closed == 2
    assert (_count(Appointment), _count(AuditEvent)) == (rows_before, audits_before + 2)
    row = fresh(failed.id)
    assert (row.status, row.sync_status, row.closed_at, row.next_retry_at) == (
        AppointmentStatus.EXPIRED,
        SyncStatus.FAILED,
        now,
        None,
    )
    assert row.closed_reason is not None
    assert row.closed_reason.startswith("Never reached Cal.com: its start (")
    assert row.closed_reason.endswith(f"passed before it was synced. Last error: {LAST_ERROR}")
    assert row.version == version_before + 1
    [event] = audits(failed.id, "expire")
    assert (event.actor_id, event.before, event.after, event.note, event.at) == (
        agent.id,
        {"status": "scheduled", "sync_status": "failed"},
        {"status": "expired", "sync_status": "failed"},
        row.closed_reason,
        now,
    )
    never_sent = fresh(pending.id)
    assert never_sent.status is AppointmentStatus.EXPIRED
    assert never_sent.closed_reason is not None
    assert never_sent.closed_reason.endswith("It was never sent.")
    [pending_event] = audits(pending.id, "expire")
    assert pending_event.before == {"status": "scheduled", "sync_status": "pending"}


def test_a_second_run_closes_nothing_and_writes_no_audit_event(company, now):
    _past_failed(company, now)
    assert expire_past_unsynced(now, None) == 1
    audits_after_first = _count(AuditEvent)

    assert expire_past_unsynced(now + timedelta(minutes=1), None) == 0
    assert count_expirable(now + timedelta(minutes=1), None) == 0
    assert _count(AuditEvent) == audits_after_first


@pytest.mark.parametrize(
    ("kind", "starts_in", "fields"),
    [
        ("synced", -timedelta(hours=3), {"sync_status": SyncStatus.SYNCED, "calcom_booking_uid": "bk-synced"}),
        ("synced, uid not recorded", -timedelta(hours=3), {"sync_status": SyncStatus.SYNCED}),
        ("future failed", timedelta(hours=1), {}),
        ("uncertain", -timedelta(hours=3), {"uncertain_request": "POST /v2/bookings", "uncertain_since": None}),
        ("with a booking uid", -timedelta(hours=3), {"calcom_booking_uid": "bk-maybe-live"}),
        ("cancelled", -timedelta(hours=3), {"status": AppointmentStatus.CANCELLED}),
        ("completed", -timedelta(hours=3), {"status": AppointmentStatus.COMPLETED}),
    ],
)
def test_leaves_alone_what_may_be_in_calcom_or_can_still_sync(company, now, kind, starts_in, fields):
    appointment = _appointment(company, now, starts_in, **fields)
    before = state_of(appointment.id)

    assert count_expirable(now, None) == 0
    assert expire_past_unsynced(now, None) == 0

    assert state_of(appointment.id) == before, kind
    assert fresh(appointment.id).closed_at is None
    assert audits(appointment.id) == []


def test_an_appointment_another_writer_holds_is_skipped_and_closed_by_the_next_run(company, agent, now):
    held_one = _past_failed(company, now)
    free_one = _past_failed(company, now)
    held = claim(held_one, held_one.version, agent)

    assert expire_past_unsynced(now, None) == 1

    assert fresh(held_one.id).status is AppointmentStatus.SCHEDULED
    assert fresh(free_one.id).status is AppointmentStatus.EXPIRED
    release(held)
    assert expire_past_unsynced(now, None) == 1
    assert fresh(held_one.id).status is AppointmentStatus.EXPIRED


def test_an_appointment_synced_after_its_id_was_read_is_rechecked_and_left_alone(company, now, monkeypatch):
    appointment = _past_failed(company, now)
    read_ids = cleanup._ids

    def ids_then_synced_by_someone(*args: Any) -> Any:
        batch = read_ids(*args)
        if appointment.id in batch:
            db.session.execute(
                Appointment.__table__.update()
                .where(Appointment.id == appointment.id)
                .values(sync_status=SyncStatus.SYNCED, calcom_booking_uid="bk-late", version=Appointment.version + 1)
            )
            db.session.commit()
        return batch

    monkeypatch.setattr(cleanup, "_ids", ids_then_synced_by_someone)

    assert expire_past_unsynced(now, None) == 0

    row = fresh(appointment.id)
    assert (row.status, row.sync_status, row.claim_token) == (AppointmentStatus.SCHEDULED, SyncStatus.SYNCED, None)
    assert audits(appointment.id) == []


def test_thousands_are_read_in_batches_and_a_held_one_does_not_stall_the_run(company, agent, now, monkeypatch):
    monkeypatch.setattr(cleanup, "BATCH_SIZE", 2)
    appointments = [_past_failed(company, now) for _ in range(5)]
    held = claim(appointments[1], appointments[1].version, agent)

    assert expire_past_unsynced(now, None) == 4

    assert [fresh(a.id).status for a in appointments] == [
        AppointmentStatus.EXPIRED,
        AppointmentStatus.SCHEDULED,
        AppointmentStatus.EXPIRED,
        AppointmentStatus.EXPIRED,
        AppointmentStatus.EXPIRED,
    ]
    release(held)


def test_a_company_scope_closes_only_that_companys_appointments(company, now):
    other = make_company("Haarwerk", "Europe/Vienna")
    mine, theirs = _past_failed(company, now), _past_failed(other, now)

    assert (count_expirable(now, company.id), count_expirable(now, None)) == (1, 2)
    assert expire_past_unsynced(now, None, company.id) == 1

    assert (fresh(mine.id).status, fresh(theirs.id).status) == (AppointmentStatus.EXPIRED, AppointmentStatus.SCHEDULED)


def test_the_command_prints_how_many_were_closed(app, company, now):
    _past_failed(company, now)
    _past_failed(company, now)

    result = app.test_cli_runner().invoke(args=["sync", "clean-up"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 appointments closed that never reached Cal.com."
    assert app.test_cli_runner().invoke(args=["sync", "clean-up"]).output.startswith("0 appointments closed")


# --- the board -----------------------------------------------------------------------------------------------------


def _htmx_headers(client: FlaskClient) -> dict[str, str]:
    return {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}


def test_the_past_view_offers_the_clean_up_to_agents_and_its_preview_counts_their_company(client, company, agent, now):
    _past_failed(company, now)
    _past_failed(company, now, sync_status=SyncStatus.PENDING)
    _past_failed(company, now, calcom_booking_uid="bk-maybe-live")
    _past_failed(make_company("Haarwerk"), now)
    login(client, agent)

    board = client.get("/review?sync_status=failed&past=1").get_data(as_text=True)
    plain = client.get("/review").get_data(as_text=True)
    preview = client.get("/review/clean-up?sync_status=failed&past=1", headers=HTMX_HEADERS)

    assert "Close past appointments that never reached Cal.com</button>" in board
    assert 'id="cleanup"' not in plain
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert re.search(r"<strong data-cleanup-count>2</strong> appointments of Salon Schnitt", body), body
    assert 'name="csrf_token"' in body
    assert "Close 2 appointments</button>" in body
    assert "<html" not in body


def test_the_preview_for_a_user_of_all_companies_counts_all_of_them(client, company, now):
    _past_failed(company, now)
    _past_failed(make_company("Haarwerk"), now)
    login(client, make_user(Role.ADMIN))

    body = client.get("/review/clean-up?past=1", headers=HTMX_HEADERS).get_data(as_text=True)

    assert re.search(r"<strong data-cleanup-count>2</strong> appointments of all companies", body), body


def test_the_preview_changes_nothing(client, company, agent, now):
    appointment = _past_failed(company, now)
    before = state_of(appointment.id)
    login(client, agent)

    assert client.get("/review/clean-up?past=1", headers=HTMX_HEADERS).status_code == 200
    assert client.get("/review/clean-up?past=1").status_code == 200

    assert state_of(appointment.id) == before


def test_managers_see_no_button_and_get_403_on_preview_and_post(client, company, now):
    appointment = _past_failed(company, now)
    before = state_of(appointment.id)
    login(client, make_user(Role.MANAGER, company=company))
    headers = _htmx_headers(client)

    board = client.get("/review?sync_status=failed&past=1").get_data(as_text=True)
    preview = client.get("/review/clean-up?past=1", headers=headers)
    post = client.post("/review/clean-up?past=1", headers=headers)

    assert 'id="cleanup"' not in board
    assert (preview.status_code, post.status_code) == (403, 403)
    assert state_of(appointment.id) == before


def test_closing_with_htmx_toasts_the_count_and_tells_the_board_to_re_render(client, company, agent, now):
    appointments = [_past_failed(company, now) for _ in range(2)]
    login(client, agent)

    response = client.post("/review/clean-up?sync_status=failed&past=1", headers=_htmx_headers(client))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'hx-swap-oob="beforeend:#toasts">\s*<div class="toast toast-success" role="status">', body)
    assert "<span>2 appointments closed.</span>" in body
    assert set(json.loads(response.headers["HX-Trigger"])) == {"review-changed", "past-appointments-closed"}
    assert [fresh(a.id).status for a in appointments] == [AppointmentStatus.EXPIRED] * 2
    board = client.get("/review?sync_status=failed&past=1", headers=HTMX_HEADERS).get_data(as_text=True)
    assert 'hx-trigger="past-appointments-closed from:body" hx-target="#board-results"' in board
    assert not re.findall(r'<tbody id="appt-(\d+)"', board)


def test_without_javascript_the_form_posts_and_redirects_to_the_board_with_a_flash(client, company, agent, now):
    appointment = _past_failed(company, now)
    login(client, agent)
    page = client.get("/review/clean-up?sync_status=failed&past=1").get_data(as_text=True)
    assert "<html" in page
    action = re.search(r'<form method="post" action="(/review/clean-up[^"]*)"', page)
    assert action, page

    response = client.post(action.group(1).replace("&amp;", "&"), data={"csrf_token": csrf_token_in(page)})

    assert response.status_code == 303, response.headers.get("Location")
    assert response.headers["Location"] == "/review?sync_status=failed&past=1"
    board = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 appointment closed." in board
    assert fresh(appointment.id).status is AppointmentStatus.EXPIRED


def test_a_post_without_the_csrf_token_is_refused(client, company, agent, now):
    appointment = _past_failed(company, now)
    login(client, agent)

    assert client.post("/review/clean-up?past=1").status_code == 400
    assert fresh(appointment.id).status is AppointmentStatus.SCHEDULED


def test_the_detail_page_of_an_expired_appointment_says_why_it_was_closed(client, company, agent, now):
    appointment = _past_failed(company, now)
    expire_past_unsynced(now, None)
    login(client, agent)

    page = client.get(f"/review/{appointment.id}").get_data(as_text=True)

    assert re.search(r'<p class="notice" role="status">Closed on [^:]+:\d\d [A-Z]+: Never reached Cal.com', page), page
    assert "Retry sync</button>" not in page


# --- the dashboard -------------------------------------------------------------------------------------------------


def test_the_dashboard_counts_closed_ones_apart_and_its_failed_ancient_and_past_figures_drop_them(client, company, now):
    _past_failed(company, now)
    _past_failed(company, now)
    _appointment(company, now, timedelta(days=3))  # failed, still to save
    old = _past_failed(company, now, status=AppointmentStatus.EXPIRED, closed_at=now - timedelta(hours=25))
    login(client, make_user(Role.MANAGER, company=company))

    def figures() -> dict[str, int]:
        data = client.get("/health.json").get_json()
        return {key: data[key]["count"] for key in ("failed", "ancient", "past", "closed_by_cleanup")}

    assert figures() == {"failed": 3, "ancient": 2, "past": 2, "closed_by_cleanup": 0}
    expire_past_unsynced(now, None)
    assert figures() == {"failed": 1, "ancient": 0, "past": 0, "closed_by_cleanup": 2}
    page = client.get("/health").get_data(as_text=True)
    assert re.search(r'Closed by clean-up in the last 24 h: <strong data-figure="closed_by_cleanup">2</strong>', page)
    assert fresh(old.id).status is AppointmentStatus.EXPIRED
