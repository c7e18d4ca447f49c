"""Review board benchmark: server time and SQL statements per request, at two data sizes.

Seeds fresh SQLite files with ``bench.seed_large`` (bulk Core inserts through the real migrations), tops the failed
appointments up to the wanted number (the seeder makes 2.5 % failed; the board's worst case wants more), then asks
the board through the Flask test client — the whole view: session, filters, queries, templates — and prints the
median and p95 time and the number of SQL statements for each request. The statement count must be the same at
both sizes: the board pages by keyset and never counts or offsets over the whole table.

Usage: ``python -m bench.review_board`` (1,000,000 appointments with 50,000 failed, and a tenth of that);
``--sizes 20000:1000`` for a quick run; ``--keep DIR`` keeps the database files.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from bench.seed_large import SeedSize, migrate_empty, seed
from ops_ui import create_app
from ops_ui.auth.service import create_user
from ops_ui.extensions import db
from ops_ui.models import Role

PASSWORD = "bench-password-2026"
GOAL_P95_MS = 50.0


def top_up_failed(url: str, failed: int) -> int:
    """Turn synced appointments into failed ones (deterministically spread over the table) until ``failed`` exist."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), db.engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM appointment WHERE sync_status = 'failed'")).scalar_one()
        need = max(0, failed - have)
        conn.execute(
            text(
                """
                UPDATE appointment SET sync_status = 'failed', last_error_category = 'HOST_CONFLICT',
                    last_error_message = 'User either already has booking at this time or is not available',
                    last_error_status = 409, failed_since = created_at, calcom_booking_uid = NULL
                WHERE id IN (SELECT id FROM appointment WHERE sync_status = 'synced'
                             ORDER BY (id * 7919) % 1000003 LIMIT :need)
                """
            ),
            {"need": need},
        )
        conn.execute(text("ANALYZE"))
        total = conn.execute(text("SELECT count(*) FROM appointment WHERE sync_status = 'failed'")).scalar_one()
        db.engine.dispose()
    return int(total)


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def measure(app: Flask, client: FlaskClient, path: str, headers: dict[str, str], repeat: int) -> dict[str, float]:
    for _ in range(3):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
    times: list[float] = []
    with counting(app) as statements:
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "queries": len(statements) / repeat,
        "rows": len(re.findall(r'<tbody id="appt-', response.get_data(as_text=True))),
    }


def run_size(folder: Path, appointments: int, failed: int, repeat: int) -> list[tuple[str, dict[str, float]]]:
    url = f"sqlite:///{folder / f'review_board_{appointments}.sqlite'}"
    size = SeedSize(appointments=appointments, attempts=appointments // 5)
    started = time.perf_counter()
    migrate_empty(url)
    seed(url, size, datetime.now(UTC), log=lambda line: None)
    total_failed = top_up_failed(url, failed)
    print(
        f"\n== {appointments:,} appointments, {total_failed:,} failed (seeded in {time.perf_counter() - started:.0f} s)"
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        create_user("bench-admin@syncdesk.test", PASSWORD, Role.ADMIN, name="Bench Admin")
        create_user("bench-agent@syncdesk.test", PASSWORD, Role.AGENT, name="Bench Agent", company_id=1)
        busiest_staff = db.session.execute(
            text(
                "SELECT staff_id FROM appointment WHERE sync_status = 'failed'"
                " AND last_error_category = 'HOST_CONFLICT' AND staff_id IS NOT NULL"
                " GROUP BY staff_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
    admin = signed_in(app, "bench-admin@syncdesk.test")
    agent = signed_in(app, "bench-agent@syncdesk.test")
    htmx = {"HX-Request": "true"}

    first = admin.get("/review", headers=htmx).get_data(as_text=True)
    after = re.search(r'hx-get="/review\?([^"]*after=[^"]*)"', first)
    cases = [
        ("page 1, default queue (admin, all companies)", admin, "/review", {}),
        ("page 1 as htmx fragment", admin, "/review", htmx),
        (
            "page 2 via Load more",
            admin,
            f"/review?{after.group(1).replace('&amp;', '&')}" if after else "/review",
            htmx,
        ),
        (
            f"category=HOST_CONFLICT&staff={busiest_staff}",
            admin,
            f"/review?category=HOST_CONFLICT&staff={busiest_staff}",
            {},
        ),
        ("past=1 (can never sync)", admin, "/review?past=1", htmx),
        ("kind=technical, agent of one company", agent, "/review?kind=technical", htmx),
        ("counts panel refresh", admin, "/review/counts?sync_status=failed", {}),
        ("q=Customer 12 (text search)", admin, "/review?q=Customer%2012", htmx),
    ]
    results = []
    for label, client, path, headers in cases:
        figures = measure(app, client, path, headers, repeat)
        results.append((label, figures))
        verdict = "ok" if figures["p95"] < GOAL_P95_MS else "OVER GOAL"
        print(
            f"  {label:<48} median {figures['median']:6.1f} ms  p95 {figures['p95']:6.1f} ms"
            f"  {figures['queries']:4.1f} SQL/request  {int(figures['rows']):3d} rows  {verdict}"
        )
    with app.app_context():
        db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000:5000,1000000:50000", help="appointments:failed, comma-separated")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="folder to keep the SQLite files in")
    args = parser.parse_args(argv)
    sizes = [tuple(int(part) for part in pair.split(":")) for pair in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="review-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        per_size = [run_size(folder, appointments, failed, args.repeat) for appointments, failed in sizes]

    print("\nSQL statements per request by data size (must not grow):")
    for index, (label, _) in enumerate(per_size[0]):
        counts = " → ".join(f"{results[index][1]['queries']:.0f}" for results in per_size)
        print(f"  {label:<48} {counts}")


if __name__ == "__main__":
    main()
