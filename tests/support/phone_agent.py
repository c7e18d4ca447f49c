"""The phone agent's platform in tests: function calls signed by the platform's own SDK (``retell-sdk``) and sent
to the app, the way the platform sends them."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from retell.lib.webhook_auth import symmetric  # the platform's official signer

from ops_ui.config import DEV_RETELL_API_KEY
from ops_ui.extensions import db
from ops_ui.intake.platform import PATH
from ops_ui.intake.signature import SIGNATURE_HEADER
from tests.support.salon import Salon, make_synced_salon

SALON_NUMBER = "+4930901820"
CALLER = "+4915112345678"
ANONYMOUS = "anonymous_1732188000_9f3a2c"


def phone_salon(admin: Any) -> Salon:
    """The synced test salon (``tests.support.salon``) whose phone agent answers ``SALON_NUMBER``."""
    salon = make_synced_salon(admin)
    salon.company.phone_number = SALON_NUMBER
    db.session.commit()
    return salon


def body(name: str, args: dict[str, Any], *, call_id: str, caller: str | None = CALLER, to: str = SALON_NUMBER) -> str:
    call = {"call_id": call_id, "from_number": caller, "to_number": to, "agent_id": "agent_salon"}
    return json.dumps({"name": name, "call": call, "args": args}, ensure_ascii=False, separators=(",", ":"))


def sdk_signature(text: str, api_key: str = DEV_RETELL_API_KEY, timestamp_ms: int | None = None) -> str:
    signature: str = symmetric["sign"](text, api_key, timestamp_ms)
    return signature


def new_call_id() -> str:
    return f"call_{secrets.token_hex(8)}"


@dataclass
class PhoneAgent:
    """One call's requests, sent through a Flask test client."""

    client: FlaskClient
    call_id: str
    caller: str | None = CALLER

    def send(self, function: str, /, **args: Any) -> tuple[int, dict[str, Any]]:
        text = body(function, args, call_id=self.call_id, caller=self.caller)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sdk_signature(text)}
        response = self.client.post(PATH, data=text.encode(), headers=headers)
        return response.status_code, response.get_json()

    def ask(self, function: str, /, **args: Any) -> dict[str, Any]:
        status, answer = self.send(function, **args)
        assert status == 200, answer
        return answer
