"""Count the SQL statements a request runs, on the engine of the app instance that serves it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    statements: list[str] = []
    with _listening(server, lambda statement, _parameters: statements.append(statement)):
        yield statements


@contextmanager
def executions_run_by(server: Flask) -> Iterator[list[tuple[str, Any]]]:
    """``statements_run_by`` with each statement's parameters, to run it again (``EXPLAIN QUERY PLAN``)."""
    executions: list[tuple[str, Any]] = []
    with _listening(server, lambda statement, parameters: executions.append((statement, parameters))):
        yield executions


@contextmanager
def _listening(server: Flask, record: Callable[[str, Any], None]) -> Iterator[None]:
    with server.app_context():
        engine = db.engine

    def before_execute(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        record(statement, parameters)

    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)
