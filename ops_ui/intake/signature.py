"""Is a request really from the phone agent's platform? ``X-Retell-Signature`` signs the body and a timestamp.

The platform's header reads ``v=<unix milliseconds>,d=<hex HMAC-SHA256>``: the HMAC is keyed with the agent's API
key over the body text followed by the timestamp's digits. This is the check of its official Python SDK
(``retell.lib.webhook_auth.verify``), including its window of five minutes either side, so a captured request
cannot be replayed later; the comparison takes constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

SIGNATURE_HEADER = "X-Retell-Signature"
FRESH_FOR_MS = 5 * 60 * 1000
_FORMAT = re.compile(r"v=(\d+),d=([0-9a-f]{64})")


def _digest(body: str, api_key: str, timestamp_ms: int) -> str:
    return hmac.new(api_key.encode(), (body + str(timestamp_ms)).encode(), hashlib.sha256).hexdigest()


def sign(body: str, api_key: str, timestamp_ms: int | None = None) -> str:
    """The header the platform sends with ``body`` (used to replay calls)."""
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return f"v={stamp},d={_digest(body, api_key, stamp)}"


def signature_problem(body: str, header: str | None, api_key: str | None, now_ms: int | None = None) -> str | None:
    """Why the request cannot be trusted, or None when ``header`` signs exactly ``body`` with ``api_key``, lately."""
    if not api_key:
        return "The phone agent's API key is not configured (RETELL_API_KEY); every request is refused."
    if not header:
        return f"No {SIGNATURE_HEADER} header."
    match = _FORMAT.fullmatch(header)
    if match is None:
        return f"{SIGNATURE_HEADER} is not of the form v=<timestamp>,d=<hex digest>."
    stamp, digest = int(match.group(1)), match.group(2)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now_ms - stamp) > FRESH_FOR_MS:
        return f"{SIGNATURE_HEADER} is more than five minutes off: a stale or replayed request."
    if not hmac.compare_digest(_digest(body, api_key, stamp), digest):
        return f"{SIGNATURE_HEADER} does not match the body signed with our API key."
    return None
