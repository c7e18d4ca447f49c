"""Each booking or cancellation a call asks for is done once, however often it is asked.

The platform retries a request whose answer it did not get, and a caller may say the same thing twice. The first
request stores an ``IntakeRequest`` row (unique per call, function and arguments) and works under its lease; an
identical request meanwhile waits for that answer, and later ones read it. A request whose process died leaves
its row without an answer; once the lease has run out the next identical request takes the work over, and picks
up what was stored (an appointment made, a Cal.com write left unanswered, which the engine settles).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ops_ui.engine.deadline import deadline_in
from ops_ui.extensions import db
from ops_ui.intake.answers import Answer, Status
from ops_ui.models import Call, IntakeRequest, utcnow

LEASE_GRACE_SECONDS = 30
"""How long past the request's own deadline its work is still presumed alive."""
POLL_SECONDS = 0.2

STILL_WORKING = Answer(
    Status.IN_PROGRESS,
    "Ich bin noch dabei, das für Sie einzutragen. Einen Moment bitte – ich sage Ihnen gleich Bescheid.",
)


def arguments_key(function: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"function": function, "args": arguments}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer_once(
    call: Call, function: str, arguments: dict[str, Any], work: Callable[[IntakeRequest], Answer]
) -> Answer:
    """The stored answer to this request, or ``work``'s, stored for every identical request to come."""
    key = arguments_key(function, arguments)
    row = _take(call.id, function, key, arguments)
    if row is None:
        return _await(call.id, function, key, arguments, work)
    return _answer_with(row, work)


def _answer_with(row: IntakeRequest, work: Callable[[IntakeRequest], Answer]) -> Answer:
    answer = work(row)
    row = db.session.get(IntakeRequest, row.id, populate_existing=True) or row
    row.answer = answer.as_json()
    row.answered_at = utcnow()
    db.session.commit()
    return answer


def lease_end() -> datetime:
    seconds = float(current_app.config["ACTION_DEADLINE_SECONDS"]) + LEASE_GRACE_SECONDS
    return utcnow() + timedelta(seconds=seconds)


def _take(call_id: int, function: str, key: str, arguments: dict[str, Any]) -> IntakeRequest | None:
    """The new row this request works under, or None when an identical request has one already."""
    row = IntakeRequest(
        call_id=call_id, function=function, arguments_key=key, arguments=arguments, lease_expires_at=lease_end()
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return row


def _await(
    call_id: int, function: str, key: str, arguments: dict[str, Any], work: Callable[[IntakeRequest], Answer]
) -> Answer:
    """Wait for the identical request's answer within this request's deadline; take its work over if it died."""
    until = deadline_in(float(current_app.config["ACTION_DEADLINE_SECONDS"]))
    while True:
        row = db.session.scalars(
            select(IntakeRequest)
            .where(IntakeRequest.call_id == call_id, IntakeRequest.function == function)
            .where(IntakeRequest.arguments_key == key)
            .execution_options(populate_existing=True)
        ).one()
        db.session.commit()
        if row.answered_at is not None and row.answer is not None:
            return Answer.from_json(row.answer)
        if row.lease_expires_at < utcnow() and _take_over(row):
            return _answer_with(row, work)
        if time.monotonic() + POLL_SECONDS >= until:
            return STILL_WORKING
        time.sleep(POLL_SECONDS)


def _take_over(row: IntakeRequest) -> bool:
    """Renew the lease of a row whose worker is gone; only one of several waiting requests wins."""
    result = db.session.execute(
        update(IntakeRequest)
        .where(IntakeRequest.id == row.id, IntakeRequest.answered_at.is_(None))
        .where(IntakeRequest.lease_expires_at == row.lease_expires_at)
        .values(lease_expires_at=lease_end())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)
