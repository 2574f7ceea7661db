"""The knowledge-network question's "Prefer not to answer": missing, never zero ties."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from analysis.network import network_table
from survey_app.extensions import db
from survey_app.models import Answer, Response, Study, Tie
from survey_app.services.export import build_export
from tests.survey_app.survey_fixtures import (
    LAST_PAGE,
    ROSTER_PAGE,
    TEAM_NAME,
    Respondent,
    SurveySetup,
)

NETWORK = "knowledge_ties"


@pytest.fixture
def asha(client: FlaskClient, survey_setup: SurveySetup) -> Respondent:
    """Asha, following her invitation link for the heart failure team."""
    return Respondent(client, survey_setup.tokens["open"])


def _stored(app: Flask, survey_setup: SurveySetup) -> tuple[list[tuple[str, float | None]], int]:
    """Asha's answer rows to the network question and her number of ties."""
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.invitation_id == survey_setup.invitations["open"])
        )
        assert response is not None
        rows = db.session.execute(
            select(Answer.item_id, Answer.value).where(
                Answer.response_id == response.id, Answer.item_id == NETWORK
            )
        ).all()
        ties = db.session.scalars(select(Tie).where(Tie.response_id == response.id)).all()
        return [(item, value) for item, value in rows], len(ties)


def _asha_in_bundle(app: Flask, survey_setup: SurveySetup) -> tuple[dict[str, object], float]:
    """Asha's wave-2 roster row of the exported bundle and her team's network coverage."""
    with app.app_context():
        study = db.session.get(Study, survey_setup.study_id)
        assert study is not None
        bundle = build_export(db.session, study).bundle
    roster = bundle.roster
    wave2 = roster[(roster["wave"] == 2) & (roster["team"] == TEAM_NAME)]
    responded = wave2[wave2["responded"]]
    assert len(responded) == 2  # Asha and Dev (submitted in the fixture)
    table = network_table(bundle, min_coverage=0.0)
    coverage = float(table[(table["team"] == TEAM_NAME) & (table["wave"] == 2)]["coverage"].iloc[0])
    asha_row = wave2.drop(columns=[]).to_dict(orient="records")
    return {"rows": asha_row, "columns": list(roster.columns)}, coverage


def test_the_roster_page_offers_prefer_not_to_answer(asha: Respondent) -> None:
    asha.walk_to(ROSTER_PAGE)
    html = asha.get(f"/page/{ROSTER_PAGE}").text
    assert 'value="na"> <span>Prefer not to answer</span>' in html
    assert "None of these" in html


def test_prefer_not_to_answer_is_kept_as_a_missing_answer_not_zero_ties(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(ROSTER_PAGE)
    sent = asha.page(ROSTER_PAGE, {NETWORK: "na"})
    assert sent.status_code == 303
    assert _stored(app, survey_setup) == ([(NETWORK, None)], 0)
    shown = asha.get(f"/page/{ROSTER_PAGE}").text
    assert 'value="na" checked>' in shown
    assert 'value="none" checked>' not in shown
    # changing one's mind to "None of these" removes the missing answer
    assert asha.page(ROSTER_PAGE, {NETWORK: "none"}).status_code == 303
    assert _stored(app, survey_setup) == ([], 0)


def test_prefer_not_to_answer_with_a_name_is_refused(
    app: Flask, asha: Respondent, survey_setup: SurveySetup
) -> None:
    asha.walk_to(ROSTER_PAGE)
    ben = str(survey_setup.members["ben"])
    refused = asha.page(ROSTER_PAGE, {NETWORK: ["na", ben]})
    assert refused.status_code == 422
    assert "or tick “Prefer not to answer” on its own" in refused.text


@pytest.mark.parametrize(
    ("choice", "answered", "coverage"), [("na", False, 1 / 4), ("none", True, 2 / 4)]
)
def test_the_bundle_and_network_coverage_count_prefer_not_as_not_answered(
    app: Flask,
    asha: Respondent,
    survey_setup: SurveySetup,
    choice: str,
    answered: bool,
    coverage: float,
) -> None:
    asha.walk_to(ROSTER_PAGE)
    assert asha.page(ROSTER_PAGE, {NETWORK: choice}).status_code == 303
    for number in range(ROSTER_PAGE + 1, LAST_PAGE + 1):
        assert asha.page(number, {}).status_code == 303
    assert asha.get().status_code == 200  # submitted
    seen, team_coverage = _asha_in_bundle(app, survey_setup)
    rows = seen["rows"]
    assert isinstance(rows, list)
    flags = sorted(
        (bool(row["responded"]), bool(row.get("network_answered", row["responded"])))
        for row in rows
    )
    # Ben and Chloé did not respond; Dev answered; Asha responded and answered the network
    # question unless she preferred not to
    assert flags == sorted([(False, False), (False, False), (True, True), (True, answered)])
    assert ("network_answered" in seen["columns"]) is (not answered)
    assert team_coverage == pytest.approx(coverage)
