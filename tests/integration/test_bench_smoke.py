"""Every benchmark of ``make bench`` runs at a small size, so none of them rots between the runs that measure.

These print their figures (``pytest -s`` shows them) and assert nothing about time: speed is what the benchmarks
themselves report at full size. What is asserted is that each one runs to its end and prints its table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | (env or {})
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )
    print(done.stdout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_review_board_bench_compares_board_peer_and_floor(tmp_path: Path) -> None:
    databases = "sqlite,postgresql" if os.environ.get("BENCH_POSTGRES_URL") else "sqlite"
    out = _run(
        "bench.review_board", "--sizes", "3000:150", "--repeat", "2", "--databases", databases, "--keep", str(tmp_path)
    )
    assert "Board vs peer (Flask-Admin" in out
    for request in ("page 1 (full page)", "category + staff filter", "load more", "text search", "past=1"):
        assert out.count(request) >= 2, request  # once as measured, once in the summary table


def test_review_actions_bench_runs(tmp_path: Path) -> None:
    out = _run("bench.review_actions", "--actions", "3", "--keep", str(tmp_path))
    assert "server time besides Cal.com" in out


def test_health_dashboard_bench_runs(tmp_path: Path) -> None:
    out = _run(
        "bench.health_dashboard",
        "--appointments",
        "3000",
        "--attempts",
        "9000",
        "--requests",
        "2",
        "--fresh",
        env={"TMPDIR": str(tmp_path)},
    )
    assert "GET /health (page, all companies)" in out


@pytest.mark.skipif(sys.platform != "linux", reason="starts the simulator and job workers as processes")
def test_bulk_retry_bench_runs(tmp_path: Path) -> None:
    out = _run("bench.bulk_retry", "--items", "6", "--limit", "600", "--keep", str(tmp_path))
    assert "429" in out
