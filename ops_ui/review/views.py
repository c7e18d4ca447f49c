"""Review board pages."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template
from flask.typing import ResponseReturnValue

from ops_ui.auth.permissions import signed_in_user
from ops_ui.review import bp
from ops_ui.review.queries import PAGE_SIZE, failed_appointments


@bp.get("")
def index() -> ResponseReturnValue:
    appointments = failed_appointments(signed_in_user())
    return render_template(
        "review/index.html",
        appointments=appointments,
        page_size=PAGE_SIZE,
        now=datetime.now(UTC),
    )
