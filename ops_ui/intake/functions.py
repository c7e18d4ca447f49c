"""The functions the phone agent may call, and the one entry that answers any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops_ui.intake.answers import Answer, invalid
from ops_ui.intake.availability import check_availability
from ops_ui.intake.booking import book_appointment
from ops_ui.intake.calls import CallOfAnotherCompany, call_for
from ops_ui.intake.cancelling import cancel_appointment
from ops_ui.intake.request import FunctionCall, company_called
from ops_ui.models import Call, Company, utcnow

FUNCTIONS: dict[str, Callable[[Company, Call, dict[str, Any], datetime], Answer]] = {
    "check_availability": lambda company, _call, args, now: check_availability(company, args, now),
    "book_appointment": book_appointment,
    "cancel_appointment": cancel_appointment,
}


@dataclass(frozen=True)
class Reply:
    http_status: int
    answer: Answer


def answer_function(request: FunctionCall, now: datetime | None = None) -> Reply:
    """Run the function the phone agent asked for; every outcome is an answer the agent can speak."""
    now = now or utcnow()
    company = company_called(request.to_number)
    if company is None:
        return Reply(404, invalid("Diese Nummer ist bei uns keinem Salon zugeordnet.", to_number="unknown number"))
    function = FUNCTIONS.get(request.name)
    if function is None:
        return Reply(400, invalid("Das kann ich leider nicht erledigen.", name=f"unknown function {request.name!r}"))
    try:
        call = call_for(request, company)
    except CallOfAnotherCompany:
        return Reply(409, invalid("Dieser Anruf gehört zu einem anderen Salon.", call_id="another company's call"))
    return Reply(200, function(company, call, request.args, now))
