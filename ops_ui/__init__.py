"""Sync Desk: fix appointments whose sync to Cal.com failed."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for
from flask.typing import ResponseReturnValue
from werkzeug.middleware.proxy_fix import ProxyFix

from ops_ui import htmx, i18n, prepared_statements, security_headers
from ops_ui.auth import init_app as init_auth
from ops_ui.bounded_ids import BoundedIntegerConverter
from ops_ui.cases import init_app as init_cases
from ops_ui.cli import register_cli
from ops_ui.config import INSTANCE_DIR, PROJECT_ROOT, Config, check_production_settings
from ops_ui.errors import register_error_handlers
from ops_ui.extensions import csrf, db, login_manager, migrate
from ops_ui.formatting import register_template_helpers
from ops_ui.health import tally  # noqa: F401  (its flush listener keeps the attempt tally in step)
from ops_ui.template_languages import LanguageEnvironment


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.jinja_environment = LanguageEnvironment  # before anything asks for app.jinja_env
    app.url_map.converters["int"] = BoundedIntegerConverter  # before any route: every <int:…> id is in range
    config = Config()
    app.config.from_object(config)
    app.config["IS_PRODUCTION"] = config.is_production
    app.config.update(overrides or {})
    check_production_settings(app.config)
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    INSTANCE_DIR.mkdir(exist_ok=True)

    db.init_app(app)
    prepared_statements.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)

    htmx.init_app(app)
    security_headers.init_app(app)
    init_auth(app)
    register_error_handlers(app)
    register_template_helpers(app)
    init_cases(app)
    _register_blueprints(app)
    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from ops_ui.admin import bp as admin_bp
    from ops_ui.health import bp as health_bp
    from ops_ui.intake import bp as intake_bp
    from ops_ui.reconcile import bp as reconcile_bp
    from ops_ui.review import bp as review_bp
    from ops_ui.staff import bp as staff_bp
    from ops_ui.webhooks import bp as webhooks_bp

    app.register_blueprint(review_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(reconcile_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(admin_bp)

    @app.get("/")
    def home() -> ResponseReturnValue:
        return redirect(url_for("review.index"))
