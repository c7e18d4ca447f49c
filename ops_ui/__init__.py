"""Sync Desk: fix appointments whose sync to Cal.com failed."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ops_ui.config import INSTANCE_DIR, PROJECT_ROOT, Config
from ops_ui.extensions import csrf, db, login_manager, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    config = Config()
    app.config.from_object(config)
    app.config["IS_PRODUCTION"] = config.is_production
    app.config.update(overrides or {})
    INSTANCE_DIR.mkdir(exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    return app
