"""Data protection pages: a study's retention and result sharing, and erasing a member."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
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
from survey_app.forms.admin import DataProtectionForm
from survey_app.forms.staff import ButtonForm
from survey_app.models import Study
from survey_app.services import authorisation as authz
from survey_app.services import erasure
from survey_app.services.errors import ServiceError


def _render_settings(
    study: Study,
    form: DataProtectionForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    default = int(current_app.config["RETENTION_DAYS"])
    if form is None:
        form = DataProtectionForm(
            retention_days=study.retention_days,
            share_results="yes" if study.share_results else "no",
        )
    return (
        render_template(
            "admin/data_protection.html",
            study=study,
            form=form,
            default_days=default,
            retention=erasure.retention_days(study, default),
            can_edit=authz.allowed(staff(), "study.edit"),
            errors=errors or [],
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/data-protection", methods=["GET", "POST"])
def data_protection(study_id: int) -> Response | tuple[str, int]:
    """How long the study keeps personal data, and whether team members see their results."""
    study = load_study(study_id, "study.view")
    form = DataProtectionForm()
    if not form.is_submitted():
        return _render_settings(study)
    authz.require(staff(), "study.edit")
    if not form.validate():
        return _render_settings(study, form, form_problems(form), INVALID)
    try:
        changed = erasure.update_data_protection(
            db.session,
            study,
            retention=form.retention_days.data,
            share_results=form.share_results.data == "yes",
            actor=actor(),
        )
    except ServiceError as error:
        return _render_settings(study, form, problems_of(error, form), INVALID)
    flash("Data protection settings saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("admin.data_protection", study_id=study_id))


@bp.route("/studies/<int:study_id>/members/<int:member_id>/erase", methods=["GET", "POST"])
def erase_member(study_id: int, member_id: int) -> Response | tuple[str, int]:
    """Erase a member at their request: what goes, then (on POST) everything of theirs deleted."""
    study = load_study(study_id, "study.edit")
    person = authz.member_in_scope(db.session, staff(), study, member_id)
    form = ButtonForm()
    if not form.is_submitted():
        counts = erasure.erasure_counts(db.session, person)
        page = render_template("admin/erase_member.html", study=study, member=person, counts=counts)
        return page, 200
    if not form.validate():
        abort(400)
    done = erasure.erase_member(db.session, study, person, actor(), via="admin page")
    flash(f"The member was erased: deleted {done.describe()}.", "info")
    return redirect(url_for("admin.members_page", study_id=study_id), code=303)
