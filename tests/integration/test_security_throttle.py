"""Login throttling: per account and address strictly, per address broadly, per account mildly — and it lifts."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ops_ui.auth.throttle import ACCOUNT, ADDRESS, PAIR
from ops_ui.extensions import db
from ops_ui.models import LoginEvent, Role, User
from tests.support.auth import csrf_token
from tests.support.clock import MovableClock, install_clock
from tests.support.factories import PASSWORD, make_user

ATTACKER = "203.0.113.9"
DESK = "198.51.100.7"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    return install_clock(monkeypatch)


def _try(client: FlaskClient, email: str, password: str, address: str = ATTACKER) -> int:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code


def _fail(client: FlaskClient, user: User, times: int, address: str = ATTACKER) -> list[int]:
    return [_try(client, user.email, "wrong password!", address) for _ in range(times)]


def test_wrong_passwords_from_one_address_are_throttled_then_it_lifts(client: FlaskClient, clock) -> None:
    user = make_user(Role.AGENT)
    assert _fail(client, user, PAIR.free_failures) == [422] * PAIR.free_failures

    assert _try(client, user.email, PASSWORD) == 429  # even the right password waits: no guessing during the wait
    page = client.post(
        "/login",
        data={"email": user.email, "password": "x" * 12, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": ATTACKER},
    )
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in page.get_data(as_text=True)

    clock.advance(seconds=PAIR.wait_after(PAIR.free_failures))
    assert _try(client, user.email, PASSWORD) == 302


def test_the_wait_grows_with_each_further_failure(client: FlaskClient, clock) -> None:
    user = make_user(Role.AGENT)
    _fail(client, user, PAIR.free_failures)
    waits = []
    for _ in range(4):
        clock.advance(seconds=PAIR.wait_after(PAIR.free_failures + len(waits)))
        assert _fail(client, user, 1) == [422]
        waits.append(PAIR.wait_after(PAIR.free_failures + len(waits) + 1))
        assert _try(client, user.email, PASSWORD) == 429
    assert waits == sorted(waits) and waits[-1] > waits[0]


def test_an_attack_from_elsewhere_does_not_lock_the_real_user_out(client: FlaskClient, clock) -> None:
    user = make_user(Role.AGENT)
    assert _try(client, user.email, PASSWORD, DESK) == 302  # the user's own desk is known
    attacker = client.application.test_client()
    for number in range(ACCOUNT.free_failures // 3 + 1):
        _fail(attacker, user, 3, address=f"203.0.113.{number + 1}")  # many addresses, few tries each
    assert _try(attacker, user.email, PASSWORD, "192.0.2.1") == 429  # the account rule stops a fresh address
    desk = client.application.test_client()
    assert _try(desk, user.email, PASSWORD, DESK) == 302


def test_one_address_trying_many_accounts_is_throttled(client: FlaskClient, clock) -> None:
    users = [make_user(Role.AGENT) for _ in range(ADDRESS.free_failures // 2 + 1)]
    for user in users:
        _fail(client, user, 2)
    assert _try(client, users[0].email.replace("@", "+x@"), "whatever12") == 429


def test_failures_age_out_of_the_window(client: FlaskClient, clock) -> None:
    client.application.config["LOGIN_THROTTLE_WINDOW_SECONDS"] = 60
    user = make_user(Role.AGENT)
    _fail(client, user, PAIR.free_failures + 3)
    assert _try(client, user.email, PASSWORD) == 429
    clock.advance(seconds=61)
    assert _try(client, user.email, PASSWORD) == 302


def test_every_attempt_is_recorded_without_the_password(client: FlaskClient, clock) -> None:
    user = make_user(Role.AGENT)
    _fail(client, user, 1)
    _try(client, user.email, PASSWORD)
    events = db.session.scalars(select(LoginEvent).order_by(LoginEvent.id)).all()
    assert [(e.outcome, e.succeeded, e.user_id, e.address) for e in events] == [
        ("wrong credentials", False, user.id, ATTACKER),
        ("signed in", True, user.id, ATTACKER),
    ]
    assert all("wrong password" not in str(vars(e)) and PASSWORD not in str(vars(e)) for e in events)


def test_behind_a_trusted_proxy_the_client_address_counts(app, app_config, clock) -> None:
    from ops_ui import create_app

    client = create_app(app_config | {"TRUSTED_PROXIES": 1}).test_client()
    user = make_user(Role.AGENT)
    for _ in range(PAIR.free_failures):
        data = {"email": user.email, "password": "wrong password!", "csrf_token": csrf_token(client)}
        client.post(
            "/login", data=data, headers={"X-Forwarded-For": ATTACKER}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        )
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    desk = client.post("/login", data=data, headers={"X-Forwarded-For": DESK}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert desk.status_code == 302
    assert {event.address for event in db.session.scalars(select(LoginEvent))} == {ATTACKER, DESK}
