"""The review board as a person sees it: rows found by what they show, actions by their button names."""

from __future__ import annotations

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
        row.get_by_role("button", name=button, exact=True).click()
        return row

    def toast(self, text: str) -> Locator:
        toast = self.page.locator("#toasts").get_by_role("status").filter(has_text=text)
        expect(toast.first).to_be_visible()
        return toast
