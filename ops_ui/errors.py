"""Error pages: a plain page for browsers, a small toast fragment for htmx. Never a stack trace.

Titles and messages are worded in the reader's language; a message a view gives (``abort(409, …)``) is shown as given.
"""

from __future__ import annotations

from flask import Flask, Response, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ops_ui.htmx import is_htmx_request, retarget
from ops_ui.i18n import Sentence, say

TITLES = {
    400: say("Bad request"),
    401: say("Please sign in"),
    403: say("Not allowed"),
    404: say("Not found"),
    405: say("Method not allowed"),
    409: say("Changed in the meantime"),
    422: say("Check your input"),
    429: say("Too many attempts"),
    500: say("Something went wrong"),
}

MESSAGES = {
    400: say("The request could not be understood."),
    401: say("Your session has ended. Please sign in again."),
    403: say("Your role does not allow this."),
    404: say("There is nothing here, or you cannot see it."),
    405: say("This address does not accept that kind of request."),
    409: say("Someone else changed this first. Reload to see the current state and try again."),
    429: say("Too many attempts in a short time. Wait a moment, then try again."),
    500: say("The error has been logged. Please try again in a moment."),
}

CSRF_MESSAGE = say("The form's security token was missing or has expired. Reload the page and try again.")


def _message(error: HTTPException) -> str | Sentence:
    """A message chosen by the view (``abort(409, "…")``) wins; werkzeug's generic texts are replaced by ours."""
    code = error.code or 500
    if error.description and error.description != type(error).description and code != 500:
        return error.description
    return MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])


def render_error(code: int, message: str | Sentence, extra_headers: list[tuple[str, str]] | None = None) -> Response:
    title = TITLES.get(code, say("Error"))
    if is_htmx_request():
        # Error toasts go to the toast region whatever element asked; the htmx config swaps 4xx/5xx there too.
        response = make_response(render_template("errors/_error.html", code=code, title=title, message=message), code)
        retarget(response, "#toasts", "beforeend")
    else:
        response = make_response(render_template("errors/error.html", code=code, title=title, message=message), code)
    for name, value in extra_headers or []:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_csrf(error: CSRFError) -> Response:
    return render_error(400, CSRF_MESSAGE)


def _handle_http(error: HTTPException) -> Response:
    # Flask has already logged an unhandled exception with its traceback before wrapping it in a 500.
    return render_error(error.code or 500, _message(error), error.get_headers())


def register_error_handlers(app: Flask) -> None:
    """Unhandled exceptions reach Flask's 500 path (InternalServerError), so tests and the debugger still see them."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_http)
