"""Slow Cal.com benchmark: every board action under gunicorn while the Cal.com simulator hangs.

Proves three things about the real deployment shape (gunicorn sync workers, ``deploy/gunicorn.conf.py``):

- every action answers within its deadline (``SYNC_DESK_ACTION_DEADLINE_SECONDS``, plus 5 s for storing the outcome
  and rendering) — gunicorn never has to kill a worker;
- the answer is a plain message for the agent (the toast), never a 500;
- Cal.com never holds two live bookings for one appointment, also after a write that Cal.com committed but whose
  answer never came back, and after the agent tries again once Cal.com is back.

It starts, in a temporary folder, the Cal.com simulator (own state file, free port), migrates a fresh SQLite database
and seeds the demo salon through ``flask seed-demo``, then serves the app with gunicorn. Signed in as the demo agent
(a ``requests.Session``, CSRF token from the pages, ``HX-Request: true`` like htmx), it takes failed appointments from
the board and runs each action (retry, reschedule to a free slot read from the reschedule panel, reassign to a staff
member the reassign panel shows free, cancel as a duplicate, contact + retry) in four rounds:

1. ``hang``: every ``/v2`` request hangs longer than the deadline (the simulator answers a 504 page much later);
2. ``hang-after-commit POST``: POSTs are carried out and committed, only their answers hang; lookups answer;
3. ``hang-after-commit all``: the same for every request, so the lookup after a lost answer is lost too;
4. ``after``: faults cleared, the last action again for every appointment the rounds before left unresolved.

The demo salon has only a few future failures, so more are made first by the real sync engine while Cal.com answers
503. Cancel prefers an appointment its round left uncertain (the one cancel that must ask Cal.com). Panels are
opened while Cal.com is healthy (as the agent did before it went bad); the fault is switched on just before the
action's POST. Prints one line per action and, per appointment touched, the live (not cancelled) simulator bookings
whose metadata ``syncDeskAppointmentId`` is that appointment. Exits 1 when an answer was 500 or more, had no
message, took longer than the deadline + 5 s, or an appointment has more than one live booking.

Usage: ``python -m bench.slow_calcom`` (deadline 6 s, Cal.com timeout 3 s, so a run takes a few minutes);
``--app-defaults`` uses the app's own defaults (20 s / 10 s); ``--deadline``/``--calcom-timeout`` set them;
``--per-action N`` appointments per action and round (default 2); ``--keep DIR`` keeps databases and logs.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import requests
from sqlalchemy import select

from calcom_simulator.admin_client import SimulatorAdmin
from ops_ui import create_app
from ops_ui.demo.catalogue import DEMO_LOGINS
from ops_ui.engine.booking import mapping_for, sync_appointment
from ops_ui.engine.gateway import calcom_client
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, SyncStatus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = "deploy/gunicorn.conf.py"
API_KEY = "cal_test_bench_slow_calcom"
SLACK_SECONDS = 5.0
"""An answer may take this much longer than the action deadline: storing the outcome, rendering the row."""
HANG_EXTRA_SECONDS = 10.0
"""The simulator hangs this much longer than the deadline, so no Cal.com answer ever arrives in time."""
ACTIONS = ("retry", "reschedule", "reassign", "cancel", "contact+retry")
HTMX = {"HX-Request": "true"}

ROW = re.compile(r'<tbody id="appt-(\d+)" class="([^"]*)" data-version="(\d+)">')
TOAST = re.compile(r'<div class="toast toast-(\w+)" role="\w+">\s*<span>(.*?)</span>', re.S)
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
SLOT = re.compile(r'name="start" value="([^"]+)"')
STAFF_BUTTON = re.compile(r'<button type="submit" name="staff_id" value="(\d+)"[^>]*?(disabled)?>', re.S)
MORE = re.compile(r'hx-get="(/review\?[^"]*after=[^"]*)"')


class BenchFailed(RuntimeError):
    """The stack could not be set up; nothing was measured."""


@dataclass(frozen=True)
class Settings:
    deadline: float
    calcom_timeout: float
    gunicorn_timeout: float
    graceful_timeout: float
    workers: int


@dataclass
class Outcome:
    round: str
    action: str
    appointment_id: int
    status: int | None
    seconds: float
    message: str
    problems: list[str] = field(default_factory=list)


# --- processes ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[Any], name: str, wait_seconds: float) -> None:
    """SIGTERM the process we started, then SIGKILL its process group (gunicorn's workers) if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=wait_seconds)
    except subprocess.TimeoutExpired:
        print(f"  {name} (pid {process.pid}) did not stop in {wait_seconds:.0f} s; killing it", flush=True)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def started(
    command: list[str], env: dict[str, str], log: Path, name: str, stop_wait: float
) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` in its own session (so Ctrl-C reaches only us and shutdown order stays ours)."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            stop(process, name, stop_wait)


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen[str], seconds: float) -> re.Match[str]:
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if match := re.search(pattern, log.read_text()):
            return match
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise BenchFailed(f"{' '.join(process.args)} did not start:\n{log.read_text()[-3000:]}")  # type: ignore[arg-type]


def wait_for_http(url: str, process: subprocess.Popen[str], log: Path, seconds: float) -> None:
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if process.poll() is not None:
            break
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise BenchFailed(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def flask_command(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchFailed(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def effective_settings(env: dict[str, str]) -> Settings:
    """What the app and gunicorn will really use, read by their own code with the environment they get."""
    probe = (
        "import json, runpy; from ops_ui.config import Config; c = Config(); "
        f"g = runpy.run_path({GUNICORN_CONFIG!r}); "
        "print(json.dumps([c.ACTION_DEADLINE_SECONDS, c.CALCOM_TIMEOUT_SECONDS, g['timeout'], "
        "g['graceful_timeout'], g['workers']]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    deadline, calcom_timeout, timeout, graceful, workers = json.loads(done.stdout)
    return Settings(float(deadline), float(calcom_timeout), float(timeout), float(graceful), int(workers))


def top_up_failed(env: dict[str, str], admin: SimulatorAdmin, count: int) -> list[int]:
    """Add ``count`` future appointments that failed to sync because Cal.com answered 503, made by the real engine.

    The demo salon has only a handful of future failures, most of them business ones that never reach Cal.com again
    (no staff, a placeholder e-mail). Each new one copies the customer, service and staff of a synced future
    appointment, at a time Cal.com offers free 8 to 28 days ahead (never overlapping another new one of the same
    Cal.com user), and is synced once while Cal.com answers its POST with a 503 and its lookups normally: a plain
    technical failure with no booking in Cal.com, as on any bad day.
    """
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "CALCOM_API_URL": env["CALCOM_API_URL"],
            "CALCOM_API_KEY": env["CALCOM_API_KEY"],
        }
    )
    made: list[int] = []
    with app.app_context():
        now = datetime.now(UTC)
        templates = db.session.scalars(
            select(Appointment)
            .where(
                Appointment.sync_status == SyncStatus.SYNCED,
                Appointment.status == AppointmentStatus.SCHEDULED,
                Appointment.starts_at > now + timedelta(days=1),
                Appointment.staff_id.is_not(None),
            )
            .order_by(Appointment.id)
        ).all()
        client = calcom_client()
        taken: dict[int | None, list[tuple[datetime, datetime]]] = {}
        for template in templates:
            if len(made) >= count:
                break
            mapping = mapping_for(template)
            if mapping is None or template.staff is None:
                continue
            zone = template.company.time_zone
            length = timedelta(minutes=template.service.duration_minutes)
            day = (now + timedelta(days=8 + len(made) % 20)).date()
            busy = taken.setdefault(template.staff.calcom_user_id, [])
            start = next(
                (
                    slot.start.astimezone(UTC)
                    for slot in client.get_slots(mapping.calcom_event_type_id, day, day + timedelta(days=1), zone)
                    if not any(slot.start < end and begin < slot.start + length for begin, end in busy)
                ),
                None,
            )
            if start is None:
                continue
            busy.append((start, start + length))
            appointment = Appointment(
                company_id=template.company_id,
                customer_id=template.customer_id,
                service_id=template.service_id,
                staff_id=template.staff_id,
                starts_at=start,
                ends_at=start + length,
                sync_status=SyncStatus.PENDING,
                source=template.source,
            )
            db.session.add(appointment)
            db.session.commit()
            admin.set_faults(method="POST", status=503, count=1)
            result = sync_appointment(appointment)
            admin.clear_faults()
            if result.synced:
                raise BenchFailed(f"appointment {appointment.id} synced although Cal.com answered 503")
            made.append(appointment.id)
        db.session.remove()
        db.engine.dispose()
    return made


# --- the agent's browser -----------------------------------------------------------------------------------------


class Agent:
    """A signed-in agent speaking to the board like htmx does (``HX-Request``, ``X-CSRFToken``)."""

    def __init__(self, base_url: str, request_timeout: float) -> None:
        self.base_url = base_url
        self.timeout = request_timeout
        self.session = requests.Session()
        self.csrf = ""

    def sign_in(self, email: str, password: str) -> None:
        page = self.session.get(f"{self.base_url}/login", timeout=self.timeout)
        token = FORM_CSRF.search(page.text)
        if token is None:
            raise BenchFailed("no csrf_token on the login page")
        answer = self.session.post(
            f"{self.base_url}/login",
            data={"csrf_token": token.group(1), "email": email, "password": password, "next": ""},
            timeout=self.timeout,
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise BenchFailed(f"sign-in as {email} answered {answer.status_code}: {answer.text[:500]}")
        board = self.session.get(f"{self.base_url}/review", timeout=self.timeout)  # the new session's token
        match = META_CSRF.search(board.text)
        if board.status_code != 200 or match is None:
            raise BenchFailed(f"the board answered {board.status_code} without a CSRF token")
        self.csrf = match.group(1)

    def get(self, path: str) -> requests.Response:
        answer = self.session.get(f"{self.base_url}{path}", headers=HTMX, timeout=self.timeout)
        if answer.status_code != 200:
            raise BenchFailed(f"GET {path} answered {answer.status_code}: {answer.text[:500]}")
        return answer

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.session.post(
            f"{self.base_url}{path}",
            data={"csrf_token": self.csrf, **data},
            headers={**HTMX, "X-CSRFToken": self.csrf},
            timeout=self.timeout,
        )

    def failed_ids(self) -> list[int]:
        """Every appointment on the default board (the failed queue), following "Load more"."""
        ids: list[int] = []
        path: str | None = "/review"
        while path:
            text = self.get(path).text
            ids += [int(match.group(1)) for match in ROW.finditer(text)]
            more = MORE.search(text)
            path = html.unescape(more.group(1)) if more else None
        return list(dict.fromkeys(ids))

    def row(self, appointment_id: int) -> tuple[str, int]:
        """The row's CSS classes and version as the board shows it now."""
        match = ROW.search(self.get(f"/review/{appointment_id}/row").text)
        if match is None:
            raise BenchFailed(f"no row for appointment {appointment_id}")
        return match.group(2), int(match.group(3))


def version_of(text: str) -> int:
    match = ROW.search(text)
    if match is None:
        raise BenchFailed("a panel without its row")
    return int(match.group(3))


def first_message(text: str) -> str:
    """The first line of the toast the answer carries, or (no toast) of the answer's visible text."""
    toast = TOAST.search(text)
    words = html.unescape(toast.group(2) if toast is not None else re.sub(r"<[^>]+>", " ", text))
    lines = [line.strip() for line in words.splitlines() if line.strip()]
    return lines[0] if lines else ""


# --- preparing each action (Cal.com healthy) ---------------------------------------------------------------------

Prepared = tuple[str, dict[str, str]]
"""The action's URL and its form fields, read from the panel the agent opened."""


def prepare(agent: Agent, action: str, appointment_id: int) -> Prepared | None:
    """Open the action's panel like the agent would; None when this appointment offers nothing to pick."""
    base = f"/review/{appointment_id}"
    if action == "retry":
        return f"{base}/retry", {"version": str(agent.row(appointment_id)[1])}
    if action == "reschedule":
        text = agent.get(f"{base}/reschedule").text
        slots = SLOT.findall(text)
        if not slots:
            return None
        # The latest free time: the other failed appointments (unknown to Cal.com) sit early in their days.
        return f"{base}/reschedule", {"version": str(version_of(text)), "start": html.unescape(slots[-1])}
    if action == "reassign":
        text = agent.get(f"{base}/reassign").text
        free = [staff for staff, disabled in STAFF_BUTTON.findall(text) if not disabled]
        if not free:
            return None
        return f"{base}/reassign", {"version": str(version_of(text)), "staff_id": free[0]}
    if action == "cancel":
        text = agent.get(f"{base}/cancel").text
        return f"{base}/cancel", {"version": str(version_of(text)), "reason_code": "duplicate", "reason_text": ""}
    if action == "contact+retry":
        text = agent.get(f"{base}/contact").text
        return f"{base}/contact", {
            "version": str(version_of(text)),
            "email": f"kundin-{appointment_id}@friseur-bench.de",
            "phone": "+49 30 1234567",
            "and_retry": "1",
        }
    raise ValueError(action)


# --- running -----------------------------------------------------------------------------------------------------


def fault_rounds(hang: float) -> dict[str, dict[str, Any]]:
    """The simulator faults, by the name the table shows, each switched on just before an action's POST.

    ``hang``: nothing reaches Cal.com's handlers. ``hang-after-commit POST``: writes are done, their answers are
    late, lookups answer. ``hang-after-commit all``: writes are done and the lookups that would find them are late
    too, so the action cannot know and must leave the appointment uncertain for the next one to settle.
    """
    return {
        "hang": {"hangSeconds": hang, "pathPrefix": "/v2"},
        "hang-after-commit POST": {"hangAfterCommitSeconds": hang, "method": "POST", "pathPrefix": "/v2"},
        "hang-after-commit all": {"hangAfterCommitSeconds": hang, "pathPrefix": "/v2"},
    }


class Bench:
    def __init__(self, agent: Agent, admin: SimulatorAdmin, settings: Settings, per_action: int) -> None:
        self.agent = agent
        self.admin = admin
        self.settings = settings
        self.per_action = per_action
        self.limit = settings.deadline + SLACK_SECONDS
        self.hang = settings.deadline + HANG_EXTRA_SECONDS
        self.outcomes: list[Outcome] = []
        self.touched: dict[int, list[str]] = {}
        """Appointment id → the actions it got, in order (the "after" round repeats the last one)."""

    def run(self, pool: list[int]) -> None:
        pool = list(pool)
        self.header()
        for fault, spec in fault_rounds(self.hang).items():
            this_round: list[int] = []
            for action in ACTIONS:
                for _ in range(self.per_action):
                    picked = self.pick(pool, this_round, action)
                    if picked is None:
                        print(f"  (no appointment left that offers {action}; skipped)", flush=True)
                        break
                    appointment_id, prepared = picked
                    if appointment_id in pool:
                        pool.remove(appointment_id)
                    this_round.append(appointment_id)
                    self.touched.setdefault(appointment_id, []).append(action)
                    self.act(fault, action, appointment_id, prepared, partial(self.admin.set_faults, **spec))
        self.admin.clear_faults()
        for appointment_id, actions in self.touched.items():
            classes, _ = self.agent.row(appointment_id)
            if "row-resolved" in classes:
                continue
            again = prepare(self.agent, actions[-1], appointment_id)
            if again is None:
                print(f"  (#{appointment_id}: {actions[-1]} offers nothing to pick any more; not repeated)", flush=True)
                continue
            self.act("after", actions[-1], appointment_id, again, lambda: None)

    def pick(self, pool: list[int], this_round: list[int], action: str) -> tuple[int, Prepared] | None:
        """The next appointment this action can be tried on, its panel read while Cal.com answers.

        Cancel goes first to an appointment this round left uncertain (Cal.com may hold a booking for it): that is
        the cancel that has to talk to Cal.com. A failed appointment without any booking is cancelled locally.
        """
        self.admin.clear_faults()
        candidates = list(pool)
        if action == "cancel":
            uncertain = [i for i in this_round if "badge-uncertain" in self.agent.get(f"/review/{i}/row").text]
            candidates = [i for i in uncertain if "cancel" not in self.touched.get(i, [])] + candidates
        for appointment_id in candidates:
            prepared = prepare(self.agent, action, appointment_id)
            if prepared is not None:
                return appointment_id, prepared
        return None

    def act(
        self, fault: str, action: str, appointment_id: int, prepared: Prepared, switch_on: Callable[[], Any]
    ) -> None:
        path, data = prepared
        switch_on()
        started_at = time.monotonic()
        try:
            answer = self.agent.post(path, data)
            status: int | None = answer.status_code
            message = first_message(answer.text)
        except requests.RequestException as error:  # gunicorn killed the worker, or we gave up waiting
            status, message = None, f"no answer: {type(error).__name__}: {error}"
        seconds = time.monotonic() - started_at
        self.admin.clear_faults()
        outcome = Outcome(fault, action, appointment_id, status, seconds, message)
        if status is None or status >= 500:
            outcome.problems.append("no answer" if status is None else f"HTTP {status}")
        if seconds > self.limit:
            outcome.problems.append(f"over {self.limit:.0f} s")
        if status is not None and not message:
            outcome.problems.append("no message")
        self.outcomes.append(outcome)
        self.line(outcome)

    def header(self) -> None:
        print(f"{'fault':<22} {'action':<14} {'appt':>5} {'HTTP':>4} {'seconds':>7}  {'verdict':<10} message")
        print("-" * 120)

    def line(self, o: Outcome) -> None:
        verdict = "ok" if not o.problems else "FAIL: " + ", ".join(o.problems)
        status = str(o.status) if o.status is not None else "—"
        print(
            f"{o.round:<22} {o.action:<14} {o.appointment_id:>5} {status:>4} {o.seconds:7.2f}  {verdict:<10}"
            f" {o.message}",
            flush=True,
        )

    def bookings_report(self) -> list[int]:
        """Per appointment touched: its live simulator bookings; returns the ids with more than one."""
        live: dict[int, list[dict[str, Any]]] = {appointment_id: [] for appointment_id in self.touched}
        for booking in self.admin.bookings():
            owner = (booking.get("metadata") or {}).get("syncDeskAppointmentId")
            if owner is None or booking.get("status") == "cancelled":
                continue
            try:
                appointment_id = int(owner)
            except (TypeError, ValueError):
                continue
            if appointment_id in live:
                live[appointment_id].append(booking)
        print(f"\nLive Cal.com bookings per appointment touched ({len(live)}):")
        print(f"{'appt':>5}  {'actions':<22} {'live':>4}  {'board now':<34} live booking uids")
        doubled = []
        for appointment_id, actions in self.touched.items():
            action = ", ".join(actions)
            classes, _ = self.agent.row(appointment_id)
            state = " ".join(name for name in classes.split() if name.startswith("row-"))
            uids = ", ".join(f"{b['uid']} ({b['status']})" for b in live[appointment_id]) or "—"
            flag = "  DOUBLE BOOKED" if len(live[appointment_id]) > 1 else ""
            print(f"{appointment_id:>5}  {action:<22} {len(live[appointment_id]):>4}  {state:<34} {uids}{flag}")
            if len(live[appointment_id]) > 1:
                doubled.append(appointment_id)
        return doubled


# --- main --------------------------------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(130)


def child_env(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("SYNC_DESK_ACTION_DEADLINE_SECONDS", "CALCOM_TIMEOUT_SECONDS"):
        env.pop(name, None)
    if not args.app_defaults:
        env["SYNC_DESK_ACTION_DEADLINE_SECONDS"] = str(args.deadline)
        env["CALCOM_TIMEOUT_SECONDS"] = str(args.calcom_timeout)
    env |= {
        "DATABASE_URL": f"sqlite:///{folder / 'sync_desk.sqlite'}",
        "CALCOM_API_KEY": API_KEY,
        "SECRET_KEY": secrets.token_hex(32),
        "SYNC_DESK_ENV": "development",
        "SYNC_DESK_WEB_WORKERS": str(args.workers),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CALCOM_SIM_DB", None)
    return env


def run(args: argparse.Namespace, folder: Path) -> int:
    env = child_env(args, folder)
    settings = effective_settings(env)
    print(
        f"Action deadline {settings.deadline:g} s, Cal.com timeout {settings.calcom_timeout:g} s per call; gunicorn "
        f"timeout {settings.gunicorn_timeout:g} s, graceful {settings.graceful_timeout:g} s, {settings.workers} "
        f"workers; an answer may take up to {settings.deadline + SLACK_SECONDS:g} s. Files in {folder}",
        flush=True,
    )
    if settings.gunicorn_timeout <= settings.deadline:
        print("FAIL: gunicorn's timeout is not above the action deadline")
        return 1
    with ExitStack() as stack:
        sim_log = folder / "simulator.log"
        sim_db = str(folder / "calcom-simulator.sqlite")
        sim_command = [sys.executable, "-m", "calcom_simulator", "--port", "0", "--db", sim_db]
        simulator = stack.enter_context(started([*sim_command, "--api-key", API_KEY], env, sim_log, "simulator", 15))
        sim_url = wait_for_line(sim_log, r"listening on (http://\S+)", simulator, 30).group(1)
        env["CALCOM_API_URL"] = sim_url
        admin = SimulatorAdmin(sim_url)

        print("Migrating and seeding the demo salon…", flush=True)
        flask_command(env, "db", "upgrade")
        seeded = flask_command(env, "seed-demo")
        print("  " + seeded.splitlines()[0], flush=True)
        admin.set_rate_limit(limit=100_000)  # Cal.com's throttling is not what this measures
        wanted = len(fault_rounds(0)) * len(ACTIONS) * args.per_action
        added = set(top_up_failed(env, admin, wanted))
        print(f"  {len(added)} more future appointments failed to sync (Cal.com answered 503)", flush=True)

        app_log = folder / "gunicorn.log"
        port = free_port()
        env["SYNC_DESK_BIND"] = f"127.0.0.1:{port}"
        gunicorn_command = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "--no-control-socket", "app:app"]
        gunicorn = stack.enter_context(
            started(gunicorn_command, env, app_log, "gunicorn", settings.graceful_timeout + 5)
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/login", gunicorn, app_log, 60)
        print(f"gunicorn serving {base_url} (pid {gunicorn.pid}), simulator {sim_url} (pid {simulator.pid})\n")

        agent = Agent(base_url, request_timeout=settings.gunicorn_timeout + 15)
        login = next(login for login in DEMO_LOGINS if login.role == "agent")
        agent.sign_in(login.email, login.password)
        board = agent.failed_ids()
        pool = [i for i in board if i in added] + [i for i in board if i not in added]
        print(f"{len(board)} failed appointments on the board; {args.per_action} per action and fault\n", flush=True)
        bench = Bench(agent, admin, settings, args.per_action)
        bench.run(pool)
        doubled = bench.bookings_report()

        failures = [o for o in bench.outcomes if o.problems]
        worst = max((o.seconds for o in bench.outcomes), default=0.0)
        killed = re.findall(r".*WORKER TIMEOUT.*", app_log.read_text())
        print(
            f"\n{len(bench.outcomes)} actions, slowest {worst:.2f} s (limit {bench.limit:g} s); "
            f"{len(failures)} failed; {len(doubled)} appointments double-booked; "
            f"{len(killed)} gunicorn worker timeouts."
        )
        if failures or doubled or killed:
            errors = [line for line in app_log.read_text().splitlines() if " 500 " in line or "Traceback" in line]
            if errors:
                print("\ngunicorn log lines about errors:\n  " + "\n  ".join(errors[-20:]))
            for line in killed:
                print("  " + line)
            return 1
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=6.0, help="SYNC_DESK_ACTION_DEADLINE_SECONDS (default 6)")
    parser.add_argument("--calcom-timeout", type=float, default=3.0, help="CALCOM_TIMEOUT_SECONDS (default 3)")
    parser.add_argument(
        "--app-defaults", action="store_true", help="leave both unset: the app's defaults (20 s and 10 s)"
    )
    parser.add_argument("--workers", type=int, default=3, help="SYNC_DESK_WEB_WORKERS (default 3)")
    parser.add_argument("--per-action", type=int, default=2, help="appointments per action and fault (default 2)")
    parser.add_argument("--keep", type=Path, help="folder to keep the databases and logs in")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # so the processes are stopped on kill as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C even when started with SIGINT ignored (`&`)

    try:
        with tempfile.TemporaryDirectory(prefix="slow-calcom-bench-") as temporary:
            folder = args.keep or Path(temporary)
            folder.mkdir(parents=True, exist_ok=True)
            code = run(args, folder.resolve())
    except BenchFailed as failure:
        print(f"\nbench could not run: {failure}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("\ninterrupted; simulator and gunicorn stopped", file=sys.stderr)
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
