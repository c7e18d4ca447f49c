"""Webhook deliveries as Cal.com sends them (CONTRACT §9): signed JSON POSTs, sent after the change is committed.

What fires:
- ``BOOKING_CREATED`` for a new booking, ``BOOKING_RESCHEDULED`` for the *new* booking of a reschedule (the old one
  is cancelled silently, as in Cal.com's ``handleNewBooking``: no separate ``BOOKING_CANCELLED``),
  ``BOOKING_CANCELLED`` for a cancellation; from the API and from the simulated UI (``/_sim/ui/...``) alike.
- Nothing for ``POST /v2/bookings/{uid}/reassign/{userId}``. Cal.com's manual round-robin reassignment
  (``packages/features/ee/round-robin/roundRobinManualReassignment.ts``) sends e-mails and reschedules workflow
  reminders but calls no webhook, and the v2021-10-20 ``BookingPayloadBuilder`` has no reassign trigger (its
  switch over booking triggers is exhaustive); the fork's ``WebhookTriggerEvents`` has none either (CONTRACT §12).
  Newer upstream docs mention a "Booking Reassigned" trigger; a subscriber must not rely on it, so the simulator
  does not invent one. Sync Desk sees a reassignment by reading the booking (same uid, new host).

How it is sent: one daemon thread takes deliveries from a queue, so the API answer never waits for a subscriber.
Each POST has a short timeout; a connection error, a timeout or a 5xx is retried once after a short pause (a 4xx
is final: the subscriber refused the payload). Every attempt is stored (``GET /_sim/webhooks/deliveries``). This is
a test double's policy, not Cal.com's (which does not retry plain webhook POSTs); one retry makes a flaky receiver
visible as two attempts without slowing tests. Deliveries still queued when the process stops are lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from calcom_simulator.clock import Clock
from calcom_simulator.errors import iso_ms
from calcom_simulator.store import Store

BOOKING_CREATED = "BOOKING_CREATED"
BOOKING_RESCHEDULED = "BOOKING_RESCHEDULED"
BOOKING_CANCELLED = "BOOKING_CANCELLED"
TRIGGERS = (BOOKING_CREATED, BOOKING_RESCHEDULED, BOOKING_CANCELLED)
WEBHOOK_VERSION = "2021-10-20"
NO_SECRET = "no-secret-provided"
SIGNATURE_HEADER = "X-Cal-Signature-256"
VERSION_HEADER = "x-cal-webhook-version"
TIMEOUT_SECONDS = 2.0
RETRY_PAUSE_SECONDS = 0.3
ATTEMPTS = 2

Notify = Callable[[str, dict[str, Any]], None]


def signature(body: bytes, secret: str | None) -> str:
    """Lowercase hex HMAC-SHA256 of the exact body bytes; Cal.com keys it with a literal when there is no secret."""
    return hmac.new((secret or NO_SECRET).encode(), body, hashlib.sha256).hexdigest()


def encode(trigger: str, created_at: str, payload: dict[str, Any]) -> bytes:
    """``JSON.stringify`` of the wrapper: compact separators, non-ASCII left as UTF-8."""
    wrapper = {"triggerEvent": trigger, "createdAt": created_at, "payload": payload}
    return json.dumps(wrapper, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Delivery:
    webhook_id: int
    trigger: str
    url: str
    secret: str | None
    body: bytes
    generation: int


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None

    @property
    def retryable(self) -> bool:
        return not self.ok and (self.status_code is None or self.status_code >= 500)


class WebhookDispatcher:
    """Fans a committed change out to the active subscriptions and delivers in the background.

    ``reset`` starts a new generation: deliveries queued or in flight for the old one are neither sent nor
    recorded, so one test's leftovers never show up in the next test's delivery list.
    """

    def __init__(self, store: Store, clock: Clock, stopping: threading.Event, *, timeout: float = TIMEOUT_SECONDS):
        self.store = store
        self.clock = clock
        self.stopping = stopping
        self.timeout = timeout
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._session = requests.Session()
        self._session.trust_env = False  # Cal.com posts straight to the subscriber, never via a proxy from env
        self._thread = threading.Thread(target=self._run, name="calcom-sim-webhooks", daemon=True)
        self._thread.start()

    def emit(self, trigger: str, payload: dict[str, Any]) -> None:
        """Queue one delivery per active subscription to ``trigger``; returns at once."""
        created_at = iso_ms(self.clock.now())
        body = encode(trigger, created_at, payload)
        with self._lock:
            generation = self._generation
        for hook in self.store.webhooks():
            if hook["active"] and trigger in hook["event_triggers"]:
                self._queue.put(Delivery(hook["id"], trigger, hook["subscriber_url"], hook["secret"], body, generation))

    def reset(self) -> None:
        with self._lock:
            self._generation += 1

    def stop(self, timeout: float = 3.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _current(self, delivery: Delivery) -> bool:
        with self._lock:
            return delivery.generation == self._generation

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self._deliver(delivery)
            except Exception:  # a broken delivery (the store closing at shutdown, say) must not stop the worker
                continue

    def _deliver(self, delivery: Delivery) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            if not self._current(delivery):
                return
            outcome = self._post(delivery)
            self._record(delivery, attempt, outcome)
            if not outcome.retryable or self.stopping.wait(RETRY_PAUSE_SECONDS):
                return

    def _post(self, delivery: Delivery) -> Outcome:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(delivery.body, delivery.secret),
            VERSION_HEADER: WEBHOOK_VERSION,
        }
        try:
            response = self._session.post(delivery.url, data=delivery.body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        ok = 200 <= response.status_code < 300
        error = None if ok else f"HTTP {response.status_code}: {response.text[:500]}"
        return Outcome(ok=ok, status_code=response.status_code, error=error)

    def _record(self, delivery: Delivery, attempt: int, outcome: Outcome) -> None:
        with self._lock:  # a reset between the check and the insert would otherwise leak this row past the wipe
            if delivery.generation != self._generation:
                return
            self.store.insert_delivery(
                webhook_id=delivery.webhook_id,
                trigger_event=delivery.trigger,
                url=delivery.url,
                attempt=attempt,
                ok=int(outcome.ok),
                status_code=outcome.status_code,
                error=outcome.error,
                body=delivery.body.decode(),
                created_at=self.clock.now(),
            )


def subscription_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "subscriberUrl": row["subscriber_url"],
        "eventTriggers": row["event_triggers"],
        "active": bool(row["active"]),
        "secret": row["secret"],
        "createdAt": iso_ms(row["created_at"]),
    }


def delivery_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "webhookId": row["webhook_id"],
        "triggerEvent": row["trigger_event"],
        "url": row["url"],
        "attempt": row["attempt"],
        "ok": bool(row["ok"]),
        "statusCode": row["status_code"],
        "error": row["error"],
        "body": row["body"],
        "sentAt": iso_ms(row["created_at"]),
    }
