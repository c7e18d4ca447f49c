"""Review board benchmark: the board against its peer (a stock Flask-Admin list) and its floor, SQLite and PostgreSQL.

For each database: a fresh database built through the real migrations and seeded with ``bench.seed_large`` (1,000,000
appointments by default), failed appointments topped up to the wanted number, then the app is asked through the
Flask test client — the whole request: session, filters, queries, templates. Each request is timed in the same
process, interleaved (board, peer, floor, board, peer, floor …; 40 each after 3 warm-ups):

- *board*: the board's own URL;
- *peer*: ``bench.peer.BoardPeerView``, Flask-Admin's ModelView of ``Appointment`` showing the same rows in the same
  order (the board's WHERE clause from the same query string);
- *floor*: the statements the board issued for that request, run straight on the DB-API connection, plus a bare Jinja
  table of the rows.

Printed per request: medians, board ÷ peer and board ÷ floor, the board's SQL time (its statements as the floor runs
them, every row fetched) and statements.
The statement count must be the same at every size: the board pages by keyset and never counts over the whole table.

Usage: ``python -m bench.review_board`` (SQLite and, when ``BENCH_POSTGRES_URL`` is set, PostgreSQL);
``--sizes 10000:500,1000000:50000``; ``--databases sqlite``; ``--repeat 40``. The PostgreSQL database is emptied
first (its ``public`` schema is dropped): give it one of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from bench.peer import PEER_URL, Floor, install_peer, recording
from bench.seed_large import SeedSize, chosen_databases, empty_database, migrate_empty, seed, seeded_rows
from ops_ui import create_app
from ops_ui.auth.service import create_user, find_user_by_email
from ops_ui.extensions import db
from ops_ui.models import Role
from ops_ui.planner_statistics import refresh_planner_statistics

PASSWORD = "bench-password-2026"
ADMIN_EMAIL = "bench-admin@syncdesk.test"
HTMX = {"HX-Request": "true"}
WARM_UPS = 3


@dataclass(frozen=True)
class Case:
    label: str
    board: str
    headers: dict[str, str]
    peer: str | None


@dataclass(frozen=True)
class Figures:
    board_ms: float
    peer_ms: float | None
    floor_ms: float
    sql_ms: float
    statements: float
    rows: int

    @property
    def versus_peer(self) -> float | None:
        return self.board_ms / self.peer_ms if self.peer_ms else None

    @property
    def versus_floor(self) -> float:
        return self.board_ms / self.floor_ms


def top_up_failed(url: str, failed: int) -> int:
    """Turn synced appointments into failed ones (deterministically spread over the table) until ``failed`` exist."""
    engine = create_engine(url)
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM appointment WHERE sync_status = 'failed'")).scalar_one()
        conn.execute(
            text(
                """
                UPDATE appointment SET sync_status = 'failed', last_error_category = 'HOST_CONFLICT',
                    last_error_message = 'User either already has booking at this time or is not available',
                    last_error_status = 409, failed_since = created_at, calcom_booking_uid = NULL
                WHERE id IN (SELECT id FROM appointment WHERE sync_status = 'synced'
                             ORDER BY (CAST(id AS BIGINT) * 7919) % 1000003 LIMIT :need)
                """
            ),
            {"need": max(0, failed - have)},
        )
    settle(engine)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM appointment WHERE sync_status = 'failed'")).scalar_one()
    engine.dispose()
    return int(total)


def settle(engine: Engine) -> None:
    """The database as it is some time after a bulk change: SQLite with the statistics the job workers keep,
    PostgreSQL vacuumed and analyzed as autovacuum would have done. Measured straight after the top-up's 50,000
    updates, PostgreSQL's text search took 140 ms instead of 15 ms (every tuple still to be checked for visibility)."""
    if engine.dialect.name == "sqlite":
        refresh_planner_statistics(engine)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def prepare(url: str, appointments: int, failed: int, reuse: bool) -> str:
    """A database of the wanted size: seeded afresh, or with ``reuse`` the one left by the previous run of that size
    (migrated to head, so new indexes are there)."""
    started = time.perf_counter()
    if reuse and seeded_rows(url, "appointment") == appointments:
        migrate_empty(url)
        how = "reused"
    else:
        empty_database(url)
        migrate_empty(url)
        now = datetime.now(UTC)
        seed(url, SeedSize(appointments=appointments, attempts=appointments // 5), now, log=lambda _: None)
        how = "seeded"
    total = top_up_failed(url, failed)
    return f"{appointments:,} appointments, {total:,} failed ({how} in {time.perf_counter() - started:.0f} s)"


def bench_app(url: str) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    install_peer(app)
    with app.app_context():
        if find_user_by_email(ADMIN_EMAIL) is None:  # a reused database has the account from its first run
            create_user(ADMIN_EMAIL, PASSWORD, Role.ADMIN, name="Bench Admin")
    return app


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def cases(app: Flask, client: FlaskClient) -> list[Case]:
    """The requests of the issue's table, with the peer's equivalent (same rows; the peer pages by ``page``)."""
    with app.app_context():
        staff = db.session.execute(
            text(
                "SELECT staff_id FROM appointment WHERE sync_status = 'failed'"
                " AND last_error_category = 'HOST_CONFLICT' AND staff_id IS NOT NULL"
                " GROUP BY staff_id ORDER BY count(*) DESC, staff_id LIMIT 1"
            )
        ).scalar_one()
        db.session.remove()
    first = client.get("/review", headers=HTMX).get_data(as_text=True)
    after = re.search(r'hx-get="/review\?([^"]*after=[^"]*)"', first)
    more = after.group(1).replace("&amp;", "&") if after else ""
    filtered = f"category=HOST_CONFLICT&staff={staff}"
    return [
        Case("page 1 (full page)", "/review", {}, PEER_URL),
        Case("category + staff filter (full page)", f"/review?{filtered}", {}, f"{PEER_URL}?{filtered}"),
        Case("load more (page 2, fragment)", f"/review?{more}", HTMX, f"{PEER_URL}?page=1"),
        Case("text search q=Customer 12 (fragment)", "/review?q=Customer%2012", HTMX, f"{PEER_URL}?q=Customer%2012"),
        Case("past=1 (fragment)", "/review?past=1", HTMX, f"{PEER_URL}?past=1"),
        Case("counts refresh", "/review/counts?sync_status=failed", {}, None),
    ]


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _get(client: FlaskClient, path: str, headers: dict[str, str]) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def compare(app: Flask, client: FlaskClient, case: Case, repeat: int) -> Figures:
    """Board, peer and floor in turn, ``repeat`` times each after warm-ups; medians."""
    for _ in range(WARM_UPS):
        _get(client, case.board, case.headers)
        if case.peer:
            _get(client, case.peer, {})
    with recording(app) as one:
        page = _get(client, case.board, case.headers)
    floor = Floor(app, one.statements)
    floor.run()
    board: list[float] = []
    peer: list[float] = []
    bare: list[float] = []
    sql: list[float] = []
    for _ in range(repeat):
        board.append(_timed(lambda: _get(client, case.board, case.headers)))
        bare.append(_timed(floor.run))
        sql.append(_timed(floor.query))
        if case.peer:
            peer.append(_timed(lambda: _get(client, case.peer or "", {})))
    floor.close()
    return Figures(
        board_ms=statistics.median(board),
        peer_ms=statistics.median(peer) if peer else None,
        floor_ms=statistics.median(bare),
        sql_ms=statistics.median(sql),
        statements=len(one.statements),
        rows=len(re.findall(r'<tbody id="appt-', page)),
    )


def run_database(
    name: str, url: str, appointments: int, failed: int, repeat: int, reuse: bool = False
) -> list[tuple[str, Figures]]:
    print(f"\n== {name}: {prepare(url, appointments, failed, reuse)}", flush=True)
    app = bench_app(url)
    client = signed_in(app, ADMIN_EMAIL)
    results = []
    for case in cases(app, client):
        figures = compare(app, client, case, repeat)
        results.append((case.label, figures))
        print_row(case.label, figures)
    with app.app_context():
        db.engine.dispose()
    return results


HEADER = (
    f"  {'request':<40} {'board':>8} {'peer':>8} {'floor':>7} {'÷peer':>6} {'÷floor':>7} {'SQL ms':>7} {'stmts':>5}"
)


def print_row(label: str, figures: Figures) -> None:
    peer = f"{figures.peer_ms:6.1f}ms" if figures.peer_ms else f"{'–':>8}"
    ratio = f"{figures.versus_peer:6.2f}" if figures.versus_peer else f"{'–':>6}"
    print(
        f"  {label:<40} {figures.board_ms:6.1f}ms {peer} {figures.floor_ms:5.1f}ms {ratio} {figures.versus_floor:6.1f}×"
        f" {figures.sql_ms:7.2f} {figures.statements:5.0f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000000:50000", help="appointments:failed, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="folder for the SQLite files (kept after the run)")
    parser.add_argument("--reuse", action="store_true", help="reuse a database of the same size from an earlier run")
    args = parser.parse_args(argv)
    sizes = [tuple(int(part) for part in pair.split(":")) for pair in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="review-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        results = {
            (name, appointments): run_database(name, url, appointments, failed, args.repeat, args.reuse)
            for appointments, failed in sizes
            for name, url in chosen_databases(
                args.databases, f"sqlite:///{folder / f'review_board_{appointments}.sqlite'}"
            )
        }
    summary(results, os.getloadavg())


def summary(results: dict[tuple[str, int], list[tuple[str, Figures]]], load: tuple[float, float, float]) -> None:
    print(f"\nBoard vs peer (Flask-Admin {_flask_admin_version()}) vs floor; medians; load {load[0]:.2f} {load[1]:.2f}")
    for (name, appointments), rows in results.items():
        print(f"\n{name}, {appointments:,} appointments")
        print(HEADER)
        for label, figures in rows:
            print_row(label, figures)


def _flask_admin_version() -> str:
    from importlib.metadata import version

    return version("Flask-Admin")


if __name__ == "__main__":
    main()
