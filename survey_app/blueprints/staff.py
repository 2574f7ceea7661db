"""The guard every staff blueprint shares: sign-in required, 403 for role, 404 for scope."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.wrappers import Response

from survey_app.errors import render_error
from survey_app.extensions import login_manager
from survey_app.services import authorisation as authz


def require_sign_in() -> Response | None:
    """Send a visitor who is not signed in to the sign-in page.

    Returns
    -------
    werkzeug.wrappers.Response or None
        Flask-Login's "unauthorized" response (a redirect to ``/auth/``), or ``None`` for a
        signed-in staff account, so that the view runs.
    """
    if not current_user.is_authenticated:
        response: Response = login_manager.unauthorized()
        return response
    return None


def access_denied(error: authz.AccessDeniedError) -> tuple[str, int]:
    """The role may not do this: the 403 page.

    Parameters
    ----------
    error : survey_app.services.authorisation.AccessDeniedError
        The refusal raised by :func:`survey_app.services.authorisation.require`.

    Returns
    -------
    tuple of (str, int)
        The plain error page and 403.
    """
    return render_error(Forbidden())


def not_in_scope(error: authz.NotInScopeError) -> tuple[str, int]:
    """No such object in the user's scope: the 404 page, whether it exists elsewhere or not.

    Parameters
    ----------
    error : survey_app.services.authorisation.NotInScopeError
        The refusal raised by a scope check such as
        :func:`survey_app.services.authorisation.study_in_scope`.

    Returns
    -------
    tuple of (str, int)
        The plain error page and 404.
    """
    return render_error(NotFound())


def guard_staff_blueprint(bp: Blueprint) -> Blueprint:
    """Make every view of ``bp`` need a signed-in staff account and map refusals to 403/404.

    Registers :func:`require_sign_in` before each request of the blueprint and the handlers
    :func:`access_denied` (``AccessDeniedError``: 403) and :func:`not_in_scope`
    (``NotInScopeError``: 404), so views may call the authorisation checks and let them raise.

    Parameters
    ----------
    bp : flask.Blueprint
        A staff blueprint (administration, dashboards, exports).

    Returns
    -------
    flask.Blueprint
        ``bp`` itself, guarded.
    """
    bp.before_request(require_sign_in)
    bp.register_error_handler(authz.AccessDeniedError, access_denied)
    bp.register_error_handler(authz.NotInScopeError, not_in_scope)
    return bp
