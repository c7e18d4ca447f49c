"""The job queue: huey, on a SQLite file under ``instance/`` by default, on Redis when ``REDIS_URL`` is set.

huey has both backends behind one API, a scheduler for periodic jobs in its consumer, and no threads in the web
process: the web app only enqueues. Workers run ``huey_consumer ops_ui.jobs.tasks.huey`` (see the README).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey, RedisHuey, SqliteHuey

from ops_ui.config import Config

QUEUE_NAME = "sync-desk"
POLL_MAX_DELAY_SECONDS = 1
"""An idle worker looks at the SQLite queue at least this often. huey's default backs off to 10 s, which would start
the first job of a new rate-limit window seconds late; a Redis worker blocks waiting for a job instead."""


def worker_command(workers: int = 1, *, periodic: bool = True) -> list[str]:
    """The command of one job worker process with ``workers`` threads; ``periodic`` also schedules the periodic jobs
    (one such worker is enough: the others are started with it off)."""
    command = [sys.executable, "-m", "huey.bin.huey_consumer", "ops_ui.jobs.tasks.huey", "--workers", str(workers)]
    command += ["--max-delay", str(POLL_MAX_DELAY_SECONDS)]
    return command if periodic else [*command, "--no-periodic"]


def build_queue(config: Config) -> Huey:
    if config.REDIS_URL:
        return RedisHuey(QUEUE_NAME, url=config.REDIS_URL)
    Path(config.JOB_QUEUE_FILE).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=config.JOB_QUEUE_FILE)


huey = build_queue(Config())


@contextmanager
def app_context() -> Iterator[None]:
    """A job runs inside the app: the caller's context when there is one, else the worker's own app."""
    if has_app_context():
        yield
        return
    with _worker_app().app_context():
        yield


@cache
def _worker_app() -> Flask:
    from ops_ui import create_app  # the app imports the jobs that it enqueues, so it is built when first needed

    return create_app()


def queue_length() -> int:
    """Jobs waiting to be run, scheduled ones (delayed, e.g. until a rate-limit window) included."""
    return int(huey.pending_count()) + int(huey.scheduled_count())
