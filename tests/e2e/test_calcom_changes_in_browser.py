"""A change made in Cal.com itself reaches the agent's open board: by webhook into Sync Desk, then by the board's
own poller onto the screen, without anyone reloading."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus, utcnow
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard

SECRET = "e2e-webhook-secret"


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
