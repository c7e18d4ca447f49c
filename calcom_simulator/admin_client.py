"""``SimulatorAdmin``: a tiny ``requests`` wrapper around ``/_sim`` for tests and demo seeding."""

from __future__ import annotations

from typing import Any

import requests


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
