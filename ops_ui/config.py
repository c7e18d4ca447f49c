"""Settings from the environment, with safe local defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'sync_desk.sqlite'}"


class Config:
    """Read once at start-up; tests pass overrides to create_app()."""

    def __init__(self) -> None:
        self.ENV_NAME = os.environ.get("SYNC_DESK_ENV", "development")
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", _default_database_url())
        self.CALCOM_API_URL = os.environ.get("CALCOM_API_URL", "http://127.0.0.1:5100")
        self.CALCOM_API_KEY = os.environ.get("CALCOM_API_KEY", "cal_test_syncdesk_local")
        self.CALCOM_TIMEOUT_SECONDS = float(os.environ.get("CALCOM_TIMEOUT_SECONDS", "10"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV_NAME == "production"
        self.WTF_CSRF_TIME_LIMIT = None

    @property
    def is_production(self) -> bool:
        return self.ENV_NAME == "production"
