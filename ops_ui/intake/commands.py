"""``flask intake replay FILE``: send recorded function calls as the phone agent's platform would."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ops_ui.intake.platform import PhoneAgentPlatform, app_transport, http_transport, read_calls, replay

intake_group = AppGroup("intake", help="The phone agent's intake.")


@intake_group.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="Sync Desk's base URL (default: this app in-process, nothing needs to listen).")
def replay_command(file: Path, url: str | None) -> None:
    """Send each call of FILE (JSON lines: name, call, args), signed with RETELL_API_KEY; print each answer."""
    api_key = current_app.config["RETELL_API_KEY"]
    if not api_key:
        raise click.ClickException("RETELL_API_KEY is not set: the calls could not be signed.")
    transport = http_transport(url) if url else app_transport(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        for item, delivered in replay(PhoneAgentPlatform(api_key, transport), read_calls(file)):
            call_id = item.get("call", {}).get("call_id")
            said = delivered.answer.get("message") or delivered.answer.get("error")
            click.echo(f"{call_id} {item.get('name')}: {delivered.status} {delivered.answer.get('status')} – {said}")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
