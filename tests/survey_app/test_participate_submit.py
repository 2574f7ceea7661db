"""Submission: one transaction before the thank-you page, and exactly one response per link."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Invitation, Response
from survey_app.services import survey as surveys
from tests.survey_app.survey_fixtures import (
    LAST_PAGE,
    PAGES,
    TEAM_NAME,
    Respondent,
    SurveySetup,
    rated_answers,
)

COMMENTS = {"helped": "The <script>alert(1)</script> workshop", "hindered": ""}


@pytest.fixture
def asha(client: FlaskClient, survey_setup: SurveySetup) -> Respondent:
    """Asha, following her invitation link for the heart failure team."""
    return Respondent(client, survey_setup.tokens["open"])


def _responses(app: Flask, survey_setup: SurveySetup) -> list[Response]:
    with app.app_context():
        rows = db.session.scalars(
            select(Response).where(Response.invitation_id == survey_setup.invitations["open"])
        ).all()
        for row in rows:
            _ = (row.answers, row.comments, row.ties)
        db.session.expunge_all()
        return list(rows)


def _invitation(app: Flask, survey_setup: SurveySetup) -> Invitation:
    with app.app_context():
        invitation = db.session.get(Invitation, survey_setup.invitations["open"])
        assert invitation is not None
        db.session.expunge(invitation)
        return invitation


def test_the_last_page_submits_everything_before_thanking(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(LAST_PAGE, value="5")
    assert "Submit your answers" in asha.get(f"/page/{LAST_PAGE}").text
    done = asha.page(LAST_PAGE, COMMENTS)
    assert done.status_code == 303
    assert done.location.endswith(asha.url("/thanks"))
    (response,) = _responses(app, survey_setup)
    assert response.submitted_at is not None
    assert response.is_complete
    rated = [q.id for page in PAGES for q in page.questions]
    assert sorted(a.item_id for a in response.answers) == sorted(rated)
    assert {a.value for a in response.answers} == {5.0}
    assert [(c.item_id, c.text) for c in response.comments] == [("helped", COMMENTS["helped"])]
    assert response.ties == []
    invitation = _invitation(app, survey_setup)
    assert invitation.submitted_at == response.submitted_at
    assert invitation.consented_at is not None and invitation.started_at is not None
    thanks = asha.get("/thanks")
    assert thanks.status_code == 200
    assert "<h1>Thank you</h1>" in thanks.text
    assert f"<strong>{TEAM_NAME}</strong>" in thanks.text
    again = asha.get()
    assert again.status_code == 200
    assert "You have already sent your answers" in again.text


def test_thanks_before_submitting_goes_back_to_the_survey(asha: Respondent) -> None:
    asha.consent()
    early = asha.get("/thanks")
    assert early.status_code == 303
    assert early.location.endswith(asha.url())


def test_back_from_the_comments_keeps_them_and_escapes_them(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(LAST_PAGE)
    back = asha.page(LAST_PAGE, COMMENTS, action="back")
    assert back.location.endswith(asha.url(f"/page/{LAST_PAGE - 1}"))
    shown = asha.get(f"/page/{LAST_PAGE}").text
    assert "The &lt;script&gt;alert(1)&lt;/script&gt; workshop</textarea>" in shown
    assert "<script>" not in shown
    (response,) = _responses(app, survey_setup)
    assert response.submitted_at is None


def test_a_comment_that_is_too_long_is_refused(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(LAST_PAGE)
    refused = asha.page(LAST_PAGE, {"helped": "x" * (surveys.COMMENT_MAX_LENGTH + 1)})
    assert refused.status_code == 422
    assert '<a href="#helped">' in refused.text
    assert _responses(app, survey_setup)[0].submitted_at is None


def test_submitting_twice_stores_one_response(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(LAST_PAGE)
    assert asha.page(LAST_PAGE, COMMENTS).status_code == 303
    first = _responses(app, survey_setup)[0]
    second = asha.page(LAST_PAGE, {"helped": "changed my mind", "hindered": "x"})
    assert second.status_code == 409
    assert "You have already sent your answers" in second.text
    earlier_page = asha.page(2, rated_answers(2, "1"))
    assert earlier_page.status_code == 409
    (response,) = _responses(app, survey_setup)
    assert response.id == first.id
    assert response.submitted_at == first.submitted_at
    assert [c.text for c in response.comments] == [COMMENTS["helped"]]
    assert {a.value for a in response.answers} == {4.0}


def test_two_tabs_submitting_at_the_same_moment_store_one_response(
    app: Flask, survey_setup: SurveySetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    tabs = [Respondent(app.test_client(), survey_setup.tokens["open"]) for _ in range(2)]
    tabs[0].walk_to(LAST_PAGE)
    tabs[1].csrf()
    check = surveys._first_incomplete

    def slow_check(*args: Any) -> int | None:
        time.sleep(0.3)  # widen the window: both submits are mid-transaction together
        return check(*args)

    monkeypatch.setattr(surveys, "_first_incomplete", slow_check)
    barrier = threading.Barrier(len(tabs))
    statuses: dict[int, int] = {}
    errors: list[BaseException] = []
    texts = ["written in tab 0", ""]  # different answers, so no other constraint collides

    def submit(number: int) -> None:
        try:
            barrier.wait(timeout=10)
            statuses[number] = tabs[number].page(LAST_PAGE, {"helped": texts[number]}).status_code
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(number,)) for number in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(statuses.values()) == [303, 409]
    winner = next(number for number, status in statuses.items() if status == 303)
    (response,) = _responses(app, survey_setup)
    assert response.submitted_at is not None
    assert [c.text for c in response.comments] == ([texts[0]] if winner == 0 else [])
    with app.app_context():
        submitted = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(
                Response.invitation_id == survey_setup.invitations["open"],
                Response.submitted_at.is_not(None),
            )
        )
        assert submitted == 1


def test_a_draft_created_by_another_request_first_is_reused(
    app: Flask, asha: Respondent, survey_setup: SurveySetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    asha.walk_to(2)
    real_lookup = surveys._lookup
    real_response = surveys._response
    calls: list[Any] = []

    def stale(session: Any, token: str, *, lock: bool, now: Any) -> surveys.Survey:
        # the link is read as if another tab had not yet committed the draft it created
        survey = real_lookup(session, token, lock=lock, now=now)
        if lock and survey.invitation is not None:
            link = replace(survey.invitation, response_id=None, response_submitted_at=None)
            survey = replace(survey, invitation=link)
        return survey

    def counted(session: Any, invitation: Any) -> Any:
        calls.append(invitation.id)
        return real_response(session, invitation)

    monkeypatch.setattr(surveys, "_lookup", stale)
    monkeypatch.setattr(surveys, "_response", counted)
    assert asha.page(2, rated_answers(2)).status_code == 303
    assert len(calls) == 1  # the INSERT hit the UNIQUE constraint and the row was reused
    (response,) = _responses(app, survey_setup)
    assert {"me1", "je1"} <= {a.item_id for a in response.answers}


def test_the_conditional_update_refuses_a_second_submission(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    """Even when the Python-side state check is stale, the database update decides."""
    asha.walk_to(LAST_PAGE)
    with app.app_context():
        invitation = db.session.get(Invitation, survey_setup.invitations["open"])
        assert invitation is not None
        invitation.submitted_at = invitation.wave.opens  # submitted elsewhere
        db.session.commit()
    with app.app_context():
        survey = surveys.find_for_update(db.session, survey_setup.tokens["open"])
        stale = surveys.Survey("open", survey.invitation, survey.instrument, survey.pages)
        with pytest.raises(surveys.AlreadySubmittedError):
            surveys.submit(db.session, stale, surveys.PageAnswers(comments={"helped": "x"}))
    (response,) = _responses(app, survey_setup)
    assert response.submitted_at is None
    assert response.comments == []


def test_an_incomplete_questionnaire_cannot_be_submitted(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(LAST_PAGE)
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.invitation_id == survey_setup.invitations["open"])
        )
        assert response is not None
        db.session.delete(next(a for a in response.answers if a.item_id == "sr3"))
        db.session.commit()
    refused = asha.page(LAST_PAGE, COMMENTS)
    assert refused.status_code == 303
    assert refused.location.endswith(asha.url("/page/3?unanswered=1"))
    assert "Set-Cookie" not in refused.headers
    assert _responses(app, survey_setup)[0].submitted_at is None
    assert "still need an answer" in asha.get("/page/3?unanswered=1").text
    assert "still need an answer" not in asha.get("/page/3").text
