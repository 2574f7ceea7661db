"""Survey links without a mail server: a wave's links as CSV, one person's link, a resend."""

from __future__ import annotations

from io import BytesIO
from typing import cast

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response

from survey_app.blueprints.admin.blueprint import actor, bp, load_study, staff
from survey_app.extensions import db
from survey_app.forms.admin import LinksForm
from survey_app.forms.staff import ButtonForm
from survey_app.models import Invitation, Study, Wave
from survey_app.services import authorisation as authz
from survey_app.services import distribution, invitations, mail_readiness
from survey_app.services.errors import ServiceError
from survey_app.services.mailer import SmtpMailer


def _wave(study_id: int, wave_id: int, permission: str) -> tuple[Study, Wave]:
    study = load_study(study_id, permission)
    return study, authz.wave_in_scope(db.session, staff(), study, wave_id)


def _invitation(study_id: int, wave_id: int, invitation_id: int) -> tuple[Study, Wave, Invitation]:
    study, wave = _wave(study_id, wave_id, "links.view")
    return study, wave, authz.invitation_in_scope(db.session, staff(), wave, invitation_id)


def _settings() -> invitations.MailingSettings:
    try:
        return invitations.MailingSettings.from_config(current_app.config)
    except ValueError as error:
        raise ServiceError(f"links cannot be made: {error}") from None


@bp.post("/studies/<int:study_id>/waves/<int:wave_id>/links")
def download_links(study_id: int, wave_id: int) -> Response:
    """The wave's personal links as CSV (name, email, team, wave, link), for a mail merge."""
    study, wave = _wave(study_id, wave_id, "links.view")
    form = LinksForm()
    if not form.validate_on_submit():
        abort(400)
    who = cast(distribution.Who, form.who.data)
    try:
        links = distribution.export_links(db.session, wave, _settings(), actor(), who=who)
    except ServiceError as error:
        for message in error.messages:
            flash(message, "error")
        return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id), code=303)
    slug = "".join(c if c.isalnum() else "-" for c in study.name.lower()).strip("-") or "study"
    response = send_file(
        BytesIO(distribution.links_csv(links)),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{slug}-wave-{wave.number}-links.csv",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/studies/<int:study_id>/waves/<int:wave_id>/invitations/<int:invitation_id>/link")
def show_link(study_id: int, wave_id: int, invitation_id: int) -> Response | tuple[str, int]:
    """One person's link, to copy into a message (audited; it counts as handing it out)."""
    study, wave, invitation = _invitation(study_id, wave_id, invitation_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        link = distribution.show_link(db.session, wave, invitation, _settings(), actor())
    except ServiceError as error:
        for message in error.messages:
            flash(message, "error")
        return redirect(
            url_for("admin.non_responders", study_id=study_id, wave_id=wave_id), code=303
        )
    study, wave = _wave(study_id, wave_id, "links.view")
    return render_template("admin/link.html", study=study, wave=wave, link=link), 200


@bp.post("/studies/<int:study_id>/waves/<int:wave_id>/invitations/<int:invitation_id>/resend")
def resend_invitation(study_id: int, wave_id: int, invitation_id: int) -> Response:
    """E-mail one person's invitation again now, with the same link."""
    _, wave, invitation = _invitation(study_id, wave_id, invitation_id)
    authz.require(staff(), "mail.send")
    if not ButtonForm().validate_on_submit():
        abort(400)
    back = url_for("admin.non_responders", study_id=study_id, wave_id=wave_id)
    email = invitation.membership.member.email
    try:
        smtp, mailing = mail_readiness.settings_for(
            current_app.config, load_study(study_id, "mail.send")
        )
    except ServiceError as error:
        flash(f"Not sent: {error}.", "error")
        return redirect(back, code=303)
    with SmtpMailer(smtp) as mailer:
        report = invitations.resend(db.session, wave, invitation.id, mailer, mailing, actor())
    if report.skipped_reason:
        flash(f"Not sent: {report.skipped_reason}.", "error")
    elif report.failures:
        flash(f"Not sent to {email}: {report.failures[0].error}", "error")
    else:
        flash(f"The invitation was sent again to {email}.", "info")
    return redirect(back, code=303)
