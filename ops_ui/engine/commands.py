"""`flask sync run-due`: the periodic pass of the sync engine."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup

from ops_ui.engine.booking import SyncResult
from ops_ui.engine.due import sync_due

sync_group = AppGroup("sync", help="Run the sync engine.")


def _outcome(result: SyncResult) -> str:
    if result.synced:
        return "synced"
    return result.category.value if result.category else "skipped"


@sync_group.command("run-due")
@click.option("--limit", default=100, show_default=True, help="At most this many appointments per pass.")
def run_due_command(limit: int) -> None:
    """Sync new appointments and retry technical failures whose back-off has passed."""
    results = sync_due(limit=limit)
    outcomes = Counter(_outcome(result) for result in results)
    click.echo(
        f"{len(results)} appointments tried: "
        + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "none due")
    )
