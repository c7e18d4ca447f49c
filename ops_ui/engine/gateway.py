"""Builds the Cal.com client from the app's settings; the only place services learn where Cal.com is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import redis
from flask import current_app

from ops_ui.calcom.budget import BudgetStore, RateBudget, RedisBudgetStore, SqliteBudgetStore
from ops_ui.calcom.client import CalcomClient, pooled_session
from ops_ui.calcom.types import Exchange
from ops_ui.engine.deadline import scope_deadline


def calcom_client(
    on_exchange: Callable[[Exchange], None] | None = None, *, deadline: float | None = None
) -> CalcomClient:
    """``deadline`` (a ``time.monotonic()`` instant) bounds all calls made with this client together; by default the
    current request's (``ops_ui.engine.deadline``). Every call draws from the API key's shared rate budget; the
    HTTP connections are the process's pooled ones (``pooled_session``), not a new one per client."""
    config = current_app.config
    return CalcomClient(
        config["CALCOM_API_URL"],
        config["CALCOM_API_KEY"],
        timeout=config["CALCOM_TIMEOUT_SECONDS"],
        session=pooled_session(),
        on_exchange=on_exchange,
        deadline=deadline if deadline is not None else scope_deadline(),
        budget=rate_budget(config),
    )


def rate_budget(config: Mapping[str, Any]) -> RateBudget:
    """The budget of the configured API key, in Redis when ``REDIS_URL`` is set, else in a SQLite file."""
    return RateBudget(
        _store(config["REDIS_URL"], str(config["RATE_BUDGET_FILE"])),
        config["CALCOM_API_KEY"],
        int(config["CALCOM_RATE_LIMIT_PER_MINUTE"]),
        int(config["CALCOM_RATE_HEADROOM"]),
    )


@cache
def _store(redis_url: str | None, budget_file: str) -> BudgetStore:
    """One store per process and place (a Redis connection pool is made once)."""
    if redis_url:
        return RedisBudgetStore(redis.Redis.from_url(redis_url))
    return SqliteBudgetStore(Path(budget_file))
