"""Every answer carries frame protection, a strict CSP and no-store; no template needs inline code or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ops_ui import create_app
from ops_ui.models import Role
from tests.support.auth import HTMX_HEADERS, login
from tests.support.factories import make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"""\sstyle=|\shx-on[:-]|\son[a-z]+\s*=|<script(?![^>]*\bsrc=)|<style""", re.IGNORECASE)


def _assert_protected(headers) -> None:
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_login_page_cannot_be_framed_and_is_not_cached(client: FlaskClient) -> None:
    response = client.get("/login")
    _assert_protected(response.headers)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # development runs on plain http


def test_board_page_and_fragment_cannot_be_framed_and_are_not_cached(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    for headers in ({}, HTMX_HEADERS):
        response = client.get("/review", headers=headers)
        assert response.status_code == 200
        _assert_protected(response.headers)
        assert response.headers["Cache-Control"] == "no-store"


def test_errors_carry_the_headers_too(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    response = client.get("/review/99999999999999999999")
    assert response.status_code == 404
    _assert_protected(response.headers)


def test_static_files_may_be_cached_but_not_framed_or_sniffed(client: FlaskClient) -> None:
    response = client.get("/static/js/toast-close.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_production_adds_hsts_and_secure_cookies(monkeypatch: pytest.MonkeyPatch, app_config) -> None:
    monkeypatch.setenv("SYNC_DESK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "3f9c2a7e1b8d4c6f0a5e9b2d7c1f8a3e")
    monkeypatch.setenv("CALCOM_API_KEY", "cal_live_real")
    config = {key: value for key, value in app_config.items() if key not in ("SECRET_KEY", "CALCOM_API_KEY")}
    app = create_app(config)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '"includeIndicatorStyles":false' in page
    assert '"allowEval":false' in page


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_style_script_or_handlers(template: Path) -> None:
    """The CSP would block them: an inline style or handler silently stops working in the browser."""
    assert INLINE.findall(template.read_text(encoding="utf-8")) == []


def test_the_quiet_request_handler_names_no_versions(app) -> None:
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    from ops_ui.security_headers import QuietRequestHandler

    server = make_server("127.0.0.1", 0, app, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/login") as response:
        assert response.headers.get_all("Server") == ["Sync Desk"]
    thread.join(timeout=10)
    server.server_close()
