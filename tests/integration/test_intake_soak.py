"""The intake soak, small: 60 signed function calls over real HTTP (gunicorn, a job worker, the Cal.com simulator
failing a fifth of its requests in turn by every fault kind), then the engine settles and the reconciliation runs.

The bench runs as a subprocess (``python -m bench.soak_intake``), with its own database, queue, rate budget and
simulator, exactly as it is run by hand; the test reads its figures (``--json``). ``--lift-429-block`` spares the
test the minute an injected 429 makes the rate budget wait (see ``bench.soak_intake``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bench.soak_intake import FAULT_KINDS, PROJECT_ROOT

CALLS = 60
ZERO_GOALS = (
    "desync",
    "confirmed_without_booking",
    "duplicate_bookings",
    "failed_without_error",
    "mismatches",
    "resent_answered_differently",
    "http_errors",
    "still_due",
)


def _soak(*args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak_intake", *args, "--json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=100,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert lines, f"the soak printed no figures (exit {done.returncode}):\n{done.stderr[-4000:]}"
    return done.returncode, json.loads(lines[-1]), done.stderr


def _explained(figures: dict[str, Any], log: str) -> str:
    progress = [line for line in log.splitlines() if "alembic" not in line]
    return json.dumps(figures, indent=1, ensure_ascii=False) + "\n" + "\n".join(progress[-30:])


@pytest.mark.timeout(110)
def test_sixty_calls_under_calcom_faults_confirm_only_live_bookings_and_book_nothing_twice() -> None:
    code, figures, log = _soak("--calls", str(CALLS), "--lift-429-block")

    assert figures["calls"] == CALLS
    assert {goal: figures[goal] for goal in ZERO_GOALS} == dict.fromkeys(ZERO_GOALS, 0), _explained(figures, log)
    assert figures["reconciliation_error"] is None
    assert figures["confirmed_answers"] > 0 and figures["confirmed_calls"] > 0
    assert sum(figures["faults_injected"].values()) > 0
    assert set(figures["fault_phases"]) == set(FAULT_KINDS)
    assert figures["missed"] == [] and code == 0
