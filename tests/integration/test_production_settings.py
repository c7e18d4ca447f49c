"""Production refuses the development defaults instead of running with a secret everyone can read."""

import pytest

from ops_ui import create_app
from ops_ui.config import InsecureConfiguration


def test_production_with_the_development_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.setenv("SYNC_DESK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CALCOM_API_KEY", "cal_live_real")

    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_with_real_keys_starts_with_secure_cookies(monkeypatch):
    monkeypatch.setenv("SYNC_DESK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-value-from-the-deployment")
    monkeypatch.setenv("CALCOM_API_KEY", "cal_live_real")

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.config["IS_PRODUCTION"] and app.config["SESSION_COOKIE_SECURE"]


def test_development_runs_with_the_local_defaults(monkeypatch):
    monkeypatch.delenv("SYNC_DESK_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)

    assert not create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["IS_PRODUCTION"]


@pytest.mark.parametrize("key", ["x", "short-but-not-empty", "a" * 31, "a" * 64, "ab" * 40])
def test_production_refuses_a_short_or_monotonous_secret_key(monkeypatch, key):
    monkeypatch.setenv("SYNC_DESK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("CALCOM_API_KEY", "cal_live_real")

    with pytest.raises(InsecureConfiguration, match="at least 32 random characters"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_accepts_a_generated_secret_key(monkeypatch):
    import secrets

    monkeypatch.setenv("SYNC_DESK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("CALCOM_API_KEY", "cal_live_real")

    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["IS_PRODUCTION"]
