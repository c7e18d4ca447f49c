"""Settings from the environment, with safe local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'sync_desk.sqlite'}"


DEV_SECRET_KEY = "dev-only-not-secret"
DEV_CALCOM_API_KEY = "cal_test_syncdesk_local"
DEV_RETELL_API_KEY = "key_syncdesk_local_phone_agent"


class InsecureConfiguration(RuntimeError):
    """Production settings that would let anyone forge a session or that point at the local simulator's key."""


MIN_SECRET_KEY_LENGTH = 32
"""A production SECRET_KEY has at least 32 characters (``secrets.token_hex(32)`` gives 64)."""


def _weak_secret_key(value: object) -> bool:
    key = value if isinstance(value, str | bytes) else ""
    return len(key) < MIN_SECRET_KEY_LENGTH or key in (DEV_SECRET_KEY, DEV_SECRET_KEY.encode()) or len(set(key)) < 8


def check_production_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start in production with the development defaults: a known SECRET_KEY signs anyone's session."""
    if not config.get("IS_PRODUCTION"):
        return
    missing = [
        name
        for name, default in (("SECRET_KEY", DEV_SECRET_KEY), ("CALCOM_API_KEY", DEV_CALCOM_API_KEY))
        if not config.get(name) or config[name] == default
    ]
    if missing:
        raise InsecureConfiguration(f"SYNC_DESK_ENV=production needs {' and '.join(missing)} set to real values.")
    if _weak_secret_key(config.get("SECRET_KEY")):
        raise InsecureConfiguration(
            f"SYNC_DESK_ENV=production needs a SECRET_KEY of at least {MIN_SECRET_KEY_LENGTH} random characters, "
            "e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'."
        )


class Config:
    """Read once at start-up; tests pass overrides to create_app()."""

    def __init__(self) -> None:
        self.ENV_NAME = os.environ.get("SYNC_DESK_ENV", "development")
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", _default_database_url())
        self.CALCOM_API_URL = os.environ.get("CALCOM_API_URL", "http://127.0.0.1:5100")
        self.CALCOM_API_KEY = os.environ.get("CALCOM_API_KEY", DEV_CALCOM_API_KEY)
        self.CALCOM_TIMEOUT_SECONDS = float(os.environ.get("CALCOM_TIMEOUT_SECONDS", "10"))
        self.ACTION_DEADLINE_SECONDS = float(os.environ.get("SYNC_DESK_ACTION_DEADLINE_SECONDS", "20"))
        """All Cal.com calls of one action or sync share it; the web server's timeout must be longer."""
        self.CALCOM_RATE_LIMIT_PER_MINUTE = int(os.environ.get("CALCOM_RATE_LIMIT_PER_MINUTE", "120"))
        """Cal.com's limit for our API key until Cal.com's answers say it (120 by default; some keys have more)."""
        self.CALCOM_RATE_HEADROOM = int(os.environ.get("CALCOM_RATE_HEADROOM", "2"))
        """Requests per minute left unused, for requests in flight when Cal.com's window turns."""
        self.CALCOM_WEB_URL = os.environ.get("CALCOM_WEB_URL", "https://app.cal.com").rstrip("/")
        """Cal.com's web app, where a booking's page is ``<CALCOM_WEB_URL>/booking/<uid>`` (linked from the board)."""
        self.CALCOM_WEBHOOK_SECRET = os.environ.get("CALCOM_WEBHOOK_SECRET") or None
        """The secret of Cal.com's webhook subscription; unset, /webhooks/calcom refuses every delivery."""
        self.RETELL_API_KEY = os.environ.get("RETELL_API_KEY") or (None if self.is_production else DEV_RETELL_API_KEY)
        """The phone agent platform's API key, which signs its requests to /intake/functions; unset in production,
        every request is refused."""
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        """Set: the job queue and the rate budget live in Redis (several machines). Unset: SQLite files below."""
        self.JOB_QUEUE_FILE = os.environ.get("SYNC_DESK_JOB_QUEUE_FILE", str(INSTANCE_DIR / "jobs.sqlite"))
        self.RATE_BUDGET_FILE = os.environ.get("SYNC_DESK_RATE_BUDGET_FILE", str(INSTANCE_DIR / "rate-budget.sqlite"))
        self.RECONCILE_DAYS_BACK = int(os.environ.get("SYNC_DESK_RECONCILE_DAYS_BACK", "1"))
        self.RECONCILE_DAYS_AHEAD = int(os.environ.get("SYNC_DESK_RECONCILE_DAYS_AHEAD", "14"))
        """The window of days the reconciliation compares, around today."""
        self.REVIEW_REFRESH_SECONDS = int(os.environ.get("SYNC_DESK_REVIEW_REFRESH_SECONDS", "10"))
        """How often an open board asks for rows changed by others (webhooks, the engine, colleagues)."""
        self.DEFAULT_LOCALE = os.environ.get("SYNC_DESK_DEFAULT_LOCALE", "de")
        """The language of pages for a company without one of its own, and of the sign-in page."""
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV_NAME == "production"
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_IDLE_MINUTES = float(os.environ.get("SYNC_DESK_SESSION_IDLE_MINUTES", "60"))
        """A session unused this long ends (its next request goes to the login page)."""
        self.SESSION_LIFETIME_HOURS = float(os.environ.get("SYNC_DESK_SESSION_LIFETIME_HOURS", "8"))
        """A session ends this long after its sign-in, however busy it was: a working day."""
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_LIFETIME_HOURS)
        self.TRUSTED_PROXIES = int(os.environ.get("SYNC_DESK_TRUSTED_PROXIES", "0"))
        """How many proxies in front set X-Forwarded-For/-Proto: the login throttle counts per client address, and
        behind an untrusted proxy every client would share the proxy's address. 0: use the socket's address."""
        self.LOGIN_THROTTLE_WINDOW_SECONDS = float(os.environ.get("SYNC_DESK_LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
        """Failed sign-ins older than this no longer count towards a throttle."""

    @property
    def is_production(self) -> bool:
        return self.ENV_NAME == "production"
