"""``copkit send-invitations`` and ``send-reminders``: mail the survey links of a wave (for cron)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import app_for, refusal, require_study, require_wave
from survey_app.extensions import db
from survey_app.services import invitations, mail_readiness
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.mailer import SmtpMailer

FAILED_EXIT = 1


def _run(ctx: click.Context, study_name: str, number: int, kind: invitations.Kind) -> None:
    app = app_for(ctx)
    try:
        with app.app_context():
            study = require_study(db.session, study_name)
            wave = require_wave(db.session, study, number)
            try:
                smtp, settings = mail_readiness.settings_for(app.config, study)
            except ServiceError as error:
                raise click.ClickException(refusal(error, "nothing was sent")) from None
            send = (
                invitations.send_invitations if kind == "invitation" else invitations.send_reminders
            )
            with SmtpMailer(smtp) as mailer:
                report = send(db.session, wave, mailer, settings, Actor.cli())
            click.echo(report.describe())
            for failure in report.failures:
                click.echo(f"  not sent to {failure.email}: {failure.error}", err=True)
            if report.failures:
                raise SystemExit(FAILED_EXIT)
    finally:
        db.dispose(app)


@click.command("send-invitations")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--wave", "number", required=True, type=click.IntRange(min=1), help="The wave number."
)
@click.pass_context
def send_invitations(ctx: click.Context, study_name: str, number: int) -> None:
    """Email each invited member of a wave their personal survey link.

    Invitations are created first for every current member of every team. Each invitation is
    sent once; failed sends are recorded and retried on the next run (exit status 1 when any
    failed). Nothing is sent unless the wave is open, nor while the sender COPKIT_MAIL_FROM is
    still copkit's default or the study has no contact address (its participant information,
    else COPKIT_HELP_EMAIL). Mail goes through COPKIT_SMTP_HOST,
    COPKIT_SMTP_PORT, COPKIT_SMTP_USER, COPKIT_SMTP_PASSWORD, COPKIT_SMTP_STARTTLS, from
    COPKIT_MAIL_FROM, with links under COPKIT_BASE_URL.
    """
    _run(ctx, study_name, number, "invitation")


@click.command("send-reminders")
@click.option("--study", "study_name", required=True, help="The study.")
@click.option(
    "--wave", "number", required=True, type=click.IntRange(min=1), help="The wave number."
)
@click.pass_context
def send_reminders(ctx: click.Context, study_name: str, number: int) -> None:
    """Remind members who have not yet submitted, while the wave is open.

    At most REMINDER_LIMIT reminders per invitation (COPKIT_REMINDER_LIMIT, default 2), at
    least REMINDER_INTERVAL_HOURS apart (default 72); none before the wave opens or after it
    closes. Suitable for a daily cron job; exit status 1 when any reminder failed.
    """
    _run(ctx, study_name, number, "reminder")
