"""A change made in Cal.com itself reaches the agent's open board: by webhook into Sync Desk, then by the board's
own poller onto the screen, without anyone reloading."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ops_ui.calcom.client import CalcomClient, to_utc_z
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import mapping_for
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, ExternalBooking, SyncStatus, utcnow
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard
from tests.support.worker import wait_until

SECRET = "e2e-webhook-secret"
ZONE = "Europe/Berlin"


def test_a_booking_the_owner_cancels_in_calcom_shows_as_cancelled_on_the_agents_board(
    page: Page, app: Flask, live_server, demo_salon, sim
):
    app.config |= {"CALCOM_WEBHOOK_SECRET": SECRET, "REVIEW_REFRESH_SECONDS": 1}
    sim.admin.add_webhook(f"{live_server}/webhooks/calcom", SECRET)
    # A booked appointment an agent is working on: Cal.com refused to move it, so it is on the board.
    appointment = db.session.scalars(
        select(Appointment)
        .where(Appointment.sync_status == SyncStatus.SYNCED, Appointment.starts_at > utcnow())
        .order_by(Appointment.starts_at)
    ).first()
    appointment.sync_status = SyncStatus.FAILED
    appointment.last_error_category = ErrorCategory.HOST_CONFLICT
    appointment.last_error_message = "User either already has booking at this time or is not available"
    db.session.commit()
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open()
    row = board.row(appointment.id)
    expect(row).to_be_visible()
    expect(row.get_by_text("Cancelled", exact=True)).to_have_count(0)

    sim.admin.ui_cancel(appointment.calcom_booking_uid, "Kundin hat im Salon angerufen", by="inhaberin@salon.test")

    expect(row.get_by_text("Cancelled", exact=True)).to_be_visible(timeout=10_000)
    db.session.expire_all()
    cancelled = db.session.get(Appointment, appointment.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancellation_reason == (
        "cancelled in Cal.com by inhaberin@salon.test: Kundin hat im Salon angerufen"
    )


def _free_start(sim, event_type_id: int, days_ahead: int):
    day = (utcnow() + timedelta(days=days_ahead)).date()
    slots = CalcomClient(sim.base_url, sim.api_key).get_slots(event_type_id, day, day + timedelta(days=3), ZONE)
    return slots[0].start


def test_a_move_and_a_new_booking_made_in_calcom_reach_the_detail_page_and_the_deliveries(
    page: Page, app: Flask, live_server, demo_salon, sim
):
    app.config |= {"CALCOM_WEBHOOK_SECRET": SECRET}
    sim.admin.add_webhook(f"{live_server}/webhooks/calcom", SECRET)
    appointment = db.session.scalars(
        select(Appointment)
        .where(Appointment.sync_status == SyncStatus.SYNCED, Appointment.starts_at > utcnow())
        .order_by(Appointment.starts_at)
    ).first()
    event_type_id = mapping_for(appointment).calcom_event_type_id
    new_start = _free_start(sim, event_type_id, days_ahead=8)

    moved = sim.admin.ui_reschedule(appointment.calcom_booking_uid, to_utc_z(new_start), by="inhaberin@salon.test")
    walk_in = sim.admin.ui_create(
        event_type_id, to_utc_z(_free_start(sim, event_type_id, 9)), "Laufkundin", "lauf@k.de"
    )

    def applied() -> bool:
        db.session.expire_all()
        return db.session.get(Appointment, appointment.id).calcom_booking_uid == moved["uid"] and bool(
            db.session.scalar(select(ExternalBooking).where(ExternalBooking.uid == walk_in["uid"]))
        )

    wait_until(applied, 15, "both webhooks applied")
    assert db.session.get(Appointment, appointment.id).starts_at == new_start.astimezone(UTC)
    sign_in(page, live_server, "agent")
    page.goto(f"{live_server}/review/{appointment.id}")
    expect(page.get_by_text(moved["uid"]).first).to_be_visible()
    page.goto(f"{live_server}/webhooks/deliveries")
    expect(page.locator("#external-bookings")).to_contain_text(walk_in["uid"])
