import re

from playwright.sync_api import Page, expect

from ops_ui.demo.catalogue import DEMO_LOGINS

E_MAIL = re.compile(r"^E-[Mm]ail$")
PASSWORD = re.compile(r"^(Password|Passwort)$")
SIGN_IN = re.compile(r"^(Sign in|Anmelden)$")


def sign_in(page: Page, base_url: str, role: str) -> None:
    """Sign in as the demo login of ``role`` on the sign-in page, in English or German."""
    login = next(login for login in DEMO_LOGINS if login.role == role)
    page.goto(f"{base_url}/login")
    page.get_by_label(E_MAIL).fill(login.email)
    page.get_by_label(PASSWORD).fill(login.password)
    page.get_by_role("button", name=SIGN_IN).click()
    expect(page.locator("form[action$='/logout'] button")).to_be_visible()
