"""A field case fixed with the keyboard alone: after signing in, only Tab, Shift+Tab, Enter, Space and Escape.

Every swap of a board row must leave the focus where the agent is working: in the panel that just opened, back on
the button that opened it when the panel closes (Close or Escape) or its action is done. Without that the focus
falls to <body> and the next Tab starts again at the top of the page.
"""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Page, expect

from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncStatus
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard


def _appointment(appointment_id: int) -> Appointment:
    return db.session.get(Appointment, appointment_id, populate_existing=True)


def _live_bookings(sim) -> list[dict]:
    return [booking for booking in sim.admin.bookings() if booking["status"] != "cancelled"]


def test_host_conflict_is_rescheduled_by_keyboard_alone_and_focus_stays_with_the_row(
    page: Page, live_server, demo_salon, sim
):
    sign_in(page, live_server, "agent")  # lands on the board
    board = ReviewBoard(page, live_server)
    keys = page.keyboard

    board.tab_to(board.count_link("Host conflict"))
    keys.press("Enter")
    expect(board.rows()).to_have_count(3)
    first = board.rows().first
    appointment_id = int(first.get_attribute("id").removeprefix("appt-"))
    old_start = _appointment(appointment_id).starts_at
    row = board.row(appointment_id)  # by id: the same row after every swap
    reschedule = board.action(row, "Reschedule")
    board.tab_to(reschedule)
    expect(reschedule).to_have_attribute("aria-expanded", "false")

    # Opening the panel moves the focus to its heading; the button says what it opened.
    keys.press("Enter")
    expect(board.panel_title(row)).to_be_focused()
    expect(reschedule).to_have_attribute("aria-expanded", "true")
    expect(reschedule).to_have_attribute("aria-controls", board.panel(row).get_attribute("id"))

    # Escape closes it like Close does, and the focus is back on the opener.
    keys.press("Escape")
    expect(board.panel(row)).to_have_count(0)
    expect(reschedule).to_be_focused()
    expect(reschedule).to_have_attribute("aria-expanded", "false")

    # So does Close, pressed with Space.
    keys.press("Enter")
    expect(board.panel_title(row)).to_be_focused()
    keys.press("Tab")
    close = board.action(row, "Close")
    expect(close).to_be_focused()
    keys.press("Space")
    expect(board.panel(row)).to_have_count(0)
    expect(reschedule).to_be_focused()

    # Open again: the first free slot is two Tabs away (heading, Close, slot), not seventy.
    keys.press("Enter")
    expect(board.panel_title(row)).to_be_focused()
    keys.press("Tab")
    expect(close).to_be_focused()
    keys.press("Tab")
    slot = row.get_by_role("button", name="Move to").first
    expect(slot).to_be_focused()
    keys.press("Shift+Tab")
    expect(close).to_be_focused()
    keys.press("Tab")
    expect(slot).to_be_focused()
    new_start = datetime.fromisoformat(slot.get_attribute("value"))
    keys.press("Enter")

    # Done: the row shows the outcome and keeps the focus where its actions were.
    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    expect(row.get_by_text("Resolved — leaves the board on reload")).to_be_focused()
    board.toast("Rescheduled to")

    after = _appointment(appointment_id)
    assert after.sync_status is SyncStatus.SYNCED
    assert after.starts_at == new_start != old_start
    [booking] = [b for b in _live_bookings(sim) if b["uid"] == after.calcom_booking_uid]
    assert datetime.fromisoformat(booking["start"]) == new_start
