"""The audit log page: who did what, when, filterable by action, user and dates."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, url_for

from survey_app.blueprints.admin.blueprint import INVALID, bp, form_problems, staff
from survey_app.extensions import db
from survey_app.forms.admin import AuditFilterForm
from survey_app.localtime import day_range, zone_from_config
from survey_app.services import audit
from survey_app.services import authorisation as authz

ANY = ""


@bp.get("/audit")
def audit_log() -> tuple[str, int]:
    """The audit trail, newest first (evaluators: events about their study only)."""
    user = staff()
    authz.require(user, "audit.view")
    scope = authz.scope_study_ids(db.session, user)
    form = AuditFilterForm(request.args)
    actions = audit.known_actions(db.session, study_ids=scope)
    form.action.choices = [(ANY, "Any action"), *((a, a) for a in actions)]
    valid = form.validate()
    if valid and form.since.data and form.until.data and form.until.data < form.since.data:
        form.until.errors = ["The end date must not be before the start date"]
        valid = False
    if not valid:
        return (
            render_template(
                "admin/audit.html",
                form=form,
                page=None,
                errors=form_problems(form),
                newer_url=None,
                older_url=None,
            ),
            INVALID,
        )
    zone = zone_from_config(current_app.config)
    since, until = day_range(form.since.data, form.until.data, zone)
    filters = audit.AuditFilter(
        action=form.action.data or None,
        actor=(form.actor.data or "").strip() or None,
        since=since,
        until=until,
    )
    page = audit.list_events(db.session, filters, study_ids=scope, page=form.page.data or 1)
    query: dict[str, Any] = {
        key: value for key, value in request.args.items() if key != "page" and value
    }
    older = url_for("admin.audit_log", **query, page=page.page + 1) if page.has_more else None
    newer = url_for("admin.audit_log", **query, page=page.page - 1) if page.page > 1 else None
    return (
        render_template(
            "admin/audit.html",
            form=form,
            page=page,
            errors=[],
            newer_url=newer,
            older_url=older,
        ),
        200,
    )
