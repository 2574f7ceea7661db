"""Manager dashboards: small-cell suppression on the page, across pages and across time; no
free text, names or pseudonyms; closed waves only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEvent, Study, Team, Wave, utcnow
from survey_app.services import dashboard_content
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import (
    COMMENT_TEXT,
    DashboardStudy,
    build_dashboard_study,
    submit_pending,
)
from tests.survey_app.staff_support import add_user, csrf_token, sign_in, text_of

MANAGER = "manager@example.org"
EVALUATOR = "evaluator@example.org"
NUMBER = re.compile(r"\b\d\.\d\b")
PSEUDONYM = re.compile(r"\bR[0-9a-f]{10}\b")


@pytest.fixture
def dash_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app without report figures (faster) and without waiting for other computations."""
    app = make_test_app(
        migrated_database_url, tmp_path, DASHBOARD_FIGURES=False, DASHBOARD_WAIT_SECONDS=0
    )
    yield app
    db.dispose(app)


@pytest.fixture
def study(dash_app: Flask) -> DashboardStudy:
    """The suppression study, an evaluator, and a manager of Trio, Five and both Ward teams."""
    with dash_app.app_context():
        setup = build_dashboard_study(db.session)
        row = db.session.get(Study, setup.study_id)
        teams = [db.session.get(Team, ident) for ident in setup.team_ids.values()]
        add_user(db.session, EVALUATOR, "evaluator", study=row)
        add_user(db.session, MANAGER, "manager", study=row, teams=[t for t in teams if t])
        db.session.commit()
    return setup


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the dashboard computations (one entry per analysis of a study's data)."""
    calls: list[int] = []
    real = dashboard_content.analyse_for_dashboard

    def counted(bundle: Any) -> Any:
        calls.append(len(calls) + 1)
        return real(bundle)

    monkeypatch.setattr(dashboard_content, "analyse_for_dashboard", counted)
    return calls


def _section(page: str, caption_id: str) -> str:
    start = page.index(f'id="{caption_id}"')
    return page[start : page.index("</table>", start)]


def _team_page(client: FlaskClient, study: DashboardStudy, label: str) -> str:
    response = client.get(f"/dashboard/team/{study.team_ids[label]}")
    assert response.status_code == 200, label
    return text_of(response)


@pytest.mark.slow
def test_small_teams_and_subgroups_are_suppressed_on_the_page_and_across_pages(
    dash_app: Flask, study: DashboardStudy
) -> None:
    client = dash_app.test_client()
    sign_in(client, MANAGER)
    pages = {label: _team_page(client, study, label) for label in study.team_ids}

    # A team of 3: every mean, change and the verdict withheld; counts of responses remain.
    trio = pages["Trio"]
    means = _section(trio, "means-caption")
    assert "suppressed: fewer than 5 responses" in means
    assert not NUMBER.search(means)
    assert "Not shown" in trio and "Forming" not in trio
    assert "At wave 2, 3 of 3 members answered." in trio
    assert "professions-caption" not in trio

    # A team of 5 split 3 nurses / 2 GPs: team means shown, the profession breakdown is not.
    five = pages["Five"]
    assert len(NUMBER.findall(_section(five, "means-caption"))) >= 14  # 7 scales x 2 waves
    assert "professions-caption" not in five
    assert "Not shown by profession" in five
    assert "nurse" not in five.lower() and ">GP<" not in five

    # Two overlapping teams of 6 and 5 (the same people but one): the 5's means would give
    # the sixth person's answers by subtraction, so they are withheld on its page, as is
    # its verdict (its yes/no signs would say on which side of each threshold they lie).
    whole, part = pages["Heart failure/Ward"], pages["Renal/Ward"]
    assert len(NUMBER.findall(_section(whole, "means-caption"))) >= 14
    part_means = _section(part, "means-caption")
    assert not NUMBER.search(part_means)
    assert "could be worked out from other figures" in part_means
    assert "At wave 2, 5 of 5 members answered." in part  # not a primary suppression
    assert "Not shown" in part and "Forming" not in part
    assert "Members identify with the team" not in part


@pytest.mark.slow
def test_manager_pages_hold_no_free_text_names_emails_or_pseudonyms(
    dash_app: Flask, study: DashboardStudy
) -> None:
    manager = dash_app.test_client()
    sign_in(manager, MANAGER)
    evaluator = dash_app.test_client()
    sign_in(evaluator, EVALUATOR)
    report = text_of(evaluator.get(f"/dashboard/study/{study.study_id}"))
    assert COMMENT_TEXT in report  # evaluators see free text ...
    pages = [_team_page(manager, study, label) for label in study.team_ids]
    pages.append(text_of(manager.get("/dashboard/")))
    for page in pages:  # ... managers never, nor who anyone is
        assert COMMENT_TEXT not in page and "Nadia-Quill" not in page
        assert not any(name in page for name in study.names)
        assert not any(email in page for email in study.emails)
        assert not PSEUDONYM.search(page)
        assert "helped" not in page.lower()


@pytest.mark.slow
def test_open_waves_never_reach_managers_so_late_respondents_cannot_be_subtracted(
    dash_app: Flask, study: DashboardStudy, analyses: list[int]
) -> None:
    manager = dash_app.test_client()
    sign_in(manager, MANAGER)
    evaluator = dash_app.test_client()
    sign_in(evaluator, EVALUATOR)

    before = _team_page(manager, study, "Heart failure/Ward")
    assert "closed waves only (waves 1, 2)" in before
    assert "Wave 3 is still open" in before
    assert "Wave 3</th>" not in before and '<th scope="row">3</th>' not in before
    assert len(analyses) == 1
    live = text_of(evaluator.get(f"/dashboard/study/{study.study_id}"))
    # evaluators count what the report counts: the open wave is named, its figures are not shown
    assert "Wave 3 is still open" in live and "2/6 (33%)" not in live
    assert len(analyses) == 2

    with dash_app.app_context():  # one more person answers the open wave
        submit_pending(db.session, study.pending[("Heart failure/Ward", "p3")])
    after = _team_page(manager, study, "Heart failure/Ward")
    assert _section(after, "means-caption") == _section(before, "means-caption")
    assert _section(after, "responses-caption") == _section(before, "responses-caption")
    assert len(analyses) == 2  # the manager snapshot did not even recompute
    evaluator.get(f"/dashboard/study/{study.study_id}")
    assert len(analyses) == 2  # nor the evaluator's: an open wave counts nowhere

    with dash_app.app_context():  # the wave closes: now its figures are final and shown
        wave = db.session.get(Wave, study.open_wave_id)
        assert wave is not None
        wave.closed_early_at = utcnow()
        db.session.commit()
    closed = _team_page(manager, study, "Heart failure/Ward")
    assert "closed waves only (waves 1, 2, 3)" in closed
    assert "Wave 3</th>" in closed
    assert '<th scope="row">3</th><td>6</td><td>3</td>' in closed
    assert len(analyses) == 3


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF, by poppler's pdftotext (installed by .ci/run)."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pdftotext (poppler-utils) is missing; .ci/run installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "brief.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def _download_brief(client: FlaskClient, study: DashboardStudy, label: str) -> Any:
    team_id = study.team_ids[label]
    token = csrf_token(client, f"/dashboard/team/{team_id}")
    return client.post(f"/dashboard/team/{team_id}/brief", data={"csrf_token": token})


@pytest.mark.slow
def test_a_manager_downloads_the_team_brief_as_the_page_shows_it(
    dash_app: Flask, study: DashboardStudy, tmp_path: Path
) -> None:
    client = dash_app.test_client()
    sign_in(client, MANAGER)
    five = _download_brief(client, study, "Five")
    assert five.status_code == 200
    assert five.mimetype == "application/pdf"
    assert "five-brief.pdf" in five.headers["Content-Disposition"]
    assert five.data.startswith(b"%PDF-")
    text = _pdf_text(five.data, tmp_path)
    assert "Five" in text
    assert len(NUMBER.findall(text)) >= 14  # the team means the page shows
    trio = _pdf_text(_download_brief(client, study, "Trio").data, tmp_path)
    assert "fewer than 5 people answered" in " ".join(trio.split())  # the real reason
    assert not NUMBER.search(trio)  # nothing the page withholds
    for pdf in (text, trio):
        assert not PSEUDONYM.search(pdf)
        assert COMMENT_TEXT not in pdf
        assert all(name not in pdf for name in study.names)
    with dash_app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "team.brief")
        ).all()
        assert [(event.actor, event.object_id) for event in events] == [
            (MANAGER, str(study.team_ids["Five"])),
            (MANAGER, str(study.team_ids["Trio"])),
        ]


@pytest.mark.slow
def test_the_brief_needs_the_form_token_and_access_to_the_team(
    dash_app: Flask, study: DashboardStudy
) -> None:
    team_id = study.team_ids["Five"]
    anonymous = dash_app.test_client()
    form = {"csrf_token": csrf_token(anonymous)}
    assert anonymous.post(f"/dashboard/team/{team_id}/brief", data=form).status_code == 302
    client = dash_app.test_client()
    sign_in(client, MANAGER)
    assert client.post(f"/dashboard/team/{team_id}/brief").status_code == 400
    other = dash_app.test_client()
    with dash_app.app_context():
        stranger = db.session.scalar(select(Team).where(Team.id != team_id).limit(1))
        assert stranger is not None
        stranger_id = stranger.id
        add_user(
            db.session,
            "other-manager@example.org",
            "manager",
            study=db.session.get(Study, study.study_id),
            teams=[stranger],
        )
        db.session.commit()
    sign_in(other, "other-manager@example.org")
    token = csrf_token(other, f"/dashboard/team/{stranger_id}")
    refused = other.post(f"/dashboard/team/{team_id}/brief", data={"csrf_token": token})
    assert refused.status_code == 404
    with dash_app.app_context():
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "team.brief")
        ).all()
