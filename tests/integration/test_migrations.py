from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import inspect

from ops_ui.extensions import db
from ops_ui.models import Base

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
