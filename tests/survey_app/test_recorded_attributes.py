"""Professions and organisations as recorded at each wave: set when invited and when answering,
kept up to date while the wave is open, frozen once it closes, and what every export reads."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Invitation, Member, Study, User, Wave
from survey_app.services import invitations
from survey_app.services.export import export_bundle, pseudonym
from tests.survey_app.staff_support import add_user, build_study, csrf_token, sign_in
from tests.survey_app.survey_fixtures import LAST_PAGE, Respondent, SurveySetup


def _recorded(app: Flask, invitation_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        assert invitation is not None
        return invitation.profession, invitation.organisation


def _correct(app: Flask, setup: SurveySetup, handle: str, profession: str) -> None:
    """An evaluator corrects a member's profession on the member's page."""
    with app.app_context():
        study = db.session.get(Study, setup.study_id)
        member = db.session.get(Member, setup.members[handle])
        assert study is not None and member is not None
        details = {
            "name": member.name,
            "email": member.email,
            "profession": profession,
            "organisation": member.organisation,
            "organisation_type": member.organisation_type,
        }
        if db.session.scalar(select(User).where(User.email == "evaluator@example.org")) is None:
            add_user(db.session, "evaluator@example.org", "evaluator", study=study)
            db.session.commit()
    client = app.test_client()
    sign_in(client, "evaluator@example.org")
    page = f"/admin/studies/{setup.study_id}/members/{setup.members[handle]}"
    saved = client.post(page, data={"csrf_token": csrf_token(client, page), **details})
    assert saved.status_code in (302, 303)


def test_answering_records_and_a_later_correction_reaches_only_waves_not_yet_closed(
    app: Flask, client: FlaskClient, survey_setup: SurveySetup
) -> None:
    asha = Respondent(client, survey_setup.tokens["open"])
    ids = survey_setup.invitations
    assert _recorded(app, ids["open"]) == (None, None)  # the fixture's rows record nothing
    asha.walk_to(LAST_PAGE)
    assert asha.page(LAST_PAGE, {}).status_code == 303
    assert _recorded(app, ids["open"]) == ("nurse", "Salford Royal")  # recorded on submit

    _correct(app, survey_setup, "asha", "advanced nurse practitioner")
    # open (submitted) and scheduled waves follow the correction; closed ones keep their record
    assert _recorded(app, ids["open"])[0] == "advanced nurse practitioner"
    assert _recorded(app, ids["scheduled"])[0] == "advanced nurse practitioner"
    assert _recorded(app, ids["closed"])[0] is None
    assert _recorded(app, ids["closed_early"])[0] is None

    with app.app_context():  # the closed wave is recorded (as a release does): then frozen
        closed = db.session.get(Invitation, ids["closed"])
        assert closed is not None
        closed.profession, closed.organisation = "nurse", "Salford Royal"
        db.session.commit()
    _correct(app, survey_setup, "asha", "matron")
    assert _recorded(app, ids["closed"])[0] == "nurse"
    assert _recorded(app, ids["open"])[0] == "matron"
    with app.app_context():
        study = db.session.get(Study, survey_setup.study_id)
        assert study is not None
        roster = export_bundle(db.session, study).roster
        alias = pseudonym(study.secret, survey_setup.members["asha"])
    professions = dict(
        roster.loc[roster["respondent"] == alias, ["wave", "profession"]]
        .drop_duplicates()
        .itertuples(index=False, name=None)
    )
    assert professions[1] == "nurse" and professions[2] == "matron"


def test_invitations_record_the_members_attributes_when_made(app: Flask) -> None:
    with app.app_context():
        fixture = build_study(app_session := db.session, "Recorded")
        app_session.commit()
        wave = app_session.get(Wave, fixture.wave_id)
        assert wave is not None
        made = invitations.ensure_invitations(app_session, wave, "secret")
        assert made == 4
        rows = app_session.execute(
            select(Member.email, Invitation.profession, Invitation.organisation)
            .join(Invitation.membership)
            .join(Member)
        ).all()
    assert sorted(set(rows)) == [
        ("ann@example.org", "nurse", "Trust A"),
        ("bob@example.org", "nurse", "Trust A"),
        ("cat@example.org", "nurse", "Trust A"),
    ]
