"""A study's e-mails: edit the invitation and the reminder, preview them, send a test to yourself."""

from __future__ import annotations

from typing import cast

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
from survey_app.forms.admin import MailTemplateForm
from survey_app.forms.staff import ButtonForm
from survey_app.models import Study
from survey_app.services import authorisation as authz
from survey_app.services import mail_preview, mail_readiness, mail_templates
from survey_app.services.errors import ServiceError
from survey_app.services.invitations import MailingSettings
from survey_app.services.mail_templates import Kind
from survey_app.services.mailer import SmtpMailer

TITLES: dict[str, str] = {"invitation": "Invitation", "reminder": "Reminder"}


def _kind(kind: str) -> Kind:
    if kind not in mail_templates.KINDS:
        abort(404)
    return cast(Kind, kind)


def _settings() -> MailingSettings | None:
    try:
        return MailingSettings.from_config(current_app.config)
    except ValueError:
        return None


def _render(
    study: Study,
    forms: dict[str, MailTemplateForm] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    forms = dict(forms or {})
    settings = _settings()
    letters = []
    for kind in mail_templates.KINDS:
        template = mail_templates.study_template(db.session, study, kind)
        form = forms.get(kind) or MailTemplateForm(
            prefix=kind, formdata=None, data={"subject": template.subject, "body": template.body}
        )
        preview = (
            None if settings is None else mail_preview.sample(db.session, study, kind, settings)
        )
        letters.append(
            {
                "kind": kind,
                "title": TITLES[kind],
                "form": form,
                "preview": preview,
                "default": template == mail_templates.DEFAULTS[kind],
            }
        )
    return (
        render_template(
            "admin/mail.html",
            study=study,
            letters=letters,
            placeholders=mail_templates.PLACEHOLDERS,
            refusals=[p.message for p in mail_readiness.refusals(current_app.config, study)],
            can_edit=authz.allowed(staff(), "study.edit"),
            me=staff().email,
            errors=errors or [],
        ),
        status,
    )


@bp.get("/studies/<int:study_id>/mail")
def mail(study_id: int) -> tuple[str, int]:
    """The study's invitation and reminder e-mails, each with a preview."""
    return _render(load_study(study_id, "study.view"))


@bp.post("/studies/<int:study_id>/mail/<kind>")
def save_mail(study_id: int, kind: str) -> Response | tuple[str, int]:
    """Save the study's e-mail of ``kind``."""
    chosen = _kind(kind)
    study = load_study(study_id, "study.edit")
    form = MailTemplateForm(prefix=chosen)
    if not form.validate_on_submit():
        return _render(study, {chosen: form}, form_problems(form), INVALID)
    try:
        changed = mail_templates.save_template(
            db.session, study, chosen, form.subject.data or "", form.body.data or "", actor()
        )
    except ServiceError as error:
        return _render(study, {chosen: form}, problems_of(error, form), INVALID)
    flash(f"{TITLES[chosen]} saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("admin.mail", study_id=study_id) + f"#{chosen}", code=303)


@bp.post("/studies/<int:study_id>/mail/<kind>/test")
def test_mail(study_id: int, kind: str) -> Response:
    """Send the study's e-mail of ``kind`` (as saved) to yourself."""
    chosen = _kind(kind)
    study = load_study(study_id, "mail.send")
    if not ButtonForm().validate_on_submit():
        abort(400)
    back = url_for("admin.mail", study_id=study_id) + f"#{chosen}"
    try:
        smtp, settings = mail_readiness.settings_for(current_app.config, study)
    except ServiceError as error:
        flash(f"No test sent: {error}.", "error")
        return redirect(back, code=303)
    email = staff().email
    with SmtpMailer(smtp) as mailer:
        error_text = mail_preview.send_test(
            db.session, study, chosen, mailer, settings, actor(), email
        )
    if error_text:
        flash(f"The test message to {email} was not sent: {error_text}", "error")
    else:
        flash(f"A test {chosen} was sent to {email}. Its link opens no survey.", "info")
    return redirect(back, code=303)
