"""An agent ticks rows on the board, presses "Retry selected", and watches the run's own page until a real worker
process has retried them: the progress bar polls itself to 100 % and the summary says what happened."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncStatus, User
from tests.e2e.pages.review import ReviewBoard
from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.salon import Salon, active_bookings, make_synced_salon, slot_start
from tests.support.worker import running_workers

SLOTS = [time(6, 0), time(8, 15), time(10, 30), time(12, 45)]
WORKER_TIMEOUT_MS = 60_000


def _sign_in(page: Page, base_url: str, user: User) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _waiting_technical_failures(salon: Salon) -> list[Appointment]:
    """Technical failures whose automatic retry is an hour away: the worker's own due pass leaves them alone, so
    only the bulk retry sends them now."""
    now = datetime.now(UTC)
    return [
        factories.make_appointment(
            factories.make_customer(salon.company, name=f"Kundin {index}"),
            salon.service,
            salon.staff,
            slot_start(2, local),
            sync_status=SyncStatus.FAILED,
            last_error_category=ErrorCategory.TIMEOUT,
            last_error_message="Cal.com did not answer within 10 s",
            attempt_count=1,
            last_attempt_at=now - timedelta(minutes=5),
            failed_since=now - timedelta(minutes=5),
            next_retry_at=now + timedelta(hours=1),
        )
        for index, local in enumerate(SLOTS)
    ]


def _status(appointment_id: int) -> SyncStatus:
    row = db.session.get(Appointment, appointment_id, populate_existing=True)
    assert row is not None
    return row.sync_status


def test_agent_retries_ticked_rows_and_watches_the_progress_bar_reach_100_percent(
    page: Page, live_server, app_config, sim, tmp_path: Path
):
    salon = make_synced_salon(sim.admin)
    first, second, left_out, fourth = _waiting_technical_failures(salon)
    chosen = [first, second, fourth]
    _sign_in(page, live_server, salon.agent)
    board = ReviewBoard(page, live_server).open()
    expect(board.rows()).to_have_count(4)
    expect(board.bulk_bar()).to_contain_text("Select all 4 in this view")

    for appointment in chosen:
        expect(board.select(appointment.id)).to_be_checked()
    run = board.bulk_retry("Retry selected")

    progressbar = run.progressbar()
    expect(page.get_by_role("heading", name=f"Bulk retry #{run.run_id}")).to_be_visible()
    expect(progressbar).to_have_attribute("aria-valuenow", "0")  # no worker yet: nothing has run
    expect(page.get_by_text("0 / 3")).to_be_visible()

    with running_workers(app_config, tmp_path, 1):
        expect(progressbar).to_have_attribute("aria-valuenow", "100", timeout=WORKER_TIMEOUT_MS)
        expect(page.get_by_role("heading", name="Bulk retry finished")).to_be_visible()

    expect(page.get_by_text("3 / 3")).to_be_visible()
    expect(run.count("Synced")).to_have_text("3")
    expect(run.count("Skipped")).to_have_text("0")
    expect(run.count("Failed")).to_have_text("0")
    expect(run.summary()).to_contain_text("3 synced, 0 skipped, 0 failed")
    expect(run.summary()).to_contain_text("Nothing of this run is left to do")
    assert [_status(appointment.id) for appointment in chosen] == [SyncStatus.SYNCED] * 3
    assert _status(left_out.id) is SyncStatus.FAILED  # not ticked: not retried
    assert len(active_bookings(sim)) == 3

    page.get_by_role("link", name="Back to the review board").click()
    expect(board.rows()).to_have_count(1)
    expect(board.row(left_out.id)).to_be_visible()
