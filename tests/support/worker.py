"""Real job workers for tests: ``huey_consumer`` processes on the test's database, queue and Cal.com simulator.

A worker builds its app from the environment, exactly as in production; ``worker_env`` translates the test app's
settings into the variables ``ops_ui.config`` reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ops_ui.jobs.queue import worker_command

REPO_ROOT = Path(__file__).resolve().parents[2]

_ENVIRONMENT_NAMES = {
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
    "SECRET_KEY": "SECRET_KEY",
    "CALCOM_API_URL": "CALCOM_API_URL",
    "CALCOM_API_KEY": "CALCOM_API_KEY",
    "CALCOM_TIMEOUT_SECONDS": "CALCOM_TIMEOUT_SECONDS",
    "RATE_BUDGET_FILE": "SYNC_DESK_RATE_BUDGET_FILE",
    "CALCOM_RATE_LIMIT_PER_MINUTE": "CALCOM_RATE_LIMIT_PER_MINUTE",
    "REDIS_URL": "REDIS_URL",
}


def worker_env(config: Mapping[str, Any]) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for key, name in _ENVIRONMENT_NAMES.items():
        if config.get(key) is not None:
            env[name] = str(config[key])
    return env


@contextmanager
def running_workers(config: Mapping[str, Any], log_dir: Path, count: int = 1) -> Iterator[list[subprocess.Popen[str]]]:
    """``count`` consumer processes (one worker thread each) for the body of the ``with``; stopped after it."""
    processes = []
    for number in range(count):
        log = (log_dir / f"worker-{number}.log").open("w", encoding="utf-8")
        processes.append(
            subprocess.Popen(
                worker_command(workers=1),
                cwd=REPO_ROOT,
                env=worker_env(config),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
        log.close()
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # huey's graceful stop: the running job finishes
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    """Poll ``condition`` (a database read) until it holds; the workers run on their own, so there is no event to
    wait on. Fails with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)
