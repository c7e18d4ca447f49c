"""Sign-in, sign-out, the global login guard, CSRF, roles and company scope — with CSRF switched on."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from flask_login import login_user
from werkzeug.exceptions import NotFound

from ops_ui.auth.permissions import get_visible_or_404, require_actor, require_role
from ops_ui.auth.views import safe_next_path
from ops_ui.extensions import db
from ops_ui.models import Appointment, Role, SyncStatus
from tests.support.auth import HTMX_HEADERS, csrf_token, login, logout
from tests.support.factories import (
    PASSWORD,
    make_appointment,
    make_company,
    make_customer,
    make_service,
    make_user,
)


def test_csrf_protection_is_on_in_the_app_that_serves_these_tests(client: FlaskClient) -> None:
    assert client.application.config.get("WTF_CSRF_ENABLED", True) is True


def test_login_with_right_password_lands_on_the_review_board(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    response = login(client, user)
    assert response.headers["Location"] == "/review"
    page = client.get("/review")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


def test_login_ignores_case_of_the_email(client: FlaskClient) -> None:
    user = make_user(Role.AGENT, email="case@syncdesk.test")
    token = csrf_token(client)
    response = client.post("/login", data={"email": "CASE@SyncDesk.test", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert user.name in client.get("/review").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "password"),
    [("agent@syncdesk.test", "wrong password!"), ("nobody@syncdesk.test", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_credentials_give_the_form_again_with_one_message_and_422(
    client: FlaskClient, email: str, password: str
) -> None:
    make_user(Role.AGENT, email="agent@syncdesk.test")
    token = csrf_token(client)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "E-mail or password is wrong" in body
    assert PASSWORD not in body
    assert client.get("/review").status_code == 302


CSRF_VALUE = re.compile(r"[\w-]{30,}\.[\w-]{5,8}\.[\w-]{20,}")
"""A Flask-WTF token: payload, timestamp and signature, as in the page's meta tag, htmx headers and hidden fields."""


def test_unknown_email_and_wrong_password_answer_identically(client: FlaskClient) -> None:
    make_user(Role.AGENT, email="agent@syncdesk.test")
    bodies = []
    for email in ("agent@syncdesk.test", "nobody@syncdesk.test"):
        token = csrf_token(client)
        response = client.post("/login", data={"email": email, "password": "nope nope nope", "csrf_token": token})
        # A page renders a fresh CSRF token (signed with the second it was made), so tokens are taken out whole.
        bodies.append(CSRF_VALUE.sub("", response.get_data(as_text=True)).replace(email, ""))
    assert bodies[0] == bodies[1]


def test_empty_fields_are_form_errors(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "", "password": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    user.active = False
    db.session.commit()
    token = csrf_token(client)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 422
    assert client.get("/review").status_code == 302


def test_deactivating_a_user_ends_their_session(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    login(client, user)
    assert client.get("/review").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/review").status_code == 302


def test_logout_ends_the_session(client: FlaskClient) -> None:
    login(client, make_user(Role.MANAGER))
    response = logout(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/review").status_code == 302


def test_logout_is_post_only(client: FlaskClient) -> None:
    login(client, make_user(Role.MANAGER))
    assert client.get("/logout").status_code == 405
    assert client.get("/review").status_code == 200


def test_login_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/review").status_code == 302


def test_logout_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/review").status_code == 200


def test_layout_carries_csrf_token_for_htmx_and_the_htmx_config(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    body = client.get("/review").get_data(as_text=True)
    assert '<body hx-headers=\'{"X-CSRFToken": "' in body
    assert '<meta name="htmx-config"' in body
    assert '"code":"422","swap":true' in body
    assert 'id="toasts" class="toasts" aria-live="polite"' in body
    assert "vendor/htmx-2.0.11.min.js" in body


def test_htmx_post_with_token_header_passes_csrf(app: Flask, client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    token = csrf_token(client, "/review")
    response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


def test_next_path_on_this_site_is_followed(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    form_page = client.get("/login?next=/review%3Fcategory%3Dbusiness").get_data(as_text=True)
    assert 'value="/review?category=business"' in form_page
    response = login(client, user, next_path="/review?category=business")
    assert response.headers["Location"] == "/review?category=business"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "/\t/x"],
)
def test_next_pointing_elsewhere_is_ignored(client: FlaskClient, target: str) -> None:
    response = login(client, make_user(Role.AGENT), next_path=target)
    assert response.headers["Location"] == "/review"


def test_safe_next_path_accepts_only_local_paths() -> None:
    assert safe_next_path("/review?x=1") == "/review?x=1"
    assert safe_next_path("//evil.example") is None
    assert safe_next_path("https://evil.example") is None
    assert safe_next_path(None) is None


@pytest.mark.parametrize("path", ["/", "/review", "/no-such-page", "/review/1/retry"])
def test_every_page_redirects_to_login_without_a_session(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"


def test_redirect_to_login_remembers_the_page(client: FlaskClient) -> None:
    response = client.get("/review?category=business")
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["next"] == ["/review?category=business"]


def test_htmx_request_without_session_gets_401_and_hx_redirect_to_login(client: FlaskClient) -> None:
    response = client.get("/review", headers=HTMX_HEADERS)
    assert response.status_code == 401
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login"
    assert parse_qs(target.query)["next"] == ["/review?category=business"]
    assert response.get_data(as_text=True) == ""


def test_htmx_post_without_session_gets_401_not_a_csrf_error(client: FlaskClient) -> None:
    response = client.post("/review", headers=HTMX_HEADERS)
    assert response.status_code == 401
    assert "HX-Redirect" in response.headers


def test_public_pages_need_no_session(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)  # 503: no sync engine runs here, still no login asked
    assert client.get("/static/css/app.css").status_code == 200


def test_a_blueprint_added_later_is_protected_by_default(app: Flask) -> None:
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/extra", "page", lambda: "secret")
    app.register_blueprint(extra)
    response = app.test_client().get("/extra")
    assert response.status_code == 302
    assert "secret" not in response.get_data(as_text=True)


def _app_with_guarded_routes(app: Flask) -> None:
    bp = Blueprint("guarded", __name__)
    bp.add_url_rule("/guarded/admin", "admin", require_role(Role.ADMIN)(lambda: "admin area"))
    bp.add_url_rule("/guarded/act", "act", require_actor(lambda: "acted"), methods=["POST"])
    app.register_blueprint(bp)


@pytest.mark.parametrize(
    ("role", "admin_status", "act_status"),
    [(Role.AGENT, 403, 200), (Role.MANAGER, 403, 403), (Role.ADMIN, 200, 200)],
)
def test_role_checks_answer_403(app: Flask, role: Role, admin_status: int, act_status: int) -> None:
    _app_with_guarded_routes(app)
    client = app.test_client()
    login(client, make_user(role))
    assert client.get("/guarded/admin").status_code == admin_status
    token = csrf_token(client, "/review")
    response = client.post("/guarded/act", headers={"X-CSRFToken": token})
    assert response.status_code == act_status
    if act_status == 403:
        assert "Your role does not allow this" in response.get_data(as_text=True)


def test_role_403_for_htmx_is_a_toast_fragment_retargeted_to_toasts(app: Flask) -> None:
    _app_with_guarded_routes(app)
    client = app.test_client()
    login(client, make_user(Role.MANAGER))
    token = csrf_token(client, "/review")
    response = client.post("/guarded/act", headers={"X-CSRFToken": token, "HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#toasts"
    assert 'role="alert"' in body
    assert "<html" not in body


def test_company_scope_hides_other_companies_rows_as_404(app: Flask) -> None:
    mine, other = make_company("Mine"), make_company("Other")
    own = make_appointment(make_customer(mine), make_service(mine), None, sync_status=SyncStatus.FAILED)
    foreign = make_appointment(make_customer(other), make_service(other), None, sync_status=SyncStatus.FAILED)
    scoped = make_user(Role.AGENT, company=mine)
    unscoped = make_user(Role.ADMIN)
    with app.test_request_context():
        login_user(scoped)
        assert get_visible_or_404(Appointment, own.id).id == own.id
        with pytest.raises(NotFound):
            get_visible_or_404(Appointment, foreign.id)
        with pytest.raises(NotFound):
            get_visible_or_404(Appointment, 999_999)
        assert get_visible_or_404(Appointment, foreign.id, user=unscoped).id == foreign.id


def test_error_pages_show_no_stack_trace(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    login(client, make_user(Role.AGENT))
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert client.get("/no-such-page").status_code == 404
