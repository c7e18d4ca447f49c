"""Browser fixtures: Debian's Chromium drives the app served from a thread on a free port."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.serving import make_server

from ops_ui.demo.seed import DemoSummary, seed_demo
from ops_ui.extensions import db
from ops_ui.models import Company

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.calcom_simulator)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on loopback in a thread, sharing the test database with the test itself."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def german_demo_salon(app: Flask, sim) -> DemoSummary:
    """The demo data exactly as `make run` seeds it, through the sync service against the simulator, in German as
    `make run` serves it (the default language; the demo logins see every company, so no company's language)."""
    app.config["DEFAULT_LOCALE"] = "de"
    return seed_demo(sim.admin, reset=False, is_production=False)


@pytest.fixture
def demo_salon(app: Flask, german_demo_salon: DemoSummary) -> DemoSummary:
    """The demo salon with its staff reading English: most browser tests find controls by their English names."""
    app.config["DEFAULT_LOCALE"] = "en"
    db.session.execute(update(Company).values(locale="en"))
    db.session.commit()
    return german_demo_salon
