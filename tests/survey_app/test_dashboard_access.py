"""Who may open which dashboard: sign-in, roles (403) and scope (404), CSRF on the download form,
and the audited report download."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEvent, DashboardSnapshot, Study, Team
from survey_app.services import dashboard as dashboard_service
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import COMMENT_TEXT, build_dashboard_study
from tests.survey_app.staff_support import add_user, build_study, post, sign_in, text_of

ADMIN = "admin@example.org"
EVALUATOR = "evaluator@example.org"
OTHER_EVALUATOR = "other.evaluator@example.org"
MANAGER = "manager@example.org"


@dataclass
class Setup:
    """The dashboard study, another study, and the staff of both."""

    study_id: int
    teams: dict[str, int]
    other_study_id: int
    other_team_id: int


@pytest.fixture
def dash_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app without report figures (faster) and without waiting for other computations."""
    app = make_test_app(
        migrated_database_url, tmp_path, DASHBOARD_FIGURES=False, DASHBOARD_WAIT_SECONDS=0
    )
    yield app
    db.dispose(app)


@pytest.fixture
def setup(dash_app: Flask) -> Setup:
    with dash_app.app_context():
        session = db.session
        mine = build_dashboard_study(session)
        other = build_study(session, "Another CLAHRC")
        study = session.get(Study, mine.study_id)
        other_study = session.get(Study, other.study_id)
        trio = session.get(Team, mine.team_ids["Trio"])
        add_user(session, ADMIN, "admin")
        add_user(session, EVALUATOR, "evaluator", study=study)
        add_user(session, OTHER_EVALUATOR, "evaluator", study=other_study)
        add_user(session, MANAGER, "manager", study=study, teams=[trio] if trio else [])
        session.commit()
        return Setup(
            study_id=mine.study_id,
            teams=mine.team_ids,
            other_study_id=other.study_id,
            other_team_id=other.team_ids["Ward 7"],
        )


@pytest.fixture
def fake_pdf(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces WeasyPrint (tested in test_dashboard_content) with a quick stand-in."""
    rendered: list[str] = []

    def render(html: str) -> bytes:
        rendered.append(html)
        return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(dashboard_service, "html_to_pdf", render)
    return rendered


def _audits(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return list(events)


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/study/1", "/dashboard/team/1"])
def test_every_dashboard_needs_sign_in(dash_app: Flask, path: str) -> None:
    response = dash_app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/")


def test_report_download_needs_sign_in(dash_app: Flask, setup: Setup) -> None:
    response = dash_app.test_client().post(f"/dashboard/study/{setup.study_id}/report")
    assert response.status_code in (302, 400)  # the sign-in redirect or the missing CSRF token
    assert _audits(dash_app, "study.report") == []


@pytest.mark.slow
def test_evaluator_sees_their_study_and_nothing_of_another(dash_app: Flask, setup: Setup) -> None:
    client = dash_app.test_client()
    sign_in(client, EVALUATOR)
    home = text_of(client.get("/dashboard/"))
    assert "Dashboard suppression study" in home and "Another CLAHRC" not in home
    page = client.get(f"/dashboard/study/{setup.study_id}")
    assert page.status_code == 200
    html = text_of(page)
    assert "<h1>Dashboard suppression study: evaluation report</h1>" in html
    for section in ("summary", "measurement", "formation", "comments", "methods"):
        assert f'id="section-{section}"' in html
    assert COMMENT_TEXT in html  # free text is for evaluators
    assert page.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/dashboard/study/{setup.other_study_id}").status_code == 404
    assert client.get(f"/dashboard/team/{setup.other_team_id}").status_code == 404
    assert client.get("/dashboard/study/999999").status_code == 404
    assert client.get(f"/dashboard/team/{setup.teams['Five']}").status_code == 200  # a preview
    with dash_app.app_context():  # the other study was never analysed
        studies = db.session.scalars(select(DashboardSnapshot.study_id))
        assert set(studies) == {setup.study_id}


@pytest.mark.slow
def test_manager_sees_their_team_only(dash_app: Flask, setup: Setup) -> None:
    client = dash_app.test_client()
    token = sign_in(client, MANAGER)
    home = text_of(client.get("/dashboard/"))
    assert "Trio" in home and "Five" not in home and "Ward" not in home
    assert "Evaluator report" not in home
    assert client.get(f"/dashboard/team/{setup.teams['Trio']}").status_code == 200
    for other in ("Five", "Heart failure/Ward", "Renal/Ward"):
        assert client.get(f"/dashboard/team/{setup.teams[other]}").status_code == 404, other
    assert client.get(f"/dashboard/team/{setup.other_team_id}").status_code == 404
    assert client.get("/dashboard/team/999999").status_code == 404
    assert client.get(f"/dashboard/study/{setup.study_id}").status_code == 403
    assert client.get(f"/dashboard/study/{setup.other_study_id}").status_code == 403
    download = post(
        client, f"/dashboard/study/{setup.study_id}/report", token, {"report_format": "html"}
    )
    assert download.status_code == 403
    assert _audits(dash_app, "study.report") == []


@pytest.mark.slow
def test_admin_sees_every_study(dash_app: Flask, setup: Setup) -> None:
    client = dash_app.test_client()
    sign_in(client, ADMIN)
    home = text_of(client.get("/dashboard/"))
    assert "Dashboard suppression study" in home and "Another CLAHRC" in home
    assert client.get(f"/dashboard/team/{setup.teams['Renal/Ward']}").status_code == 200


@pytest.mark.slow
def test_report_download_is_audited_and_needs_csrf(
    dash_app: Flask, setup: Setup, fake_pdf: list[str]
) -> None:
    client = dash_app.test_client()
    token = sign_in(client, EVALUATOR)
    path = f"/dashboard/study/{setup.study_id}/report"
    assert client.post(path, data={"report_format": "html"}).status_code == 400
    assert _audits(dash_app, "study.report") == []

    html = post(client, path, token, {"report_format": "html"})
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    assert html.headers["Content-Disposition"] == (
        "attachment; filename=dashboard-suppression-study-report.html"
    )
    document = text_of(html)
    assert document.startswith("<!DOCTYPE html>") and "<style>" in document
    assert 'id="comments"' in document and COMMENT_TEXT in document

    first = post(client, path, token, {"report_format": "pdf"})
    second = post(client, path, token, {"report_format": "pdf"})
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf" and first.data.startswith(b"%PDF")
    assert len(fake_pdf) == 1  # the PDF is kept with the snapshot, not rendered again

    events = _audits(dash_app, "study.report")
    assert [e.detail["format"] for e in events if e.detail] == ["html", "pdf", "pdf"]
    event = events[0]
    assert (event.actor, event.study_id, event.object_type) == (EVALUATOR, setup.study_id, "study")
    # the report counts closed waves only: wave 3 is still open (issue 14's counting rule)
    assert event.detail is not None and event.detail["waves"] == [1, 2]

    bad = post(client, path, token, {"report_format": "docx"})
    assert bad.status_code == 400
    other = post(
        client, f"/dashboard/study/{setup.other_study_id}/report", token, {"report_format": "html"}
    )
    assert other.status_code == 404
    assert len(_audits(dash_app, "study.report")) == 3


def test_a_study_without_responses_says_so(dash_app: Flask, setup: Setup) -> None:
    client = dash_app.test_client()
    token = sign_in(client, OTHER_EVALUATOR)
    page = client.get(f"/dashboard/study/{setup.other_study_id}")
    assert page.status_code == 200
    assert "cannot be analysed yet: no submitted responses yet" in text_of(page)
    download: Any = post(
        client,
        f"/dashboard/study/{setup.other_study_id}/report",
        token,
        {"report_format": "html"},
        follow_redirects=True,
    )
    assert "The report cannot be made yet" in text_of(download)
    assert _audits(dash_app, "study.report") == []
