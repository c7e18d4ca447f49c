"""The board's keyboard shortcuts, its "More" menus, its toasts and its folded filters, in Chromium on the demo salon,
all under the strict CSP without a single violation.

One test in four steps: seeding the demo salon through the simulator is most of the run time, so it is done once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, FloatRect, Locator, Page, expect
from sqlalchemy import select

from ops_ui.demo.seed import DemoSummary
from ops_ui.extensions import db
from ops_ui.models import Appointment, SyncStatus
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard
from tests.support.simulator_fixtures import RunningSimulator

SUCCESS_TOAST_GONE_WITHIN_MS = 10_000  # toast-close.js removes it after 6 s


@pytest.fixture
def csp_violations(page: Page) -> Iterator[list[str]]:
    """What the browser refused under the CSP while the test ran (as in test_framing.py)."""
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    yield violations


def _row_id(row: Locator) -> int:
    return int((row.get_attribute("id") or "").removeprefix("appt-"))


def _current_rows(board: ReviewBoard) -> Locator:
    return board.page.locator("tbody.appt.row-current")


def _expect_current(board: ReviewBoard, row: Locator) -> None:
    """The row is the only current one, its number link has the focus and it looks different from the others."""
    expect(_current_rows(board)).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\brow-current\b"))
    expect(row.locator(".cell-id > a")).to_be_focused()
    shadow = row.locator("tr").first.evaluate("tr => getComputedStyle(tr).boxShadow")
    assert shadow != "none", "the current row is not marked visibly"


def _overlaps(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _assert_no_toast_covers_an_action(page: Page) -> None:
    """No toast lies over an action button of any row in view (the toasts are fixed at the bottom left)."""
    toasts = [box for toast in page.locator("#toasts .toast").all() if (box := toast.bounding_box())]
    assert toasts, "no toast to compare"
    height = page.viewport_size["height"] if page.viewport_size else 0
    buttons = [
        box
        for button in page.locator("#board-results .cell-actions .button").all()
        if button.is_visible() and (box := button.bounding_box()) and box["y"] < height and box["y"] + box["height"] > 0
    ]
    assert buttons, "no action button in view to compare"
    covered = [(toast, button) for toast in toasts for button in buttons if _overlaps(toast, button)]
    assert covered == []


def test_shortcuts_menus_toasts_and_remembered_filters_work_on_the_board_without_a_csp_violation(
    page: Page, live_server: str, demo_salon: DemoSummary, sim: RunningSimulator, csp_violations: list[str]
) -> None:
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server)
    _shortcuts_move_the_current_row_open_its_page_and_act_but_not_while_typing(board)
    _more_menus_open_by_click_and_keyboard_and_close_on_escape_another_menu_or_a_click_elsewhere(board)
    _the_folded_filters_stay_as_the_agent_left_them_across_reloads(board)
    _a_success_toast_goes_by_itself_an_error_stays_until_closed_and_neither_covers_the_actions(board, sim)
    assert csp_violations == []


def _shortcuts_move_the_current_row_open_its_page_and_act_but_not_while_typing(board: ReviewBoard) -> None:
    page = board.page
    board.open("category=HOST_CONFLICT")
    expect(board.rows()).to_have_count(3)
    first, second = board.rows().nth(0), board.rows().nth(1)
    first_id, second_id = _row_id(first), _row_id(second)
    keys = page.keyboard
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")

    # Typed into the search, the letters are text: no row becomes current, no panel, no list of shortcuts.
    search = page.get_by_label("Search", exact=True)
    search.click()
    keys.type("jkr?")
    expect(search).to_have_value("jkr?")
    expect(_current_rows(board)).to_have_count(0)
    expect(help_dialog).to_be_hidden()
    board.open("category=HOST_CONFLICT")  # the board again, unfiltered by the letters
    expect(board.rows()).to_have_count(3)

    # ? lists the shortcuts in a dialog; Escape closes it.
    keys.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_text("Next / previous row")).to_be_visible()
    keys.press("Escape")
    expect(help_dialog).to_be_hidden()

    # j / k move the current row, and it shows; they stop at the ends.
    keys.press("j")
    _expect_current(board, first)
    keys.press("j")
    _expect_current(board, second)
    assert first.locator("tr").first.evaluate("tr => getComputedStyle(tr).boxShadow") == "none"
    keys.press("k")
    _expect_current(board, first)
    keys.press("k")
    _expect_current(board, first)

    # r opens the current row's reschedule panel; the row stays the current one after htmx swapped it.
    keys.press("r")
    expect(board.panel_title(board.row(first_id))).to_have_text(f"Reschedule #{first_id} to a free time")
    expect(board.row(first_id)).to_have_class(re.compile(r"\brow-current\b"))
    keys.press("Escape")
    expect(board.panel(board.row(first_id))).to_have_count(0)
    expect(board.action(board.row(first_id), "Reschedule")).to_be_focused()  # the swap has settled

    # Enter opens the current row's page.
    keys.press("j")
    _expect_current(board, second)
    keys.press("Enter")
    expect(page).to_have_url(f"{board.base_url}/review/{second_id}")


def _more_menus_open_by_click_and_keyboard_and_close_on_escape_another_menu_or_a_click_elsewhere(
    board: ReviewBoard,
) -> None:
    page, keys = board.page, board.page.keyboard
    # The "More" menu: opens by click; opening another closes the first; Escape closes it and gives the summary back.
    # (The second is further down: an open menu lies over the rows right under its own.)
    board.open()
    with_menu = board.rows().filter(has=page.locator("details.more-actions"))
    menu_a, menu_b = (row.locator("details.more-actions") for row in (with_menu.first, with_menu.last))
    summary_a, summary_b = board.more(with_menu.first), board.more(with_menu.last)
    summary_a.click()
    expect(menu_a).to_have_attribute("open", "")
    expect(menu_a.locator(".menu .button").first).to_be_visible()
    summary_b.click()
    expect(menu_b).to_have_attribute("open", "")
    expect(menu_a).not_to_have_attribute("open", "")
    menu_b.locator(".menu .button").first.focus()
    keys.press("Escape")
    expect(menu_b).not_to_have_attribute("open", "")
    expect(summary_b).to_be_focused()

    # By keyboard: Enter on the focused summary opens it, Escape closes it; a click elsewhere closes it too.
    keys.press("Enter")
    expect(menu_b).to_have_attribute("open", "")
    keys.press("Escape")
    expect(menu_b).not_to_have_attribute("open", "")
    keys.press("Space")
    expect(menu_b).to_have_attribute("open", "")
    page.get_by_role("heading", name="Review board").click()
    expect(menu_b).not_to_have_attribute("open", "")


def _the_folded_filters_stay_as_the_agent_left_them_across_reloads(board: ReviewBoard) -> None:
    page = board.page
    board.open()
    filters = page.locator("details#filters-more")
    expect(filters).not_to_have_attribute("open", "")
    filters.locator(":scope > summary").click()
    expect(page.get_by_label("Sync status", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_label("Sync status", exact=True)).to_be_visible()
    filters.locator(":scope > summary").click()
    expect(page.get_by_label("Sync status", exact=True)).to_be_hidden()
    page.reload()
    expect(board.rows().first).to_be_visible()
    expect(filters).not_to_have_attribute("open", "")
    expect(page.get_by_label("Sync status", exact=True)).to_be_hidden()


def _a_success_toast_goes_by_itself_an_error_stays_until_closed_and_neither_covers_the_actions(
    board: ReviewBoard, sim: RunningSimulator
) -> None:
    page = board.page
    appointment = db.session.scalars(
        select(Appointment).where(Appointment.sync_status == SyncStatus.PENDING).order_by(Appointment.starts_at)
    ).first()
    assert appointment is not None
    appointment.sync_status = SyncStatus.FAILED  # its first sync broke; Cal.com still fails
    db.session.commit()
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", status=503, count=100)

    board.open()  # the whole board: rows and their actions down to the bottom
    row = board.row(appointment.id)
    board.act(row, "Retry sync")
    error = page.locator("#toasts").get_by_role("alert").filter(has_text="no booking was made")
    expect(error).to_be_visible()
    row.scroll_into_view_if_needed()
    _assert_no_toast_covers_an_action(page)

    sim.admin.clear_faults()
    board.act(row, "Retry sync")
    expect(row.get_by_text("Synced", exact=True)).to_be_visible()
    success = page.locator("#toasts .toast-success")
    expect(success).to_have_count(1)
    _assert_no_toast_covers_an_action(page)

    # The success toast goes by itself; the error, there for longer, is still there until its × is pressed.
    expect(success).to_have_count(0, timeout=SUCCESS_TOAST_GONE_WITHIN_MS)
    expect(error).to_be_visible()
    error.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#toasts .toast")).to_have_count(0)
