import re

from playwright.sync_api import Page, expect

from tests.e2e.pages.login import sign_in

HOST_CONFLICT = "User either already has booking at this time or is not available"


def test_agent_signs_in_and_sees_the_host_conflict_with_calcoms_full_message(page: Page, live_server, demo_salon):
    page.goto(live_server)
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))

    sign_in(page, live_server, "agent")

    conflict_rows = page.locator("tr", has_text="Host conflict")
    expect(conflict_rows).to_have_count(3)
    first = conflict_rows.first
    first.get_by_text(HOST_CONFLICT).first.click()
    expect(first.locator("pre")).to_have_text(HOST_CONFLICT)
