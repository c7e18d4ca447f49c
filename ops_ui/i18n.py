"""Which language a page speaks: the user's choice, else the company's, else the app's default.

German is the salon's working language; English is there for colleagues who prefer it. Dates are formatted in the
same language (``ops_ui.formatting``), in the company's time zone.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context
from flask_babel import get_locale
from flask_login import current_user

from ops_ui.config import PROJECT_ROOT
from ops_ui.extensions import babel, db
from ops_ui.models import Company

LANGUAGES: dict[str, str] = {"de": "Deutsch", "en": "English"}
"""The languages the app is translated into, by code, each named in its own language."""


def supported(code: str | None) -> str | None:
    """``code`` when the app speaks it, else None (an old or mistyped value in the database must not break pages)."""
    return code if code in LANGUAGES else None


def _company_locale(company_id: int | None) -> str | None:
    if company_id is None:
        return None
    company = db.session.get(Company, company_id)
    return supported(company.locale) if company is not None else None


def select_locale() -> str:
    """Flask-Babel's locale selector, asked once per request."""
    default = supported(current_app.config.get("DEFAULT_LOCALE")) or "de"
    if not has_request_context() or not current_user.is_authenticated:
        return default
    return supported(current_user.locale) or _company_locale(current_user.company_id) or default


def current_locale() -> str:
    """The language of the current request, or English outside one (log lines, stored reasons, the CLI)."""
    if not has_request_context():
        return "en"
    locale = get_locale()
    return (supported(str(locale)) if locale is not None else None) or "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals |= {"LANGUAGES": LANGUAGES, "current_locale": current_locale}
