"""A study's e-mails as a respondent would get them: the preview, and a test sent to yourself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

import instruments
from survey_app.localtime import format_moment
from survey_app.models import Study, utcnow
from survey_app.services import audit, mail_templates, study_setup, waves
from survey_app.services.audit import Actor
from survey_app.services.invitations import Letter, Mailer, MailingSettings
from survey_app.services.mail_templates import Kind, Message
from survey_app.services.mailer import MailError, build_message
from survey_app.services.questionnaire import estimated_minutes, pages_for
from survey_app.services.transactions import write_transaction
from survey_app.tokens import invitation_url

SAMPLE_NAME = "Alex Morgan"
SAMPLE_TOKEN = "example-link-of-a-test-message"
"""The link of a preview or test message: a well-formed link that belongs to nobody (it opens
"This survey link does not work")."""


def sample(session: Session, study: Study, kind: Kind, settings: MailingSettings) -> Message:
    """The study's message of ``kind`` for a made-up person in its first team, with the
    closing time and questionnaire of its latest wave (or of a wave that would open today)."""
    letter = Letter.of(session, study, kind, settings)
    latest = waves.list_waves(session, study)[-1:]
    if latest:
        closes = latest[0].closes
        instrument = (latest[0].instrument_id, latest[0].instrument_version)
    else:
        closes = utcnow() + timedelta(days=14)
        instrument = instruments.available()[-1]
    teams = study_setup.list_teams(session, study)
    values = {
        "name": SAMPLE_NAME,
        "team": teams[0].name if teams else "your team",
        "closes": format_moment(closes, settings.timezone),
        "minutes": str(estimated_minutes(pages_for(*instrument)[1])),
        "link": invitation_url(settings.base_url, SAMPLE_TOKEN),
    }
    return mail_templates.compose(letter.template, values, letter.information, letter.contact)


def send_test(
    session: Session,
    study: Study,
    kind: Kind,
    mailer: Mailer,
    settings: MailingSettings,
    actor: Actor,
    to_email: str,
) -> str | None:
    """Mail the sample message of ``kind`` to ``to_email`` (the signed-in staff member),
    subject marked ``[Test]``; returns why it failed, or None. Audited as ``mail.test``
    (committed); the database is not locked while the mail server is talked to."""
    study_id = study.id
    message = sample(session, study, kind, settings)
    error: str | None = None
    try:
        mailer.send(
            build_message(
                mailer.settings,
                to_name=to_email,
                to_email=to_email,
                subject=f"[Test] {message.subject}",
                text=message.text,
                html=message.html,
            )
        )
    except (MailError, ValueError) as failure:
        error = str(failure) or type(failure).__name__
    with write_transaction(session):
        audit.record_action(
            session,
            actor,
            "mail.test",
            study_id=study_id,
            object_type="study",
            object_id=study_id,
            detail={"kind": kind, "to": to_email, "error": error},
        )
    return error
