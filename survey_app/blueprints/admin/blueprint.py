"""The admin blueprint itself: sign-in required, 403/404 for role and scope, shared view helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user

from survey_app.blueprints.staff import (
    attach_problems,
    form_problems,
    guard_staff_blueprint,
    problems_of,
)
from survey_app.extensions import db
from survey_app.localtime import format_day, format_moment, zone_from_config
from survey_app.models import Study, User
from survey_app.services import authorisation as authz
from survey_app.services.audit import Actor

__all__ = [
    "INVALID",
    "actor",
    "attach_problems",
    "bp",
    "form_problems",
    "load_study",
    "problems_of",
    "staff",
]

bp = guard_staff_blueprint(Blueprint("admin", __name__, url_prefix="/admin"))

INVALID = 422
"""Status of a form re-shown with problems (a missing CSRF token is 400)."""


@bp.app_template_filter("local_time")
def local_time(moment: datetime | None) -> str:
    """A UTC time in the app's time zone, as people read it."""
    return format_moment(moment, zone_from_config(current_app.config))


@bp.app_template_filter("local_day")
def local_day(moment: datetime | date | None) -> str:
    """A date (or the day of a time) in the app's time zone."""
    return format_day(moment, zone_from_config(current_app.config))


@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    """A share as a whole percentage, or an en dash when there is none.

    Examples
    --------
    >>> percent(0.456), percent(None)
    ('46%', '–')
    """
    return "–" if share is None else f"{share:.0%}"


def staff() -> User:
    """The signed-in staff account."""
    user: User = current_user._get_current_object()
    return user


def actor() -> Actor:
    """The signed-in account acting from this request's address (for the audit trail)."""
    return Actor.of_user(staff(), request.remote_addr)


def load_study(study_id: int, permission: str) -> Study:
    """The study if the user's role holds ``permission`` (else 403) and it is theirs (else 404)."""
    user = staff()
    authz.require(user, permission)
    return authz.study_in_scope(db.session, user, study_id)


def staff_navigation() -> dict[str, Any]:
    """The links of the staff pages' navigation, by what the signed-in account may do."""
    if not current_user.is_authenticated:
        return {"nav_links": []}
    user = staff()
    links = [("Studies", url_for("admin.index")), ("Results", url_for("dashboard.index"))]
    if authz.allowed(user, "study.view"):
        links.append(("Exports", url_for("exports.index")))
    if authz.allowed(user, "audit.view"):
        links.append(("Audit log", url_for("admin.audit_log")))
    if authz.allowed(user, "user.manage"):
        links.append(("Staff accounts", url_for("admin.users")))
    links.append(("Change password", url_for("auth.password")))
    zone = zone_from_config(current_app.config)
    return {"nav_links": links, "signed_in_as": user.email, "time_zone": zone.key}


bp.context_processor(staff_navigation)
