"""An action's server time besides Cal.com: the board's "Retry sync" on failed appointments, against the simulator.

Starts the local Cal.com simulator (its own process, port 0), a fresh database (SQLite, and PostgreSQL when
``BENCH_POSTGRES_URL`` names one of its own: it is emptied first) with a salon whose staff are Cal.com users with event
types (``bench.bulk_retry_run``'s set-up), and technical failures in free slots. Each is retried once through the
Flask test client as the board's button does (htmx POST with the row's version). The time inside HTTP calls to Cal.com
is measured at the pooled session (``ops_ui.calcom.client.pooled_session``) and taken off the request's time: what is
left is the server's own work (claim, writes, audit, the fresh row and its render). Printed per database: median and
p95 of both, SQL statements per action, and the goal (p95 < 10 ms).

Usage: ``python -m bench.review_actions [--actions 40] [--keep DIR] [--databases sqlite,postgresql]``;
``BENCH_PROFILE=1`` prints a profile of the measured actions, sorted by ``BENCH_PROFILE_SORT`` (default
``cumulative``, e.g. ``tottime``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

GOAL_P95_MS = 10.0
WARM_UPS = 3
PASSWORD = "bench-agent-password-2026"


@contextmanager
def http_time() -> Iterator[list[float]]:
    """Seconds spent in every Cal.com HTTP call made through this thread's pooled session while the block runs."""
    from ops_ui.calcom.client import pooled_session

    session = pooled_session()
    spent: list[float] = []
    original = session.request

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    session.request = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        session.request = original  # type: ignore[method-assign]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(folder: Path, actions: int) -> dict[str, float]:
    from flask_migrate import upgrade

    from bench.bulk_retry_run import failed_appointment, host_count, make_hosts, slot_start
    from bench.peer import recording
    from bench.slow_calcom import started, wait_for_line
    from calcom_simulator.admin_client import SimulatorAdmin
    from ops_ui import create_app
    from ops_ui.auth.service import create_user
    from ops_ui.extensions import db
    from ops_ui.models import Company, Role, Service

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        log = folder / "simulator.log"
        command = [sys.executable, "-m", "calcom_simulator", "--port", "0", "--db", str(folder / "calcom.sqlite")]
        simulator = stack.enter_context(started([*command, "--api-key", env["CALCOM_API_KEY"]], env, log, "sim", 15))
        url = wait_for_line(log, r"listening on (http://\S+)", simulator, 30).group(1)
        admin = SimulatorAdmin(url, timeout=60)
        app = create_app(
            {"CALCOM_API_URL": url, "CALCOM_API_KEY": env["CALCOM_API_KEY"], "WTF_CSRF_ENABLED": False}
            | {"RATE_BUDGET_FILE": str(folder / "rate-budget.sqlite"), "CALCOM_RATE_LIMIT_PER_MINUTE": 6000}
        )
        total = actions + WARM_UPS
        with app.app_context():
            upgrade()
            from datetime import UTC, datetime, timedelta
            from zoneinfo import ZoneInfo

            company = Company(name="Salon Bench", time_zone="Europe/Berlin")
            service = Service(company=company, name="Dauerwelle", duration_minutes=135)
            db.session.add_all([company, service])
            db.session.commit()
            hosts = make_hosts(admin, company, service, host_count(total))
            first_day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=1)
            rows = []
            for index in range(total):
                host, start = slot_start(first_day, index, len(hosts))
                rows.append(failed_appointment(company, service, hosts[host], start, index + 1))
            for row in rows:
                row.next_retry_at = datetime.now(UTC) + timedelta(days=30)
            db.session.add_all(rows)
            db.session.commit()
            targets = [(row.id, row.version) for row in rows]
            create_user("agent@salon-bench.de", PASSWORD, Role.AGENT, name="Bea Bench", company_id=company.id)
            db.session.remove()
        client = app.test_client()
        assert client.post("/login", data={"email": "agent@salon-bench.de", "password": PASSWORD}).status_code == 302
        server: list[float] = []
        calcom: list[float] = []
        statements: list[int] = []
        profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
        for number, (ident, version) in enumerate(targets):
            if profile and number == WARM_UPS:
                profile.enable()
            with recording(app) as recorded, http_time() as spent:
                started_at = time.perf_counter()
                response = client.post(
                    f"/review/{ident}/retry", data={"version": str(version)}, headers={"HX-Request": "true"}
                )
                elapsed = time.perf_counter() - started_at
            assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
            assert "row-resolved" in response.get_data(as_text=True), response.get_data(as_text=True)[:500]
            if number >= WARM_UPS:
                server.append((elapsed - sum(spent)) * 1000)
                calcom.append(sum(spent) * 1000)
                statements.append(len(recorded.statements))
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(60)
        with app.app_context():
            db.engine.dispose()
    return {
        "server_median": statistics.median(server),
        "server_p95": _p95(server),
        "calcom_median": statistics.median(calcom),
        "statements": statistics.median(statements),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--actions", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="folder for the databases and the simulator's log")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    from bench.seed_large import chosen_databases, empty_database

    with tempfile.TemporaryDirectory(prefix="review-actions-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for name, url in chosen_databases(args.databases, f"sqlite:///{folder / 'sync_desk.sqlite'}"):
            empty_database(url)
            os.environ["DATABASE_URL"] = url
            os.environ["SYNC_DESK_JOB_QUEUE_FILE"] = str(folder / f"jobs-{name}.sqlite")
            os.environ["CALCOM_API_KEY"] = f"cal_test_bench_actions_{secrets.token_hex(4)}"
            figures = measure(folder / name, args.actions)
            verdict = "ok" if figures["server_p95"] < GOAL_P95_MS else "OVER GOAL"
            print(
                f"{name}: retry sync, {args.actions} actions: server time besides Cal.com median"
                f" {figures['server_median']:.1f} ms, p95 {figures['server_p95']:.1f} ms (goal < {GOAL_P95_MS:.0f} ms:"
                f" {verdict}); Cal.com {figures['calcom_median']:.1f} ms median;"
                f" {figures['statements']:.0f} SQL statements per action",
                flush=True,
            )


if __name__ == "__main__":
    main()
