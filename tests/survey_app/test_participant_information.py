"""Participant information: the evaluator says who is asking, and respondents are told."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEvent, Study
from tests.survey_app.staff_support import add_user, post, sign_in, text_of
from tests.survey_app.survey_fixtures import Respondent, SurveySetup

GOOD: dict[str, str] = {
    "respondent_title": "Heart failure teams survey 2025",
    "sponsor": "University of Salford, hosted by Salford Royal NHS Foundation Trust",
    "chief_investigator": "Dr Priya Raman",
    "ethics_reference": "IRAS 312345",
    "privacy_notice_url": "https://example.org/privacy?study=hf",
    "contact_email": "HF-Survey@Example.org",
}


def _evaluator(app: Flask, setup: SurveySetup) -> tuple[Any, str, str]:
    with app.app_context():
        add_user(
            db.session, "ev@example.org", "evaluator", study=db.session.get(Study, setup.study_id)
        )
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "ev@example.org")
    return client, token, f"/admin/studies/{setup.study_id}/information"


def test_the_evaluator_sets_it_and_respondents_see_it(
    app: Flask, survey_setup: SurveySetup
) -> None:
    client, token, path = _evaluator(app, survey_setup)
    empty = text_of(client.get(path))
    assert "Not set yet: title shown to respondents, sponsor or host organisation" in empty
    response = post(client, path, token, GOOD)
    assert response.status_code == 302
    assert "Participant information saved" in text_of(client.get(path))
    [event] = db_events(app, "study.information")
    assert event.detail == {"changed": list(GOOD)}
    again = post(client, path, token, GOOD)
    assert "Nothing changed" in text_of(client.get(again.headers["Location"]))
    assert len(db_events(app, "study.information")) == 1

    respondent = Respondent(app.test_client(), survey_setup.tokens["open"])
    consent = respondent.get("/consent").text
    assert "<title>Before you start · Heart failure teams survey 2025</title>" in consent
    header = consent.split('<header class="site-header">')[1].split("</header>")[0]
    assert "Heart failure teams survey 2025" in header
    assert "University of Salford, hosted by Salford Royal NHS Foundation Trust" in header
    assert "copkit" not in header
    for shown in ("Dr Priya Raman", "IRAS 312345", "https://example.org/privacy?study=hf"):
        assert shown.replace("&", "&amp;") in consent
    assert 'href="mailto:hf-survey@example.org"' in consent
    state = Respondent(app.test_client(), survey_setup.tokens["closed"]).get().text
    assert "copkit@localhost" not in state
    assert "hf-survey@example.org" in state and "Heart failure teams survey 2025" in state


def test_without_it_the_survey_names_the_study_and_the_installations_help_address(
    app: Flask, survey_setup: SurveySetup
) -> None:
    app.config["HELP_EMAIL"] = "help@trust.example.org"
    consent = Respondent(app.test_client(), survey_setup.tokens["open"]).get("/consent").text
    header = consent.split('<header class="site-header">')[1].split("</header>")[0]
    assert "Test CLAHRC" in header
    assert 'href="mailto:help@trust.example.org"' in consent
    app.config["HELP_EMAIL"] = None
    bare = Respondent(app.test_client(), survey_setup.tokens["open"]).get("/consent").text
    assert "copkit@localhost" not in bare and "mailto:" not in bare
    assert "reply to your invitation email" in bare


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("privacy_notice_url", "javascript:alert(1)", "is not a web address"),
        ("privacy_notice_url", "www.example.org/privacy", "is not a web address"),
        ("contact_email", "not-an-email", "is not an email address"),
        ("sponsor", "a" * 301, "longer than 300"),
        ("chief_investigator", "Dr A\nB", "control character"),
    ],
)
def test_bad_values_are_refused_at_their_field_and_nothing_changes(
    app: Flask, survey_setup: SurveySetup, field: str, value: str, message: str
) -> None:
    client, token, path = _evaluator(app, survey_setup)
    response = post(client, path, token, {**GOOD, field: value})
    assert response.status_code == 422
    body = text_of(response)
    assert message in body.split(f'id="{field}-error"')[1].split("</p>")[0]
    with app.app_context():
        study = db.session.get(Study, survey_setup.study_id)
        assert study is not None and study.sponsor is None and study.contact_email is None
    assert db_events(app, "study.information") == []


def db_events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_consent_page_says_team_members_see_the_teams_released_results(
    app: Flask, survey_setup: SurveySetup
) -> None:
    consent = Respondent(app.test_client(), survey_setup.tokens["open"]).get("/consent").text
    who = consent.split("<h2>Who sees what</h2>")[1].split("</ul>")[0]
    assert "Everyone in the team, you included, can see the same team figures" in who
    with app.app_context():
        study = db.session.get(Study, survey_setup.study_id)
        assert study is not None
        study.share_results = False  # the study switched team results off
        db.session.commit()
    consent = Respondent(app.test_client(), survey_setup.tokens["open"]).get("/consent").text
    who = consent.split("<h2>Who sees what</h2>")[1].split("</ul>")[0]
    assert "Managers see only figures for the whole team" in who
    assert "Everyone in the team" not in who
