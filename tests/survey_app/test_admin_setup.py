"""Study set-up through the pages: studies, themes, teams, members, memberships, interventions
and waves, each change audited, bad input re-shown with its problems and nothing changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import (
    Intervention,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Theme,
    User,
    Wave,
    utcnow,
)
from survey_app.services import invitations, waves
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from tests.survey_app.staff_support import (
    StudyFixture,
    add_user,
    audit_actions,
    build_study,
    count,
    post,
    sign_in,
    text_of,
)


@dataclass
class Desk:
    """An evaluator signed in to a study built by :func:`build_study`."""

    app: Flask
    client: FlaskClient
    token: str
    study: StudyFixture

    @property
    def base(self) -> str:
        return f"/admin/studies/{self.study.study_id}"


def _field_error(html: str, field_id: str) -> str | None:
    """The error message shown beside the form field ``field_id``, or None."""
    found = re.search(rf'id="{field_id}-error">.*?</span>\s*(.*?)</p>', html, re.DOTALL)
    return None if found is None else found.group(1).strip()


@pytest.fixture
def desk(app: Flask) -> Desk:
    with app.app_context():
        fixture = build_study(db.session, "CLAHRC")
        add_user(
            db.session,
            "eval@example.org",
            "evaluator",
            study=db.session.get(Study, fixture.study_id),
        )
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "eval@example.org")
    return Desk(app, client, token, fixture)


def test_admins_create_studies(app: Flask) -> None:
    with app.app_context():
        add_user(db.session, "root@example.org", "admin")
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "root@example.org")
    response = post(client, "/admin/studies", token, {"name": "  CLAHRC GM  "})
    assert response.status_code == 302
    assert "Study CLAHRC GM created" in text_of(client.get(response.headers["Location"]))
    again = post(client, "/admin/studies", token, {"name": "CLAHRC GM"})
    assert again.status_code == 422
    assert "a study named &#34;CLAHRC GM&#34; already exists" in text_of(again)
    assert post(client, "/admin/studies", token, {"name": ""}).status_code == 422
    assert count(app, Study) == 1
    assert audit_actions(app)[-1] == "study.create"


def test_an_evaluator_creates_studies_and_works_on_each(app: Flask) -> None:
    """A new evaluator with no study creates two; each is theirs alone (another evaluator and
    a manager of an older study get 404); the admin sees them too."""
    with app.app_context():
        older = build_study(db.session, "Older study")
        older_study = db.session.get(Study, older.study_id)
        add_user(db.session, "fresh@example.org", "evaluator")
        add_user(db.session, "other@example.org", "evaluator", study=older_study)
        db.session.commit()
    client = app.test_client()
    token = sign_in(client, "fresh@example.org")
    assert "create one below" in text_of(client.get("/admin/"))
    first = post(client, "/admin/studies", token, {"name": "Fresh study"})
    assert first.status_code == 302
    second = post(client, "/admin/studies", token, {"name": "Second study"})
    assert second.status_code == 302
    for response in (first, second):
        assert client.get(response.headers["Location"]).status_code == 200
    home = text_of(client.get("/admin/"))
    assert "Fresh study" in home and "Second study" in home and "Older study" not in home
    assert client.get(f"/admin/studies/{older.study_id}").status_code == 404
    other = app.test_client()
    sign_in(other, "other@example.org")
    assert other.get(first.headers["Location"]).status_code == 404
    assert other.get(f"/admin/studies/{older.study_id}").status_code == 200
    with app.app_context():
        fresh = db.session.scalar(select(User).where(User.email == "fresh@example.org"))
        assert fresh is not None
        assert [study.name for study in fresh.studies] == ["Fresh study", "Second study"]


def test_themes_and_teams(desk: Desk) -> None:
    page = text_of(desk.client.get(desk.base))
    assert '<label for="theme-name">Theme name</label>' in page
    assert '<label for="team-theme">Theme</label>' in page
    assert (
        post(desk.client, f"{desk.base}/themes", desk.token, {"theme-name": "Stroke"}).status_code
        == 302
    )
    duplicate = post(desk.client, f"{desk.base}/themes", desk.token, {"theme-name": "Stroke"})
    assert duplicate.status_code == 422
    assert "the study already has a theme &#34;Stroke&#34;" in text_of(duplicate)
    with desk.app.app_context():
        stroke = db.session.scalars(select(Theme).where(Theme.name == "Stroke")).one()
        stroke_id = stroke.id
        other = Study(name="Other")
        foreign = Theme(study=other, name="Foreign")
        db.session.add_all([other, foreign])
        db.session.commit()
        foreign_id = foreign.id
    made = post(
        desk.client,
        f"{desk.base}/teams",
        desk.token,
        {"team-theme": stroke_id, "team-name": "Stroke unit"},
    )
    assert made.status_code == 302
    assert "Stroke unit" in text_of(desk.client.get(desk.base))
    foreign_team = post(
        desk.client, f"{desk.base}/teams", desk.token, {"team-theme": foreign_id, "team-name": "X"}
    )
    assert foreign_team.status_code == 422  # not one of this study's themes
    assert count(desk.app, Team) == 4
    assert audit_actions(desk.app)[-2:] == ["theme.create", "team.create"]


def test_members_and_memberships(desk: Desk) -> None:
    renal = desk.study.team_ids["Renal"]
    details = {
        "name": "Dee Fox",
        "email": " Dee@Example.org ",
        "profession": "GP",
        "organisation": "Practice C",
        "organisation_type": "general practice",
        "team": renal,
    }
    response = post(desk.client, f"{desk.base}/members", desk.token, details)
    assert response.status_code == 302
    page = text_of(desk.client.get(f"{desk.base}/members"))
    assert "Dee Fox" in page and "dee@example.org" in page
    duplicate = post(
        desk.client, f"{desk.base}/members", desk.token, {**details, "email": "DEE@example.org"}
    )
    assert duplicate.status_code == 422
    assert "dee@example.org is already on this study&#39;s roster" in text_of(duplicate)
    bad = post(
        desk.client, f"{desk.base}/members", desk.token, {**details, "email": "nope", "name": ""}
    )
    assert bad.status_code == 422
    assert "Enter the person&#39;s name" in text_of(bad)
    with desk.app.app_context():
        dee = db.session.scalars(select(Member).where(Member.email == "dee@example.org")).one()
        dee_id = dee.id
        assert [m.team_id for m in dee.memberships] == [renal]
    url = f"{desk.base}/members/{dee_id}"
    edited = post(desk.client, url, desk.token, {**details, "profession": "senior GP"})
    assert edited.status_code == 302
    ward = desk.study.team_ids["Ward 7"]
    joined = post(
        desk.client, f"{url}/memberships", desk.token, {"team": ward, "joined_on": "2025-01-06"}
    )
    assert joined.status_code == 302
    twice = post(
        desk.client, f"{url}/memberships", desk.token, {"team": ward, "joined_on": "2025-01-06"}
    )
    assert twice.status_code == 422 and "already a member" in text_of(twice)
    with desk.app.app_context():
        membership = db.session.scalars(
            select(Membership).where(Membership.member_id == dee_id, Membership.team_id == ward)
        ).one()
        membership_id = membership.id
    too_early = post(
        desk.client,
        f"{desk.base}/memberships/{membership_id}/end",
        desk.token,
        {"left_on": "2024-12-31"},
    )
    assert too_early.status_code == 422 and "cannot be before the joining date" in text_of(
        too_early
    )
    ended = post(
        desk.client,
        f"{desk.base}/memberships/{membership_id}/end",
        desk.token,
        {"left_on": "2025-03-31"},
    )
    assert ended.status_code == 302
    with desk.app.app_context():
        edited_dee = db.session.get(Member, dee_id)
        assert edited_dee is not None and edited_dee.profession == "senior GP"
        ended_membership = db.session.get(Membership, membership_id)
        assert ended_membership is not None and ended_membership.left_on == date(2025, 3, 31)
    assert audit_actions(desk.app)[-5:] == [
        "member.create",
        "membership.create",
        "member.update",
        "membership.create",
        "membership.end",
    ]


def test_interventions(desk: Desk) -> None:
    ward = desk.study.team_ids["Ward 7"]
    response = post(
        desk.client,
        f"{desk.base}/interventions",
        desk.token,
        {
            "team": ward,
            "started_on": "2025-02-03",
            "kind": "knowledge transfer associate",
            "description": "<b>KTA</b> two days a week",
        },
    )
    assert response.status_code == 302
    page = text_of(desk.client.get(f"{desk.base}/interventions"))
    assert "knowledge transfer associate" in page
    assert "&lt;b&gt;KTA&lt;/b&gt;" in page and "<b>KTA</b>" not in page
    assert "3 February 2025" in page
    missing = post(
        desk.client, f"{desk.base}/interventions", desk.token, {"team": ward, "kind": ""}
    )
    assert missing.status_code == 422
    assert "Enter the date it started" in text_of(missing)
    removed = post(
        desk.client, f"{desk.base}/interventions/{desk.study.intervention_id}/delete", desk.token
    )
    assert removed.status_code == 302
    with desk.app.app_context():
        kinds = db.session.scalars(select(Intervention.kind)).all()
    assert kinds == ["knowledge transfer associate"]
    assert audit_actions(desk.app)[-2:] == ["intervention.create", "intervention.delete"]


def test_waves_are_created_with_an_existing_instrument(desk: Desk) -> None:
    page = text_of(desk.client.get(f"{desk.base}/waves"))
    assert 'value="2"' in page  # the next number is offered
    assert "cop-health version 1" in page
    form = {
        "number": 2,
        "opens": "2026-03-02T09:00",
        "closes": "2026-03-20T17:00",
        "instrument": "cop-health@1",
    }
    created = post(desk.client, f"{desk.base}/waves", desk.token, form)
    assert created.status_code == 302
    with desk.app.app_context():
        wave = db.session.scalars(select(Wave).where(Wave.number == 2)).one()
        # typed in UK time (GMT in March): stored in UTC
        assert wave.opens.isoformat() == "2026-03-02T09:00:00+00:00"
        assert wave.status(wave.opens - timedelta(seconds=1)) == "scheduled"
    rejected = post(
        desk.client, f"{desk.base}/waves", desk.token, {**form, "closes": "2026-03-01T09:00"}
    )
    problems = text_of(rejected)
    assert "the study already has a wave 2" in problems
    assert "the wave must close after it opens" in problems
    # each of the service's problems is also shown beside the field it is about
    html = rejected.get_data(as_text=True)
    assert _field_error(html, "number") == "the study already has a wave 2"
    assert _field_error(html, "closes") == "the wave must close after it opens"
    assert _field_error(html, "opens") is None
    unknown = post(
        desk.client,
        f"{desk.base}/waves",
        desk.token,
        {**form, "number": 3, "instrument": "cop-health@7"},
    )
    assert unknown.status_code == 422 and "Not a valid choice" in text_of(unknown)
    with desk.app.app_context():
        study = db.session.get(Study, desk.study.study_id)
        assert study is not None
        details = waves.WaveDetails(3, utcnow(), utcnow() + timedelta(days=1), "cop-health", 7)
        with pytest.raises(ServiceError, match="instrument 'cop-health' has no version 7"):
            waves.create_wave(db.session, study, details, Actor.cli())
    assert count(desk.app, Wave) == 2


def test_wave_edit_close_early_and_frozen_instrument(desk: Desk) -> None:
    url = f"{desk.base}/waves/{desk.study.wave_id}"
    page = text_of(desk.client.get(url))
    assert "<dt>Status</dt><dd>open</dd>" in page
    closes = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    opens = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    saved = post(
        desk.client,
        url,
        desk.token,
        {"number": 1, "opens": opens, "closes": closes, "instrument": "cop-health@1"},
    )
    assert saved.status_code == 302
    # once someone has answered, the instrument is frozen
    with desk.app.app_context():
        wave = db.session.get(Wave, desk.study.wave_id)
        assert wave is not None
        invitations.ensure_invitations(db.session, wave, "test")
        invitation = db.session.scalars(select(Invitation)).first()
        assert invitation is not None
        db.session.add(Response(invitation_id=invitation.id))
        db.session.commit()
    assert "(fixed: people have answered)" in text_of(desk.client.get(url))
    refused = post(
        desk.client,
        url,
        desk.token,
        {"number": 1, "opens": opens, "closes": closes, "instrument": "cop-health@2"},
    )
    assert refused.status_code == 422
    # closing asks first, saying how many have not answered; only the confirmation closes
    asked = text_of(desk.client.get(f"{url}/close"))
    assert "Close wave 1 now?" in asked
    invited = asked.split(" have not answered yet")[0].rsplit("of ", 1)[1].split()[0]
    assert f"{invited} of {invited} people invited have not answered yet" in asked
    assert "1 of them part-way through" in asked
    unconfirmed = post(desk.client, f"{url}/close", desk.token)
    assert unconfirmed.status_code == 200 and "Yes, close wave 1 now" in text_of(unconfirmed)
    with desk.app.app_context():
        wave = db.session.get(Wave, desk.study.wave_id)
        assert wave is not None and wave.status() != "closed"
    confirm = {"confirm": "yes"}
    closed = post(desk.client, f"{url}/close", desk.token, confirm, follow_redirects=True)
    assert "The wave is closed." in text_of(closed)
    again = post(desk.client, f"{url}/close", desk.token, confirm, follow_redirects=True)
    assert "wave 1 is already closed" in text_of(again)
    with desk.app.app_context():
        wave = db.session.get(Wave, desk.study.wave_id)
        assert wave is not None and wave.status() == "closed" and wave.instrument_version == 1
    assert audit_actions(desk.app)[-2:] == ["wave.update", "wave.close"]


def test_pages_extend_the_base_and_tables_have_headers(desk: Desk) -> None:
    for path in (
        "",
        "/members",
        "/waves",
        "/interventions",
        "/roster",
        f"/waves/{desk.study.wave_id}",
    ):
        page = text_of(desk.client.get(desk.base + path))
        assert '<a class="skip-link" href="#main">' in page, path
        assert '<meta name="viewport"' in page, path
        if "<table>" in page:
            assert '<th scope="col">' in page, path
    member = desk.study.member_ids["ann@example.org"]
    page = text_of(desk.client.get(f"{desk.base}/members/{member}"))
    assert page.count('id="csrf_token"') == 0  # hidden tokens carry no duplicated ids
    assert '<label for="left_on-' in page


def test_the_instrument_can_change_until_someone_answers(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(waves, "instrument_problem", lambda instrument_id, version: None)
    with desk.app.app_context():
        wave = db.session.get(Wave, desk.study.wave_id)
        assert wave is not None
        opens, closes = wave.opens, wave.closes

        def details(version: int) -> waves.WaveDetails:
            return waves.WaveDetails(1, opens, closes, "cop-health", version)

        changed = waves.update_wave(db.session, wave, details(2), Actor.cli())
        assert changed == ["instrument_version"]
        db.session.commit()
        invitations.ensure_invitations(db.session, wave, "test")
        invitation = db.session.scalars(select(Invitation)).first()
        assert invitation is not None
        db.session.add(Response(invitation_id=invitation.id))
        db.session.commit()
        wave = db.session.get(Wave, desk.study.wave_id)
        assert wave is not None
        with pytest.raises(ServiceError, match="the instrument is frozen at cop-health version 2"):
            waves.update_wave(db.session, wave, details(3), Actor.cli())
        assert waves.update_wave(db.session, wave, details(2), Actor.cli()) == []
