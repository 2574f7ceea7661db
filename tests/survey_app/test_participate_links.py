"""Survey links: every state a link can be in, what each page reveals, caching and CSRF."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Invitation, Response
from tests.survey_app.survey_fixtures import (
    OTHER_TEAM_NAME,
    TEAM_NAME,
    Respondent,
    SurveySetup,
    csrf_token,
    rated_answers,
)

HELP = "cop-survey-help@example.nhs.uk"


@pytest.fixture(autouse=True)
def _help_email(app: Flask) -> None:
    app.config["HELP_EMAIL"] = HELP


def _heading(html: str) -> str:
    start = html.index("<h1>") + 4
    return html[start : html.index("</h1>")]


@pytest.mark.parametrize(
    "link",
    [
        "not-a-real-token-but-well-formed-0123456789",
        "short",
        "has spaces and <b>html<b> in it",
        "x" * 500,
    ],
)
def test_an_unknown_link_is_404_and_says_so(client: FlaskClient, link: str) -> None:
    for suffix in ("", "/consent", "/page/1", "/thanks"):
        response = client.get(f"/s/{link}{suffix}")
        assert response.status_code == 404
        assert _heading(response.text) == "This survey link does not work"
        assert f"mailto:{HELP}" in response.text
        assert "<b>html" not in response.text


def test_an_unknown_link_cannot_be_posted_to(
    client: FlaskClient, survey_setup: SurveySetup
) -> None:
    token = csrf_token(client.get(f"/s/{survey_setup.tokens['open']}/consent").text)
    response = client.post(
        "/s/not-a-real-token-but-well-formed-0123456789/consent",
        data={"csrf_token": token, "agree": "y"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "status", "heading"),
    [
        ("scheduled", 200, "This survey is not open yet"),
        ("closed", 410, "This survey has closed"),
        ("closed_early", 410, "This survey has closed"),
        ("submitted", 200, "You have already sent your answers"),
    ],
)
def test_each_state_of_a_link_has_its_page_and_status(
    client: FlaskClient, survey_setup: SurveySetup, name: str, status: int, heading: str
) -> None:
    link = survey_setup.tokens[name]
    for suffix in ("", "/consent", "/page/1"):
        response = client.get(f"/s/{link}{suffix}")
        assert response.status_code == status, suffix
        assert _heading(response.text) == heading
        assert f"mailto:{HELP}" in response.text
        # nothing else: no team, no form, no questions
        assert TEAM_NAME not in response.text
        assert "<form" not in response.text
        assert "In this team we" not in response.text


def test_the_not_yet_open_page_gives_the_opening_date(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    with app.app_context():
        invitation = db.session.get(Invitation, survey_setup.invitations["scheduled"])
        assert invitation is not None
        opens = invitation.wave.opens.astimezone(ZoneInfo("Europe/London"))
    response = client.get(f"/s/{survey_setup.tokens['scheduled']}")
    assert f"It opens on {opens.day} {opens:%B %Y}." in response.text


def test_posting_to_a_closed_or_submitted_link_changes_nothing(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    token = csrf_token(client.get(f"/s/{survey_setup.tokens['open']}/consent").text)
    for name, status in (("closed", 410), ("submitted", 409), ("scheduled", 200)):
        link = survey_setup.tokens[name]
        consent = client.post(f"/s/{link}/consent", data={"csrf_token": token, "agree": "y"})
        assert consent.status_code == status
        page = client.post(
            f"/s/{link}/page/1", data={"csrf_token": token, "action": "next", **rated_answers(1)}
        )
        assert page.status_code == status
    with app.app_context():
        for name in ("closed", "scheduled"):
            invitation = db.session.get(Invitation, survey_setup.invitations[name])
            assert invitation is not None
            assert invitation.consented_at is None
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_wave_that_closes_mid_survey_stops_taking_answers(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    respondent = Respondent(client, survey_setup.tokens["open"])
    respondent.walk_to(2)
    with app.app_context():
        invitation = db.session.get(Invitation, survey_setup.invitations["open"])
        assert invitation is not None
        invitation.wave.closed_early_at = invitation.wave.opens
        db.session.commit()
    response = respondent.page(2, rated_answers(2))
    assert response.status_code == 410
    assert _heading(response.text) == "This survey closed before you sent your answers"
    # what happened to the partial answers, and how to have them deleted now
    assert "They are <strong>not used</strong>" in response.text
    assert "not in any results, report or export" in response.text
    assert f'href="/s/{survey_setup.tokens["open"]}/withdraw"' in response.text
    assert _heading(respondent.get().text) == "This survey closed before you sent your answers"
    with app.app_context():
        answers = db.session.scalars(select(Response)).all()
        stored = {a.item_id for r in answers for a in r.answers}
        assert "je1" not in stored  # page 2 was not saved
        assert "me1" in stored  # the draft is kept


def test_survey_pages_are_never_cached(client: FlaskClient, survey_setup: SurveySetup) -> None:
    respondent = Respondent(client, survey_setup.tokens["open"])
    responses = [respondent.get(), respondent.get("/consent"), respondent.consent()]
    responses += [respondent.get("/page/1"), respondent.page(1, {})]
    responses.append(client.get(f"/s/{survey_setup.tokens['closed']}"))
    responses.append(client.get("/s/not-a-real-token-but-well-formed-0123456789"))
    for response in responses:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_posts_without_a_csrf_token_are_refused(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    assert app.config["WTF_CSRF_ENABLED"] is True
    link = survey_setup.tokens["open"]
    assert client.post(f"/s/{link}/consent", data={"agree": "y"}).status_code == 400
    respondent = Respondent(client, link)
    respondent.consent()
    response = client.post(f"/s/{link}/page/1", data={"action": "next", **rated_answers(1)})
    assert response.status_code == 400
    forged = client.post(
        f"/s/{link}/page/1",
        data={"csrf_token": "forged-token", "action": "next", **rated_answers(1)},
    )
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1  # Dev's only


def test_the_help_contact_falls_back_to_the_sender_address(app: Flask, client: FlaskClient) -> None:
    app.config["HELP_EMAIL"] = None
    app.config["MAIL_FROM"] = "study-team@example.nhs.uk"
    response = client.get("/s/not-a-real-token-but-well-formed-0123456789")
    assert "mailto:study-team@example.nhs.uk" in response.text
    app.config["MAIL_FROM"] = "copkit@localhost"  # the shipped default: nobody reads it
    response = client.get("/s/not-a-real-token-but-well-formed-0123456789")
    assert "copkit@localhost" not in response.text and "mailto:" not in response.text


def test_the_other_teams_name_is_escaped(client: FlaskClient, survey_setup: SurveySetup) -> None:
    respondent = Respondent(client, survey_setup.tokens["other_team"])
    page = respondent.get("/consent").text
    assert OTHER_TEAM_NAME not in page
    assert "CKD &lt;b&gt;early&lt;/b&gt; &amp; late" in page


def test_a_form_token_works_only_on_its_own_link(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    ben = csrf_token(client.get(f"/s/{survey_setup.tokens['ben']}/consent").text)
    asha = survey_setup.tokens["open"]
    refused = client.post(f"/s/{asha}/consent", data={"csrf_token": ben, "agree": "y"})
    assert refused.status_code == 400
    assert "nothing was saved" in refused.text
    with app.app_context():
        invitation = db.session.get(Invitation, survey_setup.invitations["open"])
        assert invitation is not None
        assert invitation.consented_at is None
    own = csrf_token(client.get(f"/s/{asha}/consent").text)
    assert (
        client.post(f"/s/{asha}/consent", data={"csrf_token": own, "agree": "y"}).status_code == 303
    )


def test_survey_pages_set_no_cookie(client: FlaskClient, survey_setup: SurveySetup) -> None:
    respondent = Respondent(client, survey_setup.tokens["open"])
    responses = [respondent.get(), respondent.get("/consent"), respondent.consent()]
    responses += [respondent.get("/page/1"), respondent.page(1, rated_answers(1))]
    responses.append(respondent.get("/page/2"))
    assert [response.status_code for response in responses] == [303, 200, 303, 200, 303, 200]
    for response in responses:
        assert "Set-Cookie" not in response.headers
