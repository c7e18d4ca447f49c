from playwright.sync_api import Page, expect

from ops_ui.demo.catalogue import DEMO_LOGINS


def sign_in(page: Page, base_url: str, role: str) -> None:
    login = next(login for login in DEMO_LOGINS if login.role == role)
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
