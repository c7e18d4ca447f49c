"""Shared fixtures: a migrated database (SQLite file, or PostgreSQL when DATABASE_URL says so) and the app.

The job queue is a SQLite file of the session's own (``tests/__init__.py``; Redis when REDIS_URL is set), emptied
before each test; each test has a rate budget of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ops_ui import create_app
from ops_ui.extensions import db
from ops_ui.jobs.queue import huey
from ops_ui.models import Base

pytest_plugins = ["tests.support.simulator_fixtures"]


def _reset_schema(url: str) -> None:
    """Start every test session from an empty database, so migrations really build it."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url and make_url(url).get_backend_name() == "postgresql":
        _reset_schema(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'sync_desk_test.sqlite'}"


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _truncate_all() -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app_config(migrated_database: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """Overrides for create_app(). Tests marked ``calcom_simulator`` talk to the simulator over loopback HTTP
    (``timeout=`` sets the client timeout, short where tests make the simulator hang); others reach no Cal.com."""
    config: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": migrated_database,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "CALCOM_API_URL": "http://127.0.0.1:9",
        "CALCOM_API_KEY": "cal_test_unused",
        "CALCOM_TIMEOUT_SECONDS": 2.0,
        "RATE_BUDGET_FILE": str(tmp_path / "rate-budget.sqlite"),
        # The suite reads the English pages; a company or user with a language of its own still gets that one
        # (tests/integration/test_german.py).
        "DEFAULT_LOCALE": "en",
    }
    marker = request.node.get_closest_marker("calcom_simulator")
    if marker:
        sim = request.getfixturevalue("sim")
        config |= {
            "CALCOM_API_URL": sim.base_url,
            "CALCOM_API_KEY": sim.api_key,
            "CALCOM_TIMEOUT_SECONDS": marker.kwargs.get("timeout", 2.0),
        }
    return config


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app(app_config)
    huey.flush()
    if app.config["REDIS_URL"]:
        redis.Redis.from_url(app.config["REDIS_URL"]).flushdb()
    with app.app_context():
        _truncate_all()
        yield app
        db.session.remove()
        _truncate_all()
        db.engine.dispose()


@pytest.fixture
def now() -> datetime:
    """The moment the test runs, taken once. Services are told it (``now=``) and test data is placed around it, so
    both read the same clock. The review views read the real clock, which this trails by the test's own runtime."""
    return datetime.now(UTC)


@pytest.fixture
def client(app: Flask, app_config: dict[str, object]) -> Iterator[FlaskClient]:
    """Requests are served by an app instance of their own, as in production: their own app context, `g` and
    database session. What a view forgets to commit is therefore invisible to the test, as it would be to users."""
    server = create_app(app_config)
    yield server.test_client()
    with server.app_context():
        db.engine.dispose()
