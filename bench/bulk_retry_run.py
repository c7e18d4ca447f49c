"""One run of ``bench.bulk_retry`` in a process of its own; started by it, with the run's environment already set.

The job queue is built when ``ops_ui`` is imported (``ops_ui.jobs.queue``), from ``SYNC_DESK_JOB_QUEUE_FILE``; the
parent sets that, ``SYNC_DESK_RATE_BUDGET_FILE``, ``DATABASE_URL``, ``CALCOM_API_KEY`` and
``CALCOM_RATE_LIMIT_PER_MINUTE`` before this module is loaded, so the bench process enqueues into the very queue the
workers read. See ``bench.bulk_retry`` for what is set up and measured; the figures go to ``figures.json`` in the
run's folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from bench.bulk_retry import FIGURES_FILE, Figures, completed_window_ratio
from bench.slow_calcom import BenchFailed, started, stop, wait_for_line
from calcom_simulator.admin_client import SimulatorAdmin
from ops_ui import create_app
from ops_ui.actions.bulk_retry import progress, start_bulk_retry
from ops_ui.auth.service import create_user
from ops_ui.categories import ErrorCategory
from ops_ui.config import Config
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.jobs.queue import worker_command
from ops_ui.models import (
    Appointment,
    AppointmentSource,
    BulkItemOutcome,
    BulkRun,
    BulkRunItem,
    Company,
    Customer,
    EventTypeMapping,
    Role,
    Service,
    Staff,
    SyncAttempt,
    SyncStatus,
)

TIME_ZONE = "Europe/Berlin"
OPENS, CLOSES = clock(6, 0), clock(20, 0)
OPENING_HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "startTime": "06:00", "endTime": "20:00"}]
"""Open every day, so the run does not depend on the weekday it starts on."""
LENGTH = 135
"""Slots start at the opening time and every 135 minutes: 06:00, 08:15, 10:30, 12:45, 15:00, 17:15."""
SLOTS_PER_DAY = (CLOSES.hour * 60 + CLOSES.minute - OPENS.hour * 60 - OPENS.minute) // LENGTH
DAYS = 14
"""The appointments are spread over this many days from tomorrow; the number of hosts follows from it."""
NEXT_RETRY_IN = timedelta(days=30)
"""The failures' own back-off: far enough that the workers' due pass never takes one before the bulk run does."""
AGENT_PASSWORD = "bench-agent-password-2026"
POLL_SECONDS = 1.0
REPORT_EVERY_SECONDS = 15.0
WORKER_STOP_SECONDS = 60.0
"""SIGINT lets a worker finish its job (a due pass may take up to 50 s) before it is killed."""


# --- the salon ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Host:
    staff_id: int
    event_type_id: int


def host_count(items: int) -> int:
    return max(1, math.ceil(items / (SLOTS_PER_DAY * DAYS)))


def slot_start(first_day: date, index: int, hosts: int) -> tuple[int, datetime]:
    """Item ``index``'s host and start: hosts take turns, each host's items go day by day, then slot by slot."""
    host, turn = index % hosts, index // hosts
    day = first_day + timedelta(days=turn % DAYS)
    local = datetime.combine(day, OPENS, ZoneInfo(TIME_ZONE)) + timedelta(minutes=LENGTH * (turn // DAYS))
    return host, local.astimezone(UTC)


def make_hosts(admin: SimulatorAdmin, company: Company, service: Service, count: int) -> list[Host]:
    """``count`` staff members, each a Cal.com user with one event type for the service, mapped locally."""
    hosts = []
    for number in range(1, count + 1):
        name = f"Stylist {number:02d}"
        email = f"stylist-{number:02d}@salon-bench.de"
        user = admin.create_user(name, email, time_zone=TIME_ZONE, working_hours=OPENING_HOURS)
        event_type = admin.create_event_type(f"{service.name} bei {name}", f"bench-{user['id']}", LENGTH, user["id"])
        staff = Staff(company_id=company.id, name=name, email=email, calcom_user_id=user["id"])
        db.session.add(staff)
        db.session.flush()
        db.session.add(
            EventTypeMapping(service_id=service.id, staff_id=staff.id, calcom_event_type_id=event_type["id"])
        )
        hosts.append(Host(staff.id, event_type["id"]))
    db.session.commit()
    return hosts


def failed_appointment(company: Company, service: Service, host: Host, start: datetime, number: int) -> Appointment:
    """A technical failure as the first attempt left it, waiting for its back-off (30 days, see NEXT_RETRY_IN)."""
    now = datetime.now(UTC)
    customer = Customer(
        company_id=company.id, name=f"Kundin {number:04d}", email=f"kundin-{number:04d}@friseur-bench.de"
    )
    return Appointment(
        company=company,
        customer=customer,
        service=service,
        staff_id=host.staff_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=LENGTH),
        sync_status=SyncStatus.FAILED,
        source=AppointmentSource.VOICE_AGENT,
        last_error_category=ErrorCategory.SERVER_ERROR,
        last_error_message="Cal.com answered 503 Service Unavailable",
        last_error_status=503,
        attempt_count=1,
        last_attempt_at=now,
        failed_since=now,
        next_retry_at=now + NEXT_RETRY_IN,
    )


def seed_and_start(admin: SimulatorAdmin, items: int) -> int:
    """The salon and its ``items`` failed appointments; then the agent's bulk retry of all of them (its id)."""
    company = Company(name="Salon Bench", time_zone=TIME_ZONE)
    service = Service(company=company, name="Dauerwelle", duration_minutes=LENGTH)
    db.session.add_all([company, service])
    db.session.commit()
    hosts = make_hosts(admin, company, service, host_count(items))
    first_day = datetime.now(ZoneInfo(TIME_ZONE)).date() + timedelta(days=1)
    appointments = []
    for index in range(items):
        host, start = slot_start(first_day, index, len(hosts))
        appointments.append(failed_appointment(company, service, hosts[host], start, index + 1))
    db.session.add_all(appointments)
    db.session.commit()
    agent = create_user("agent@salon-bench.de", AGENT_PASSWORD, Role.AGENT, name="Bea Bench", company_id=company.id)
    run = start_bulk_retry(agent, [row.id for row in appointments], include_unchanged=False)
    if run.total != items:
        raise BenchFailed(f"the bulk retry took {run.total} of {items} appointments")
    return run.id


# --- the workers -------------------------------------------------------------------------------------------------


def start_workers(
    stack: ExitStack, env: dict[str, str], folder: Path, count: int, max_delay: float | None
) -> list[subprocess.Popen[str]]:
    """``count`` consumers as deployed (one worker thread each, periodic due pass on), in their own sessions."""
    command = worker_command(workers=1)
    if max_delay is not None:
        command += ["--max-delay", str(max_delay)]
    return [
        stack.enter_context(started(command, env, folder / f"worker-{n}.log", f"worker {n}", 15)) for n in range(count)
    ]


def interrupt(workers: list[subprocess.Popen[str]]) -> None:
    """huey's graceful stop: each worker finishes its running job, then exits; one that does not is killed."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
    limit = time.monotonic() + WORKER_STOP_SECONDS
    for number, worker in enumerate(workers):
        try:
            worker.wait(timeout=max(0.1, limit - time.monotonic()))
        except subprocess.TimeoutExpired:
            stop(worker, f"worker {number}", 5)


def check_alive(workers: list[subprocess.Popen[str]], folder: Path) -> None:
    for number, worker in enumerate(workers):
        if worker.poll() is not None:
            log = (folder / f"worker-{number}.log").read_text()[-3000:]
            raise BenchFailed(f"worker {number} exited with {worker.returncode}:\n{log}")


def wait_until_done(
    app: Flask, run_id: int, workers: list[subprocess.Popen[str]], folder: Path, seconds: float
) -> None:
    """Poll the database until every item has an outcome (or ``seconds`` passed); a line every 15 s."""
    started_at = time.monotonic()
    next_report = started_at + REPORT_EVERY_SECONDS
    while time.monotonic() - started_at < seconds:
        check_alive(workers, folder)
        with app.app_context():
            run = db.session.get(BulkRun, run_id)
            assert run is not None
            state = progress(run)
        if state.finished or state.done >= run.total:
            return
        if time.monotonic() >= next_report:
            next_report += REPORT_EVERY_SECONDS
            elapsed = time.monotonic() - started_at
            print(f"  {elapsed:5.0f} s: {state.done}/{run.total} done ({state.synced} synced)", flush=True)
        time.sleep(POLL_SECONDS)
    print(f"  gave up waiting after {seconds:.0f} s", flush=True)


def patience(items: int, limit: int) -> float:
    """How long the run may take: its windows with room to spare, plus the workers' start."""
    windows = math.ceil(items / max(1, limit - 2))
    return 120.0 + windows * 120.0


# --- measuring ---------------------------------------------------------------------------------------------------


def double_booked(admin: SimulatorAdmin, appointment_ids: set[int]) -> int:
    """Appointments of the run with more than one live booking that carries their id."""
    live: Counter[int] = Counter()
    for booking in admin.bookings():
        owner = (booking.get("metadata") or {}).get(METADATA_KEY)
        if booking.get("status") == "cancelled" or owner is None or not str(owner).isdigit():
            continue
        if int(owner) in appointment_ids:
            live[int(owner)] += 1
    return sum(1 for count in live.values() if count > 1)


def failed_by_rate_limit(run: BulkRun, appointment_ids: set[int]) -> int:
    """Items failed with ``RATE_LIMITED``, and appointments of the run whose last error is the rate limit."""
    items = db.session.scalars(
        select(BulkRunItem.appointment_id).where(
            BulkRunItem.run_id == run.id,
            BulkRunItem.outcome == BulkItemOutcome.FAILED,
            BulkRunItem.error_category == ErrorCategory.RATE_LIMITED,
        )
    ).all()
    appointments = db.session.scalars(
        select(Appointment.id).where(
            Appointment.id.in_(appointment_ids), Appointment.last_error_category == ErrorCategory.RATE_LIMITED
        )
    ).all()
    return len(set(items) | set(appointments))


def measure(admin: SimulatorAdmin, run_id: int, limit: int, workers: int) -> Figures:
    run = db.session.get(BulkRun, run_id)
    assert run is not None
    ids = set(db.session.scalars(select(BulkRunItem.appointment_id).where(BulkRunItem.run_id == run.id)))
    attempts = db.session.execute(
        select(SyncAttempt.at, SyncAttempt.response_status)
        .where(SyncAttempt.at >= run.started_at)
        .order_by(SyncAttempt.at)
    ).all()
    times = [at.timestamp() for at, _ in attempts]
    windows, ratio = completed_window_ratio(times, limit)
    state = progress(run)
    return Figures(
        items=run.total,
        limit=limit,
        workers=workers,
        wall_seconds=times[-1] - times[0] if times else 0.0,
        calls=len(attempts),
        answers_429=sum(1 for _, status in attempts if status == 429),
        windows=windows,
        ratio=ratio,
        failed_by_rate_limit=failed_by_rate_limit(run, ids),
        double_booked=double_booked(admin, ids),
        synced=state.synced,
        failed=state.failed,
        skipped=state.skipped,
        waiting=run.total - state.done,
        failed_by_category=state.failed_by_category,
    )


# --- main --------------------------------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(130)  # so the ExitStack stops the simulator and the workers, as on Ctrl-C


def check_environment(folder: Path) -> None:
    """Refuse to run on anything but the run's own files (started by hand, the queue would be ``instance/``'s)."""
    config = Config()
    for name, value in (
        ("SYNC_DESK_JOB_QUEUE_FILE", config.JOB_QUEUE_FILE),
        ("DATABASE_URL", config.SQLALCHEMY_DATABASE_URI),
    ):
        if str(folder) not in value:
            raise BenchFailed(f"{name} is not in {folder}; run python -m bench.bulk_retry instead")


def start_simulator(stack: ExitStack, env: dict[str, str], folder: Path, limit: int) -> SimulatorAdmin:
    """The run's Cal.com simulator (its own state file in ``folder``, the run's API key and rate limit) until
    ``stack`` closes; ``env`` gets its ``CALCOM_API_URL``."""
    sim_log = folder / "simulator.log"
    sim_command = [sys.executable, "-m", "calcom_simulator", "--port", "0", "--db", str(folder / "calcom.sqlite")]
    sim_command += ["--api-key", env["CALCOM_API_KEY"]]
    simulator = stack.enter_context(started(sim_command, env, sim_log, "simulator", 15))
    env["CALCOM_API_URL"] = wait_for_line(sim_log, r"listening on (http://\S+)", simulator, 30).group(1)
    admin = SimulatorAdmin(env["CALCOM_API_URL"], timeout=60)
    admin.set_rate_limit(limit=limit, window_seconds=60, block_seconds=60)
    return admin


def run(args: argparse.Namespace) -> Figures:
    folder: Path = args.folder
    check_environment(folder)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with ExitStack() as stack:
        admin = start_simulator(stack, env, folder, args.limit)
        app = create_app({"CALCOM_API_URL": env["CALCOM_API_URL"]})
        with app.app_context():
            upgrade()
            run_id = seed_and_start(admin, args.items)
        print(f"{args.items} items at {args.limit}/min: queued; {args.workers} workers starting ({folder})", flush=True)
        workers = start_workers(stack, env, folder, args.workers, args.poll_max_delay)
        wait_until_done(app, run_id, workers, folder, patience(args.items, args.limit))
        interrupt(workers)
        with app.app_context():
            figures = measure(admin, run_id, args.limit, args.workers)
            db.session.remove()
            db.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--poll-max-delay", type=float)
    parser.add_argument("--folder", type=lambda text: Path(text).resolve(), required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        figures = run(args)
    except BenchFailed as failure:
        print(f"\nbench could not run: {failure}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    data: dict[str, Any] = asdict(figures)
    (args.folder / FIGURES_FILE).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
