"""The demo's newest calls, made through the intake as the phone agent's platform makes them (signed, in-process):
a caller who asks for free times and books one, a withheld number asked for an e-mail, a caller whose e-mail Cal.com
refuses (one the local check lets through: ``….d`` for ``….de``, so the board shows Cal.com's own
``VALIDATION_ERROR``), a retried request, and a booking cancelled in the same call."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask

from ops_ui.intake.platform import Delivered, PhoneAgentPlatform, app_transport
from ops_ui.models import Company

SERVICE = "Damenhaarschnitt"
STAFF = "Anna Becker"


@dataclass
class _Caller:
    platform: PhoneAgentPlatform
    company: Company
    number: str

    def __post_init__(self) -> None:
        self.call = {"call_id": f"call_demo_{secrets.token_hex(6)}", "from_number": self.number}

    def ask(self, function: str, **args: Any) -> Delivered:
        return self.platform.call(function, self.call | {"to_number": self.company.phone_number}, args)


def replay_demo_calls(app: Flask, api_key: str, company: Company, day: date) -> list[Delivered]:
    """The calls, all for ``day`` (a working day a few days ahead); returns what the platform heard, in order."""
    platform = PhoneAgentPlatform(api_key, app_transport(app))
    heard: list[Delivered] = []

    def ask(caller: _Caller, function: str, **args: Any) -> dict[str, Any]:
        heard.append(caller.ask(function, **args))
        return heard[-1].answer

    sophie = _Caller(platform, company, "+4917612345601")
    free = ask(sophie, "check_availability", service=SERVICE, staff=STAFF, date=day.isoformat())
    starts = [slot["start"] for slot in free.get("slots") or []][:4]
    if len(starts) < 4:
        return heard
    booking = {"service": SERVICE, "staff": STAFF}
    ask(sophie, "book_appointment", **booking, name="Sophie Brandt", start=starts[0])

    withheld = _Caller(platform, company, "anonymous_1764590000_3fa9c1")
    jonas = booking | {"name": "Jonas Albrecht", "start": starts[1]}
    ask(withheld, "book_appointment", **jonas)  # asked for an e-mail
    ask(withheld, "book_appointment", **jonas, email="jonas.albrecht@kunden-mail.de")

    lena = _Caller(platform, company, "+4917612345603")
    ask(lena, "book_appointment", **booking, name="Lena Schmitt", email="lena.schmitt@kundin-mail.d", start=starts[2])

    tim = _Caller(platform, company, "+4917612345604")
    ask(tim, "book_appointment", **booking, name="Tim Krause", start=starts[3])
    ask(tim, "book_appointment", **booking, name="Tim Krause", start=starts[3])  # repeated: the same answer
    ask(tim, "cancel_appointment", reason="doch keine Zeit")
    return heard
