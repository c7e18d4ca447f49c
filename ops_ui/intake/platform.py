"""Function calls sent the way the phone agent's platform sends them: signed, waited for up to two minutes, and
retried up to two times when a request fails (no answer, or a server error). Used to replay calls (the demo, the
tests, the soak benchmark); the transport is real HTTP, or the app in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from ops_ui.intake.signature import SIGNATURE_HEADER, sign

PATH = "/intake/functions"
WAIT_SECONDS = 120.0
RETRIES = 2

Transport = Callable[[str, dict[str, str], float], tuple[int, dict[str, Any]]]
"""Posts a body with headers, waiting at most the seconds given; returns the status and the JSON answer."""


class NoAnswer(Exception):
    """The request got no answer (timeout, connection lost)."""


@dataclass(frozen=True)
class Delivered:
    status: int | None
    """None: no attempt got an answer."""
    answer: dict[str, Any]
    attempts: int


def http_transport(base_url: str, session: requests.Session | None = None) -> Transport:
    session = session or requests.Session()

    def post(body: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, Any]]:
        try:
            response = session.post(base_url.rstrip("/") + PATH, data=body.encode(), headers=headers, timeout=timeout)
        except requests.RequestException as error:
            raise NoAnswer(str(error)) from error
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"error": response.text[:500]}

    return post


def app_transport(app: Flask) -> Transport:
    """The app in this process, through its WSGI interface (nothing listens)."""

    def post(body: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, Any]]:
        response = app.test_client().post(PATH, data=body.encode(), headers=headers)
        return response.status_code, response.get_json(silent=True) or {}

    return post


class PhoneAgentPlatform:
    def __init__(self, api_key: str, transport: Transport, *, wait_seconds: float = WAIT_SECONDS) -> None:
        self.api_key = api_key
        self.transport = transport
        self.wait_seconds = wait_seconds

    def call(self, name: str, call: dict[str, Any], args: dict[str, Any]) -> Delivered:
        body = json.dumps({"name": name, "call": call, "args": args}, ensure_ascii=False, separators=(",", ":"))
        answer: dict[str, Any] = {}
        status: int | None = None
        for attempt in range(1, RETRIES + 2):
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.api_key)}
            try:
                status, answer = self.transport(body, headers, self.wait_seconds)
            except NoAnswer as error:
                status, answer = None, {"error": str(error)}
                continue
            if status < 500:
                return Delivered(status, answer, attempt)
        return Delivered(status, answer, RETRIES + 1)


def read_calls(path: Path) -> Iterator[dict[str, Any]]:
    """A replay file: one JSON object per line, ``{"name": …, "call": {…}, "args": {…}}``; blank lines skipped."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as error:
                    raise ValueError(f"{path}:{number}: not JSON: {error}") from None


def replay(platform: PhoneAgentPlatform, calls: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Delivered]]:
    for item in calls:
        yield item, platform.call(item.get("name", ""), item.get("call", {}), item.get("args", {}))
