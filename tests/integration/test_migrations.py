from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate, upgrade
from sqlalchemy import insert, inspect

from ops_ui import create_app
from ops_ui.extensions import db
from ops_ui.models import Base, SyncAttemptTally

POSTGRESQL_ONLY_INDEXES = frozenset({"ix_customer_search_trgm"})
"""Made by migration 0012 on PostgreSQL only (pg_trgm GIN): no model declares them, as SQLite has no such index."""


def _declared_in_models(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "index" and reflected and compare_to is None and name in POSTGRESQL_ONLY_INDEXES)


def test_empty_database_upgraded_to_head_matches_the_models(app: Flask) -> None:
    """The session fixture built this database from nothing with the migration chain."""
    migrate: Migrate = app.extensions["migrate"]
    head = ScriptDirectory.from_config(migrate.migrate.get_config()).get_current_head()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _declared_in_models})
        assert context.get_current_revision() == head
        assert compare_metadata(context, Base.metadata) == []


def test_the_customer_search_index_exists_on_postgresql_only(app: Flask) -> None:
    """The board's text search relies on it there; SQLite gets nothing it could not use."""
    with db.engine.connect() as conn:
        names = {index["name"] for index in inspect(conn).get_indexes("customer")}
    assert ("ix_customer_search_trgm" in names) == (db.engine.dialect.name == "postgresql")


def test_the_upgrade_that_indexes_the_tally_by_quarter_gathers_sqlite_s_planner_statistics(tmp_path: Path) -> None:
    """A salon's database had never been analyzed; the upgrade gives it statistics before its first request."""
    url = f"sqlite:///{tmp_path / 'salon.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="0017")
        quarter = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        db.session.execute(
            insert(SyncAttemptTally),
            [{"company_id": 1, "quarter": quarter + timedelta(minutes=15 * n), "succeeded": n} for n in range(40)],
        )
        db.session.commit()
        assert "sqlite_stat1" not in inspect(db.engine).get_table_names()

        upgrade(revision="0018")

        with db.engine.connect() as conn:
            analyzed = conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1").scalars().all()
        db.engine.dispose()
    assert "sync_attempt_tally" in analyzed
