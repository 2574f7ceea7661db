"""Plain HTML error pages for 400, 403, 404, 413 and 500."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

PAGES: dict[int, tuple[str, str]] = {
    400: (
        "The request could not be handled",
        "Something in what was sent was not understood. Go back, reload the page and try again.",
    ),
    403: ("You do not have access to this page", "Your account does not allow this."),
    404: (
        "Page not found",
        "Check the address. If you followed a link from an email, copy the whole link.",
    ),
    413: (
        "What you sent is too large",
        "The upload is larger than this site accepts. Send a smaller file.",
    ),
    500: (
        "Something went wrong on our side",
        "The problem has been logged. Please try again in a few minutes.",
    ),
}

CSRF_MESSAGE = (
    "The form had expired or did not come from this site, so nothing was saved. "
    "Go back, reload the page and send it again."
)


def render_error(error: HTTPException) -> tuple[str, int]:
    """Render the plain page for an HTTP error, keeping its status code."""
    code = error.code if error.code in PAGES else 500
    title, message = PAGES[code or 500]
    if isinstance(error, CSRFError):
        message = CSRF_MESSAGE
    return render_template("error.html", code=code, title=title, message=message), code


def register_error_handlers(app: Flask) -> None:
    """Attach the error pages to ``app``."""
    for code in PAGES:
        app.register_error_handler(code, render_error)
