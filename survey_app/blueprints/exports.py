"""Evaluators' downloads of a study's pseudonymous data (``/exports``), each one audited."""

from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from survey_app.blueprints.admin.blueprint import staff_navigation
from survey_app.extensions import db
from survey_app.forms.exports import ExportForm
from survey_app.models import Study, User
from survey_app.services import authorisation
from survey_app.services import export as export_service

bp = Blueprint("exports", __name__, url_prefix="/exports")
bp.context_processor(staff_navigation)

PERMISSION = "study.view"
"""Exports are for the study's staff (admins and its evaluators), never for managers."""


def _staff() -> User:
    """The signed-in staff account, allowed to export at all (else 403)."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        abort(403)
    try:
        authorisation.require(user, PERMISSION)
    except authorisation.AccessDeniedError:
        abort(403)
    return user


def _study(user: User, study_id: int) -> Study:
    """The study if ``user`` works on it, else 404 (nothing is said about other studies)."""
    try:
        return authorisation.study_in_scope(db.session, user, study_id)
    except authorisation.NotInScopeError:
        abort(404)


@bp.get("/")
@login_required
def index() -> str:
    """The studies the user may export, with a format choice and a download button each."""
    user = _staff()
    studies = authorisation.visible_studies(db.session, user)
    return render_template("exports/index.html", studies=studies, form=ExportForm())


@bp.post("/<int:study_id>")
@login_required
def download(study_id: int) -> Response | BaseResponse:
    """Send the study's data in the chosen format as an attachment (audited first)."""
    user = _staff()
    study = _study(user, study_id)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        exported = export_service.export_download(
            db.session, study, str(form.export_format.data), user=user, ip=request.remote_addr
        )
    except export_service.ExportError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("exports.index"), code=303)
    response = send_file(
        BytesIO(exported.data),
        mimetype=exported.mimetype,
        as_attachment=True,
        download_name=exported.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
