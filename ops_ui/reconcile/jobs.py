"""The job behind "Run now": one requested reconciliation run, on a job worker (the hourly one is in
``ops_ui.jobs.tasks``)."""

from __future__ import annotations

from ops_ui.jobs.queue import app_context, huey
from ops_ui.reconcile.run import execute_run, summary


@huey.task(name="reconcile-run")
def reconcile_run_job(run_id: int) -> str:
    with app_context():
        return summary(execute_run(run_id))
