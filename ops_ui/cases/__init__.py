"""Cases: who works on an appointment, what was noted and said to the customer, and whether the customer was told
about the last change. Its routes live under the review board (``ops_ui.cases.views``)."""

from __future__ import annotations

from flask import Flask

from ops_ui.cases.links import booking_url, tel_href


def init_app(app: Flask) -> None:
    for helper in (booking_url, tel_href):
        app.add_template_global(helper)
