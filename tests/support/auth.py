"""Sign in through the real login form, CSRF and all, the way a browser does."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ops_ui.models import User
from tests.support.factories import PASSWORD

_FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of a rendered page: the hidden form field, or the layout's meta tag."""
    match = _FORM_TOKEN.search(html) or _META_TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and read its CSRF token (the token is bound to the client's session)."""
    response = client.get(path, follow_redirects=True)
    return csrf_token_in(response.get_data(as_text=True))


def login(client: FlaskClient, user: User, password: str = PASSWORD, next_path: str | None = None) -> TestResponse:
    """Sign ``user`` in and assert it worked; returns the redirect response."""
    data = {"email": user.email, "password": password, "csrf_token": csrf_token(client)}
    if next_path is not None:
        data["next"] = next_path
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def logout(client: FlaskClient) -> TestResponse:
    token = csrf_token(client, "/review")
    return client.post("/logout", data={"csrf_token": token})


HTMX_HEADERS = {"HX-Request": "true", "HX-Current-URL": "http://localhost/review?category=business"}
