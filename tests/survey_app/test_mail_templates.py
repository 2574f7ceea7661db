"""A study's own e-mails: edited by its evaluator, previewed, tested on oneself, and sent (a real
SMTP server, aiosmtpd), always ending with who is asking and whom to write to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from survey_app.extensions import db
from survey_app.models import AuditEvent, MailTemplate, Study
from survey_app.services.mail_templates import DEFAULTS
from survey_app.services.questionnaire import estimated_minutes, pages_for
from tests.survey_app.smtp_support import LINK, MAIL_CONFIG, Smtp, body, link_token
from tests.survey_app.staff_support import add_user, build_study, post, sign_in, text_of

STAFF = "eval@example.org"
INFORMATION = {
    "respondent_title": "Ward teams survey",
    "sponsor": "University of Salford",
    "chief_investigator": "Dr Priya Raman",
    "ethics_reference": "IRAS 312345",
    "privacy_notice_url": "https://example.org/privacy",
    "contact_email": "ward-survey@example.org",
}
MINUTES = estimated_minutes(pages_for("cop-health", 1)[1])
NEW_BODY = (
    "Hello {name},\n\nPlease tell us how {team} works together ({minutes} minutes):\n{link}\n\n"
    "It closes {closes}. Questions: {contact}. Braces: {{ok}}."
)


@dataclass
class Desk:
    app: Flask
    client: FlaskClient
    token: str
    study_id: int
    wave_url: str

    @property
    def mail_url(self) -> str:
        return f"/admin/studies/{self.study_id}/mail"


@pytest.fixture
def desk(app: Flask, smtp: Smtp) -> Iterator[Desk]:
    app.config.update(MAIL_CONFIG, SMTP_PORT=smtp.port)
    with app.app_context():
        fixture = build_study(db.session, "CLAHRC")
        study = db.session.get(Study, fixture.study_id)
        assert study is not None
        for name, value in INFORMATION.items():
            setattr(study, name, value)
        add_user(db.session, STAFF, "evaluator", study=study)
        db.session.commit()
        wave_url = f"/admin/studies/{fixture.study_id}/waves/{fixture.wave_id}"
    client = app.test_client()
    yield Desk(app, client, sign_in(client, STAFF), fixture.study_id, wave_url)


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_page_previews_the_default_messages(desk: Desk) -> None:
    page = text_of(desk.client.get(desk.mail_url))
    assert "copkit's default text" in page
    preview = page.split('id="invitation-preview"')[1].split("</section>")[0]
    assert "Dear Alex Morgan," in preview
    assert f"It takes about {MINUTES} minutes" in preview
    assert "Ward teams survey: a short survey about Renal" in preview  # the first team
    for detail in ("University of Salford", "Dr Priya Raman", "IRAS 312345"):
        assert detail in preview
    assert "Questions, or to withdraw your answers: ward-survey@example.org" in preview
    assert f"Send a test invitation to {STAFF}" in page


def test_the_message_hint_points_where_the_placeholders_are(desk: Desk) -> None:
    page = text_of(desk.client.get(desk.mail_url))
    listed = page.index("<h2>Placeholders</h2>")
    hint = page.index("Placeholders in braces are filled in for each person")
    assert listed < hint  # the list comes first on the page
    assert "(see Placeholders above)" in page[hint:] and "below" not in page[hint : hint + 120]


def test_an_edited_invitation_is_what_people_receive(desk: Desk, smtp: Smtp) -> None:
    response = post(
        desk.client,
        f"{desk.mail_url}/invitation",
        desk.token,
        {"invitation-subject": "{study}: how is {team}?", "invitation-body": NEW_BODY},
    )
    assert response.status_code == 303
    assert "Invitation saved." in text_of(desk.client.get(response.headers["Location"]))
    [event] = _events(desk.app, "mail.template")
    assert event.detail == {"kind": "invitation", "default": False}
    post(desk.client, f"{desk.wave_url}/invitations", desk.token)
    assert len(smtp.collector.messages) == 4
    message = next(m for m in smtp.collector.messages if "Ward 7" in str(m["Subject"]))
    assert message["Subject"] == "Ward teams survey: how is Ward 7?"
    text, html = body(message, "plain"), body(message, "html")
    assert text.startswith("Hello ")
    assert f"Please tell us how Ward 7 works together ({MINUTES} minutes):" in text
    assert "Questions: ward-survey@example.org. Braces: {ok}." in text
    for part in (text, html):
        for detail in ("University of Salford", "Dr Priya Raman", "IRAS 312345"):
            assert detail in part
        assert "https://example.org/privacy" in part
    token = link_token(text)
    assert f'<a href="{MAIL_CONFIG["BASE_URL"]}/s/{token}">' in html
    consent = desk.app.test_client().get(f"/s/{token}/consent").text
    assert f"It takes about {MINUTES} minutes" in consent  # the e-mail and the page agree


@pytest.mark.parametrize(
    ("subject", "text", "field", "message"),
    [
        ("Survey", "Dear {nmae}, {link}", "body", "uses {nmae}, which is not a placeholder"),
        ("Survey", "Dear {name}, no link", "body", "must contain {link}"),
        ("Survey {", "{link}", "subject", "lone “{”"),
        ("Survey", "{name.__class__} {link}", "body", "is not a placeholder"),
        ("Survey", "{link:>99999999} x", "body", "is not a placeholder"),
        ("", "{link}", "subject", "Enter a subject"),
    ],
)
def test_a_bad_template_is_refused_at_its_field_and_nothing_is_stored(
    desk: Desk, subject: str, text: str, field: str, message: str
) -> None:
    response = post(
        desk.client,
        f"{desk.mail_url}/reminder",
        desk.token,
        {"reminder-subject": subject, "reminder-body": text},
    )
    assert response.status_code == 422
    page = text_of(response)
    error = page.split(f'id="reminder-{field}-error"')[1].split("</p>")[0]
    assert message in error.replace("&#34;", '"')
    with desk.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailTemplate)) == 0
    assert _events(desk.app, "mail.template") == []


def test_saving_the_default_text_again_drops_the_studys_own(desk: Desk) -> None:
    url = f"{desk.mail_url}/reminder"
    post(desk.client, url, desk.token, {"reminder-subject": "Nudge", "reminder-body": NEW_BODY})
    default = DEFAULTS["reminder"]
    fields = {"reminder-subject": default.subject, "reminder-body": default.body}
    assert post(desk.client, url, desk.token, fields).status_code == 303
    with desk.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailTemplate)) == 0
    again = post(desk.client, url, desk.token, fields)
    assert "Nothing changed." in text_of(desk.client.get(again.headers["Location"]))


def test_a_test_goes_to_yourself_only_and_its_link_opens_no_survey(desk: Desk, smtp: Smtp) -> None:
    response = post(desk.client, f"{desk.mail_url}/reminder/test", desk.token)
    assert response.status_code == 303
    flash = text_of(desk.client.get(response.headers["Location"]))
    assert f"A test reminder was sent to {STAFF}" in flash
    [message] = smtp.collector.messages
    assert smtp.collector.recipients() == [STAFF]
    assert str(message["Subject"]).startswith("[Test] Reminder: Ward teams survey about")
    link = re.search(re.escape(MAIL_CONFIG["BASE_URL"]) + r"/s/[\w-]+", body(message, "plain"))
    assert link is not None and LINK.search(body(message, "plain")) is None  # no real token
    assert desk.app.test_client().get(urlsplit(link.group(0)).path).status_code == 404
    [event] = _events(desk.app, "mail.test")
    assert event.detail == {"kind": "reminder", "to": STAFF, "error": None}


def test_no_test_while_the_sender_is_copkits_default(desk: Desk, smtp: Smtp) -> None:
    desk.app.config["MAIL_FROM"] = "copkit@localhost"
    page = text_of(desk.client.get(desk.mail_url))
    assert "the sender address is still copkit" in page and "Send a test" not in page
    response = post(desk.client, f"{desk.mail_url}/invitation/test", desk.token)
    flash = text_of(desk.client.get(response.headers["Location"]))
    assert "No test sent: the sender address is still copkit" in flash
    assert smtp.collector.messages == [] and _events(desk.app, "mail.test") == []
    with desk.app.app_context():  # nor without any contact for respondents
        db.session.execute(update(Study).values(contact_email=None))
        db.session.commit()
    desk.app.config.update(MAIL_FROM="survey@example.org", HELP_EMAIL=None)
    assert "respondents have no address to write to" in text_of(desk.client.get(desk.mail_url))
    assert desk.client.post(f"{desk.mail_url}/letter").status_code in (400, 404)
