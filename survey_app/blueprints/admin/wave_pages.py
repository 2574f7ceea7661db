"""Wave pages: creating and editing waves, closing early, sending mail, tracking responses."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.background import in_thread
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
from survey_app.forms.admin import LinksForm, WaveForm
from survey_app.forms.staff import ButtonForm
from survey_app.localtime import to_local_naive, to_utc, zone_from_config
from survey_app.models import Study, Wave, utcnow
from survey_app.services import authorisation as authz
from survey_app.services import dashboard, invitations, mail_readiness, tracking, waves
from survey_app.services.errors import ServiceError
from survey_app.services.mailer import SmtpMailer

WEB_BATCH = 200
"""At most this many messages per button press, so a request stays short (cron has no limit)."""


def _instrument_choices() -> list[tuple[str, str]]:
    return [(f"{i}@{v}", f"{i} version {v}") for i, v in waves.instrument_choices()]


def _wave_form(form: WaveForm | None = None, **defaults: object) -> WaveForm:
    form = form or WaveForm(**defaults)
    form.instrument.choices = _instrument_choices()
    return form


def _details(form: WaveForm) -> waves.WaveDetails:
    """The form's values as a wave's details (times typed in local time, stored in UTC)."""
    zone = zone_from_config(current_app.config)
    instrument_id, _, version = (form.instrument.data or "").rpartition("@")
    opens: datetime = form.opens.data
    closes: datetime = form.closes.data
    return waves.WaveDetails(
        number=int(form.number.data or 0),
        opens=to_utc(opens, zone),
        closes=to_utc(closes, zone),
        instrument_id=instrument_id,
        instrument_version=int(version) if version.isdigit() else 0,
    )


def _render_waves(
    study: Study, form: WaveForm | None = None, errors: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    if form is None:
        choices = _instrument_choices()
        form = _wave_form(
            number=waves.next_wave_number(db.session, study),
            instrument=choices[-1][0] if choices else None,
        )
    return (
        render_template(
            "admin/waves.html",
            study=study,
            waves=waves.list_waves(db.session, study),
            form=_wave_form(form),
            errors=errors or [],
            now=utcnow(),
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/waves", methods=["GET", "POST"])
def waves_page(study_id: int) -> Response | tuple[str, int]:
    """The study's waves, and creating one."""
    study = load_study(study_id, "study.view")
    form = _wave_form()
    if not form.is_submitted():
        return _render_waves(study)
    authz.require(staff(), "wave.edit")
    if not form.validate():
        return _render_waves(study, form, form_problems(form), INVALID)
    try:
        wave = waves.create_wave(db.session, study, _details(form), actor())
    except ServiceError as error:
        return _render_waves(study, form, problems_of(error, form), INVALID)
    wave_id = wave.id
    flash(f"Wave {form.number.data} created.", "info")
    return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id))


def _load_wave(study_id: int, wave_id: int, permission: str) -> tuple[Study, Wave]:
    study = load_study(study_id, permission)
    return study, authz.wave_in_scope(db.session, staff(), study, wave_id)


def _render_wave(
    study: Study,
    wave: Wave,
    form: WaveForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    zone = zone_from_config(current_app.config)
    if form is None:
        form = _wave_form(
            number=wave.number,
            opens=to_local_naive(wave.opens, zone),
            closes=to_local_naive(wave.closes, zone),
            instrument=f"{wave.instrument_id}@{wave.instrument_version}",
        )
    settings = _settings_or_none()
    now = utcnow()
    due = {
        kind: (
            0 if settings is None else invitations.count_due(db.session, wave, kind, settings, now)
        )
        for kind in ("invitation", "reminder")
    }
    return (
        render_template(
            "admin/wave.html",
            study=study,
            wave=wave,
            status=wave.status(now),
            frozen=waves.has_responses(db.session, wave),
            deletion_refusal=waves.deletion_refusal(db.session, wave),
            form=_wave_form(form),
            button_form=ButtonForm(),
            tracking=tracking.wave_tracking(db.session, study, wave),
            due_invitations=due["invitation"],
            due_reminders=due["reminder"],
            refusals=[p.message for p in mail_readiness.refusals(current_app.config, study)],
            failures=tracking.send_failures(db.session, wave),
            links_form=LinksForm(),
            can_send=authz.allowed(staff(), "mail.send"),
            can_hand_out=authz.allowed(staff(), "links.view"),
            errors=errors or [],
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/waves/<int:wave_id>", methods=["GET", "POST"])
def wave(study_id: int, wave_id: int) -> Response | tuple[str, int]:
    """A wave: its status and dates (editable), mailing buttons and response counts."""
    study, current = _load_wave(study_id, wave_id, "study.view")
    form = _wave_form()
    if not form.is_submitted():
        return _render_wave(study, current)
    authz.require(staff(), "wave.edit")
    if not form.validate():
        return _render_wave(study, current, form, form_problems(form), INVALID)
    try:
        changed = waves.update_wave(db.session, current, _details(form), actor())
    except ServiceError as error:
        return _render_wave(study, current, form, problems_of(error), INVALID)
    flash("Wave saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id))


@bp.route("/studies/<int:study_id>/waves/<int:wave_id>/close", methods=["GET", "POST"])
def close_wave(study_id: int, wave_id: int) -> Response | tuple[str, int]:
    """Close a wave now: links stop working and no more reminders go out.

    GET (and a POST without ``confirm=yes``) shows what closing cuts short and asks to
    confirm; only the confirmation page's POST closes the wave.
    """
    study, current = _load_wave(study_id, wave_id, "wave.edit")
    if request.method == "GET" or request.form.get("confirm") != "yes":
        if request.method == "POST" and not ButtonForm().validate_on_submit():
            abort(400)
        return (
            render_template(
                "admin/close_wave.html",
                study=study,
                wave=current,
                status=current.status(utcnow()),
                summary=waves.close_summary(db.session, current),
            ),
            200,
        )
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        waves.close_early(db.session, current, actor())
    except ServiceError as error:
        for message in error.messages:
            flash(message, "error")
    else:
        flash("The wave is closed.", "info")
        settings = dashboard.settings_from_config(current_app.config)
        if settings.background:  # its results are ready when someone first looks
            dashboard.prepare_later(study_id, in_thread, settings=settings)
    return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id))


@bp.post("/studies/<int:study_id>/waves/<int:wave_id>/delete")
def delete_wave(study_id: int, wave_id: int) -> Response:
    """Delete a wave made by mistake; refused, with the reason, once anyone was invited."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    _, current = _load_wave(study_id, wave_id, "wave.edit")
    number = current.number
    try:
        waves.delete_wave(db.session, current, actor())
    except ServiceError as error:
        flash(f"Nothing was deleted: {error}.", "error")
        return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id))
    flash(f"Wave {number} deleted.", "info")
    return redirect(url_for("admin.waves_page", study_id=study_id))


def _settings_or_none() -> invitations.MailingSettings | None:
    try:
        return invitations.MailingSettings.from_config(current_app.config)
    except ValueError:
        return None


def _send(study_id: int, wave_id: int, kind: invitations.Kind) -> Response:
    _load_wave(study_id, wave_id, "mail.send")
    if not ButtonForm().validate_on_submit():
        abort(400)
    study, current = _load_wave(study_id, wave_id, "mail.send")
    try:
        smtp, settings = mail_readiness.settings_for(current_app.config, study)
    except ServiceError as error:
        flash(f"Nothing was sent: {error}.", "error")
        return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id))
    send = invitations.send_invitations if kind == "invitation" else invitations.send_reminders
    with SmtpMailer(smtp) as mailer:
        report = send(db.session, current, mailer, settings, actor(), limit=WEB_BATCH)
    flash(report.describe(), "error" if report.failures else "info")
    return redirect(url_for("admin.wave", study_id=study_id, wave_id=wave_id))


@bp.post("/studies/<int:study_id>/waves/<int:wave_id>/invitations")
def send_invitations(study_id: int, wave_id: int) -> Response:
    """Mail every invitation of the wave not yet sent (and create the missing ones)."""
    return _send(study_id, wave_id, "invitation")


@bp.post("/studies/<int:study_id>/waves/<int:wave_id>/reminders")
def send_reminders(study_id: int, wave_id: int) -> Response:
    """Remind those who have not submitted and are due a reminder."""
    return _send(study_id, wave_id, "reminder")


@bp.get("/studies/<int:study_id>/waves/<int:wave_id>/tracking")
def wave_tracking(study_id: int, wave_id: int) -> str:
    """Invited, started, submitted and response rate per team (managers: their teams only)."""
    study, current = _load_wave(study_id, wave_id, "tracking.view")
    user = staff()
    managed = authz.managed_team_ids(db.session, user)
    return render_template(
        "admin/tracking.html",
        study=study,
        wave=current,
        status=current.status(utcnow()),
        tracking=tracking.wave_tracking(db.session, study, current, managed),
        can_see_people=authz.allowed(user, "non_responders.view"),
    )


@bp.get("/studies/<int:study_id>/waves/<int:wave_id>/non-responders")
def non_responders(study_id: int, wave_id: int) -> str:
    """Who has not submitted yet (evaluators and admins only, never managers)."""
    study, current = _load_wave(study_id, wave_id, "non_responders.view")
    user = staff()
    return render_template(
        "admin/non_responders.html",
        study=study,
        wave=current,
        people=tracking.non_responders(db.session, current),
        open=current.status(utcnow()) != "closed",
        can_send=authz.allowed(user, "mail.send"),
    )
