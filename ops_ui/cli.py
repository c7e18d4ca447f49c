"""Flask commands. Thin: parse options, call a service, print."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ops_ui.auth.service import MIN_PASSWORD_LENGTH, UserError, create_user, list_users
from ops_ui.demo.commands import seed_demo_command
from ops_ui.engine.commands import sync_group
from ops_ui.intake.commands import intake_group
from ops_ui.models import Role

users = AppGroup("users", help="Manage Sync Desk accounts.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True, help="What the user may do.")
@click.option("--name", help="Shown in the header; defaults to the part of the e-mail before @.")
@click.option("--password", help=f"At least {MIN_PASSWORD_LENGTH} characters; asked for (hidden) when left out.")
@click.option("--company-id", type=int, help="Limit the user to one company's appointments.")
def create_user_command(email: str, role: str, name: str | None, password: str | None, company_id: int | None) -> None:
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, Role(role), name=name, company_id=company_id)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    scope = f"company {user.company_id}" if user.company_id is not None else "all companies"
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}, {scope}).")


@users.command("list")
def list_users_command() -> None:
    """Show all accounts."""
    rows = list_users()
    if not rows:
        click.echo("No users yet. Create one with: flask --app app users create EMAIL --role admin")
        return
    for user in rows:
        scope = f"company {user.company_id}" if user.company_id is not None else "all companies"
        state = "active" if user.active else "disabled"
        click.echo(f"{user.id:>4}  {user.email:<40} {user.role.value:<8} {scope:<14} {state:<8} {user.name}")


def register_cli(app: Flask) -> None:
    """Add the command groups to ``flask``; more commands are registered here."""
    app.cli.add_command(users)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(sync_group)
    app.cli.add_command(intake_group)
