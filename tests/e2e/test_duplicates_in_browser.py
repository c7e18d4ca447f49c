"""The demo salon's duplicate pair in Chromium: flagged on both rows, one cancelled as a duplicate in two clicks (the
button and the confirm dialog), the other kept, and its flag gone without a reload."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import pairwise

from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard


def _appointment(appointment_id: int) -> Appointment:
    return db.session.get(Appointment, appointment_id, populate_existing=True)


def _demo_pair() -> tuple[Appointment, Appointment]:
    """The customer the voice agent booked twice with "Fabian Spitzer" (two staff records, one person)."""
    failed = db.session.scalars(
        select(Appointment)
        .where(Appointment.sync_status == SyncStatus.FAILED, Appointment.starts_at > datetime.now(UTC))
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return next(
        (a, b)
        for a, b in pairwise(failed)
        if (a.customer_id, a.starts_at, a.service_id) == (b.customer_id, b.starts_at, b.service_id)
    )


def test_demo_duplicate_pair_is_flagged_and_resolved_in_two_clicks(page: Page, live_server, demo_salon, sim):
    kept, duplicate = _demo_pair()
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open("category=HOST_CONFLICT")
    kept_row, duplicate_row = board.row(kept.id), board.row(duplicate.id)
    expect(kept_row.locator(".duplicate-flag")).to_have_text(re.compile(rf"^Possible duplicate of\s+#{duplicate.id}$"))
    expect(duplicate_row.locator(".duplicate-flag")).to_have_text(re.compile(rf"^Possible duplicate of\s+#{kept.id}$"))
    expect(duplicate_row.get_by_role("link", name=f"#{kept.id}", exact=True)).to_have_attribute(
        "href", f"/review/{kept.id}"
    )

    dialogs: list[str] = []

    def confirm(dialog: Dialog) -> None:  # the second click: OK in the confirm dialog
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", confirm)
    board.act(duplicate_row, "Cancel as duplicate")  # the first click

    expect(duplicate_row.get_by_text("Cancelled", exact=True)).to_be_visible()
    board.toast("Appointment cancelled")
    expect(kept_row.locator(".duplicate-flag")).to_have_count(0)  # swapped out of band, no reload
    expect(board.action(kept_row, "Cancel as duplicate")).to_have_count(0)
    expect(board.action(kept_row, "Retry sync")).to_have_count(1)  # its other actions stay (in its menu)
    assert dialogs == [
        f"Cancel #{duplicate.id} of {duplicate.customer.name} as a duplicate of #{kept.id}? "
        f"#{kept.id} is kept; Cal.com is told as well."
    ]
    cancelled, still = _appointment(duplicate.id), _appointment(kept.id)
    assert (cancelled.status, cancelled.cancellation_reason) == (
        AppointmentStatus.CANCELLED,
        f"duplicate: duplicate of #{kept.id}",
    )
    assert (still.status, still.version) == (AppointmentStatus.SCHEDULED, kept.version)
