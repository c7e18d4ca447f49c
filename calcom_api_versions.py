"""The ``cal-api-version`` each Cal.com API v2 endpoint family expects (CONTRACT §3).

A fact of Cal.com's API, so it lives apart from both sides of the wire: Sync Desk's client sends these, the
simulator that stands in for Cal.com accepts them, and the tests read them from here.
"""

BOOKINGS = "2024-08-13"
SLOTS = "2024-09-04"
EVENT_TYPES = "2024-06-14"
