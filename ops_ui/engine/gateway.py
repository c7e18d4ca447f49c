"""Builds the Cal.com client from the app's settings; the only place services learn where Cal.com is."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.types import Exchange
from ops_ui.engine.deadline import scope_deadline


def calcom_client(
    on_exchange: Callable[[Exchange], None] | None = None, *, deadline: float | None = None
) -> CalcomClient:
    """``deadline`` (a ``time.monotonic()`` instant) bounds all calls made with this client together; by default the
    current request's (``ops_ui.engine.deadline``)."""
    config = current_app.config
    return CalcomClient(
        config["CALCOM_API_URL"],
        config["CALCOM_API_KEY"],
        timeout=config["CALCOM_TIMEOUT_SECONDS"],
        on_exchange=on_exchange,
        deadline=deadline if deadline is not None else scope_deadline(),
    )
