"""Study set-up pages: the study's themes and teams, a team's page, and interventions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from survey_app.blueprints.admin.blueprint import (
    INVALID,
    actor,
    bp,
    form_problems,
    load_study,
    problems_of,
    staff,
)
from survey_app.extensions import db
from survey_app.forms.admin import InterventionForm, TeamForm, ThemeForm
from survey_app.forms.staff import ButtonForm
from survey_app.models import Study
from survey_app.services import authorisation as authz
from survey_app.services import members, study_setup, tracking
from survey_app.services.errors import ServiceError
from survey_app.services.transactions import write_transaction


def _team_form(study: Study, form: TeamForm | None = None) -> TeamForm:
    form = form or TeamForm(prefix="team")
    form.theme.choices = [
        (theme.id, theme.name) for theme in study_setup.list_themes(db.session, study)
    ]
    return form


def _render_study(
    study: Study,
    *,
    theme_form: ThemeForm | None = None,
    team_form: TeamForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    overview = study_setup.study_overview(db.session, study)
    return (
        render_template(
            "admin/study.html",
            overview=overview,
            study=study,
            theme_form=theme_form or ThemeForm(prefix="theme"),
            team_form=_team_form(study, team_form),
            errors=errors or [],
        ),
        status,
    )


@bp.get("/studies/<int:study_id>")
def study(study_id: int) -> tuple[str, int]:
    """A study's set-up: themes, teams, roster size and waves."""
    return _render_study(load_study(study_id, "study.view"))


@bp.post("/studies/<int:study_id>/themes")
def create_theme(study_id: int) -> Response | tuple[str, int]:
    """Add a theme to the study."""
    study = load_study(study_id, "study.edit")
    form = ThemeForm(prefix="theme")
    if not form.validate_on_submit():
        return _render_study(study, theme_form=form, errors=form_problems(form), status=INVALID)
    try:
        with write_transaction(db.session):
            study = load_study(study_id, "study.edit")
            study_setup.create_theme(db.session, study, form.name.data or "", actor())
    except ServiceError as error:
        study = load_study(study_id, "study.edit")
        return _render_study(study, theme_form=form, errors=problems_of(error), status=INVALID)
    flash(f"Theme {form.name.data} added.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


@bp.post("/studies/<int:study_id>/teams")
def create_team(study_id: int) -> Response | tuple[str, int]:
    """Add a team to one of the study's themes."""
    study = load_study(study_id, "study.edit")
    form = _team_form(study)
    if not form.validate_on_submit():
        return _render_study(study, team_form=form, errors=form_problems(form), status=INVALID)
    try:
        with write_transaction(db.session):
            study = load_study(study_id, "study.edit")
            study_setup.create_team(
                db.session, study, form.theme.data, form.name.data or "", actor()
            )
    except ServiceError as error:
        study = load_study(study_id, "study.edit")
        return _render_study(study, team_form=form, errors=problems_of(error), status=INVALID)
    flash(f"Team {form.name.data} added.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


@bp.get("/studies/<int:study_id>/teams/<int:team_id>")
def team(study_id: int, team_id: int) -> str:
    """A team: response tracking across waves and interventions; for evaluators, its members."""
    study = load_study(study_id, "team.view")
    user = staff()
    team = authz.team_in_scope(db.session, user, study, team_id)
    show_people = authz.allowed(user, "study.view")
    people = (
        [
            m
            for m in members.list_members(db.session, study)
            if any(ms.team_id == team.id for ms in m.memberships)
        ]
        if show_people
        else []
    )
    return render_template(
        "admin/team.html",
        study=study,
        team=team,
        label=study_setup.team_label(team),
        history=tracking.team_history(db.session, study, team),
        interventions=study_setup.list_interventions(db.session, study, [team.id]),
        people=people,
        show_people=show_people,
    )


def _intervention_form(study: Study, form: InterventionForm | None = None) -> InterventionForm:
    form = form or InterventionForm()
    form.team.choices = [
        (t.id, study_setup.team_label(t)) for t in study_setup.list_teams(db.session, study)
    ]
    return form


def _render_interventions(
    study: Study,
    form: InterventionForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "admin/interventions.html",
            study=study,
            interventions=study_setup.list_interventions(db.session, study),
            form=_intervention_form(study, form),
            delete_form=ButtonForm(),
            errors=errors or [],
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/interventions", methods=["GET", "POST"])
def interventions(study_id: int) -> Response | tuple[str, int]:
    """The study's interventions, and recording a new one."""
    study = load_study(study_id, "study.view")
    form = _intervention_form(study)
    if not form.is_submitted():
        return _render_interventions(study, form)
    authz.require(staff(), "study.edit")
    if not form.validate():
        return _render_interventions(study, form, form_problems(form), INVALID)
    try:
        with write_transaction(db.session):
            study = load_study(study_id, "study.edit")
            team = authz.team_in_scope(db.session, staff(), study, form.team.data)
            study_setup.add_intervention(
                db.session,
                study,
                team,
                form.started_on.data,
                form.kind.data or "",
                form.description.data or "",
                actor(),
            )
    except ServiceError as error:
        study = load_study(study_id, "study.edit")
        return _render_interventions(study, form, problems_of(error), INVALID)
    flash("Intervention recorded.", "info")
    return redirect(url_for("admin.interventions", study_id=study_id))


@bp.post("/studies/<int:study_id>/interventions/<int:intervention_id>/delete")
def delete_intervention(study_id: int, intervention_id: int) -> Response:
    """Remove an intervention recorded by mistake."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    with write_transaction(db.session):
        study = load_study(study_id, "study.edit")
        intervention = authz.intervention_in_scope(db.session, staff(), study, intervention_id)
        study_setup.delete_intervention(db.session, study, intervention, actor())
    flash("Intervention removed.", "info")
    return redirect(url_for("admin.interventions", study_id=study_id))
