"""Reconciliation: the company's calls, its appointments and Cal.com's bookings compared over a window of days, what
is out of step stored per run, and one repair per mismatch (claim, verified writes, audit)."""

from flask import Blueprint

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

import ops_ui.reconcile.views  # noqa: E402, F401  (registers the routes on bp)
