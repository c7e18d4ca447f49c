"""The phone agent's request: ``{"name": <function>, "call": {call_id, from_number, to_number, …}, "args": {…}}``,
checked for shape, and the company whose number was called."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ops_ui.contact import normalise_phone, usable_phone
from ops_ui.extensions import db
from ops_ui.models import Company


class Malformed(ValueError):
    """The body is not a function call; the message says what is wrong (in English, for the platform's logs)."""


@dataclass(frozen=True)
class FunctionCall:
    name: str
    call_id: str
    from_number: str | None
    to_number: str | None
    args: dict[str, Any]


def parse_function_call(body: str) -> FunctionCall:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise Malformed(f"The body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise Malformed("The body must be a JSON object.")
    name, call, args = data.get("name"), data.get("call"), data.get("args", {})
    if not isinstance(name, str) or not name:
        raise Malformed("'name' (the function) must be a string.")
    if not isinstance(call, dict) or not isinstance(call.get("call_id"), str) or not call["call_id"]:
        raise Malformed("'call' must be an object with a 'call_id' string.")
    if len(call["call_id"]) > 128:
        raise Malformed("'call.call_id' is longer than 128 characters.")
    if not isinstance(args, dict):
        raise Malformed("'args' must be an object.")
    return FunctionCall(name, call["call_id"], _text(call.get("from_number")), _text(call.get("to_number")), args)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def company_called(to_number: str | None) -> Company | None:
    """The company whose phone agent answers ``to_number`` (``Company.phone_number``, E.164)."""
    if not usable_phone(to_number):
        return None
    return db.session.scalars(select(Company).where(Company.phone_number == normalise_phone(to_number))).first()
