"""The demo board on a laptop screen, in the salon's German (its labels are the longer ones): with the filters folded
away, at least eight whole rows above the fold and no action out of reach (no sideways scrolling, every action
control inside the viewport)."""

from __future__ import annotations

from statistics import median

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard

MEASURE = """() => {
  const view = {width: window.innerWidth, height: window.innerHeight};
  const rows = [...document.querySelectorAll("tbody.appt > tr:first-child")].map(row => row.getBoundingClientRect());
  const inside = box => box.top >= 0 && box.bottom <= view.height && box.left >= 0 && box.right <= view.width;
  const whole = rows.filter(inside);
  const controls = [...document.querySelectorAll(".cell-actions button, .cell-actions summary, .cell-actions a")]
    .filter(control => control.getClientRects().length)
    .map(control => control.getBoundingClientRect());
  const wrap = document.querySelector(".table-wrap");
  const table = document.querySelector("table.board");
  return {
    whole: whole.length,
    heights: rows.map(box => box.height),
    clipped: controls.filter(box => box.left < 0 || box.right > view.width).length,
    controls: controls.length,
    tableWidth: table.scrollWidth,
    wrapWidth: wrap.clientWidth,
  };
}"""


@pytest.mark.parametrize("width, height", [(1366, 768), (1280, 800)])
def test_demo_board_shows_eight_whole_rows_and_every_action_inside_a_laptop_screen(
    page: Page, live_server, german_demo_salon, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, "agent")
    board = ReviewBoard(page, live_server)
    page.goto(f"{live_server}/review")
    expect(page.get_by_role("heading", name="Prüfliste")).to_be_visible()
    expect(board.rows().first).to_be_visible()

    figures = page.evaluate(MEASURE)
    print(f"{width}x{height}: {figures['whole']} whole rows, median row {median(figures['heights']):.0f} px")

    assert figures["controls"] > 0
    assert figures["whole"] >= 8, figures
    assert figures["clipped"] == 0, figures
    assert figures["tableWidth"] <= figures["wrapWidth"], figures
