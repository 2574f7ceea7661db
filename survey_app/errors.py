"""Plain HTML error pages for 400, 403, 404, 413, 500 and 503 (database busy or unreachable)."""

from __future__ import annotations

from flask import Flask, Response, current_app, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from survey_app.database import is_temporarily_unavailable

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
    503: (
        "Too busy to answer just now",
        "Nothing you sent was saved or changed. Wait a moment, then send it again: going back "
        "in your browser keeps what you typed.",
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


def database_unavailable(error: SQLAlchemyError) -> Response:
    """503 with ``Retry-After`` when the database is busy (a lock not granted in time) or out of
    reach; any other database error goes on to the 500 page.

    The request's transaction was rolled back, so nothing it sent was stored. The page is
    rendered without the blueprints' context processors, which may read the database. Logged as a
    warning (a busy database is not a bug), with the request's address redacted of tokens by
    the app's logger.
    """
    if not is_temporarily_unavailable(error):
        raise error
    current_app.logger.warning("database unavailable (503): %s", str(error).splitlines()[0])
    title, message = PAGES[503]
    # rendered without the blueprints' context (the staff navigation reads the account from
    # the database that just failed)
    template = current_app.jinja_env.get_template("error.html")
    page = template.render(code=503, title=title, message=message)
    response = Response(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(int(current_app.config["RETRY_AFTER_SECONDS"]))
    return response


def register_error_handlers(app: Flask) -> None:
    """Attach the error pages to ``app``."""
    for code in PAGES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(SQLAlchemyError, database_unavailable)
