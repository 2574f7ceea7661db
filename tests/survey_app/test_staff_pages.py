"""Staff pages at desktop scale: members searched and paged, former members shown as such."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Invitation, Membership, Study, Team, Theme, Wave
from tests.survey_app.staff_support import (
    StudyFixture,
    add_user,
    audit_actions,
    build_study,
    csrf_token,
    sign_in,
    text_of,
)

CROWD = 120


@dataclass
class Desk:
    """An evaluator signed in on a study of 121 people."""

    app: Flask
    client: FlaskClient
    study: StudyFixture

    def get(self, path: str) -> str:
        response = self.client.get(f"/admin/studies/{self.study.study_id}{path}")
        assert response.status_code == 200, path
        return text_of(response)


@pytest.fixture
def desk(app: Flask) -> Desk:
    people: dict[str, list[str]] = {f"person{n:03d}@example.org": ["Ward 7"] for n in range(CROWD)}
    people["zed@example.org"] = ["Renal"]
    people["bob@example.org"] = ["Ward 7"]
    with app.app_context():
        fixture = build_study(db.session, "CLAHRC", people=people)
        add_user(
            db.session,
            "eval@example.org",
            "evaluator",
            study=db.session.get(Study, fixture.study_id),
        )
        db.session.commit()
    client = app.test_client()
    sign_in(client, "eval@example.org")
    return Desk(app, client, fixture)


def _names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html)


def test_the_members_list_comes_in_pages_of_fifty(desk: Desk) -> None:
    total = CROWD + 2
    first = desk.get("/members")
    assert f"Showing 1–50 of {total}." in first
    assert len(_names(first)) == 50
    assert 'aria-label="Pages of members"' in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = desk.get("/members?page=3")
    assert f"Showing 101–{total} of {total}." in last
    assert len(_names(last)) == total - 100
    assert 'aria-current="page" href="/admin/studies/' in last
    # everyone appears exactly once over the pages
    seen = [name for page in (1, 2, 3) for name in _names(desk.get(f"/members?page={page}"))]
    assert len(seen) == len(set(seen)) == total
    # a page past the end shows the last one, a nonsense page the first
    assert f"Showing 101–{total} of {total}." in desk.get("/members?page=99")
    assert "Showing 1–50" in desk.get("/members?page=abc")


def test_members_can_be_searched_by_name_email_profession_or_team(desk: Desk) -> None:
    renal = desk.get("/members?q=renal")
    assert _names(renal) == ["Zed Tester"]
    assert "Showing 1–1 of 1 matching “renal” (122 on the roster)." in renal
    assert _names(desk.get("/members?q=ZED%40example")) == ["Zed Tester"]
    both = desk.get("/members?q=person11")
    assert len(_names(both)) == 10  # person110 ... person119
    assert _names(desk.get("/members?q=person11+renal")) == []
    # LIKE wildcards are taken literally
    nobody = desk.get("/members?q=%25")
    assert "Nobody on the roster matches “%”." in nobody
    assert _names(nobody) == []
    assert _names(desk.get("/members?q=_")) == []


def test_a_team_page_shows_former_members_apart(desk: Desk) -> None:
    with desk.app.app_context():
        membership = db.session.get(
            Membership, desk.study.membership_ids[("bob@example.org", "Ward 7")]
        )
        assert membership is not None
        membership.left_on = date(2024, 3, 1)
        db.session.commit()
    html = desk.get(f"/teams/{desk.study.team_ids['Ward 7']}")
    current, former = html.split("<h2>Former members</h2>")
    assert "Bob Tester" not in current
    assert "Bob Tester</a> (nurse), left 1 March 2024" in former
    assert "Person000 Tester" in current and "Person000 Tester" not in former
    renal = desk.get(f"/teams/{desk.study.team_ids['Renal']}")
    assert "Former members" not in renal and "Zed Tester" in renal


def _post(desk: Desk, path: str) -> str:
    token = csrf_token(desk.client, f"/admin/studies/{desk.study.study_id}")
    response = desk.client.post(
        f"/admin/studies/{desk.study.study_id}{path}",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200, path
    return text_of(response)


def test_a_wave_nobody_was_invited_to_can_be_deleted_and_no_other(desk: Desk) -> None:
    with desk.app.app_context():
        first = db.session.get(Wave, desk.study.wave_id)
        assert first is not None
        mistake = Wave(
            study_id=desk.study.study_id,
            number=2,
            opens=first.opens + timedelta(days=60),
            closes=first.closes + timedelta(days=60),
            instrument_id="cop-health",
            instrument_version=1,
        )
        db.session.add(mistake)
        membership = db.session.get(
            Membership, desk.study.membership_ids[("zed@example.org", "Renal")]
        )
        db.session.add(Invitation(membership=membership, wave=first, token_hash="x" * 64))
        db.session.commit()
        mistake_id = mistake.id
    assert "Delete wave 2" in desk.get(f"/waves/{mistake_id}")
    assert "Delete wave 1" not in desk.get(f"/waves/{desk.study.wave_id}")
    refused = _post(desk, f"/waves/{desk.study.wave_id}/delete")
    assert "Nothing was deleted: wave 1 cannot be deleted: 1 person was invited to it" in refused
    deleted = _post(desk, f"/waves/{mistake_id}/delete")
    assert "Wave 2 deleted." in deleted
    with desk.app.app_context():
        assert db.session.get(Wave, mistake_id) is None
        assert db.session.get(Wave, desk.study.wave_id) is not None
    assert audit_actions(desk.app)[-1] == "wave.delete"


def test_a_team_nothing_depends_on_can_be_deleted_and_no_other(desk: Desk) -> None:
    with desk.app.app_context():
        renal = db.session.get(Team, desk.study.team_ids["Renal"])
        assert renal is not None
        empty = Team(theme_id=renal.theme_id, name="Added by mistake")
        db.session.add(empty)
        db.session.commit()
        empty_id = empty.id
    page = desk.get(f"/teams/{empty_id}")
    assert "Delete team Added by mistake" in page
    renal_page = desk.get(f"/teams/{desk.study.team_ids['Renal']}")
    assert "It cannot be deleted: 1 person belongs or belonged to it" in renal_page
    refused = _post(desk, f"/teams/{desk.study.team_ids['Renal']}/delete")
    assert "Nothing was deleted: team &#34;Renal&#34; cannot be deleted: 1 person" in refused
    community = _post(desk, f"/teams/{desk.study.team_ids['Community']}/delete")
    assert "Team Community deleted." in community  # nobody in it, nothing recorded
    assert "Team Added by mistake deleted." in _post(desk, f"/teams/{empty_id}/delete")
    with desk.app.app_context():
        assert db.session.get(Team, empty_id) is None
        assert db.session.get(Team, desk.study.team_ids["Renal"]) is not None
    assert audit_actions(desk.app)[-2:] == ["team.delete", "team.delete"]


def _rename(desk: Desk, team: str, name: str) -> str:
    token = csrf_token(desk.client, f"/admin/studies/{desk.study.study_id}")
    response = desk.client.post(
        f"/admin/studies/{desk.study.study_id}/teams/{desk.study.team_ids[team]}/name",
        data={"csrf_token": token, "name": name},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return text_of(response)


def test_a_team_is_renamed_until_a_closed_wave_names_it(desk: Desk) -> None:
    assert "Team renamed Renal and dialysis." in _rename(desk, "Renal", "  Renal and dialysis ")
    assert "<h1>CKD / Renal and dialysis</h1>" in desk.get(f"/teams/{desk.study.team_ids['Renal']}")
    assert "Not renamed: theme &#34;Heart failure&#34; already has a team &#34;Community&#34;" in (
        _rename(desk, "Ward 7", "Community")
    )
    assert "Not renamed:" in _rename(desk, "Ward 7", "   ")
    with desk.app.app_context():
        wave = db.session.get(Wave, desk.study.wave_id)
        membership = db.session.get(
            Membership, desk.study.membership_ids[("bob@example.org", "Ward 7")]
        )
        assert wave is not None
        db.session.add(Invitation(membership=membership, wave=wave, token_hash="y" * 64))
        wave.closed_early_at = wave.opens + timedelta(hours=1)
        db.session.commit()
    ward = desk.study.team_ids["Ward 7"]
    page = desk.get(f"/teams/{ward}")  # Rename is not offered, and the page says why
    assert f"/teams/{ward}/name" not in page
    assert "It cannot be renamed: it was surveyed in closed wave 1" in page
    renal = desk.study.team_ids["Renal"]
    assert f"/teams/{renal}/name" in desk.get(f"/teams/{renal}")  # not surveyed: offered
    refused = _rename(desk, "Ward 7", "Ward Seven")
    assert (
        "Not renamed: team &#34;Ward 7&#34; cannot be renamed: it was surveyed in closed wave 1"
        in (refused)
    )
    with desk.app.app_context():
        team = db.session.get(Team, desk.study.team_ids["Ward 7"])
        assert team is not None and team.name == "Ward 7"
    assert audit_actions(desk.app).count("team.rename") == 1


def _theme_id(desk: Desk, name: str) -> int:
    with desk.app.app_context():
        theme_id = db.session.scalar(
            select(Theme.id).where(Theme.study_id == desk.study.study_id, Theme.name == name)
        )
    assert theme_id is not None, name
    return int(theme_id)


def _theme_post(desk: Desk, theme: str, action: str, **data: str) -> str:
    theme_id = _theme_id(desk, theme)
    token = csrf_token(desk.client, f"/admin/studies/{desk.study.study_id}")
    fields = {"csrf_token": token, **{f"theme-{theme_id}-{k}": v for k, v in data.items()}}
    response = desk.client.post(
        f"/admin/studies/{desk.study.study_id}/themes/{theme_id}/{action}",
        data=fields,
        follow_redirects=True,
    )
    assert response.status_code == 200
    return text_of(response)


def test_a_theme_is_renamed_until_a_closed_wave_names_its_teams(desk: Desk) -> None:
    page = desk.get("")
    assert "New name for CKD" in page and "Delete theme CKD" not in page  # Renal belongs to it
    assert "Theme renamed Kidney care." in _theme_post(desk, "CKD", "name", name=" Kidney care ")
    assert "<h3>Kidney care</h3>" in desk.get("") and "<h3>CKD</h3>" not in desk.get("")
    assert "Not renamed: the study already has a theme &#34;Heart failure&#34;" in (
        _theme_post(desk, "Kidney care", "name", name="Heart failure")
    )
    assert "Not renamed:" in _theme_post(desk, "Kidney care", "name", name="  ")
    with desk.app.app_context():
        wave = db.session.get(Wave, desk.study.wave_id)
        membership = db.session.get(
            Membership, desk.study.membership_ids[("bob@example.org", "Ward 7")]
        )
        assert wave is not None
        db.session.add(Invitation(membership=membership, wave=wave, token_hash="z" * 64))
        wave.closed_early_at = wave.opens + timedelta(hours=1)
        db.session.commit()
    page = desk.get("")  # Rename is offered only where it can succeed, else the reason
    assert "New name for Heart failure" not in page
    assert f"/themes/{_theme_id(desk, 'Heart failure')}/name" not in page
    assert "It cannot be renamed: its teams were surveyed in closed wave 1" in page
    assert "New name for Kidney care" in page
    refused = _theme_post(desk, "Heart failure", "name", name="Cardiac")
    assert (
        "Not renamed: theme &#34;Heart failure&#34; cannot be renamed: its teams were surveyed "
        "in closed wave 1" in refused
    )
    _theme_id(desk, "Heart failure")  # still there, by its old name
    assert audit_actions(desk.app).count("theme.rename") == 1


def test_only_a_theme_without_teams_is_deleted(desk: Desk) -> None:
    refused = _theme_post(desk, "CKD", "delete")
    assert "Nothing was deleted: theme &#34;CKD&#34; cannot be deleted: 1 team belongs" in refused
    _theme_id(desk, "CKD")
    token = csrf_token(desk.client, f"/admin/studies/{desk.study.study_id}")
    desk.client.post(
        f"/admin/studies/{desk.study.study_id}/themes",
        data={"csrf_token": token, "theme-name": "Added by mistake"},
    )
    assert "Delete theme Added by mistake" in desk.get("")
    assert "Theme Added by mistake deleted." in _theme_post(desk, "Added by mistake", "delete")
    with desk.app.app_context():
        assert db.session.scalar(select(Theme.id).where(Theme.name == "Added by mistake")) is None
    assert audit_actions(desk.app).count("theme.delete") == 1
