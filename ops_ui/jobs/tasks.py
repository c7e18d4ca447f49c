"""The jobs the workers run: every minute the due pass, every hour the reconciliation with Cal.com and fresh
statistics for the database's planner, every night the clean-up, and bulk retries and reconciliation runs on demand.

The consumer loads this module (``huey_consumer ops_ui.jobs.tasks.huey``): it registers every job.
"""

from __future__ import annotations

from huey import crontab

from ops_ui.actions import bulk_retry  # noqa: F401  (registers the bulk retry job)
from ops_ui.engine.cleanup import expire_past_unsynced
from ops_ui.engine.due import pass_running, run_due_pass
from ops_ui.extensions import db
from ops_ui.jobs.queue import app_context, huey
from ops_ui.models import utcnow
from ops_ui.planner_statistics import refresh_planner_statistics
from ops_ui.reconcile import jobs as reconcile_jobs  # noqa: F401  (registers the on-demand reconciliation job)
from ops_ui.reconcile.run import reconcile_all, summary

__all__ = ["clean_up", "due_pass", "huey", "planner_statistics", "reconcile"]


@huey.periodic_task(crontab(minute="*"), name="due-pass")
def due_pass() -> str:
    """Sync what is due; a pass still running on another worker is left to finish alone."""
    with app_context():
        if pass_running(utcnow()):
            return "skipped: a pass is still running"
        return run_due_pass().sentence()


@huey.periodic_task(crontab(hour="3", minute="30"), name="clean-up")
def clean_up() -> str:
    """At night (UTC), close past appointments that never reached Cal.com."""
    with app_context():
        return f"{expire_past_unsynced(utcnow(), None)} closed"


@huey.periodic_task(crontab(minute="40"), name="reconcile")
def reconcile() -> str:
    """Every hour, compare each company's calls, appointments and Cal.com bookings; what is out of step is stored for
    the reconciliation page (nothing is repaired without a person)."""
    with app_context():
        return "; ".join(summary(run) for run in reconcile_all()) or "no company"


@huey.periodic_task(crontab(minute="50"), name="planner-statistics")
def planner_statistics() -> str:
    """Every hour, what SQLite's planner needs to pick the indexes the statements were written for."""
    with app_context():
        return refresh_planner_statistics(db.engine)
