"""A lost answer in Chromium: Cal.com books but never says so, the agent reads a plain sentence, and the next pick
still leaves exactly one booking for the appointment in Cal.com."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncStatus
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard


def _ours(sim, appointment_id: int) -> list[dict]:
    return [
        booking
        for booking in sim.admin.bookings()
        if booking["status"] != "cancelled" and booking["metadata"].get(METADATA_KEY) == str(appointment_id)
    ]


def test_a_reschedule_whose_answer_is_lost_then_another_pick_leaves_one_booking(
    page: Page, app: Flask, live_server, demo_salon, sim
):
    app.config["ACTION_DEADLINE_SECONDS"] = 3.0
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open("category=HOST_CONFLICT")
    row = board.rows().first
    appointment_id = int(row.get_attribute("id").removeprefix("appt-"))

    board.act(row, "Reschedule")
    first_pick = row.get_by_role("button", name="Move to").first
    expect(first_pick).to_be_visible()
    sim.admin.set_faults(pathPrefix="/v2/bookings", hangAfterCommitSeconds=4.0, count=20)
    first_pick.click()

    expect(row.get_by_role("alert").filter(has_text="marked uncertain")).to_be_visible(timeout=10_000)
    expect(row.get_by_text("Uncertain", exact=True)).to_be_visible()
    row.get_by_text("What Cal.com said").click()
    expect(row.locator(".failure-detail pre")).to_contain_text("no answer")
    sim.admin.clear_faults()
    assert len(_ours(sim, appointment_id)) == 1  # Cal.com booked the first pick

    board.act(row, "Reschedule")
    second_pick = row.get_by_role("button", name="Move to").last
    expect(second_pick).to_be_visible()
    second_pick.click()

    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    appointment = db.session.get(Appointment, appointment_id, populate_existing=True)
    [live] = _ours(sim, appointment_id)
    assert appointment.sync_status is SyncStatus.SYNCED and appointment.uncertain_request is None
    assert live["uid"] == appointment.calcom_booking_uid
