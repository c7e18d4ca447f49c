"""``flask intake replay FILE``: recorded calls sent signed, as the phone agent's platform sends them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Call
from tests.support.phone_agent import SALON_NUMBER, new_call_id, phone_salon
from tests.support.salon import slot_start

pytestmark = pytest.mark.calcom_simulator


def _line(function: str, call_id: str, /, **args: Any) -> str:
    call = {"call_id": call_id, "from_number": "+4915112345678", "to_number": SALON_NUMBER}
    return json.dumps({"name": function, "call": call, "args": args})


def test_replayed_calls_are_answered_and_booked(app: Flask, sim, tmp_path: Path) -> None:
    phone_salon(sim.admin)
    call_id = new_call_id()
    start = slot_start().isoformat()
    calls = tmp_path / "calls.jsonl"
    calls.write_text(
        "\n".join(
            [
                _line("check_availability", call_id, service="Dauerwelle"),
                "",
                _line("book_appointment", call_id, name="Erika Muster", service="Dauerwelle", start=start),
            ]
        ),
        encoding="utf-8",
    )

    result = app.test_cli_runner().invoke(args=["intake", "replay", str(calls)])

    assert result.exit_code == 0, result.output
    first, second = result.output.strip().splitlines()
    assert first.startswith(f"{call_id} check_availability: 200 available – Frei ist am ")
    assert second.startswith(f"{call_id} book_appointment: 200 booked – Ihr Termin ist eingetragen")
    call = db.session.scalars(select(Call).where(Call.external_call_id == call_id)).one()
    assert call.booking_confirmed and call.appointment_id is not None


def test_a_broken_line_stops_the_replay_with_its_line_number(app: Flask, tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text("{not json\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["intake", "replay", str(calls)])

    assert result.exit_code == 1 and "calls.jsonl:1: not JSON" in result.output
