"""Security headers on every answer: no framing, a strict CSP, no caching of pages with customer data.

A small after-request hook rather than Flask-Talisman: the policy is six fixed headers, the app serves no
third-party resource and never needs a nonce (no inline script or style anywhere), and HTTPS is terminated by
the proxy in front of gunicorn, so Talisman's redirects and per-view options would be unused weight.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""No inline script, no inline style, no eval: htmx is configured (``htmx-config`` meta) to need none of them."""

HSTS = "max-age=31536000; includeSubDomains"
SERVER_NAME = "Sync Desk"

ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def _add_headers(response: Response, *, production: bool) -> Response:
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if production:
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        # Pages and fragments carry customer names and phone numbers, and the login page a CSRF token.
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    """Headers are set last (after every view and error handler) so no answer can leave without them."""
    production = bool(app.config.get("IS_PRODUCTION"))

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return _add_headers(response, production=production)


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's request handler without its versions in the ``Server`` header.

    Pass it as ``app.run(..., request_handler=QuietRequestHandler)``; gunicorn names no version by itself.
    """

    def version_string(self) -> str:
        return SERVER_NAME
