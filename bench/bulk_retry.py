"""Bulk retry benchmark: technical failures retried by real job workers against the Cal.com simulator's rate limit.

Proves, for the deployment shape of one machine (``huey_consumer`` workers, the SQLite job queue and rate budget),
that a bulk retry uses Cal.com's rate limit almost fully and never trips it:

- the Cal.com calls per minute reach at least 95 % of the key's limit (the budget keeps ``CALCOM_RATE_HEADROOM``,
  2 by default, per window unused, and waits for the next window rather than cause a 429);
- no item fails because of the rate limit (a refused item waits for the next window; it is never failed);
- no appointment ends with two live Cal.com bookings.

Two runs by default: 1,000 failures through 2 workers with the limit raised to 600 per minute (the simulator's
limit and the workers' ``CALCOM_RATE_LIMIT_PER_MINUTE``), and 200 failures at Cal.com's real 120 per minute.

Each run happens in a fresh folder and in a child process of its own (``bench.bulk_retry_run``): the job queue is
built when ``ops_ui`` is imported, so the environment that names the run's queue, rate budget and database must be
set before that, and this process never imports ``ops_ui`` at all. The child starts the simulator (own state file,
free port, own API key, the run's rate limit), migrates a fresh SQLite database, makes one company, one service and
enough staff members, each a Cal.com user with an event type mapped locally and open every day, one agent, and one
appointment per item on distinct free slots spread over hosts and days. Each appointment is a technical failure as a
first attempt leaves it (failed, ``SERVER_ERROR``, one attempt) whose next automatic retry is 30 days away, so the
workers' periodic due pass leaves it to the bulk run. The child then starts the bulk retry as the agent
(``start_bulk_retry``), starts the ``huey_consumer`` workers with the same environment, polls the database until
every item has an outcome, stops the workers with SIGINT and measures.

Figures per run:

- wall time: from the first Cal.com call to the last (``SyncAttempt.at`` of the run's attempts);
- Cal.com calls (``SyncAttempt`` rows since the run started; a request the budget held back is no call) and the
  429 answers among them;
- calls per minute ÷ the limit, over the completed rate-limit windows only: the attempt times, sorted, are split
  into windows where two calls are more than 5 s apart (the budget waits there for Cal.com's next window), and the
  rate is (calls before the last window) / (start of the last window − first call) × 60 ÷ limit. The last window
  is partial (the run ends in it); counting it would divide its calls by a fraction of a minute and make a short run
  look faster than the limit allows. A run that fits in one window has no completed window: "n/a";
- items failed by the rate limit: items whose outcome is failed with ``RATE_LIMITED``, and appointments whose last
  error is ``RATE_LIMITED``;
- double bookings: appointments with more than one live (not cancelled) simulator booking whose metadata
  ``syncDeskAppointmentId`` is the appointment's id;
- items synced, failed and skipped (an item the due pass synced first is skipped: nothing was left to retry).

Where the rate goes, per window: the budget keeps the headroom back (598 of 600, 118 of 120); its window ends up to
a second after Cal.com's (the earliest end an answer implied, ``Reset`` being whole seconds rounded up); an item
refused for the rest of a window goes back on the queue for the window's end rounded up to whole seconds, and huey's
scheduler enqueues it at its next 1 s tick; an idle consumer of the SQLite queue looks for jobs at least every
second (``--max-delay`` as ``ops_ui.jobs.queue.worker_command`` starts it; huey's own default of 10 s would start
the next window's first job seconds late). At 120 per minute the goal leaves about 2 s per window for all of that.

Goals: calls per minute ≥ 0.95 of the limit, no item failed by the rate limit, no double booking, every item done.
Prints one line per run as it finishes and a table at the end; exits 1 when a goal is missed, 2 when a run could not
be set up. The workers run with the app's defaults for everything else (deadline, timeouts, headroom).

Usage: ``python -m bench.bulk_retry`` (both runs; a few minutes: the window waits are real);
``--items N --limit L`` one run of N items at L per minute; ``--workers W`` (default 2); ``--keep DIR`` keeps each
run's databases and logs in a folder under DIR; ``--poll-max-delay S`` passes ``--max-delay S`` to the consumers
(how long an idle huey worker may sleep between polls of the SQLite queue; huey's default, as deployed, is 10 s).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHILD_MODULE = "bench.bulk_retry_run"
FIGURES_FILE = "figures.json"
GOAL_RATIO = 0.95
WINDOW_GAP_SECONDS = 5.0
"""Calls further apart than this belong to two rate-limit windows: within a window the workers never pause so long."""
DEFAULT_RUNS = ((1000, 600), (200, 120))
"""(items, limit per minute) of the default runs."""
UNSET_FOR_RUNS = (
    "REDIS_URL",
    "CALCOM_API_URL",
    "CALCOM_SIM_DB",
    "CALCOM_RATE_HEADROOM",
    "CALCOM_TIMEOUT_SECONDS",
    "SYNC_DESK_ACTION_DEADLINE_SECONDS",
    "SYNC_DESK_BIND",
    "TEST_DATABASE_URL",
)
"""Left to the app's defaults (SQLite queue and budget, headroom 2, deadline 20 s) so every run is comparable."""


@dataclass(frozen=True)
class Figures:
    """What one run measured; written by the child as JSON, read back here."""

    items: int
    limit: int
    workers: int
    wall_seconds: float
    calls: int
    answers_429: int
    windows: int
    ratio: float | None
    """Calls per minute over the completed windows ÷ the limit; None when the run fitted in one window."""
    failed_by_rate_limit: int
    double_booked: int
    synced: int
    failed: int
    skipped: int
    waiting: int
    """Items without an outcome when the bench stopped waiting."""
    failed_by_category: list[tuple[str, int]]

    @property
    def name(self) -> str:
        return f"{self.items} @ {self.limit}/min"

    def misses(self) -> list[str]:
        """The goals this run missed, as a few words each."""
        missed = []
        if self.ratio is not None and self.ratio < GOAL_RATIO:
            missed.append(f"calls/min {self.ratio:.3f} of the limit < {GOAL_RATIO}")
        if self.failed_by_rate_limit:
            missed.append(f"{self.failed_by_rate_limit} failed by the rate limit")
        if self.double_booked:
            missed.append(f"{self.double_booked} double-booked")
        if self.waiting:
            missed.append(f"{self.waiting} items never done")
        return missed


def completed_window_ratio(times: Sequence[float], limit: int) -> tuple[int, float | None]:
    """The number of rate-limit windows in ``times`` (seconds) and the rate over the completed ones ÷ ``limit``."""
    ordered = sorted(times)
    if not ordered:
        return 0, None
    starts = [0] + [i for i in range(1, len(ordered)) if ordered[i] - ordered[i - 1] > WINDOW_GAP_SECONDS]
    if len(starts) < 2:
        return len(starts), None
    last = starts[-1]
    span = ordered[last] - ordered[0]
    return len(starts), last / span * 60 / limit


# --- running one configuration -----------------------------------------------------------------------------------


def run_env(folder: Path, limit: int, bench: str = "bulk_retry") -> dict[str, str]:
    """The environment of one run of ``bench``: its own database, queue, rate budget and API key, in ``folder``."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET_FOR_RUNS}
    return env | {
        "DATABASE_URL": f"sqlite:///{folder / 'sync_desk.sqlite'}",
        "SYNC_DESK_JOB_QUEUE_FILE": str(folder / "jobs.sqlite"),
        "SYNC_DESK_RATE_BUDGET_FILE": str(folder / "rate-budget.sqlite"),
        "CALCOM_API_KEY": f"cal_test_bench_{bench}_{secrets.token_hex(4)}",
        "CALCOM_RATE_LIMIT_PER_MINUTE": str(limit),
        "SECRET_KEY": secrets.token_hex(32),
        "SYNC_DESK_ENV": "development",
        "PYTHONUNBUFFERED": "1",
    }


def run_child(command: list[str], env: dict[str, str]) -> int:
    """Run the child to its end; on our own way out (Ctrl-C, SIGTERM) let it stop its processes first."""
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    try:
        return child.wait()
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=90)


def run_one(items: int, limit: int, args: argparse.Namespace, folder: Path) -> Figures | None:
    """One configuration in ``folder``; None when the child could not set it up (it said why)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", CHILD_MODULE, "--items", str(items), "--limit", str(limit)]
    command += ["--workers", str(args.workers), "--folder", str(folder)]
    if args.poll_max_delay is not None:
        command += ["--poll-max-delay", str(args.poll_max_delay)]
    code = run_child(command, run_env(folder, limit))
    result = folder / FIGURES_FILE
    if code != 0 or not result.exists():
        print(f"{items} items at {limit}/min: the run could not be carried out (exit {code})", flush=True)
        return None
    data = json.loads(result.read_text())
    data["failed_by_category"] = [(label, count) for label, count in data["failed_by_category"]]
    return Figures(**data)


def in_folder(keep: Path | None, name: str, body: Callable[[Path], Figures | None]) -> Figures | None:
    """Run ``body`` in ``keep/name`` (kept) or in a temporary folder (removed afterwards)."""
    if keep is not None:
        return body((keep / name).resolve())
    with tempfile.TemporaryDirectory(prefix=f"bulk-retry-bench-{name}-") as temporary:
        return body(Path(temporary).resolve())


# --- printing ----------------------------------------------------------------------------------------------------


def _ratio(figures: Figures) -> str:
    return "n/a (one window)" if figures.ratio is None else f"{figures.ratio:.3f}"


def summary_line(figures: Figures) -> str:
    misses = figures.misses()
    verdict = "goals met" if not misses else "MISSED: " + "; ".join(misses)
    return (
        f"{figures.items} items at {figures.limit}/min through {figures.workers} workers: {figures.synced} synced, "
        f"{figures.failed} failed, {figures.skipped} skipped in {figures.wall_seconds:.1f} s; {figures.calls} Cal.com "
        f"calls, {figures.answers_429} answered 429; {_ratio(figures)} of the limit over {max(0, figures.windows - 1)} "
        f"completed windows; {figures.failed_by_rate_limit} failed by the rate limit; {figures.double_booked} "
        f"double-booked — {verdict}"
    )


ROWS: tuple[tuple[str, str, Callable[[Figures], str]], ...] = (
    ("items", "", lambda f: str(f.items)),
    ("limit per minute", "", lambda f: str(f.limit)),
    ("worker processes", "", lambda f: str(f.workers)),
    ("wall time, first call to last", "", lambda f: f"{f.wall_seconds:.1f} s"),
    ("Cal.com calls", "", lambda f: str(f.calls)),
    ("429 answers", "", lambda f: str(f.answers_429)),
    ("rate-limit windows", "", lambda f: str(f.windows)),
    ("calls/min ÷ limit (completed windows)", f"≥ {GOAL_RATIO}", _ratio),
    ("items failed by the rate limit", "0", lambda f: str(f.failed_by_rate_limit)),
    ("appointments double-booked", "0", lambda f: str(f.double_booked)),
    ("items synced", "", lambda f: str(f.synced)),
    ("items failed", "", lambda f: str(f.failed)),
    ("items skipped", "", lambda f: str(f.skipped)),
    ("items never done", "0", lambda f: str(f.waiting)),
    ("verdict", "", lambda f: "ok" if not f.misses() else "MISSED"),
)


def table(runs: Sequence[Figures]) -> str:
    width = max(len(run.name) for run in runs) + 2
    lines = [f"{'figure':<40} {'goal':<8}" + "".join(f"{run.name:>{width}}" for run in runs)]
    lines.append("-" * len(lines[0]))
    for label, goal, value in ROWS:
        lines.append(f"{label:<40} {goal:<8}" + "".join(f"{value(run):>{width}}" for run in runs))
    failures = [f"{run.name}: " + ", ".join(f"{n} {label}" for label, n in run.failed_by_category) for run in runs]
    return "\n".join(lines + [f"failed by category — {line}" for line in failures if not line.endswith(": ")])


# --- main --------------------------------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(130)


def configurations(args: argparse.Namespace) -> list[tuple[int, int]]:
    if args.items is None and args.limit is None:
        return list(DEFAULT_RUNS)
    return [(args.items or 200, args.limit or 120)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, help="one run with this many failed appointments (default 200)")
    parser.add_argument("--limit", type=int, help="one run at this Cal.com limit per minute (default 120)")
    parser.add_argument("--workers", type=int, default=2, help="huey_consumer processes (default 2)")
    parser.add_argument("--keep", type=Path, help="folder to keep each run's databases and logs in")
    parser.add_argument("--poll-max-delay", type=float, help="huey_consumer --max-delay (default: the product's, 1 s)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    runs: list[Figures] = []
    broken = 0
    try:
        for items, limit in configurations(args):
            name = f"{items}-at-{limit}"
            figures = in_folder(args.keep, name, partial(run_one, items, limit, args))
            if figures is None:
                broken += 1
                continue
            runs.append(figures)
            print(summary_line(figures), flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; simulator and workers stopped", file=sys.stderr)
        sys.exit(130)
    if runs:
        print("\n" + table(runs))
    sys.exit(2 if broken else 1 if any(run.misses() for run in runs) else 0)


if __name__ == "__main__":
    main()
