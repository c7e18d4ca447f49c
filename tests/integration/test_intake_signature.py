"""Only the phone agent's platform may call the intake: its signature is checked as its own SDK checks it, and a
refused request stores nothing."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from retell.lib.webhook_auth import verify as sdk_verify
from sqlalchemy import func, select

from ops_ui.config import DEV_RETELL_API_KEY
from ops_ui.extensions import db
from ops_ui.intake.platform import PATH
from ops_ui.intake.signature import SIGNATURE_HEADER, sign
from ops_ui.models import Call, IntakeRequest
from tests.support import factories
from tests.support.phone_agent import SALON_NUMBER, body, new_call_id, sdk_signature

MINUTE_MS = 60_000


@pytest.fixture
def salon(app: Flask) -> None:
    company = factories.make_company()
    company.phone_number = SALON_NUMBER
    factories.make_service(company, "Dauerwelle")
    db.session.commit()


def _post(client: FlaskClient, text: str, signature: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} | ({SIGNATURE_HEADER: signature} if signature else {})
    response = client.post(PATH, data=text.encode(), headers=headers)
    return response.status_code, response.get_json()


def _stored() -> tuple[int, int]:
    return db.session.scalar(select(func.count(Call.id))), db.session.scalar(select(func.count(IntakeRequest.id)))


def _booking_body() -> str:
    return body("book_appointment", {"name": "Erika", "service": "Glatze polieren"}, call_id=new_call_id())


def test_a_request_signed_by_the_sdk_is_answered(client: FlaskClient, salon: None) -> None:
    text = _booking_body()

    status, answer = _post(client, text, sdk_signature(text))

    assert status == 200 and answer["status"] == "invalid" and "Glatze polieren" in answer["message"]
    assert _stored()[0] == 1


def test_our_signer_is_the_one_the_sdk_verifies() -> None:
    text = _booking_body()
    assert sdk_verify(text, DEV_RETELL_API_KEY, sign(text, DEV_RETELL_API_KEY))
    assert not sdk_verify(text, "another key", sign(text, DEV_RETELL_API_KEY))


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda text: sdk_signature(text, api_key="someone else's key"), id="another key"),
        pytest.param(lambda text: sdk_signature(text.replace("Erika", "Mallory")), id="body changed after signing"),
        pytest.param(lambda text: sdk_signature(text, timestamp_ms=_now_ms() - 6 * MINUTE_MS), id="stale"),
        pytest.param(lambda text: sdk_signature(text, timestamp_ms=_now_ms() + 6 * MINUTE_MS), id="from the future"),
        pytest.param(lambda text: sdk_signature(text).replace("d=", "d=0"), id="malformed header"),
        pytest.param(lambda text: None, id="no header"),
    ],
)
def test_a_bad_signature_is_refused_with_401_and_nothing_is_stored(client: FlaskClient, salon: None, forge) -> None:
    text = _booking_body()

    status, answer = _post(client, text, forge(text))

    assert status == 401 and SIGNATURE_HEADER in answer["error"]
    assert _stored() == (0, 0)


def test_a_signature_four_minutes_old_is_still_fresh(client: FlaskClient, salon: None) -> None:
    text = _booking_body()
    assert _post(client, text, sdk_signature(text, timestamp_ms=_now_ms() - 4 * MINUTE_MS))[0] == 200


def test_without_a_configured_key_every_request_is_refused(app_config: dict, salon: None) -> None:
    from ops_ui import create_app

    text = _booking_body()
    status, answer = _post(create_app(app_config | {"RETELL_API_KEY": None}).test_client(), text, sdk_signature(text))

    assert status == 401 and "RETELL_API_KEY" in answer["error"] and _stored() == (0, 0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json at all", "not JSON"),
        ('["a list"]', "JSON object"),
        ('{"name": "book_appointment", "args": {}}', "call_id"),
        ('{"name": "book_appointment", "call": {"call_id": "c1"}, "args": "x"}', "'args'"),
    ],
)
def test_a_malformed_body_gets_a_spoken_answer_not_a_500(client: FlaskClient, salon: None, text, words) -> None:
    status, answer = _post(client, text, sdk_signature(text))

    assert status == 400 and words in answer["error"] and answer["confirmed"] is False
    assert "nicht verstanden" in answer["message"] and _stored() == (0, 0)


def test_an_unknown_number_or_function_is_answered_plainly(client: FlaskClient, salon: None) -> None:
    unknown_number = body("check_availability", {}, call_id=new_call_id(), to="+4940123456")
    unknown_function = body("order_pizza", {}, call_id=new_call_id())

    assert _post(client, unknown_number, sdk_signature(unknown_number))[0] == 404
    status, answer = _post(client, unknown_function, sdk_signature(unknown_function))
    assert status == 400 and "order_pizza" in answer["problems"]["name"]
    assert _stored() == (0, 0)


def _now_ms() -> int:
    return int(time.time() * 1000)
