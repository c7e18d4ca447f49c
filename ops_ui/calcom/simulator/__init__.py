"""A local stand-in for Cal.com API v2, reached over real HTTP like ``https://api.cal.com``.

It runs as its own process (``python -m ops_ui.calcom.simulator``) so the main app, its tests and demos talk to
it exactly as they would to Cal.com: same paths, headers, envelopes, status codes and error messages. It never
imports the rest of ``ops_ui``; its state lives in its own SQLite file.
"""
