"""A local stand-in for Cal.com API v2, reached over real HTTP like ``https://api.cal.com``.

It runs as its own process (``python -m calcom_simulator``) so the main app, its tests and demos talk to it exactly
as they would to Cal.com: same paths, headers, envelopes, status codes and error messages. Like Cal.com it knows
nothing of the app that calls it: it imports nothing from ``ops_ui`` (``tests/unit/test_simulator_apart.py`` checks
that), and its state lives in its own SQLite file. ``calcom_simulator.admin_client`` is the one module callers
import, to drive the ``/_sim`` admin API.
"""
