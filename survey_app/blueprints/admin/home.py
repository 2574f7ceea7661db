"""Administration home: the studies the signed-in account works on, and creating a study."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from survey_app.blueprints.admin.blueprint import (
    INVALID,
    actor,
    bp,
    form_problems,
    problems_of,
    staff,
)
from survey_app.extensions import db
from survey_app.forms.admin import StudyForm
from survey_app.services import authorisation as authz
from survey_app.services import study_setup, waves
from survey_app.services.errors import ServiceError


def _render(
    form: StudyForm | None = None, errors: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    user = staff()
    studies = authz.visible_studies(db.session, user)
    managed = authz.managed_team_ids(db.session, user)
    entries = [
        {
            "study": study,
            "waves": waves.list_waves(db.session, study),
            "teams": study_setup.list_teams(db.session, study, managed),
        }
        for study in studies
    ]
    return (
        render_template(
            "admin/index.html",
            entries=entries,
            can_create=authz.allowed(user, "study.create"),
            can_set_up=authz.allowed(user, "study.view"),
            can_manage_users=authz.allowed(user, "user.manage"),
            form=form or StudyForm(),
            errors=errors or [],
        ),
        status,
    )


@bp.get("/")
def index() -> tuple[str, int]:
    """The studies of the signed-in account (managers: their teams and the waves to track)."""
    return _render()


@bp.post("/studies")
def create_study() -> Response | tuple[str, int]:
    """Create a study (admins and evaluators; an evaluator then works on it)."""
    authz.require(staff(), "study.create")
    form = StudyForm()
    if not form.validate_on_submit():
        return _render(form, form_problems(form), INVALID)
    try:
        study = study_setup.create_study(db.session, form.name.data or "", actor())
        study_id, name = study.id, study.name
    except ServiceError as error:
        return _render(form, problems_of(error, form), INVALID)
    flash(f"Study {name} created. Next: add themes and teams, or import a roster.", "info")
    return redirect(url_for("admin.study", study_id=study_id))
