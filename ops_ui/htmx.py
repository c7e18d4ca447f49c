"""The only module that knows HX-* header names.

Views ask questions (``is_htmx_request()``) and decorate responses (``trigger()``, ``hx_redirect()``); no other
module reads or writes an HX-* header, so a change in htmx's protocol is a change here only.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

_REQUEST = "HX-Request"
_HISTORY_RESTORE = "HX-History-Restore-Request"
_CURRENT_URL = "HX-Current-URL"
_TRIGGER = "HX-Trigger"
_REDIRECT = "HX-Redirect"
_RETARGET = "HX-Retarget"
_RESWAP = "HX-Reswap"

CHANGED_EVENT = "review-changed"
"""Triggered by every answer that changed appointments; the board's counts and the dashboard re-render on it."""


def is_htmx_request() -> bool:
    """True when htmx asked for a fragment.

    A history-restore request wants the whole page (the browser lost its snapshot), so it counts as a normal one.
    """
    return request.headers.get(_REQUEST) == "true" and request.headers.get(_HISTORY_RESTORE) != "true"


def current_page_path() -> str | None:
    """Path and query of the page the user is looking at during an htmx request, if it is on this host.

    Used as the ``next`` target after a login: the fragment URL itself is not a page to come back to.
    """
    url = request.headers.get(_CURRENT_URL)
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Add a client-side event (``review-changed``) that other regions listen to; keeps events already set."""
    events: dict[str, Any] = {}
    existing = response.headers.get(_TRIGGER)
    if existing:
        try:
            parsed = json.loads(existing)
            events = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            events = {name.strip(): None for name in existing.split(",") if name.strip()}
    events[event] = detail
    response.headers[_TRIGGER] = json.dumps(events)
    return vary_on_htmx(response)


def hx_redirect(url: str, status: int = 200) -> Response:
    """A response telling htmx to load ``url`` as a full page (a plain 302 would be swapped into the target)."""
    response = Response("", status=status)
    response.headers[_REDIRECT] = url
    return vary_on_htmx(response)


def retarget(response: Response, selector: str, swap: str = "innerHTML") -> Response:
    """Send the fragment somewhere else than the requesting element asked for (errors go to the toast region)."""
    response.headers[_RETARGET] = selector
    response.headers[_RESWAP] = swap
    return response


def vary_on_htmx(response: Response) -> Response:
    """Caches must keep the page and the fragment of one URL apart."""
    response.vary.add(_REQUEST)
    return response


def init_app(app: Flask) -> None:
    """Every HTML response may differ by HX-Request, so say so everywhere instead of remembering it per view."""

    @app.after_request
    def _vary(response: Response) -> Response:
        if response.mimetype == "text/html":
            vary_on_htmx(response)
        return response
