"""`flask sync run-due`: the periodic pass of the sync engine; `flask sync clean-up`: close what can never sync;
`flask sync backfill`: make the appointments of confirmed calls that have none."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from ops_ui.actions.backfill import backfill_calls
from ops_ui.engine.cleanup import expire_past_unsynced
from ops_ui.engine.due import run_due_pass

sync_group = AppGroup("sync", help="Run the sync engine.")


@sync_group.command("run-due")
@click.option("--limit", default=500, show_default=True, help="At most this many appointments per pass.")
def run_due_command(limit: int) -> None:
    """One due pass now: sync new appointments, retry technical failures whose back-off has passed."""
    click.echo(run_due_pass(limit=limit).sentence())


@sync_group.command("clean-up")
@click.option("--company-id", type=int, help="Only this company's appointments (default: every company).")
def clean_up_command(company_id: int | None) -> None:
    """Close past appointments that never reached Cal.com (status expired; nothing is deleted)."""
    closed = expire_past_unsynced(datetime.now(UTC), None, company_id)
    click.echo(f"{closed} {'appointment' if closed == 1 else 'appointments'} closed that never reached Cal.com.")


@sync_group.command("backfill")
@click.option("--company-id", type=int, help="Only this company's calls (default: every company).")
@click.option("--dry-run", is_flag=True, help="Report what would be done; change nothing (Cal.com is only read).")
def backfill_command(company_id: int | None, dry_run: bool) -> None:
    """Make the missing appointment of every confirmed call without one, from its booking details.

    Safe to run again: linked calls are not touched. Exits with status 1 when a call met an error.
    """
    report = backfill_calls(None, company_id, dry_run=dry_run)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        raise SystemExit(1)
