"""One Cal.com deadline per web request, for the blueprints whose views act on Cal.com (``ops_ui.engine.deadline``).

The action and whatever its answer re-renders (a panel asking Cal.com for free times again) share the deadline,
which stays below the web server's timeout (``deploy/gunicorn.conf.py``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, g

from ops_ui.engine.deadline import close_scope, open_scope


def scope_each_request(blueprint: Blueprint) -> None:
    """Open a scope of ``ACTION_DEADLINE_SECONDS`` before each of the blueprint's requests and close it after."""

    @blueprint.before_request
    def _open_deadline() -> None:
        g.calcom_deadline = open_scope(float(current_app.config["ACTION_DEADLINE_SECONDS"]))

    @blueprint.teardown_request
    def _close_deadline(error: BaseException | None) -> None:
        token = g.pop("calcom_deadline", None)
        if token is not None:
            close_scope(token)
