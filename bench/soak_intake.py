"""Intake soak: the phone agent's function calls over real HTTP while Cal.com fails a fifth of its requests.

Proves, for the deployment shape of one machine (gunicorn serving the app, a ``huey_consumer`` job worker, SQLite),
that whatever Cal.com does, a caller is told "booked" only when it is true and nothing is booked twice:

- no desync: every call marked ``booking_confirmed`` has its appointment, and that appointment is synced with a
  live Cal.com booking (or, when the caller cancelled it later, is cancelled here and in Cal.com);
- no answer said ``confirmed`` while Cal.com held no live booking carrying its appointment's id at that moment
  (the booking's ``createdAt``, and for a cancelled one ``updatedAt``, against the moment the answer arrived), nor
  for an appointment that is not in step now (same exception as above). The first half catches a "booked" the engine
  only made true afterwards, which the state at the end no longer shows;
- no duplicate Cal.com booking: no appointment with two live bookings carrying its id (metadata
  ``syncDeskAppointmentId``), no two live bookings of one host overlapping (one start included), no customer with
  two live bookings at one start;
- no appointment failed without its full error text (``sync_status`` failed, ``last_error_message`` empty);
- the reconciliation run afterwards (``ops_ui.reconcile.run.reconcile_company``) finds no mismatch, and runs;
- and, beyond the brief: a request re-sent identically (the platform's retry) is answered exactly as the first
  time, every request got an answer below 500, and the engine left nothing due.

Each run happens in a fresh folder and in a child process of its own (``bench.soak_intake_run``): the job queue is
built when ``ops_ui`` is imported, so the environment naming the run's database, queue and rate budget must be set
before that, and this process never imports ``ops_ui``. The child starts the Cal.com simulator (own state file, free
port, own API key) with its rate limit raised to ``--limit`` (6,000 per minute by default) and gives the app the same
``CALCOM_RATE_LIMIT_PER_MINUTE``: a thousand function calls make several thousand Cal.com requests (a free-times
check asks for every staff member's slots), which at Cal.com's real 120 per minute would take half an hour or more
and measure the rate budget instead of the intake. ``CALCOM_TIMEOUT_SECONDS`` is 2, so a hang is a timeout within
seconds. It migrates a fresh SQLite database, seeds one salon with a phone number, two services (Dauerwelle, 135
minutes; Haarschnitt, 45) and seven staff members, each a simulator user open every day 06:00–20:00 with one event
type per service mapped locally, serves the app with ``gunicorn -c deploy/gunicorn.conf.py`` (4 sync workers as
deployed; ``--threads 2`` gives each two threads, which measured slower here: a kept-alive connection waits behind
its worker's hung requests) on a free port, and starts one job worker (the engine's periodic due pass, as deployed).

Workload: ``--calls`` signed function calls (default 1,000, re-sends included) from ``--callers`` concurrent callers
(8 threads, each with its own ``PhoneAgentPlatform`` and ``requests.Session``), one conversation (call id) after
another: mostly a new customer who checks free times for a day (about half of them) and books one of the times the
answer offered, or a time on the service's slot grid over the next 10 days, sometimes naming the staff member, and
sometimes cancels it again in the same call; some callers ring again and book exactly what they booked before
(same name, e-mail or number, service and start, new call id) or cancel it from a new call; 8 % ring from a withheld
number (``anonymous_<digits>_<hex>``), most of those giving an e-mail. One request in ten is sent a second time with
the same body, as the platform does when an answer was lost. The mix comes out at about 30 % free-times checks, 55 %
bookings and 15 % cancellations (printed per run).

Faults: the simulator holds one fault at a time; every ``--rotate-every`` requests (10) the child switches to the
next kind, each hitting 20 % of all ``/v2`` requests: a timeout (hang 1.5 s beyond the client's timeout), a hang
after the request was committed (a booking made whose answer is lost), 500, a proxy's HTML 502, malformed JSON. A
429 is injected too, but only in the last phase: an injected 429 carries no ``X-RateLimit-Reset``, so the rate
budget blocks every process for Cal.com's whole minute (CONTRACT §8) and every caller in it hears "calendar
unreachable" — in every phase it would make most of the soak that one minute. The number of requests the simulator
really faulted per kind is read from its fault counter (``count`` is consumed only by requests a fault hits; a
request faulted in the milliseconds between reading and switching may be missed).

Then the faults are cleared, the job worker is stopped, and the engine finishes: due passes
(``ops_ui.engine.due.run_due_pass``) run in the child until nothing is due, with ``now`` two hours ahead, so the
request's lease (~50 s), the wait before an unanswered write is looked up (``UNSETTLED_AFTER``) and the back-off of
a second or third failure (5, 15 minutes) need not be waited out; the rate budget's own block after the 429 is real
time and is waited for (up to a minute; ``--lift-429-block`` lifts it at once instead: the simulator's limiter never
blocked the key, only its fault injector said so). Then the reconciliation runs once, in-process, and the figures
are taken from the database, the simulator's bookings and what the callers heard.

Figures: calls sent, conversations, the function mix, re-sends and duplicates; answers by status; confirmed answers
and confirmed calls; the goals above; answer time p50/p95/max in ms per function call as the platform saw it
(including its own retries); the faults injected per kind; appointments by sync status and failures by category;
wall time (whole run) and the time of the calls and of the settling. Prints a table; ``--json`` prints the figures
as one JSON object instead. Exits 1 when a goal is missed, 2 when the run could not be set up.

Usage: ``python -m bench.soak_intake`` (1,000 calls; about eight minutes, most of it Cal.com hanging); ``--calls N``;
``--callers C``; ``--threads T``; ``--seed S``; ``--faults timeout,hang_after_commit,…`` (the kinds, see
``FAULT_KINDS``); ``--rotate-every R``; ``--lift-429-block``; ``--keep DIR`` keeps the run's databases and logs
(gunicorn, worker, simulator) in DIR. The concurrency makes two runs with one seed similar, not identical.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.bulk_retry import run_child
from bench.bulk_retry import run_env as bulk_retry_env

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHILD_MODULE = "bench.soak_intake_run"
FIGURES_FILE = "figures.json"
CALCOM_TIMEOUT_SECONDS = 2.0
FAULT_KINDS = ("timeout", "hang_after_commit", "http_500", "html_502", "malformed_json", "http_429")
"""In the order they take turns; ``http_429`` only in the last phase (see the module's docstring)."""


@dataclass(frozen=True)
class Figures:
    """What one run measured; written by the child as JSON, read back here."""

    calls: int
    """Function calls sent (each ``PhoneAgentPlatform.call``, re-sends included)."""
    conversations: int
    """Distinct call ids."""
    by_function: dict[str, int]
    resent: int
    """Requests sent a second time with the same body."""
    duplicates: int
    """Bookings asked again, identically, from another call id."""
    anonymous: int
    """Conversations from a withheld number."""
    answers_by_status: dict[str, int]
    http_errors: int
    """Requests without an answer below 500, after the platform's own retries."""
    platform_retries: int
    confirmed_answers: int
    confirmed_calls: int
    desync: int
    confirmed_without_booking: int
    duplicate_per_appointment: int
    duplicate_per_host: int
    duplicate_per_customer: int
    failed_without_error: int
    resent_answered_differently: int
    mismatches: int
    mismatch_kinds: dict[str, int]
    reconciliation_error: str | None
    still_due: int
    """Appointments the engine would still pick up (or an unanswered write) after settling."""
    p50_ms: float
    p95_ms: float
    max_ms: float
    faults_injected: dict[str, int]
    fault_phases: dict[str, int]
    appointments: dict[str, int]
    failed_by_category: dict[str, int]
    gunicorn_worker_timeouts: int
    limit: int
    settle_passes: int
    calls_seconds: float
    settle_seconds: float
    wall_seconds: float

    @property
    def duplicate_bookings(self) -> int:
        return self.duplicate_per_appointment + self.duplicate_per_host + self.duplicate_per_customer

    def misses(self) -> list[str]:
        """The goals this run missed, as a few words each."""
        goals = (
            (self.desync, "desync calls"),
            (self.confirmed_without_booking, "confirmed answers without a live Cal.com booking"),
            (self.duplicate_bookings, "duplicate Cal.com bookings"),
            (self.failed_without_error, "failed appointments without their error text"),
            (self.mismatches, "reconciliation mismatches"),
            (self.resent_answered_differently, "re-sent requests answered differently"),
            (self.http_errors, "requests without an answer below 500"),
            (self.still_due, "appointments the engine did not finish"),
        )
        missed = [f"{count} {what}" for count, what in goals if count]
        if self.reconciliation_error:
            missed.append("the reconciliation failed: " + self.reconciliation_error.splitlines()[0])
        return missed


# --- running -----------------------------------------------------------------------------------------------------


def run_env(folder: Path, limit: int) -> dict[str, str]:
    """The environment of the run (``bench.bulk_retry.run_env``: its own files and API key in ``folder``), with the
    soak's short Cal.com timeout, the phone agent's key and four web workers."""
    return bulk_retry_env(folder, limit, "soak") | {
        "CALCOM_TIMEOUT_SECONDS": str(CALCOM_TIMEOUT_SECONDS),
        "RETELL_API_KEY": f"key_bench_soak_{secrets.token_hex(8)}",
        "SYNC_DESK_WEB_WORKERS": "4",
    }


def run_soak(args: argparse.Namespace, folder: Path) -> Figures | None:
    """The run in ``folder``; None when the child could not set it up (it said why)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", CHILD_MODULE, "--folder", str(folder), "--calls", str(args.calls)]
    command += ["--callers", str(args.callers), "--threads", str(args.threads), "--limit", str(args.limit)]
    command += ["--seed", str(args.seed)]
    command += ["--rotate-every", str(args.rotate_every), "--faults", ",".join(args.faults)]
    if args.lift_429_block:
        command.append("--lift-429-block")
    code = run_child(command, run_env(folder, args.limit))
    result = folder / FIGURES_FILE
    if code != 0 or not result.exists():
        print(f"the soak could not be carried out (exit {code})", file=sys.stderr, flush=True)
        return None
    return Figures(**json.loads(result.read_text()))


def in_folder(keep: Path | None, body: Callable[[Path], Figures | None]) -> Figures | None:
    if keep is not None:
        return body(keep.resolve())
    with tempfile.TemporaryDirectory(prefix="soak-intake-bench-") as temporary:
        return body(Path(temporary).resolve())


# --- printing ----------------------------------------------------------------------------------------------------


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: -item[1])) or "none"


ROWS: tuple[tuple[str, str, Callable[[Figures], Any]], ...] = (
    ("function calls sent", "", lambda f: f.calls),
    ("conversations (call ids)", "", lambda f: f.conversations),
    ("re-sent identically / duplicates / anonymous", "", lambda f: f"{f.resent} / {f.duplicates} / {f.anonymous}"),
    ("platform retries (no answer or 5xx)", "", lambda f: f.platform_retries),
    ("confirmed answers / confirmed calls", "", lambda f: f"{f.confirmed_answers} / {f.confirmed_calls}"),
    ("desync calls", "0", lambda f: f.desync),
    ("confirmed answers without a live booking", "0", lambda f: f.confirmed_without_booking),
    ("duplicate Cal.com bookings", "0", lambda f: f.duplicate_bookings),
    ("  … two live bookings of one appointment", "", lambda f: f.duplicate_per_appointment),
    ("  … one host, overlapping live bookings", "", lambda f: f.duplicate_per_host),
    ("  … one customer, two live at one start", "", lambda f: f.duplicate_per_customer),
    ("failed without their error text", "0", lambda f: f.failed_without_error),
    ("reconciliation mismatches", "0", lambda f: f.mismatches),
    ("re-sent requests answered differently", "0", lambda f: f.resent_answered_differently),
    ("requests without an answer below 500", "0", lambda f: f.http_errors),
    ("left for the engine after settling", "0", lambda f: f.still_due),
    ("answer time p50 / p95 / max", "", lambda f: f"{f.p50_ms:.0f} / {f.p95_ms:.0f} / {f.max_ms:.0f} ms"),
    ("gunicorn workers killed (timeout)", "", lambda f: f.gunicorn_worker_timeouts),
    ("Cal.com limit per minute", "", lambda f: f.limit),
    ("settling: due passes", "", lambda f: f.settle_passes),
    ("wall time: calls / settling / run", "", lambda f: f"{f.calls_seconds} / {f.settle_seconds} / {f.wall_seconds} s"),
)


def report(figures: Figures) -> str:
    lines = [f"{'figure':<46} {'goal':<5} value", "-" * 72]
    lines += [f"{label:<46} {goal:<5} {value(figures)}" for label, goal, value in ROWS]
    lines.append("")
    lines.append(f"function mix: {_counts(figures.by_function)}")
    lines.append(f"answers by status: {_counts(figures.answers_by_status)}")
    phases = ", ".join(f"{kind} {count}" for kind, count in figures.fault_phases.items())
    lines.append(f"faults injected (requests the simulator faulted): {_counts(figures.faults_injected)}")
    lines.append(f"fault phases: {phases}")
    lines.append(f"appointments by sync status: {_counts(figures.appointments)}")
    lines.append(f"failed by category: {_counts(figures.failed_by_category)}")
    if figures.mismatch_kinds:
        lines.append(f"mismatches by kind: {_counts(figures.mismatch_kinds)}")
    if figures.reconciliation_error:
        lines.append(f"reconciliation error: {figures.reconciliation_error}")
    misses = figures.misses()
    lines.append("\n" + ("goals met" if not misses else "MISSED: " + "; ".join(misses)))
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(130)


def _kinds(text: str) -> list[str]:
    kinds = [kind.strip() for kind in text.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(FAULT_KINDS))
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FAULT_KINDS)} (unknown: {', '.join(unknown)})")
    return kinds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="function calls to send (default 1000)")
    parser.add_argument("--callers", type=int, default=8, help="concurrent callers (default 8)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (default 1: sync)")
    parser.add_argument("--limit", type=int, default=6000, help="Cal.com requests per minute (default 6000)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the workload (default 2026)")
    parser.add_argument("--rotate-every", type=int, default=10, help="requests per fault phase (default 10)")
    parser.add_argument("--faults", type=_kinds, default=list(FAULT_KINDS), help="comma-separated fault kinds")
    parser.add_argument("--lift-429-block", action="store_true", help="don't wait out the minute a 429 blocks")
    parser.add_argument("--keep", type=Path, help="folder to keep the run's databases and logs in")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        figures = in_folder(args.keep, lambda folder: run_soak(args, folder))
    except KeyboardInterrupt:
        print("\ninterrupted; simulator, gunicorn and worker stopped", file=sys.stderr)
        sys.exit(130)
    if figures is None:
        sys.exit(2)
    if args.json:
        extra = {"duplicate_bookings": figures.duplicate_bookings, "missed": figures.misses()}
        print(json.dumps(asdict(figures) | extra, ensure_ascii=False))
    else:
        print(report(figures))
    sys.exit(1 if figures.misses() else 0)


if __name__ == "__main__":
    main()
