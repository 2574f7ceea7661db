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
from survey_app.forms.admin import (
    InterventionForm,
    TeamForm,
    TeamNameForm,
    ThemeForm,
    ThemeNameForm,
)
from survey_app.forms.staff import ButtonForm
from survey_app.models import Study, Theme, utcnow
from survey_app.services import authorisation as authz
from survey_app.services import members, study_setup, tracking
from survey_app.services.errors import ServiceError


def _team_form(study: Study, form: TeamForm | None = None) -> TeamForm:
    form = form or TeamForm(prefix="team")
    form.theme.choices = [
        (theme.id, theme.name) for theme in study_setup.list_themes(db.session, study)
    ]
    return form


def _theme_name_form(theme: Theme) -> ThemeNameForm:
    form = ThemeNameForm(prefix=f"theme-{theme.id}", name=theme.name)
    form.name.label.text = f"New name for {theme.name}"
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
            theme_forms={theme.id: _theme_name_form(theme) for theme in overview.themes},
            theme_refusals={
                theme.id: study_setup.theme_deletion_refusal(theme) for theme in overview.themes
            },
            theme_rename_refusals={
                theme.id: study_setup.theme_rename_refusal(db.session, theme)
                for theme in overview.themes
            },
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
        study_setup.create_theme(db.session, study, form.name.data or "", actor())
    except ServiceError as error:
        return _render_study(
            study, theme_form=form, errors=problems_of(error, form), status=INVALID
        )
    flash(f"Theme {form.name.data} added.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


def _theme(study: Study, theme_id: int) -> Theme:
    theme = study_setup.get_theme(db.session, study, theme_id)
    if theme is None:
        abort(404)
    return theme


@bp.post("/studies/<int:study_id>/themes/<int:theme_id>/name")
def rename_theme(study_id: int, theme_id: int) -> Response:
    """Rename a theme; refused, with the reason, once a closed wave's results name its teams."""
    study = load_study(study_id, "study.edit")
    theme = _theme(study, theme_id)
    form = ThemeNameForm(prefix=f"theme-{theme_id}")
    if not form.validate_on_submit():
        for message in form_problems(form):
            flash(f"Not renamed: {message}", "error")
        return redirect(url_for("admin.study", study_id=study_id))
    try:
        study_setup.rename_theme(db.session, study, theme, form.name.data or "", actor())
    except ServiceError as error:
        flash(f"Not renamed: {error}.", "error")
    else:
        flash(f"Theme renamed {theme.name}.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


@bp.post("/studies/<int:study_id>/themes/<int:theme_id>/delete")
def delete_theme(study_id: int, theme_id: int) -> Response:
    """Delete a theme added by mistake; refused, with the reason, while teams belong to it."""
    study = load_study(study_id, "study.edit")
    theme = _theme(study, theme_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    name = theme.name
    try:
        study_setup.delete_theme(db.session, study, theme, actor())
    except ServiceError as error:
        flash(f"Nothing was deleted: {error}.", "error")
    else:
        flash(f"Theme {name} deleted.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


@bp.post("/studies/<int:study_id>/teams")
def create_team(study_id: int) -> Response | tuple[str, int]:
    """Add a team to one of the study's themes."""
    study = load_study(study_id, "study.edit")
    form = _team_form(study)
    if not form.validate_on_submit():
        return _render_study(study, team_form=form, errors=form_problems(form), status=INVALID)
    try:
        study_setup.create_team(db.session, study, form.theme.data, form.name.data or "", actor())
    except ServiceError as error:
        return _render_study(study, team_form=form, errors=problems_of(error, form), status=INVALID)
    flash(f"Team {form.name.data} added.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


@bp.get("/studies/<int:study_id>/teams/<int:team_id>")
def team(study_id: int, team_id: int) -> str:
    """A team: response tracking across waves and interventions; for evaluators, its members."""
    study = load_study(study_id, "team.view")
    user = staff()
    team = authz.team_in_scope(db.session, user, study, team_id)
    show_people = authz.allowed(user, "study.view")
    people = members.team_people(db.session, team, utcnow().date()) if show_people else None
    return render_template(
        "admin/team.html",
        study=study,
        team=team,
        label=study_setup.team_label(team),
        history=tracking.team_history(db.session, study, team),
        interventions=study_setup.list_interventions(db.session, study, [team.id]),
        people=people,
        show_people=show_people,
        name_form=TeamNameForm(name=team.name),
        deletion_refusal=(
            study_setup.team_deletion_refusal(db.session, team) if show_people else None
        ),
        rename_refusal=(study_setup.team_rename_refusal(db.session, team) if show_people else None),
    )


@bp.post("/studies/<int:study_id>/teams/<int:team_id>/name")
def rename_team(study_id: int, team_id: int) -> Response:
    """Rename a team; refused, with the reason, once a closed wave's results name it."""
    study = load_study(study_id, "study.edit")
    team = authz.team_in_scope(db.session, staff(), study, team_id)
    form = TeamNameForm()
    if not form.validate_on_submit():
        for message in form_problems(form):
            flash(f"Not renamed: {message}", "error")
        return redirect(url_for("admin.team", study_id=study_id, team_id=team_id))
    try:
        study_setup.rename_team(db.session, study, team, form.name.data or "", actor())
    except ServiceError as error:
        flash(f"Not renamed: {error}.", "error")
    else:
        flash(f"Team renamed {team.name}.", "info")
    return redirect(url_for("admin.team", study_id=study_id, team_id=team_id))


@bp.post("/studies/<int:study_id>/teams/<int:team_id>/delete")
def delete_team(study_id: int, team_id: int) -> Response:
    """Delete a team added by mistake; refused, with the reason, once anything depends on it."""
    study = load_study(study_id, "study.edit")
    team = authz.team_in_scope(db.session, staff(), study, team_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    name = team.name
    try:
        study_setup.delete_team(db.session, study, team, actor())
    except ServiceError as error:
        flash(f"Nothing was deleted: {error}.", "error")
        return redirect(url_for("admin.team", study_id=study_id, team_id=team_id))
    flash(f"Team {name} deleted.", "info")
    return redirect(url_for("admin.study", study_id=study_id))


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
        return _render_interventions(study, form, problems_of(error, form), INVALID)
    flash("Intervention recorded.", "info")
    return redirect(url_for("admin.interventions", study_id=study_id))


@bp.post("/studies/<int:study_id>/interventions/<int:intervention_id>/delete")
def delete_intervention(study_id: int, intervention_id: int) -> Response:
    """Remove an intervention recorded by mistake."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    study = load_study(study_id, "study.edit")
    intervention = authz.intervention_in_scope(db.session, staff(), study, intervention_id)
    study_setup.delete_intervention(db.session, study, intervention, actor())
    flash("Intervention removed.", "info")
    return redirect(url_for("admin.interventions", study_id=study_id))
