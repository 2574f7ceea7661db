"""The questionnaire: consent, paging, resume, back, validation, forged values and the roster."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from survey_app.extensions import db
from survey_app.models import Answer, Invitation, Response, Tie
from tests.survey_app.survey_fixtures import (
    LAST_PAGE,
    PAGES,
    ROSTER_PAGE,
    TEAM_NAME,
    Respondent,
    SurveySetup,
    rated_answers,
)


@pytest.fixture
def asha(client: FlaskClient, survey_setup: SurveySetup) -> Respondent:
    """Asha, following her invitation link for the heart failure team."""
    return Respondent(client, survey_setup.tokens["open"])


def _invitation(app: Flask, survey_setup: SurveySetup, name: str = "open") -> Invitation:
    with app.app_context():
        invitation = db.session.get(Invitation, survey_setup.invitations[name])
        assert invitation is not None
        db.session.expunge(invitation)
        return invitation


def _stored(app: Flask, survey_setup: SurveySetup, name: str = "open") -> dict[str, float | None]:
    with app.app_context():
        answers = db.session.scalars(
            select(Answer)
            .join(Response)
            .where(Response.invitation_id == survey_setup.invitations[name])
        ).all()
        return {answer.item_id: answer.value for answer in answers}


def _ties(app: Flask, survey_setup: SurveySetup, name: str = "open") -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(Tie.alter_member_id)
                .join(Response)
                .where(Response.invitation_id == survey_setup.invitations[name])
            )
        )


def _checked(html: str, name: str) -> list[str]:
    pattern = rf'<input type="(?:radio|checkbox)" id="[^"]+" name="{name}" value="([^"]+)" checked>'
    return re.findall(pattern, html)


def _summary_links(html: str) -> list[str]:
    if 'class="error-summary"' not in html:
        return []
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</div>", start)]
    return re.findall(r'<a href="#([^"]+)">', summary)


# --- consent ---------------------------------------------------------------------------------


def test_the_link_leads_to_consent_first_and_no_questions_without_it(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    entry = asha.get()
    assert entry.status_code == 303
    assert entry.location.endswith(asha.url("/consent"))
    assert asha.get("/page/1").location.endswith(asha.url("/consent"))
    refused = asha.page(1, rated_answers(1))
    assert refused.status_code == 303
    assert refused.location.endswith(asha.url("/consent"))
    assert _stored(app, survey_setup) == {}
    assert _invitation(app, survey_setup).consented_at is None


def test_the_consent_page_says_what_is_asked_and_who_sees_what(
    app: Flask, asha: Respondent
) -> None:
    app.config["MIN_CELL"] = 7
    page = asha.get("/consent")
    assert page.status_code == 200
    text = page.text
    assert f"These questions are about <strong>{TEAM_NAME}</strong>" in text
    assert "31 short questions" in text
    assert "only when at least 7" in text
    assert "comments are read by the evaluators only" in text
    assert "voluntary" in text
    assert "Withdrawing" in text
    assert 'type="checkbox" id="agree" name="agree"' in text


def test_consent_must_be_ticked(app: Flask, asha: Respondent, survey_setup: SurveySetup) -> None:
    for data in ({}, {"agree": "false"}, {"agree": ""}):
        refused = asha.post("/consent", data)
        assert refused.status_code == 422
        assert _summary_links(refused.text) == ["agree"]
        assert "<title>Error: " in refused.text
    assert _invitation(app, survey_setup).consented_at is None
    accepted = asha.consent()
    assert accepted.status_code == 303
    assert accepted.location.endswith(asha.url("/page/1"))
    invitation = _invitation(app, survey_setup)
    assert invitation.consented_at is not None
    assert invitation.current_page == 1
    assert invitation.started_at is None  # started = first answers saved
    assert asha.get().location.endswith(asha.url("/page/1"))


# --- pages -----------------------------------------------------------------------------------


def test_a_scale_page_is_radio_groups_in_fieldsets(asha: Respondent) -> None:
    asha.consent()
    page = asha.get("/page/1")
    assert page.status_code == 200
    html = page.text
    assert "Page 1 of 9" in html
    assert f"These questions are about\n    <strong>{TEAM_NAME}</strong>" in html
    assert "<table" not in html
    assert html.count("<fieldset") == 5
    assert html.count("<legend>") == 5
    for question in PAGES[0].questions:
        values = re.findall(rf'name="{question.id}" value="([^"]+)"', html)
        assert values == ["1", "2", "3", "4", "5", "6", "7", "na"]
        assert f'<input type="radio" id="{question.id}" name="{question.id}"' in html
    # the reverse-keyed item is shown like any other
    reverse = html.index("little contact outside formal meetings")
    assert html[reverse - 80 : reverse].count('class="question-number"') == 1
    assert "Strongly disagree" in html and "Prefer not to answer" in html
    assert ">Back<" not in html  # nothing before page 1
    identity = asha.get("/page/5").location  # not reached yet
    assert identity.endswith(asha.url("/page/1"))


def test_respondents_read_plain_page_titles_not_the_analytic_names(asha: Respondent) -> None:
    asha.walk_to(LAST_PAGE)
    headings = []
    for number in range(1, LAST_PAGE + 1):
        html = asha.get(f"/page/{number}").text
        headings.append(html[html.index("<h1>") + 4 : html.index("</h1>")])
        for analytic in ("Mutual engagement", "Joint enterprise", "Shared repertoire"):
            assert analytic not in html
        assert "Interaction frequency" not in html
    assert headings[:3] == ["Working together", "A shared purpose", "Shared ways of working"]
    assert headings[6] == "How often you are in touch"


def test_every_page_names_the_team_and_counts_pages(asha: Respondent) -> None:
    asha.walk_to(LAST_PAGE)
    for page in PAGES:
        html = asha.get(f"/page/{page.number}").text
        assert f"Page {page.number} of {LAST_PAGE}" in html
        assert f"<strong>{TEAM_NAME}</strong>" in html
        expected = "These questions are about" if page.about_team else "as a member of"
        assert expected in html


def test_continue_saves_the_page_and_moves_on(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.consent()
    answers = {"me1": "7", "me2": "1", "me3": "na", "me4": "2", "me5": "5"}
    moved = asha.page(1, answers)
    assert moved.status_code == 303
    assert moved.location.endswith(asha.url("/page/2"))
    assert _stored(app, survey_setup) == {"me1": 7, "me2": 1, "me3": None, "me4": 2, "me5": 5}
    invitation = _invitation(app, survey_setup)
    assert invitation.current_page == 2
    assert invitation.started_at is not None
    assert "Page 2 of 9" in asha.get("/page/2").text


def test_reopening_the_link_continues_where_it_stopped_with_answers_kept(
    app: Flask, survey_setup: SurveySetup
) -> None:
    first = Respondent(app.test_client(), survey_setup.tokens["open"])
    first.walk_to(3, value="6")
    later = Respondent(app.test_client(), survey_setup.tokens["open"])  # new browser, no cookie
    entry = later.get()
    assert entry.status_code == 303
    assert entry.location.endswith(later.url("/page/3"))
    page_one = later.get("/page/1").text
    assert all(_checked(page_one, q.id) == ["6"] for q in PAGES[0].questions)
    assert later.get("/page/4").location.endswith(later.url("/page/3"))


def test_back_keeps_the_answers_of_both_pages(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(2, value="3")
    back = asha.page(2, {"je1": "5", "je2": "na"}, action="back")  # partly answered
    assert back.status_code == 303
    assert back.location.endswith(asha.url("/page/1"))
    stored = _stored(app, survey_setup)
    assert stored["je1"] == 5 and stored["je2"] is None and "je3" not in stored
    assert _invitation(app, survey_setup).current_page == 2
    page_one = asha.get("/page/1").text
    assert _checked(page_one, "me1") == ["3"]
    page_two = asha.get("/page/2").text
    assert _checked(page_two, "je1") == ["5"]
    assert _checked(page_two, "je2") == ["na"]
    assert _checked(page_two, "je3") == []
    assert 'value="back"' in page_two and page_two.index('value="next"') < page_two.index(
        'value="back"'
    )  # Enter submits "Continue", the first button


def test_going_back_from_far_ahead_does_not_lose_progress(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(5)
    asha.page(2, rated_answers(2, "2"), action="back")  # a complete page: progress is kept
    assert _invitation(app, survey_setup).current_page == 5
    assert asha.get().location.endswith(asha.url("/page/5"))
    assert _stored(app, survey_setup)["je1"] == 2


# --- validation ------------------------------------------------------------------------------


def test_missing_answers_are_listed_and_the_valid_ones_kept(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.consent()
    refused = asha.page(1, {"me1": "2", "me4": "na"})
    assert refused.status_code == 422
    html = refused.text
    assert html.index('class="error-summary"') < html.index("<h1>")
    assert _summary_links(html) == ["me2", "me3", "me5"]
    assert "Question 2: choose an answer" in html
    assert 'aria-describedby="me2-error"' in html
    assert _checked(html, "me1") == ["2"]
    assert _checked(html, "me4") == ["na"]
    assert _stored(app, survey_setup) == {}
    assert _invitation(app, survey_setup).current_page == 1


@pytest.mark.parametrize(
    ("forged", "link"),
    [
        ({"me2": "8"}, "me2"),  # out of range
        ({"me2": "0"}, "me2"),
        ({"me2": "4.5"}, "me2"),
        ({"me2": ""}, "me2"),
        ({"me2": "<script>"}, "me2"),
    ],
)
def test_values_off_the_scale_are_refused_and_nothing_is_stored(
    app: Flask, asha: Respondent, survey_setup: SurveySetup, forged: dict[str, str], link: str
) -> None:
    asha.consent()
    data = {**rated_answers(1, "5"), **forged}
    refused = asha.page(1, data)
    assert refused.status_code == 422
    assert _summary_links(refused.text) == [link]
    assert "choose one of the answers shown" in refused.text
    assert "<script>" not in refused.text
    assert _checked(refused.text, "me1") == ["5"]  # valid answers kept
    assert _checked(refused.text, "me2") == []
    assert _stored(app, survey_setup) == {}


def test_two_values_for_one_question_are_refused(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.consent()
    data = MultiDict(rated_answers(1))
    data.add("me3", "6")
    refused = asha.page(1, data)
    assert refused.status_code == 422
    assert _summary_links(refused.text) == ["me3"]
    assert _stored(app, survey_setup) == {}


@pytest.mark.parametrize("extra", [{"je1": "4"}, {"bogus": "1"}, {"knowledge_ties": "1"}])
def test_answers_to_questions_not_on_the_page_are_refused(
    app: Flask, asha: Respondent, survey_setup: SurveySetup, extra: dict[str, str]
) -> None:
    asha.consent()
    for action in ("next", "back"):
        refused = asha.page(1, {**rated_answers(1), **extra}, action=action)
        assert refused.status_code == 422
        assert "not on it, so nothing was saved" in refused.text
        assert _checked(refused.text, "me1") == ["4"]
    assert _stored(app, survey_setup) == {}


def test_back_with_a_forged_value_stores_nothing(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(2)
    refused = asha.page(2, {"je1": "9", "je2": "3"}, action="back")
    assert refused.status_code == 422
    assert _summary_links(refused.text) == ["je1"]
    assert "je2" not in _stored(app, survey_setup)


def test_pages_out_of_reach_redirect_and_unknown_pages_are_404(asha: Respondent) -> None:
    asha.consent()
    assert asha.page(4, rated_answers(4)).location.endswith(asha.url("/page/1"))
    assert asha.get("/page/0").status_code == 404
    assert asha.get(f"/page/{LAST_PAGE + 1}").status_code == 404


# --- the roster question ---------------------------------------------------------------------


def test_the_roster_lists_the_other_invited_members_of_this_team(
    asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(ROSTER_PAGE)
    html = asha.get(f"/page/{ROSTER_PAGE}").text
    assert "<legend>Since the last survey, whom in this team" in html
    listed = re.findall(r'name="knowledge_ties" value="([^"]+)"', html)
    members = survey_setup.members
    # Ben, Chloé, Dev by name; not Asha herself, not Fay (not invited), not Eve (other team)
    assert listed == [str(members["ben"]), str(members["chloe"]), str(members["dev"]), "none", "na"]
    assert "Ben &lt;i&gt;Okafor&lt;/i&gt; (GP)" in html
    assert "<i>Okafor</i>" not in html
    assert "Chloé Martin (pharmacist)" in html
    assert "None of these" in html
    assert f'id="knowledge_ties" name="knowledge_ties" value="{members["ben"]}"' in html


def test_ticked_names_are_recorded_as_ties(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(ROSTER_PAGE)
    members = survey_setup.members
    ticked = MultiDict(
        [("knowledge_ties", str(members["ben"])), ("knowledge_ties", str(members["dev"]))]
    )
    moved = asha.page(ROSTER_PAGE, ticked)
    assert moved.status_code == 303
    assert _ties(app, survey_setup) == {members["ben"], members["dev"]}
    # changing the answer replaces the ties
    asha.page(ROSTER_PAGE, {"knowledge_ties": str(members["chloe"])})
    assert _ties(app, survey_setup) == {members["chloe"]}
    shown = asha.get(f"/page/{ROSTER_PAGE}").text
    assert _checked(shown, "knowledge_ties") == [str(members["chloe"])]


def test_none_of_these_is_remembered(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(ROSTER_PAGE)
    assert asha.page(ROSTER_PAGE, {"knowledge_ties": "none"}).status_code == 303
    assert _ties(app, survey_setup) == set()
    shown = asha.get(f"/page/{ROSTER_PAGE}").text
    assert _checked(shown, "knowledge_ties") == ["none"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "Tick the people you exchanged knowledge with, “None of these” or"),
        (["none", "ben"], "or tick “None of these” on its own"),
        (["na", "none"], "on its own"),
        (["eve"], "Tick only people from this list"),
        (["fay"], "Tick only people from this list"),
        (["asha"], "Tick only people from this list"),
        (["ben", "not-a-number"], "Tick only people from this list"),
        (["ben", "999999"], "Tick only people from this list"),
    ],
)
def test_roster_answers_that_cannot_be_right_are_refused(
    app: Flask,
    asha: Respondent,
    survey_setup: SurveySetup,
    values: list[str],
    message: str,
) -> None:
    asha.walk_to(ROSTER_PAGE)
    members = survey_setup.members
    data = MultiDict([("knowledge_ties", str(members.get(value, value))) for value in values])
    refused = asha.page(ROSTER_PAGE, data)
    assert refused.status_code == 422
    assert message in refused.text
    assert _summary_links(refused.text) == ["knowledge_ties"]
    assert _ties(app, survey_setup) == set()
    assert _invitation(app, survey_setup).current_page == ROSTER_PAGE
    if "ben" in values and "none" not in values:
        assert _checked(refused.text, "knowledge_ties") == [str(members["ben"])]


# --- members of several teams ----------------------------------------------------------------


def test_a_member_of_two_teams_answers_each_separately(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    team = Respondent(client, survey_setup.tokens["open"])
    other = Respondent(client, survey_setup.tokens["other_team"])
    team.walk_to(2, value="7")
    other.walk_to(ROSTER_PAGE, value="1")
    html = other.get(f"/page/{ROSTER_PAGE}").text
    assert "<strong>CKD &lt;b&gt;early&lt;/b&gt; &amp; late</strong>" in html
    assert re.findall(r'name="knowledge_ties" value="([^"]+)"', html) == [
        str(survey_setup.members["eve"]),
        "none",
        "na",
    ]
    assert _stored(app, survey_setup, "open")["me1"] == 7
    assert _stored(app, survey_setup, "other_team")["me1"] == 1


def test_a_questionnaire_page_is_small_and_needs_no_javascript(
    client: FlaskClient, asha: Respondent
) -> None:
    asha.consent()
    html = asha.get("/page/1").data
    stylesheet = client.get("/static/copkit.css")
    css = stylesheet.data
    stylesheet.close()
    assert len(html) < 12_000  # about 7.6 kB for five 7-point items
    assert len(html) + len(css) < 40_000
    assert b"<script" not in html
    assert b"style=" not in html  # the strict CSP allows no inline styles
