"""``SimulatorAdmin``: a tiny ``requests`` wrapper around ``/_sim`` for tests and demo seeding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

ALL_TRIGGERS = ("BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED")


class SimulatorAdmin:
    """Drive a running simulator; every method raises ``requests.HTTPError`` on a non-2xx answer."""

    def __init__(self, base_url: str, *, timeout: float = 5.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, json: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base_url}/_sim{path}", json=json, timeout=self.timeout)
        response.raise_for_status()
        payload: dict[str, Any] = response.json()
        return payload

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def create_user(
        self,
        name: str,
        email: str,
        *,
        username: str | None = None,
        time_zone: str = "Europe/Berlin",
        working_hours: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "email": email, "timeZone": time_zone}
        if username:
            body["username"] = username
        if working_hours is not None:
            body["workingHours"] = working_hours
        return self._call("POST", "/users", body)

    def create_event_type(
        self,
        title: str,
        slug: str,
        length_in_minutes: int,
        owner_id: int,
        *,
        host_ids: list[int] | None = None,
        minimum_booking_notice_minutes: int = 0,
        slot_interval_minutes: int | None = None,
        booking_window_days: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": title,
            "slug": slug,
            "lengthInMinutes": length_in_minutes,
            "ownerId": owner_id,
            "minimumBookingNoticeMinutes": minimum_booking_notice_minutes,
        }
        if host_ids is not None:
            body["hostIds"] = host_ids
        if slot_interval_minutes is not None:
            body["slotIntervalMinutes"] = slot_interval_minutes
        if booking_window_days is not None:
            body["bookingWindowDays"] = booking_window_days
        return self._call("POST", "/event-types", body)

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Keys as in the admin JSON: ``latencyMs``, ``status``, ``hangSeconds``, ``hangAfterCommitSeconds``,
        ``statusAfterCommit``, ``dropAfterCommit``, ``count``, ``method`` …"""
        return self._call("PUT", "/faults", faults)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_rate_limit(self, limit: int = 120, window_seconds: float = 60, block_seconds: float = 60) -> dict[str, Any]:
        return self._call(
            "PUT", "/rate-limit", {"limit": limit, "windowSeconds": window_seconds, "blockSeconds": block_seconds}
        )

    def set_clock_offset(self, seconds: float) -> dict[str, Any]:
        return self._call("PUT", "/clock", {"offsetSeconds": seconds})

    def clear_clock(self) -> None:
        self._call("DELETE", "/clock")

    def bookings(self) -> list[dict[str, Any]]:
        bookings: list[dict[str, Any]] = self._call("GET", "/bookings")["bookings"]
        return bookings

    # --- webhooks ----------------------------------------------------------------------------------------------

    def add_webhook(
        self, url: str, secret: str | None = None, *, triggers: Sequence[str] = ALL_TRIGGERS, active: bool = True
    ) -> dict[str, Any]:
        """Subscribe ``url``; returns ``{id, subscriberUrl, eventTriggers, active, secret, createdAt}``."""
        body = {"subscriberUrl": url, "secret": secret, "eventTriggers": list(triggers), "active": active}
        return self._call("POST", "/webhooks", body)

    def webhooks(self) -> list[dict[str, Any]]:
        subscriptions: list[dict[str, Any]] = self._call("GET", "/webhooks")["webhooks"]
        return subscriptions

    def remove_webhook(self, webhook_id: int) -> None:
        self._call("DELETE", f"/webhooks/{webhook_id}")

    def deliveries(self) -> list[dict[str, Any]]:
        """Every attempt, oldest first: ``{id, webhookId, triggerEvent, url, attempt, ok, statusCode, error, body,
        sentAt}`` (``body`` is the exact JSON text sent)."""
        attempts: list[dict[str, Any]] = self._call("GET", "/webhooks/deliveries")["deliveries"]
        return attempts

    # --- a person in Cal.com's UI (changes Sync Desk did not make; they fire webhooks like API changes) --------

    def ui_create(
        self,
        event_type_id: int,
        start: str,
        attendee_name: str,
        attendee_email: str,
        *,
        time_zone: str = "Europe/Berlin",
    ) -> dict[str, Any]:
        """Book as a customer on the booking page; returns the booking in Cal.com's v2 shape (no metadata)."""
        attendee = {"name": attendee_name, "email": attendee_email, "timeZone": time_zone}
        return self._call("POST", "/ui/bookings", {"eventTypeId": event_type_id, "start": start, "attendee": attendee})

    def ui_cancel(self, uid: str, reason: str = "", *, by: str | None = None) -> dict[str, Any]:
        """Cancel as ``by`` (an e-mail; the booking's host when omitted); returns the cancelled booking."""
        body: dict[str, Any] = {"cancellationReason": reason}
        if by:
            body["cancelledBy"] = by
        return self._call("POST", f"/ui/bookings/{uid}/cancel", body)

    def ui_reschedule(
        self, uid: str, start: str, *, by: str | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        """Move to ``start`` as ``by`` (the host when omitted); returns the *new* booking (the old uid is cancelled
        with ``rescheduledToUid``)."""
        body: dict[str, Any] = {"start": start}
        if by:
            body["rescheduledBy"] = by
        if reason:
            body["reschedulingReason"] = reason
        return self._call("POST", f"/ui/bookings/{uid}/reschedule", body)
