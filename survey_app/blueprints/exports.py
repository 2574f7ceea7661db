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
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from survey_app.blueprints.admin.blueprint import staff_navigation
from survey_app.blueprints.staff import guard_staff_blueprint
from survey_app.extensions import db
from survey_app.forms.exports import ExportForm
from survey_app.models import User
from survey_app.services import authorisation
from survey_app.services import export as export_service

bp = guard_staff_blueprint(Blueprint("exports", __name__, url_prefix="/exports"))
bp.context_processor(staff_navigation)

PERMISSION = "study.view"
"""Exports are for the study's staff (admins and its evaluators), never for managers."""


def _staff() -> User:
    """The signed-in staff account, allowed to export at all (else 403)."""
    user: User = current_user._get_current_object()
    authorisation.require(user, PERMISSION)
    return user


@bp.get("/")
def index() -> str:
    """The studies the user may export, with a format choice and a download button each."""
    user = _staff()
    studies = authorisation.visible_studies(db.session, user)
    return render_template("exports/index.html", studies=studies, form=ExportForm())


@bp.post("/<int:study_id>")
def download(study_id: int) -> Response | BaseResponse:
    """Send the study's data in the chosen format as an attachment (audited first)."""
    user = _staff()
    study = authorisation.study_in_scope(db.session, user, study_id)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        exported = export_service.export_download(
            db.session, study, str(form.export_format.data), user=user, ip=request.remote_addr
        )
    except export_service.ExportError as error:
        for message in error.messages:
            flash(message, "error")
        return redirect(url_for("exports.index"), code=303)
    response = send_file(
        BytesIO(exported.data),
        mimetype=exported.mimetype,
        as_attachment=True,
        download_name=exported.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
