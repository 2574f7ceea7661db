"""Team members' results page (issue 16): the released, suppressed figures the team's managers
see, opened from the member's own survey link, in plain words; the study can switch it off.

The attacks on it are in test_privacy_attacks.py (each attack is tried on both audiences)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Invitation, Study
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import (
    COMMENT_TEXT,
    DashboardStudy,
    build_dashboard_study,
)
from tests.survey_app.privacy_support import MANAGER, build_team_study, read_page
from tests.survey_app.staff_support import add_user, sign_in, text_of
from tests.survey_app.survey_fixtures import token

PSEUDONYM = re.compile(r"\bR[0-9a-f]{10}\b")


@pytest.fixture
def results_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(
        migrated_database_url, tmp_path, DASHBOARD_FIGURES=True, DASHBOARD_WAIT_SECONDS=0
    )
    yield app
    db.dispose(app)


def test_a_member_sees_what_the_manager_sees_and_why_it_matters(results_app: Flask) -> None:
    people = {f"n{i}": "nurse" for i in range(1, 7)}
    with results_app.app_context():
        setup = build_team_study(db.session, people, {1: set(people), 2: set(people)})
    manager = results_app.test_client()
    sign_in(manager, MANAGER)
    managers = read_page(manager, f"/dashboard/team/{setup.team_id}")
    member = results_app.test_client()
    response = member.get(f"/s/{setup.link('n2', 1)}/results")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    theirs = read_page(member, f"/s/{setup.link('n2', 1)}/results")
    assert theirs.practice == managers.practice and theirs.responded == managers.responded
    assert theirs.shown(2) is not None
    page = theirs.html
    assert "How Ward 5 is doing" in page and "Why your answers matter" in page
    assert "held back" in page or "fewer than 5 answers" in page
    assert "<svg" in page  # the chart, from the released (rounded) figures
    assert "Withdraw from the study" in page
    for handle in people:
        assert setup.email(handle) not in page and f"Person {handle.upper()}" not in page
    assert not PSEUDONYM.search(page)


@pytest.mark.slow
def test_the_results_page_shows_no_free_text_names_or_pseudonyms(results_app: Flask) -> None:
    with results_app.app_context():
        study: DashboardStudy = build_dashboard_study(db.session)
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.wave_id == study.open_wave_id).limit(1)
        )
        assert invitation is not None
        link = token("results-reader")
        from survey_app.tokens import hash_token

        invitation.token_hash = hash_token(link)
        db.session.commit()
    page = text_of(results_app.test_client().get(f"/s/{link}/results"))
    assert "How " in page
    assert COMMENT_TEXT not in page and "Nadia-Quill" not in page
    assert not any(name in page for name in study.names)
    assert not any(email in page for email in study.emails)
    assert not PSEUDONYM.search(page)
    assert "Wave 3" not in page and "Survey 3" not in page  # the open wave is never shown


def test_the_study_can_switch_team_results_off(results_app: Flask) -> None:
    people = {f"n{i}": "nurse" for i in range(1, 7)}
    with results_app.app_context():
        setup = build_team_study(db.session, people, {1: set(people)})
        study = db.session.get(Study, setup.study_id)
        assert study is not None
        add_user(db.session, "admin@example.org", "admin")
        db.session.commit()
    admin = results_app.test_client()
    sign_in(admin, "admin@example.org")
    page = f"/admin/studies/{setup.study_id}/data-protection"
    form = text_of(admin.get(page))
    token_value = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token_value is not None
    saved = admin.post(
        page,
        data={"csrf_token": token_value.group(1), "retention_days": "400", "share_results": "no"},
    )
    assert saved.status_code == 302
    refused = results_app.test_client().get(f"/s/{setup.link('n1', 1)}/results")
    assert refused.status_code == 404
    assert "Results are not shared" in text_of(refused)
    assert "Ward 5" not in text_of(refused).split("<main", 1)[1].split("Results are not shared")[1]
    with results_app.app_context():
        study = db.session.get(Study, setup.study_id)
        assert study is not None and (study.retention_days, study.share_results) == (400, False)


def test_an_unknown_link_sees_no_results(results_app: Flask) -> None:
    assert results_app.test_client().get(f"/s/{token('nobody')}/results").status_code == 404


def test_a_studys_manager_brief_from_the_command_line_is_its_release(
    results_app: Flask, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from survey_app.cli import main
    from survey_app.services import releases
    from tests.survey_app.privacy_support import STUDY_NAME, add_wave

    people = {f"n{i}": "nurse" for i in range(1, 7)}
    with results_app.app_context():
        setup = build_team_study(db.session, people, {1: set(people), 2: set(people)})
        add_wave(db.session, setup, 3, {"n1", "n2"}, open_wave=True)
    config = {"DATABASE_URL": results_app.config["DATABASE_URL"], "INSTANCE_PATH": str(tmp_path)}
    out = tmp_path / "brief.html"
    args = ["report", STUDY_NAME, "--audience", "manager", "--team", "Ward 5", "--out", str(out)]
    done = CliRunner().invoke(main, args, obj=config)
    assert done.exit_code == 0, done.output
    assert "the released figures" in done.output
    brief = out.read_text(encoding="utf-8")
    assert "Ward 5" in brief and "wave 2" in brief.lower()
    assert "wave 3" not in brief.lower()  # the open wave is in no release
    with results_app.app_context():
        assert len(releases.release_history(db.session, setup.study_id)) == 1
    manager = results_app.test_client()
    sign_in(manager, MANAGER)
    page = read_page(manager, f"/dashboard/team/{setup.team_id}")
    assert page.shown(2) is not None and f">{page.practice[2]}<" in brief  # the same figure
    with results_app.app_context():
        assert len(releases.release_history(db.session, setup.study_id)) == 1  # not re-released
    other = CliRunner().invoke(main, [*args, "--min-cell", "3"], obj=config)
    assert other.exit_code == 2 and "made with COPKIT_MIN_CELL (5)" in other.output
    missing = CliRunner().invoke(
        main,
        ["report", STUDY_NAME, "--audience", "manager", "--team", "Nope", "--out", str(out)],
        obj=config,
    )
    assert missing.exit_code == 1 and "no released results for team(s) Nope" in missing.output
