"""Count the SQL statements a request runs, on the engine of the app instance that serves it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from ops_ui.extensions import db


@contextmanager
def statements_run_by(server: Flask) -> Iterator[list[str]]:
    """Every statement ``server``'s engine sends while the block runs.

    Pass the app that serves the requests (``client.application``): the test's own ``app`` fixture has an engine of
    its own that no request touches, and counting there sees nothing at all.
    """
    with server.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
