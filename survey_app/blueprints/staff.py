"""What every staff blueprint shares: the guard (sign-in, 403, 404) and showing a form's problems."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.wrappers import Response

from survey_app.errors import render_error
from survey_app.extensions import login_manager
from survey_app.services import authorisation as authz
from survey_app.services.errors import ServiceError


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


def form_problems(form: FlaskForm) -> list[str]:
    """Every field error of a submitted form, for the error summary."""
    return [message for errors in form.errors.values() for message in errors]


def attach_problems(form: FlaskForm, error: ServiceError) -> list[str]:
    """Show each of a service's problems at its field of ``form``; returns the other messages.

    A problem whose ``field`` names a field of ``form`` is appended to that field's errors (the
    field macro shows it beside the input); the messages of the problems about no field of the
    form (or the request as a whole) are returned, in order.
    """
    others: list[str] = []
    for name, message in error.problems:
        field = form._fields.get(name) if name is not None else None
        if field is None:
            others.append(message)
        else:
            field.errors = [*field.errors, message]
    return others


def problems_of(error: ServiceError, form: FlaskForm | None = None) -> list[str]:
    """Every message of a service's problems, for the error summary, in the service's order.

    With ``form``, each problem about one of its fields is also shown at that field
    (:func:`attach_problems`).
    """
    if form is not None:
        attach_problems(form, error)
    return error.messages
