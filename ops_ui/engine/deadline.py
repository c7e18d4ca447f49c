"""One deadline for everything a request (or one engine step) asks Cal.com, whoever asks.

An agent's click runs the action and then re-renders its panel, which may ask Cal.com for free times again; all of
it must end before the web server gives up on the request. The review blueprint opens a scope per request; the
claim and every client built inside it share the scope's deadline (a ``time.monotonic()`` instant). Outside any
scope (the engine's due pass, the CLI) each claim gets a deadline of its own.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

_DEADLINE: ContextVar[float | None] = ContextVar("sync_desk_deadline", default=None)


def open_scope(seconds: float) -> Token[float | None]:
    """Start a scope whose Cal.com calls must all end within ``seconds``; pass the token to ``close_scope``."""
    return _DEADLINE.set(time.monotonic() + seconds)


def close_scope(token: Token[float | None]) -> None:
    _DEADLINE.reset(token)


def scope_deadline() -> float | None:
    """The deadline of the current scope, or None outside any."""
    return _DEADLINE.get()


def deadline_in(seconds: float) -> float:
    """The current scope's deadline, or a fresh one ``seconds`` from now outside any scope."""
    current = _DEADLINE.get()
    return current if current is not None else time.monotonic() + seconds
