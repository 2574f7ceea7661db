"""The participant information page: what respondents are told about the study."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
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
from survey_app.forms.admin import ParticipantInformationForm
from survey_app.models import Study
from survey_app.services import authorisation as authz
from survey_app.services import participant_information
from survey_app.services.errors import ServiceError


def _render(
    study: Study,
    form: ParticipantInformationForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    information = participant_information.of_study(study)
    return (
        render_template(
            "admin/information.html",
            study=study,
            information=information,
            form=form or ParticipantInformationForm(obj=study),
            can_edit=authz.allowed(staff(), "study.edit"),
            errors=errors or [],
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/information", methods=["GET", "POST"])
def information(study_id: int) -> Response | tuple[str, int]:
    """The study's participant information, and changing it."""
    study = load_study(study_id, "study.view")
    form = ParticipantInformationForm()
    if not form.is_submitted():
        return _render(study)
    authz.require(staff(), "study.edit")
    if not form.validate():
        return _render(study, form, form_problems(form), INVALID)
    try:
        changed = participant_information.update_information(db.session, study, form.data, actor())
    except ServiceError as error:
        return _render(study, form, problems_of(error, form), INVALID)
    flash("Participant information saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("admin.information", study_id=study_id))
