"""The field report's situations, fixed in Chromium on the demo salon: conflicts, the duplicate pair, the anonymous
caller and a technical failure; each checked in the appointment and in Cal.com (the simulator)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from playwright.sync_api import Page, expect
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard


def _appointment(appointment_id: int) -> Appointment:
    return db.session.get(Appointment, appointment_id, populate_existing=True)


def _row_id(locator) -> int:
    return int(locator.get_attribute("id").removeprefix("appt-"))


def _live_bookings(sim) -> list[dict]:
    return [booking for booking in sim.admin.bookings() if booking["status"] != "cancelled"]


def _no_double_booking(sim) -> None:
    seen = set()
    for booking in _live_bookings(sim):
        key = (
            booking.get("hosts", [{}])[0].get("id") if booking.get("hosts") else booking.get("eventTypeId"),
            booking["start"],
        )
        assert key not in seen, f"double booking at {key}"
        seen.add(key)


def test_host_conflict_is_resolved_by_rescheduling_to_an_offered_slot(page: Page, live_server, demo_salon, sim):
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open("category=HOST_CONFLICT")
    expect(board.rows()).to_have_count(3)
    row = board.rows().first
    appointment_id = _row_id(row)
    before = _appointment(appointment_id)
    old_start = before.starts_at

    board.act(row, "Reschedule")
    slot = row.get_by_role("button", name="Move to").first
    expect(slot).to_be_visible()
    slot.click()

    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    board.toast("Rescheduled to")
    after = _appointment(appointment_id)
    assert after.sync_status is SyncStatus.SYNCED and after.starts_at != old_start
    ours = [b for b in _live_bookings(sim) if b["uid"] == after.calcom_booking_uid]
    assert len(ours) == 1
    _no_double_booking(sim)


def test_duplicate_pair_cancel_one_and_reassign_the_other(page: Page, live_server, demo_salon, sim):
    pair = db.session.scalars(
        select(Appointment)
        .where(Appointment.sync_status == SyncStatus.FAILED, Appointment.starts_at > datetime.now(UTC))
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    first, second = next(
        (a, b) for a, b in pairwise(pair) if a.customer_id == b.customer_id and a.starts_at == b.starts_at
    )
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open(f"q=%23{first.id}")

    row = board.row(first.id)
    board.act(row, "Cancel appointment")
    row.get_by_label("Reason").select_option("duplicate")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Confirm cancellation").click()
    expect(row.get_by_text("Cancelled", exact=True)).to_be_visible()
    assert _appointment(first.id).status is AppointmentStatus.CANCELLED

    staff_before = second.staff_id
    board.open(f"q=%23{second.id}")
    row = board.row(second.id)
    board.act(row, "Reassign")
    expect(
        row.get_by_text("same person", exact=True)
    ).to_be_visible()  # the other Fabian record is the same Cal.com user
    row.get_by_role("button", name="Assign to").and_(page.locator(":enabled")).first.click()
    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    board.toast("Reassigned to")
    after = _appointment(second.id)
    assert after.sync_status is SyncStatus.SYNCED and after.staff_id != staff_before
    assert [b["uid"] for b in _live_bookings(sim) if b["uid"] == after.calcom_booking_uid]
    _no_double_booking(sim)


def test_missing_contact_is_fixed_by_editing_the_contact_and_retrying(page: Page, live_server, demo_salon, sim):
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open("category=MISSING_CONTACT")
    appointment_id = _row_id(board.rows("anonymous caller").first)
    row = board.row(appointment_id)

    board.act(row, "Edit contact")
    row.get_by_label("Phone").fill("anonymous_1732_9f3a2c")
    row.get_by_role("button", name="Save", exact=True).click()
    expect(row.locator(".field-error")).to_contain_text("anonymous caller id")  # 422: the form with the error
    expect(row.get_by_label("Phone")).to_be_focused()  # htmx settles the new form by focusing its first error

    row.get_by_label("Phone").fill("")
    row.get_by_label("E-mail").fill("anrufer.echt@kunden-mail.de")
    row.get_by_role("button", name="Save and retry sync").click()

    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    after = _appointment(appointment_id)
    assert (after.customer.email, after.sync_status) == ("anrufer.echt@kunden-mail.de", SyncStatus.SYNCED)
    [booking] = [b for b in _live_bookings(sim) if b["uid"] == after.calcom_booking_uid]
    assert booking["status"] != "cancelled"


def test_technical_failure_retries_until_the_fault_is_gone_and_managers_only_watch(
    page: Page, live_server, demo_salon, sim
):
    appointment = db.session.scalars(
        select(Appointment).where(Appointment.sync_status == SyncStatus.PENDING).order_by(Appointment.starts_at)
    ).first()
    appointment.sync_status = SyncStatus.FAILED  # the pending appointment whose first sync now breaks
    db.session.commit()
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", status=503, count=100)

    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open(f"q=%23{appointment.id}")
    row = board.row(appointment.id)
    board.act(row, "Retry sync")
    expect(row.get_by_text("Technical — the engine retries it")).to_be_visible()
    expect(
        page.locator("#toasts").get_by_role("alert").filter(has_text="we checked and no booking was made")
    ).to_be_visible()
    assert _appointment(appointment.id).sync_status is SyncStatus.FAILED
    assert not [
        b for b in _live_bookings(sim) if b.get("metadata", {}).get("syncDeskAppointmentId") == str(appointment.id)
    ]

    sim.admin.clear_faults()
    board.act(row, "Retry sync")
    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    after = _appointment(appointment.id)
    assert after.sync_status is SyncStatus.SYNCED
    assert len([b for b in _live_bookings(sim) if b["uid"] == after.calcom_booking_uid]) == 1
    _no_double_booking(sim)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "manager")
    board.open()
    expect(board.rows().first).to_be_visible()
    expect(page.get_by_role("button", name="Retry sync")).to_have_count(0)
