"""Sessions end on the server: a cookie copied before sign-out, deactivation or a new password is refused after."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from ops_ui.auth.signin import end_sessions
from ops_ui.extensions import db
from ops_ui.models import Role, User
from tests.support.auth import csrf_token, login, logout
from tests.support.clock import install_clock
from tests.support.factories import PASSWORD, make_user


def _copy_of(client: FlaskClient) -> FlaskClient:
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = client.application.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/review").status_code == 200


def test_a_cookie_copied_before_logout_is_refused_after_it(client: FlaskClient) -> None:
    login(client, make_user(Role.AGENT))
    thief = _copy_of(client)
    token = csrf_token(thief, "/review")
    assert _signed_in(thief)

    logout(client)

    assert thief.get("/review").status_code == 302
    action = thief.post("/review/1/retry", data={"csrf_token": token, "version": "1"})
    assert action.status_code == 302 and "/login" in action.headers["Location"]


def test_deactivating_a_user_ends_their_sessions(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    login(client, user)
    user.active = False
    db.session.commit()
    assert not _signed_in(client)


def test_ending_sessions_ends_every_copy_but_a_new_sign_in_works(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    login(client, user)
    thief = _copy_of(client)
    end_sessions(db.session.get(User, user.id))
    assert not _signed_in(client) and not _signed_in(thief)
    login(client, user)
    assert _signed_in(client)


def test_an_idle_session_ends(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = install_clock(monkeypatch)
    client.application.config["SESSION_IDLE_MINUTES"] = 30
    login(client, make_user(Role.AGENT))
    clock.advance(minutes=29)
    assert _signed_in(client)
    clock.advance(minutes=29)  # used 29 minutes ago: still in time
    assert _signed_in(client)
    clock.advance(minutes=31)
    assert not _signed_in(client)


def test_a_busy_session_still_ends_after_its_lifetime(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = install_clock(monkeypatch)
    client.application.config.update(SESSION_IDLE_MINUTES=60, SESSION_LIFETIME_HOURS=8)
    login(client, make_user(Role.AGENT))
    for _ in range(15):
        clock.advance(minutes=30)
        assert _signed_in(client)
    clock.advance(minutes=31)
    assert not _signed_in(client)


def test_sign_out_on_one_device_signs_out_the_others(client: FlaskClient) -> None:
    """One generation per user: sign-out is "sign out everywhere" (a lost laptop is ended from any desk)."""
    user = make_user(Role.MANAGER)
    login(client, user)
    laptop = client.application.test_client()
    login(laptop, user)
    logout(client)
    assert not _signed_in(laptop)


def test_changing_the_password_ends_the_other_copies_and_keeps_this_browser(client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    login(client, user)
    thief = _copy_of(client)
    token = csrf_token(client, "/account/password")
    wrong = {
        "csrf_token": token,
        "current": "not it at all",
        "password": "brand new secret",
        "confirm": "brand new secret",
    }
    assert client.post("/account/password", data=wrong).status_code == 422
    right = wrong | {"current": PASSWORD}
    assert client.post("/account/password", data=right).status_code == 303
    assert _signed_in(client) and not _signed_in(thief)
    login(client.application.test_client(), user, password="brand new secret")
