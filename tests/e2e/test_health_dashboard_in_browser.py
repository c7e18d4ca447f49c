"""The manager's dashboard in Chromium: the demo's figures, the way into the board, and live refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard


def _failed_ids(*conditions) -> set[int]:
    return set(
        db.session.scalars(
            select(Appointment.id).where(
                Appointment.sync_status == SyncStatus.FAILED,
                Appointment.status != AppointmentStatus.CANCELLED,
                *conditions,
            )
        )
    )


def test_manager_sees_the_demo_figures_and_critical_alerts_lead_to_exactly_those_rows(
    page: Page, live_server, demo_salon
):
    now = datetime.now(UTC)
    critical = _failed_ids(Appointment.starts_at >= now, Appointment.starts_at < now + timedelta(hours=48))
    assert critical, "the demo has a host conflict tomorrow"

    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/health")

    expect(page.locator('[data-figure="failed"]')).to_have_text(str(demo_salon.failed))
    expect(page.locator('[data-figure="pending"]')).to_have_text(str(demo_salon.pending))
    expect(page.locator('[data-figure="desync"]')).to_have_text("9")
    expect(page.locator('[data-figure="critical"]')).to_have_text(str(len(critical)))

    page.locator("#health-critical").get_by_role("link").click()

    board = ReviewBoard(page, live_server)
    expect(page).to_have_url(f"{live_server}/review?sync_status=failed&critical=1")
    expect(board.rows()).to_have_count(len(critical))
    shown = {int(row_id.removeprefix("appt-")) for row_id in board.rows().evaluate_all("rows => rows.map(r => r.id)")}
    assert shown == critical
    expect(page.get_by_role("button", name="Retry sync")).to_have_count(0)  # managers only watch


def test_dashboard_in_another_tab_refreshes_when_the_board_changes_something(
    context: BrowserContext, live_server, demo_salon
):
    dashboard = context.new_page()
    sign_in(dashboard, live_server, "admin")
    dashboard.goto(f"{live_server}/health")
    failed = dashboard.locator('[data-figure="failed"]')
    expect(failed).to_have_text(str(demo_salon.failed))

    board_page = context.new_page()
    board = ReviewBoard(board_page, live_server).open("category=NO_STAFF")
    row = board.rows().first
    board.act(row, "Cancel appointment")
    row.get_by_label("Reason").select_option("no_longer_possible")
    board_page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Confirm cancellation").click()
    expect(row.get_by_text("Cancelled", exact=True)).to_be_visible()

    expect(failed).to_have_text(str(demo_salon.failed - 1))  # without reloading the dashboard tab
