from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate

from ops_ui.extensions import db
from ops_ui.models import Base


def test_empty_database_upgraded_to_head_matches_the_models(app: Flask) -> None:
    """The session fixture built this database from nothing with the migration chain."""
    migrate: Migrate = app.extensions["migrate"]
    head = ScriptDirectory.from_config(migrate.migrate.get_config()).get_current_head()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == head
        assert compare_metadata(context, Base.metadata) == []
