"""Pytest plugin: the Cal.com simulator as a real subprocess on loopback, shared by the whole session.

Load it from the root conftest with ``pytest_plugins = ["tests.support.simulator_fixtures"]``.
``calcom_simulator`` starts it once (port 0, temp SQLite file); ``sim`` resets its state before each test.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import calcom_api_versions as api_versions
from calcom_simulator.admin_client import SimulatorAdmin
from tests.support.openapi_contract import ContractCheckingSession, validate_response

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_API_KEY = "cal_test_syncdesk_tests"
READY_PREFIX = "Cal.com simulator listening on "
BOOKINGS_VERSION = api_versions.BOOKINGS
SLOTS_VERSION = api_versions.SLOTS
EVENT_TYPES_VERSION = api_versions.EVENT_TYPES
SALON_HOURS = [{"days": [1, 2, 3, 4, 5, 6], "startTime": "09:00", "endTime": "18:00"}]
BEYOND_64_BITS = 2**64
"""An id no SQLite INTEGER (so no simulator id) can hold."""
_UTC_MILLIS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def bad_request_error(response: requests.Response) -> dict[str, Any]:
    """Assert a 400 in Cal.com's error envelope and return its ``error``: odd input is refused, never a 500."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"status", "timestamp", "path", "error"}, body
    assert body["status"] == "error" and body["path"].startswith("/v2/")
    assert _UTC_MILLIS.fullmatch(body["timestamp"]), body["timestamp"]
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == "BadRequestException"
    return body["error"]


def pipe_details(message: str) -> dict[str, Any]:
    """``details`` of a 400 raised by a pipe or a service: the exception's own response body."""
    return {"message": message, "error": "Bad Request", "statusCode": 400}


class RunningSimulator:
    """Handle on the simulator process: where it listens, its key, its admin API, and restart on the same DB."""

    def __init__(self, db_path: Path, log_path: Path, api_key: str = TEST_API_KEY) -> None:
        self.db_path = db_path
        self.log_path = log_path
        self.api_key = api_key
        self.base_url = ""
        self.process: subprocess.Popen[str] | None = None

    @property
    def admin(self) -> SimulatorAdmin:
        return SimulatorAdmin(self.base_url)

    def start(self, timeout: float = 20.0) -> None:
        log = self.log_path.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "calcom_simulator", "--host", "127.0.0.1", "--port", "0",
             "--db", str(self.db_path), "--api-key", self.api_key],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        log.close()
        self.base_url = self._read_url(timeout)

    def _read_url(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                line = self.process.stdout.readline()
                if line.startswith(READY_PREFIX):
                    return line[len(READY_PREFIX) :].strip()
                if not line and self.process.poll() is not None:
                    break
        self.stop()
        raise RuntimeError(f"simulator did not start; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")

    def stop(self) -> int | None:
        """SIGTERM and wait: the process must exit cleanly (code 0) even with requests still hanging."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        code = self.process.returncode
        self.process = None
        return code

    def restart(self) -> None:
        """Stop and start again on the same SQLite file (the port changes: it is picked afresh)."""
        self.stop()
        self.start()

    # --- helpers for tests -----------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def headers(self, version: str | None = BOOKINGS_VERSION, *, auth: bool = True) -> dict[str, str]:
        headers: dict[str, str] = {}
        if version:
            headers["cal-api-version"] = version
        if auth:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def session(self) -> ContractCheckingSession:
        return ContractCheckingSession()

    def send_outside_contract(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send what the contract would refuse to send (``²`` where it wants a number), and still check the answer
        against it: Cal.com answers such requests too, with a documented error."""
        response = requests.request(method, self.url(path), timeout=5, **kwargs)
        validate_response(response.request, response)
        return response

    @staticmethod
    def booking_body(event_type_id: int, start: str, **attendee: Any) -> dict[str, Any]:
        """A valid create-booking body; attendee fields can be overridden (``email=None`` drops the e-mail)."""
        person = {"name": "Bo Customer", "timeZone": "Europe/Berlin", "email": "bo@customer.example"} | attendee
        return {
            "start": start,
            "eventTypeId": event_type_id,
            "attendee": {k: v for k, v in person.items() if v is not None},
            "metadata": {"appointmentId": "748"},
        }

    def book(self, session: Any, event_type_id: int, start: str, **attendee: Any) -> dict[str, Any]:
        """Create a booking through ``/v2/bookings`` and return its ``data``; fails the test on anything but 201."""
        response = session.post(
            self.url("/v2/bookings"), json=self.booking_body(event_type_id, start, **attendee), headers=self.headers()
        )
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def make_host(
        self, name: str = "Anna Stylist", *, time_zone: str = "Europe/Berlin", working_hours: list | None = None
    ) -> dict[str, Any]:
        email = f"{name.split()[0].lower()}@salon.example"
        return self.admin.create_user(
            name, email, time_zone=time_zone, working_hours=SALON_HOURS if working_hours is None else working_hours
        )

    def make_event_type(self, owner: dict[str, Any], *, length: int = 60, **kwargs: Any) -> dict[str, Any]:
        slug = kwargs.pop("slug", f"haircut-{length}")
        return self.admin.create_event_type(kwargs.pop("title", "Haircut"), slug, length, owner["id"], **kwargs)


@pytest.fixture(scope="session")
def calcom_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    folder = tmp_path_factory.mktemp("calcom-sim")
    simulator = RunningSimulator(folder / "calcom-sim.sqlite", folder / "calcom-sim.log")
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(calcom_simulator: RunningSimulator) -> RunningSimulator:
    """A clean simulator per test: no users, event types, bookings, faults, clock offset or throttle state."""
    if calcom_simulator.process is None or calcom_simulator.process.poll() is not None:
        calcom_simulator.start()
    calcom_simulator.admin.reset()
    return calcom_simulator
