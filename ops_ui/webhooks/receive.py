"""The one service behind ``POST /webhooks/calcom``: check, store, apply once, answer.

Every delivery is stored whole before anything is applied, so no body Cal.com sent is ever lost; a refused one is
stored too (outcome ``bad signature``), but nothing it says is read or believed. The same delivery twice is applied
once: Cal.com sends no delivery id, but a redelivery is byte-identical, so the key is the SHA-256 of the body. Only
deliveries handled to the end block a replay — one answered 503 because another writer held its appointment is
applied when Cal.com delivers it again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import SETTLED_OUTCOMES, DeliveryOutcome, WebhookDelivery, utcnow
from ops_ui.webhooks.apply import settle_delivery
from ops_ui.webhooks.payload import NotCalcomDelivery, parse_delivery
from ops_ui.webhooks.signature import signature_problem

HTTP_STATUS = {
    DeliveryOutcome.BAD_SIGNATURE: 401,
    DeliveryOutcome.INVALID: 400,
    DeliveryOutcome.RETRY: 503,
}
"""The answer Cal.com gets; every other outcome is 200 (a delivery we do not act on is no error)."""


@dataclass(frozen=True)
class Receipt:
    """What the receiver answers Cal.com, and the stored delivery."""

    delivery_id: int
    outcome: DeliveryOutcome
    note: str | None

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.outcome, 200)


def replay_key(raw_body: bytes) -> str:
    return hashlib.sha256(raw_body).hexdigest()


def receive_delivery(
    raw_body: bytes, signature: str | None, secret: str | None, *, now: datetime | None = None
) -> Receipt:
    """Verify ``raw_body`` (the untouched request bytes) against ``signature`` with ``secret``, store it, and apply
    it unless it was applied before. Owns its transactions; never reads the request itself."""
    now = now or utcnow()
    key = replay_key(raw_body)
    problem = signature_problem(raw_body, signature, secret)
    if problem is not None:
        return _store(raw_body, key, now, DeliveryOutcome.BAD_SIGNATURE, problem, signature_valid=False)
    try:
        event = parse_delivery(raw_body)
    except NotCalcomDelivery as error:
        return _store(raw_body, key, now, DeliveryOutcome.INVALID, str(error))
    earlier = _settled_with_key(key)
    named = {"trigger": event.trigger, "booking_uid": event.uid}
    if earlier is not None:
        note = f"The same delivery as #{earlier.id} ({earlier.outcome.value}); not applied again."
        like = {"appointment_id": earlier.appointment_id, "company_id": earlier.company_id}
        return _store(raw_body, key, now, DeliveryOutcome.DUPLICATE, note, **named, **like)
    delivery = _add(raw_body, key, now, DeliveryOutcome.RECEIVED, None, **named)
    settled = settle_delivery(delivery, event, now)
    return Receipt(delivery.id, settled.outcome, settled.note)


def _settled_with_key(key: str) -> WebhookDelivery | None:
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.replay_key == key, WebhookDelivery.outcome.in_(SETTLED_OUTCOMES))
        .order_by(WebhookDelivery.id)
        .limit(1)
    )
    return db.session.scalars(statement).first()


def _store(raw_body: bytes, key: str, now: datetime, outcome: DeliveryOutcome, note: str, **fields: Any) -> Receipt:
    delivery = _add(raw_body, key, now, outcome, note, **fields)
    return Receipt(delivery.id, outcome, note)


def _add(
    raw_body: bytes, key: str, now: datetime, outcome: DeliveryOutcome, note: str | None, **fields: Any
) -> WebhookDelivery:
    """Insert and commit the delivery, so its body is kept whatever happens next."""
    fields.setdefault("signature_valid", True)
    delivery = WebhookDelivery(
        received_at=now, raw_body=body_text(raw_body), outcome=outcome, note=note, replay_key=key, **fields
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def body_text(raw_body: bytes) -> str:
    """The body as text, whole: bytes that are not UTF-8 (and NULs, which PostgreSQL text refuses) are kept as
    ``\\x..`` escapes rather than dropped."""
    return raw_body.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")
