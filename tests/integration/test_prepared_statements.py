"""On PostgreSQL a request that only read ends its transaction with a commit, so the statements psycopg prepared stay
prepared for the next requests; a transaction that wrote is rolled back at the end of its request as before."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from ops_ui.extensions import db
from ops_ui.models import Company, Role
from tests.support import factories
from tests.support.auth import login

PSYCOPG_PREPARES_AFTER = 5


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements; SQLite keeps its statement cache through a rollback")


def _prepared_on_the_pooled_connection(server: Flask) -> int:
    with server.app_context():
        assert db.engine.pool.checkedin() == 1, "one connection served every request"
        with db.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


def test_the_boards_statements_stay_prepared_from_one_request_to_the_next(client: FlaskClient) -> None:
    login(client, factories.make_user(Role.AGENT, company=factories.make_company()))

    for _ in range(PSYCOPG_PREPARES_AFTER + 1):
        assert client.get("/review").status_code == 200

    assert _prepared_on_the_pooled_connection(client.application) > 0


def test_reads_after_a_commit_end_with_a_commit_too(client: FlaskClient) -> None:
    """As an action's fresh row is read after its last commit."""
    server = client.application
    for number in range(PSYCOPG_PREPARES_AFTER + 1):
        with server.app_context():
            db.session.add(Company(name=f"Salon {number}", time_zone="Europe/Berlin"))
            db.session.commit()
            assert db.session.scalar(select(func.count()).select_from(Company)) == number + 1

    assert _prepared_on_the_pooled_connection(server) > 0


def _flush_a_company() -> None:
    db.session.add(Company(name="Flushed, never committed", time_zone="Europe/Berlin"))
    db.session.flush()  # written in the transaction; the session holds nothing pending any more
    assert not (db.session.new or db.session.dirty)


def _insert_a_company() -> None:
    db.session.execute(text("INSERT INTO company (name, time_zone) VALUES ('Inserted, never committed', 'UTC')"))


@pytest.mark.parametrize("write", [_flush_a_company, _insert_a_company], ids=["flushed", "statement"])
def test_a_transaction_that_wrote_is_rolled_back_at_the_end_of_its_request_not_committed(
    client: FlaskClient, write: Callable[[], None]
) -> None:
    server = client.application
    with server.app_context():
        assert db.session.scalar(select(func.count()).select_from(Company)) == 0  # a read first, then the write
        write()

    with server.app_context():
        assert db.session.scalar(select(func.count()).select_from(Company)) == 0
