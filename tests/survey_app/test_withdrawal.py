"""Respondents withdraw themselves from their survey link (confirmation, link-bound token, no
sign-in); the consent page says what that does and how long data are kept."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEvent, Invitation, Member, Membership, Response, Study, Tie
from survey_app.tokens import survey_form_token
from tests.survey_app.staff_support import text_of
from tests.survey_app.survey_fixtures import SurveySetup


def _form_token(app: Flask, link: str) -> str:
    return survey_form_token(link, app.config["SECRET_KEY"])


def _submit_dev_tie_to_asha(app: Flask, setup: SurveySetup) -> None:
    """Dev's submitted response names Asha, so that withdrawing removes ties naming her too."""
    with app.app_context():
        response = db.session.scalar(
            select(Response).join(Invitation).where(Invitation.id == setup.invitations["submitted"])
        )
        assert response is not None
        db.session.add(Tie(response=response, alter_member_id=setup.members["asha"]))
        db.session.commit()


def _left_of(app: Flask, member_id: int) -> dict[str, int]:
    with app.app_context():
        session = db.session
        theirs = select(Membership.id).where(Membership.member_id == member_id)
        counts = {
            "member": session.scalar(select(func.count()).where(Member.id == member_id)),
            "invitations": session.scalar(
                select(func.count()).where(Invitation.membership_id.in_(theirs))
            ),
            "ties naming them": session.scalar(
                select(func.count()).where(Tie.alter_member_id == member_id)
            ),
        }
    return {key: int(value or 0) for key, value in counts.items()}


def test_a_respondent_withdraws_from_any_of_their_links(
    app: Flask, survey_setup: SurveySetup
) -> None:
    _submit_dev_tie_to_asha(app, survey_setup)
    client = app.test_client()
    link = survey_setup.tokens["closed"]  # a link of a closed wave: an old e-mail still works
    before = _left_of(app, survey_setup.members["asha"])
    assert before == {"member": 1, "invitations": 5, "ties naming them": 1}

    page = client.get(f"/s/{link}/withdraw")
    assert page.status_code == 200
    body = text_of(page)
    assert "What withdrawing does" in body and "This cannot be undone." in body
    assert "every place where a colleague named you" in body
    assert page.headers["Cache-Control"] == "no-store"

    forged = client.post(f"/s/{link}/withdraw", data={"csrf_token": "not-the-token"})
    assert forged.status_code == 400
    other = client.post(
        f"/s/{link}/withdraw", data={"csrf_token": _form_token(app, survey_setup.tokens["ben"])}
    )
    assert other.status_code == 400  # the token of another link does not do
    assert _left_of(app, survey_setup.members["asha"]) == before

    done = client.post(f"/s/{link}/withdraw", data={"csrf_token": _form_token(app, link)})
    assert done.status_code == 200
    assert "You have withdrawn" in text_of(done)
    assert _left_of(app, survey_setup.members["asha"]) == dict.fromkeys(before, 0)
    with app.app_context():
        events = list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.erase"))
        )
        assert [(e.actor, (e.detail or {})["via"]) for e in events] == [
            ("respondent", "withdrawal")
        ]
        assert "asha" not in str(events[0].detail).lower()
        assert db.session.get(Member, survey_setup.members["ben"]) is not None  # only her
    for name in ("closed", "open", "other_team"):  # every link of hers is gone
        assert client.get(f"/s/{survey_setup.tokens[name]}").status_code == 404
    again = client.post(f"/s/{link}/withdraw", data={"csrf_token": _form_token(app, link)})
    assert again.status_code == 404


def test_unknown_links_cannot_withdraw_anyone(app: Flask, survey_setup: SurveySetup) -> None:
    client = app.test_client()
    unknown = "no-such-link".ljust(43, "x")
    assert client.get(f"/s/{unknown}/withdraw").status_code == 404
    refused = client.post(f"/s/{unknown}/withdraw", data={"csrf_token": _form_token(app, unknown)})
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 6


def test_the_thank_you_and_consent_pages_say_how_to_withdraw_and_how_long_data_are_kept(
    app: Flask, survey_setup: SurveySetup
) -> None:
    client = app.test_client()
    submitted = survey_setup.tokens["submitted"]
    thanks = text_of(client.get(f"/s/{submitted}/thanks"))
    assert f'href="/s/{submitted}/withdraw"' in thanks
    assert f'href="/s/{submitted}/results"' in thanks  # the study shares results by default
    consent = text_of(client.get(f"/s/{survey_setup.tokens['open']}/consent"))
    withdrawing = consent[consent.index("<h2>Withdrawing</h2>") :]
    assert f'href="/s/{survey_setup.tokens["open"]}/withdraw"' in withdrawing
    assert "deletes every answer you have given in this study" in withdrawing
    assert "730 days" in withdrawing  # the configured default
    with app.app_context():
        study = db.session.get(Study, survey_setup.study_id)
        assert study is not None
        study.retention_days = 400
        study.share_results = False
        db.session.commit()
    consent = text_of(client.get(f"/s/{survey_setup.tokens['open']}/consent"))
    assert re.search(r"400 days\s+after the\s+study's last survey closes", consent)
    thanks = text_of(client.get(f"/s/{submitted}/thanks"))
    assert "/results" not in thanks and f"/s/{submitted}/withdraw" in thanks
