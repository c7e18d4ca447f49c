"""A page that frames Sync Desk gets nothing to click; the app itself runs under its strict CSP without violations."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, Route, expect

from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard


def _decoy(route: Route, target: str) -> None:
    html = f'<!doctype html><title>Win a prize</title><h1>Click to win</h1><iframe src="{target}"></iframe>'
    route.fulfill(status=200, content_type="text/html", body=html)


def _is_frame_refusal(message: ConsoleMessage) -> bool:
    return "frame-ancestors" in message.text or "X-Frame-Options" in message.text


def test_a_same_site_page_framing_the_board_gets_the_frame_refused(page: Page, live_server, demo_salon) -> None:
    sign_in(page, live_server, "agent")  # the browser holds a live session the frame would use
    page.route(f"{live_server}/decoy", lambda route: _decoy(route, f"{live_server}/review"))

    with page.expect_console_message(_is_frame_refusal):
        page.goto(f"{live_server}/decoy")
    page.wait_for_load_state("load")  # the top page's load waits for its frame, refused or not

    expect(page.get_by_role("heading", name="Click to win")).to_be_visible()
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("button", name="Retry sync")).to_have_count(0)
    expect(frame.get_by_role("button", name="Sign out")).to_have_count(0)


def test_the_login_page_cannot_be_framed_either(page: Page, live_server, demo_salon) -> None:
    page.route(f"{live_server}/decoy", lambda route: _decoy(route, f"{live_server}/login"))
    with page.expect_console_message(_is_frame_refusal):
        page.goto(f"{live_server}/decoy")
    page.wait_for_load_state("load")
    expect(page.frame_locator("iframe").get_by_label("Password")).to_have_count(0)


def test_the_board_runs_under_its_csp_without_a_single_violation(page: Page, live_server, demo_salon) -> None:
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server).open("category=NO_STAFF")
    row = board.rows().first
    board.act(row, "Cancel appointment")
    row.get_by_label("Reason").select_option("no_longer_possible")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Confirm cancellation").click()
    expect(row.get_by_text("Cancelled", exact=True)).to_be_visible()

    toast = page.locator("#toasts .toast").first
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Dismiss").click()  # the static script, not an inline handler
    expect(page.locator("#toasts .toast")).to_have_count(0)

    page.goto(f"{live_server}/health")
    expect(page.get_by_role("img").first).to_be_visible()
    assert violations == []
