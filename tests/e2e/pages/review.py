"""The review board as a person sees it: rows found by what they show, actions by their button names."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


class ReviewBoard:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self, query: str = "") -> ReviewBoard:
        self.page.goto(f"{self.base_url}/review{'?' + query if query else ''}")
        expect(self.page.get_by_role("heading", name="Review board")).to_be_visible()
        return self

    def rows(self, text: str | None = None) -> Locator:
        rows = self.page.locator("tbody.appt")
        return rows.filter(has_text=text) if text else rows

    def row(self, appointment_id: int) -> Locator:
        return self.page.locator(f"#appt-{appointment_id}")

    def act(self, row: Locator, button: str) -> Locator:
        """Press one of the row's actions: the highlighted one, or one in its "More" menu (opened first)."""
        control = self.action(row, button)
        expect(control).to_have_count(1)
        if control.evaluate("element => element.closest('details.more-actions:not([open])') !== null"):
            self.more(row).click()
        control.click()
        return row

    def more(self, row: Locator) -> Locator:
        """The summary that opens the row's "More" menu."""
        return row.locator("details.more-actions > summary")

    def toast(self, text: str) -> Locator:
        toast = self.page.locator("#toasts").get_by_role("status").filter(has_text=text)
        expect(toast.first).to_be_visible()
        return toast

    def count_link(self, category_label: str) -> Locator:
        """The link in the counts that filters the board to one error category."""
        return self.page.locator("#counts").get_by_role("link", name=re.compile(rf"^{re.escape(category_label)}\b"))

    def action(self, row: Locator, button: str) -> Locator:
        """The row's action button, also when it waits in the closed "More" menu."""
        return row.get_by_role("button", name=button, exact=True, include_hidden=True)

    def panel(self, row: Locator) -> Locator:
        """The row's open action panel (a region named by its heading); count 0 when none is open."""
        return row.locator("section.panel")

    def panel_title(self, row: Locator) -> Locator:
        return self.panel(row).get_by_role("heading")

    def tab_to(self, target: Locator, *, backwards: bool = False, limit: int = 150) -> Locator:
        """Press Tab (Shift+Tab) until ``target`` has the focus, as a keyboard user would; fails past ``limit``."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            if target.evaluate("element => element === document.activeElement"):
                break
            self.page.keyboard.press(key)
        expect(target).to_be_focused()
        return target

    # --- bulk retry --------------------------------------------------------------------------------------------

    def select(self, appointment_id: int) -> Locator:
        """Tick a row's checkbox (it joins the bulk bar's form)."""
        checkbox = self.page.get_by_label(f"Select appointment #{appointment_id}", exact=True)
        checkbox.check()
        return checkbox

    def bulk_bar(self) -> Locator:
        return self.page.get_by_role("form", name="Retry many at once")

    def bulk_retry(self, button: str = "Retry selected") -> BulkRunPage:
        """Press one of the bulk bar's buttons and land on the run's own page."""
        self.bulk_bar().get_by_role("button", name=button, exact=True).click()
        expect(self.page).to_have_url(re.compile(r"/review/bulk/\d+$"))
        return BulkRunPage(self.page)


class BulkRunPage:
    """A bulk retry's own page: its progress bar, the counts so far and, once finished, the summary."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def run_id(self) -> int:
        return int(self.page.url.rstrip("/").rsplit("/", 1)[1])

    def progressbar(self) -> Locator:
        return self.page.get_by_role("progressbar")

    def count(self, name: str) -> Locator:
        """The figure after "Synced", "Skipped" or "Failed"."""
        return self.page.locator(".bulk-counts div", has_text=name).locator("dd")

    def summary(self) -> Locator:
        return self.page.locator(".bulk-summary").get_by_role("status")
