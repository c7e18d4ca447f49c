"""Every route and form, fed damaged input by hypothesis, answers 2xx/3xx/4xx — never a 5xx — on this database.

Run once per database (SQLite by default, PostgreSQL with DATABASE_URL). ``FUZZ_EXAMPLES`` sets the examples per
route and method (40 by default); the counts by status are printed (``-s``) for the record.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from itertools import count
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from ops_ui import create_app
from ops_ui.models import Role, SyncStatus
from tests.support.factories import (
    PASSWORD,
    make_appointment,
    make_company,
    make_customer,
    make_service,
    make_staff,
    make_user,
)

PUBLIC = {"auth.login", "auth.reset_password", "intake.functions", "webhooks.calcom", "health.healthz", "home"}
"""Routes that answer without a session (so their 401 or redirect to /login says nothing about ours)."""
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SKIPPED = {"static", "auth.logout"}
"""Static files are not the app's input; signing out would end the session the other routes are fuzzed with."""
NAMES = sorted(
    {
        "sync_status",
        "category",
        "kind",
        "staff",
        "service",
        "from",
        "to",
        "critical",
        "past",
        "ancient",
        "q",
        "after",
        "since",
        "panel",
        "focus",
        "next",
        "version",
        "start",
        "staff_id",
        "reason_code",
        "reason_text",
        "email",
        "phone",
        "and_retry",
        "ids",
        "all",
        "include_unchanged",
        "keep",
        "merge",
        "merge-0",
        "password",
        "name",
        "role",
        "company_id",
        "time_zone",
        "phone_number",
        "active",
        "calcom_event_type_id",
        "service_id",
        "duration_minutes",
        "calcom_user_id",
        "user_id",
        "action",
        "actor",
        "day",
        "date",
        "days",
        "page",
        "confirm",
    }
)
"""Query and form parameters any view or form reads."""
NASTY = [
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "#99999999999",
    "#2147483648",
    "99999999999",
    "9" * 30,
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "-1",
    "0",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:30:00-14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "1e308",
    "NaN",
    "",
    " ",
    "%00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 5000,
    "NO_STAFF",
    "failed",
    "1",
]
TEXT = st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=40), st.sampled_from(NASTY))
BIG = st.sampled_from([0, 2**31 - 1, 2**31, 2**32, 10**11, 10**12, 2**63 - 1, 2**63, 2**64])
PARAMETER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    pairs = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            pairs.append((rule, method))
    return sorted(pairs, key=lambda pair: (pair[0].rule, pair[1]))


def _path(rule: Rule, ids: st.SearchStrategy[int], draw: st.DrawFn) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(1) == "int":
            return str(draw(st.one_of(ids, BIG, st.integers(-5, 2**70))))
        if match.group(1) == "any":
            return draw(st.sampled_from([option.strip() for option in match.group(2).split(",")]))
        return quote(draw(TEXT), safe="")

    return PARAMETER.sub(value, rule.rule)


@st.composite
def requests(draw: st.DrawFn, rule: Rule, ids: st.SearchStrategy[int]) -> tuple[str, MultiDict, dict[str, str]]:
    value = st.one_of(TEXT, ids.map(str), BIG.map(str))
    pairs = draw(st.lists(st.tuples(st.sampled_from(NAMES), value), max_size=8))
    headers = {"HX-Request": "true"} if draw(st.booleans()) else {}
    return _path(rule, ids, draw), MultiDict(pairs), headers


_sign_ins = count(1)


def sign_in_fresh_admin(client: FlaskClient) -> None:
    """A new admin, signed in from an address of its own (the fuzzed /login may have throttled the others).

    Some fuzzed actions rightly end the session (a reset link or a role change for the admin's own account)."""
    admin = make_user(Role.ADMIN)
    number = next(_sign_ins)
    address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
    data = {"email": admin.email, "password": PASSWORD}
    assert client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code == 302


def _signed_out(response: TestResponse) -> bool:
    return response.status_code == 401 or "/login" in response.headers.get("Location", "")


@pytest.fixture
def fuzz_client(app: Flask, app_config: dict[str, object]) -> FlaskClient:
    client = create_app(app_config | {"WTF_CSRF_ENABLED": False}).test_client()
    sign_in_fresh_admin(client)
    return client


@pytest.fixture
def known_ids(app: Flask) -> list[int]:
    company = make_company()
    staff, service = make_staff(company), make_service(company)
    appointment = make_appointment(make_customer(company), service, staff, sync_status=SyncStatus.FAILED)
    return sorted({company.id, staff.id, service.id, appointment.id, appointment.customer_id})


def _fuzz_one(
    client: FlaskClient, rule: Rule, method: str, ids: st.SearchStrategy[int], statuses: Counter[int]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests(rule, ids))
    def one_route(request: tuple[str, MultiDict, dict[str, str]]) -> None:
        path, pairs, headers = request
        if method == "GET":
            response = client.get(path, query_string=pairs, headers=headers)
        else:
            response = client.open(path, method=method, data=pairs, headers=headers)
        response.close()
        statuses[response.status_code] += 1
        if _signed_out(response) and rule.endpoint not in PUBLIC:
            sign_in_fresh_admin(client)
        expected_503 = rule.endpoint == "health.healthz" and response.status_code == 503  # no engine runs here
        assert response.status_code < 500 or expected_503, f"{method} {path} {list(pairs.items(multi=True))!r}"

    one_route()


def test_no_route_answers_5xx_to_damaged_input(fuzz_client: FlaskClient, known_ids: list[int]) -> None:
    ids = st.one_of(st.sampled_from(known_ids), st.integers(-3, 50))
    statuses: Counter[int] = Counter()
    routes = _routes(fuzz_client.application)
    for rule, method in routes:
        _fuzz_one(fuzz_client, rule, method, ids, statuses)
    database = fuzz_client.application.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(
        f"\nfuzz on {database}: {len(routes)} routes x methods, {sum(statuses.values())} requests, "
        f"by status {dict(sorted(statuses.items()))}"
    )
    assert sum(statuses.values()) >= len(routes) * EXAMPLES // 2
