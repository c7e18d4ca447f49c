"""SQLite state (users, event types, bookings, API keys, webhook subscriptions and their deliveries) so a restarted
simulator remembers everything.

One connection guarded by a re-entrant lock: the server is threaded, and a booking's conflict check and
insert must happen in one critical section, exactly like a unique constraint would enforce it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    username TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    working_hours TEXT NOT NULL,
    is_owner INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_types (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    length INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    host_ids TEXT,
    scheduling_type TEXT,
    minimum_notice INTEGER NOT NULL DEFAULT 0,
    slot_interval INTEGER,
    booking_window_days INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    event_type_id INTEGER NOT NULL,
    host_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    status TEXT NOT NULL,
    attendee TEXT NOT NULL,
    guests TEXT NOT NULL,
    metadata TEXT NOT NULL,
    booking_fields TEXT NOT NULL,
    location TEXT,
    cancellation_reason TEXT,
    cancelled_by_email TEXT,
    rescheduling_reason TEXT,
    rescheduled_by_email TEXT,
    rescheduled_from_uid TEXT,
    rescheduled_to_uid TEXT,
    ics_uid TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT
);
CREATE INDEX IF NOT EXISTS bookings_host_time ON bookings (host_id, start);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_url TEXT NOT NULL,
    secret TEXT,
    event_triggers TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL,
    trigger_event TEXT NOT NULL,
    url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

_JSON_COLUMNS = {"working_hours", "host_ids", "attendee", "guests", "metadata", "booking_fields", "event_triggers"}
_TIME_COLUMNS = {"start", "end", "created_at", "updated_at"}


def to_db_time(moment: datetime) -> str:
    """Fixed-width UTC text, so SQL string comparison orders instants correctly."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    record = dict(row)
    for key, value in record.items():
        if value is None:
            continue
        if key in _JSON_COLUMNS:
            record[key] = json.loads(value)
        elif key in _TIME_COLUMNS:
            record[key] = from_db_time(value)
    return record


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    encoded = {}
    for key, value in values.items():
        if key in _JSON_COLUMNS and value is not None:
            encoded[key] = json.dumps(value)
        elif key in _TIME_COLUMNS and isinstance(value, datetime):
            encoded[key] = to_db_time(value)
        else:
            encoded[key] = value
    return encoded


class Store:
    """Typed-enough access to the simulator's tables; every method is atomic under ``self.lock``."""

    def __init__(self, path: str | Path) -> None:
        self.lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and one SQLite transaction for a read-check-write sequence (nested calls join it)."""
        with self.lock:
            if self._db.in_transaction:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        with self.lock:
            return _decode(self._db.execute(sql, params).fetchone())

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.lock:
            return [_decode(row) for row in self._db.execute(sql, params).fetchall()]  # type: ignore[misc]

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        encoded = _encode(values)
        columns = ", ".join(f'"{c}"' for c in encoded)
        marks = ", ".join("?" for _ in encoded)
        with self.transaction():
            cursor = self._db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(encoded.values()))
            return int(cursor.lastrowid or 0)

    # --- lifecycle -------------------------------------------------------------------------------------------

    def wipe(self) -> None:
        with self.transaction():
            for table in ("webhook_deliveries", "webhooks", "bookings", "event_types", "api_keys", "users"):
                self._db.execute(f"DELETE FROM {table}")

    def ensure_keys(self, keys: list[str], owner_email: str) -> None:
        """(Re)create the startup API keys, all owned by one account user that acts as the salon's admin."""
        with self.transaction():
            owner = self._one("SELECT * FROM users WHERE is_owner = 1 AND email = ?", (owner_email,))
            if owner is None:
                owner_id = self._insert(
                    "users",
                    {
                        "name": "Sync Desk",
                        "email": owner_email,
                        "username": owner_email.split("@", 1)[0],
                        "time_zone": "Europe/Berlin",
                        "working_hours": [],
                        "is_owner": 1,
                    },
                )
            else:
                owner_id = owner["id"]
            for key in keys:
                self._db.execute("INSERT OR REPLACE INTO api_keys (key, user_id) VALUES (?, ?)", (key, owner_id))

    # --- users and keys --------------------------------------------------------------------------------------

    def key_owner(self, key: str) -> dict[str, Any] | None:
        return self._one("SELECT users.* FROM api_keys JOIN users ON users.id = api_keys.user_id WHERE key = ?", (key,))

    def create_user(self, **values: Any) -> dict[str, Any]:
        user_id = self._insert("users", values)
        return self.user(user_id)  # type: ignore[return-value]

    def user(self, user_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM users WHERE id = ?", (user_id,))

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM users WHERE username = ?", (username,))

    # --- event types -----------------------------------------------------------------------------------------

    def create_event_type(self, **values: Any) -> dict[str, Any]:
        event_type_id = self._insert("event_types", values)
        return self.event_type(event_type_id)  # type: ignore[return-value]

    def event_type(self, event_type_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM event_types WHERE id = ?", (event_type_id,))

    def event_type_by_slug(self, owner_id: int, slug: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM event_types WHERE owner_id = ? AND slug = ?", (owner_id, slug))

    def event_types(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM event_types ORDER BY id")

    # --- bookings --------------------------------------------------------------------------------------------

    def insert_booking(self, **values: Any) -> dict[str, Any]:
        self._insert("bookings", values)
        return self.booking(values["uid"])  # type: ignore[return-value]

    def booking(self, uid: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM bookings WHERE uid = ?", (uid,))

    def bookings(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM bookings ORDER BY id")

    def update_booking(self, uid: str, **values: Any) -> dict[str, Any]:
        encoded = _encode(values)
        assignments = ", ".join(f'"{c}" = ?' for c in encoded)
        with self.transaction():
            self._db.execute(f"UPDATE bookings SET {assignments} WHERE uid = ?", (*encoded.values(), uid))
        return self.booking(uid)  # type: ignore[return-value]

    def busy_intervals(
        self, host_id: int, start: datetime, end: datetime, exclude_uid: str | None = None
    ) -> list[tuple[datetime, datetime]]:
        """Accepted (or pending) bookings of a host overlapping ``[start, end)``; cancelled ones free their time."""
        rows = self._all(
            "SELECT start, \"end\" FROM bookings WHERE host_id = ? AND status IN ('accepted', 'pending') "
            'AND start < ? AND "end" > ? AND uid != ?',
            (host_id, to_db_time(end), to_db_time(start), exclude_uid or ""),
        )
        return [(row["start"], row["end"]) for row in rows]

    # --- webhooks --------------------------------------------------------------------------------------------

    def create_webhook(self, **values: Any) -> dict[str, Any]:
        webhook_id = self._insert("webhooks", values)
        return self.webhook(webhook_id)  # type: ignore[return-value]

    def webhook(self, webhook_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM webhooks WHERE id = ?", (webhook_id,))

    def webhooks(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM webhooks ORDER BY id")

    def delete_webhook(self, webhook_id: int) -> bool:
        with self.transaction():
            return self._db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0

    def insert_delivery(self, **values: Any) -> int:
        return self._insert("webhook_deliveries", values)

    def deliveries(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM webhook_deliveries ORDER BY id")
