"""Gunicorn settings for Sync Desk: ``.venv/bin/gunicorn -c deploy/gunicorn.conf.py 'app:app'``.

An agent's action may spend up to ``SYNC_DESK_ACTION_DEADLINE_SECONDS`` talking to Cal.com and then stores the
outcome and renders the answer. Gunicorn kills a sync worker whose request runs longer than ``timeout``: the agent
would get a dropped connection (a 502 behind a proxy) instead of the plain message the action prepared, and the
outcome might never be stored. So ``timeout`` is derived from the same variable the app reads (``ops_ui/config.py``,
default 20) and kept well above it; ``post_worker_init`` re-checks it against the loaded app's own setting.

Environment: ``SYNC_DESK_BIND`` (default ``127.0.0.1:8000``; comma-separated for several),
``SYNC_DESK_WEB_WORKERS`` (default 3), ``SYNC_DESK_ACTION_DEADLINE_SECONDS``. Command-line flags still override.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

ACTION_DEADLINE_SECONDS = float(os.environ.get("SYNC_DESK_ACTION_DEADLINE_SECONDS", "20"))
HEADROOM_SECONDS = 40
"""After the deadline: storing the outcome, re-rendering the row and panel, a slow database."""

bind = [address.strip() for address in os.environ.get("SYNC_DESK_BIND", "127.0.0.1:8000").split(",") if address.strip()]
workers = int(os.environ.get("SYNC_DESK_WEB_WORKERS", "3"))
worker_class = "sync"
timeout = math.ceil(ACTION_DEADLINE_SECONDS) + HEADROOM_SECONDS
graceful_timeout = math.ceil(ACTION_DEADLINE_SECONDS) + 10
"""On SIGTERM/HUP a worker may finish the action it is in (deadline, then storing the outcome) before it is killed."""
keepalive = 5

accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss "%(a)s"'
"""Like gunicorn's default, plus the request time in seconds (``%(L)s``), minus ident and referer."""


def post_worker_init(worker: Any) -> None:
    """Refuse to serve when the app's own deadline would outlast the worker timeout (say, set in code, not env)."""
    config = getattr(worker.wsgi, "config", None)
    deadline = float(config.get("ACTION_DEADLINE_SECONDS", 0)) if config is not None else 0.0
    if deadline >= worker.cfg.timeout:
        worker.log.critical(
            "ACTION_DEADLINE_SECONDS=%s is not below gunicorn's timeout=%s; actions would be killed mid-way",
            deadline,
            worker.cfg.timeout,
        )
        sys.exit(3)  # gunicorn's WORKER_BOOT_ERROR: the master stops instead of respawning forever
