"""Health check for load balancers and process supervisors (``GET /healthz``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from survey_app.extensions import db
from survey_app.services import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """``ok`` (200) when every table of the schema can be read, else 503 and what is wrong.

    The check reads one row of every table this version of copkit uses, every mapped column
    named (:func:`survey_app.services.health.check_database`), so a database that cannot be
    reached, that lacks a migration, or whose file is damaged is reported, where ``SELECT 1``
    said "ok". The answer says which of these it is, never the database's own error text (it
    goes to the log).
    """
    problem = health.check_database(db.engine)
    if problem is not None:
        current_app.logger.warning("health check failed: %s (%s)", problem.summary, problem.detail)
        return Response(
            f"database unavailable: {problem.summary}\n", status=503, mimetype="text/plain"
        )
    return Response("ok\n", mimetype="text/plain")
