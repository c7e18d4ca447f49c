"""One rate budget per Cal.com API key, shared by every process that calls Cal.com with it.

Cal.com counts requests per key in a fixed window of 60 s that starts with the first request after the previous
window ended, refuses the request past the limit with 429 and then blocks the key for 60 s (CONTRACT §8). A 429
therefore costs a minute; the budget's job is to never cause one:

- ``acquire`` takes one request from the current window before a request is sent, waiting for the next window when
  this one is spent (never past the caller's deadline: then ``BudgetSpent``, and the request is not sent);
- ``observe`` corrects the count and the window's end from every answer's ``X-RateLimit-Remaining-Default`` and
  ``X-RateLimit-Reset-Default`` (Cal.com's own count wins: other clients of the key, a window that started
  earlier than ours), and a 429 blocks the budget for the ``Reset`` it announces.

The state lives in a store all processes share: a SQLite file on one machine, Redis across machines. Both run the
same pure functions below inside one atomic read-modify-write. Times are wall-clock seconds (``time.time()``),
since the state is shared between processes and machines.

No limiter library fits this: ``limits`` counts in windows of its own and cannot adopt the end and the count that
the server announces, which is what keeps the budget aligned with Cal.com's window.
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, TypeVar, cast

import redis

from ops_ui.calcom.errors import BudgetSpent, header_int

T = TypeVar("T")

WINDOW_SECONDS = 60.0
LIMIT_HEADER = "X-RateLimit-Limit-Default"
REMAINING_HEADER = "X-RateLimit-Remaining-Default"
RESET_HEADER = "X-RateLimit-Reset-Default"
FIELDS = ("window_ends", "used", "blocked_until", "limit", "confirmed")


@dataclass(frozen=True)
class BudgetState:
    window_ends: float = 0.0
    used: int = 0
    blocked_until: float = 0.0
    limit: int = 0
    """Cal.com's limit for the key as its last answer said (``X-RateLimit-Limit-Default``); 0 until one did."""
    confirmed: int = 0
    """1 once an answer gave the window's end; until then ``window_ends`` is our own guess (a little early)."""


def take(state: BudgetState, now: float, limit: int, headroom: int) -> tuple[BudgetState, float]:
    """Take one request: the new state and 0, or the unchanged state and the seconds until one is free.

    ``limit`` is the configured one, used until Cal.com said its own; ``headroom`` requests per window stay unused.
    """
    if now < state.blocked_until:
        return state, state.blocked_until - now
    if now >= state.window_ends:
        state = replace(state, window_ends=now + WINDOW_SECONDS, used=0, confirmed=0)
    if state.used < max(1, (state.limit or limit) - headroom):
        return replace(state, used=state.used + 1), 0.0
    return state, state.window_ends - now


def corrected(state: BudgetState, now: float, status: int, headers: Mapping[str, str]) -> BudgetState:
    """The state after Cal.com's answer said how much of its window is left.

    ``Reset`` is whole seconds rounded up, so each answer's ``now + reset`` is at or after Cal.com's real window end,
    by up to a second: the earliest of these answers is the closest to the real end that is still safe.
    """
    reset = header_int(headers, RESET_HEADER)
    if status == 429:
        wait = reset if reset is not None else WINDOW_SECONDS
        return replace(state, window_ends=now + wait, blocked_until=now + wait, confirmed=1)
    limit, remaining = header_int(headers, LIMIT_HEADER), header_int(headers, REMAINING_HEADER)
    if reset is None or limit is None or remaining is None:
        return state
    calcom_ends, calcom_used = now + reset, max(0, limit - remaining)
    if abs(calcom_ends - state.window_ends) > 2:
        # Cal.com is in another window than the one we count in (it began before ours, or ours is over): adopt it.
        return replace(state, window_ends=calcom_ends, used=calcom_used, limit=limit, confirmed=1)
    window_ends = min(state.window_ends, calcom_ends) if state.confirmed else calcom_ends
    return replace(state, window_ends=window_ends, used=max(state.used, calcom_used), limit=limit, confirmed=1)


def used_now(state: BudgetState, now: float) -> int:
    """Requests counted in the window running at ``now`` (0 when it has ended)."""
    return state.used if now < state.window_ends else 0


class BudgetStore(Protocol):
    def update(self, key: str, change: Callable[[BudgetState], tuple[BudgetState, T]]) -> T:
        """Apply ``change`` to the key's state atomically across processes; return its second value."""
        ...


class RateBudget:
    """The budget of one API key: Cal.com's limit per window (configured, then as Cal.com says) less a headroom."""

    def __init__(self, store: BudgetStore, api_key: str, limit: int, headroom: int) -> None:
        self.store = store
        self.key = "calcom-rate:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self.limit = limit
        self.headroom = headroom

    def acquire(self, deadline: float | None) -> None:
        """Wait until a request may be sent; ``BudgetSpent`` if that is after ``deadline`` (``time.monotonic()``)."""
        while True:
            wait = self.store.update(self.key, lambda state: take(state, time.time(), self.limit, self.headroom))
            if wait <= 0:
                return
            if deadline is not None and time.monotonic() + wait > deadline:
                raise BudgetSpent(
                    "Not sent: this minute's budget of Cal.com requests is used up",
                    reset_seconds=math.ceil(wait),
                )
            time.sleep(wait)  # the next window opens then; waiting for it is the budget's purpose

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        self.store.update(self.key, lambda state: (corrected(state, time.time(), status, headers), None))

    def used_in_window(self) -> int:
        return self.store.update(self.key, lambda state: (state, used_now(state, time.time())))


class SqliteBudgetStore:
    """The state in a SQLite file: one row per key, changed inside ``BEGIN IMMEDIATE`` (one writer at a time).

    Each thread of each process keeps its own connection (a connection never crosses a fork or a thread). The file
    is in WAL mode with ``synchronous=NORMAL``: a commit does not wait for the disk, and what a power cut may lose
    is a count that the next answer's ``X-RateLimit-*`` headers correct. A change that leaves the state as it was
    writes nothing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        connection = self._connection()
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS rate_budget "
            "(key TEXT PRIMARY KEY, window_ends REAL NOT NULL, used INTEGER NOT NULL, blocked_until REAL NOT NULL, "
            "limit_seen INTEGER NOT NULL, confirmed INTEGER NOT NULL)"
        )

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened anew in a forked child."""
        held: tuple[int, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA synchronous=NORMAL")
        self._local.held = (os.getpid(), connection)
        return connection

    def update(self, key: str, change: Callable[[BudgetState], tuple[BudgetState, T]]) -> T:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT window_ends, used, blocked_until, limit_seen, confirmed FROM rate_budget WHERE key = ?", (key,)
            ).fetchone()
            before = BudgetState(*row) if row else None
            state, result = change(before or BudgetState())
            if state != before:
                connection.execute(
                    "INSERT OR REPLACE INTO rate_budget "
                    "(key, window_ends, used, blocked_until, limit_seen, confirmed) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, state.window_ends, state.used, state.blocked_until, state.limit, state.confirmed),
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return result


class RedisBudgetStore:
    """The state in a Redis hash, changed in an optimistic transaction (``WATCH``/``MULTI``, retried on a race)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def update(self, key: str, change: Callable[[BudgetState], tuple[BudgetState, T]]) -> T:
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    values = cast("list[bytes | None]", pipe.hmget(key, list(FIELDS)))
                    state, result = change(_state_of(values))
                    pipe.multi()
                    pipe.hset(
                        key,
                        mapping={name: getattr(state, name) for name in FIELDS},
                    )
                    pipe.expire(key, 3600)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue


def _state_of(values: list[bytes | None]) -> BudgetState:
    if any(value is None for value in values):
        return BudgetState()
    window_ends, used, blocked_until, limit, confirmed = (value or b"0" for value in values)
    return BudgetState(float(window_ends), int(used), float(blocked_until), int(limit), int(confirmed))
