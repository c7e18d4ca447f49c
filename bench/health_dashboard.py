"""Server time and SQL queries of the health dashboard on a large database, SQLite and PostgreSQL.

Seeds (or reuses) a database with 1,000,000 appointments and 5,000,000 sync attempts, then requests the dashboard
through the Flask test client and prints the median and p95 server time and the queries per request, for a user who
sees all companies and for a user bound to one company. Goal: p95 < 50 ms over all companies.

    python -m bench.health_dashboard [--appointments N --attempts M --requests R --databases sqlite,postgresql --fresh]

The SQLite file lives in ``$TMPDIR/sync_desk_bench/`` named after its size; its seeding moment is stored next to it
and used as the dashboard's "now", so figures stay the same however old the cached file is. PostgreSQL is measured
when ``BENCH_POSTGRES_URL`` names a database of its own (``bench/postgres.sh`` sets one): it is emptied and seeded at
the same moment, or reused when it holds as many appointments and attempts already.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bench.seed_large import SeedSize, chosen_databases, empty_database, migrate_empty, seed, seeded_rows
from ops_ui import create_app
from ops_ui.auth.service import create_user
from ops_ui.extensions import db
from ops_ui.health import views
from ops_ui.models import Role, User

SEEDED_AT = datetime.fromisoformat("2026-11-20T12:00:00+00:00")


def _sqlite(path: Path, appointments: int, attempts: int, fresh: bool) -> datetime:
    path.parent.mkdir(exist_ok=True)
    stamp = path.with_suffix(".now")
    if fresh or not (path.exists() and stamp.exists()):
        for stale in (path, stamp):
            stale.unlink(missing_ok=True)
        print(f"Seeding {appointments:,} appointments and {attempts:,} attempts into {path} …")
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        migrate_empty(f"sqlite:///{partial}")
        seed(f"sqlite:///{partial}", SeedSize(appointments=appointments, attempts=attempts), SEEDED_AT)
        partial.rename(path)
        stamp.write_text(SEEDED_AT.isoformat())
        print(f"Seeded in {time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e9:.2f} GB)")
    else:
        print(f"Reusing {path} ({path.stat().st_size / 1e9:.2f} GB); --fresh to seed again")
        migrate_empty(f"sqlite:///{path}")  # brings a cached file to the current migration head
    return datetime.fromisoformat(stamp.read_text())


def _postgresql(url: str, appointments: int, attempts: int, fresh: bool) -> datetime:
    sizes = (seeded_rows(url, "appointment"), seeded_rows(url, "sync_attempt"))
    if fresh or sizes != (appointments, attempts):
        print(f"Seeding {appointments:,} appointments and {attempts:,} attempts into PostgreSQL …")
        started = time.perf_counter()
        empty_database(url)
        migrate_empty(url)
        seed(url, SeedSize(appointments=appointments, attempts=attempts), SEEDED_AT)
        print(f"Seeded in {time.perf_counter() - started:.1f} s")
    else:
        print("Reusing the PostgreSQL database of the same size; --fresh to seed again")
        migrate_empty(url)
    return SEEDED_AT


PASSWORD = "bench-password-2026"


def _user(role: Role, company_id: int | None) -> str:
    """A user of that role and scope (made once per file); its e-mail, to sign in with."""
    email = f"bench-signin-{role.value}-{company_id or 'all'}@bench.test"
    if db.session.scalar(select(User).where(User.email == email)) is None:
        create_user(email, PASSWORD, role, name="Bench", company_id=company_id)
    return email


def _measure(app: Any, email: str, path: str, requests: int, headers: dict[str, str]) -> dict[str, float]:
    client = app.test_client()
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    queries: list[int] = []
    counter = {"n": 0}

    def count(*_args: Any) -> None:
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(3):  # warm the page cache and the statement caches
            assert client.get(path, headers=headers).status_code == 200
        timings = []
        for _ in range(requests):
            counter["n"] = 0
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            queries.append(counter["n"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)],
        "max": timings[-1],
        "queries": statistics.median(queries),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--fresh", action="store_true", help="seed a new database even if a cached one exists")
    args = parser.parse_args(argv)
    sqlite_path = Path(tempfile.gettempdir()) / "sync_desk_bench" / f"health_{args.appointments}_{args.attempts}.sqlite"
    for name, url in chosen_databases(args.databases, f"sqlite:///{sqlite_path}"):
        if name == "sqlite":
            now = _sqlite(sqlite_path, args.appointments, args.attempts, args.fresh)
        else:
            now = _postgresql(url, args.appointments, args.attempts, args.fresh)
        _measure_database(name, url, now, args.requests)


def _measure_database(name: str, url: str, now: datetime, requests: int) -> None:
    views.clock = lambda: now  # the seeding moment, see the module docstring
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        everyone = _user(Role.ADMIN, None)
        one_company = _user(Role.MANAGER, 1)
        db.session.remove()

    print(f"\n== {name}: dashboard at {now.isoformat()}, {requests} requests each (after 3 warm-ups):")
    print(f"  {'request':<44} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8}")
    cases = [
        ("GET /health (page, all companies)", everyone, "/health", {}),
        ("GET /health (htmx fragment, all companies)", everyone, "/health", {"HX-Request": "true"}),
        ("GET /health.json (all companies)", everyone, "/health.json", {}),
        ("GET /health (page, one company)", one_company, "/health", {}),
        ("GET /health.json (one company)", one_company, "/health.json", {}),
    ]
    for label, email, path, headers in cases:
        figures = _measure(app, email, path, requests, headers)
        print(
            f"  {label:<44} {figures['median']:>6.1f}ms {figures['p95']:>6.1f}ms {figures['max']:>6.1f}ms"
            f" {figures['queries']:>8.0f}",
            flush=True,
        )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
