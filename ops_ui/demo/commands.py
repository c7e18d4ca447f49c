"""`flask seed-demo`: the demo salon, synced through the real sync service against the simulator."""

from __future__ import annotations

import click
from flask import current_app

from calcom_simulator.admin_client import SimulatorAdmin
from ops_ui.demo.catalogue import DEMO_LOGINS
from ops_ui.demo.seed import DemoRefused, seed_demo


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Wipe local data and the simulator's state first.")
def seed_demo_command(reset: bool) -> None:
    """Create the demo salon with about 200 appointments synced against the Cal.com simulator."""
    config = current_app.config
    try:
        summary = seed_demo(
            SimulatorAdmin(config["CALCOM_API_URL"]), reset=reset, is_production=config["IS_PRODUCTION"]
        )
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    click.echo(
        f"Seeded {summary.appointments} appointments: {summary.synced} synced, {summary.failed} failed, "
        f"{summary.pending} pending; {summary.calls} voice-agent calls."
    )
    for category, count in sorted(summary.failures_by_category.items()):
        click.echo(f"  {category}: {count}")
    echo_demo_logins()


def echo_demo_logins() -> None:
    click.echo("Demo logins:")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.role:<8} {login.email}  password: {login.password}")
