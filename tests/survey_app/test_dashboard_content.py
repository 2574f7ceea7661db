"""Dashboard content: figures without inline CSS (the app's CSP), closed waves only, JSON that
PostgreSQL accepts, and the report rendered to a real PDF."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask

from analysis.simulate import simulate_study
from reports.pdf import pdf_page_count
from survey_app.extensions import db
from survey_app.models import Study, Team
from survey_app.services.dashboard_content import (
    ContentError,
    analyse_for_dashboard,
    json_safe,
)
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import DashboardStudy, build_dashboard_study
from tests.survey_app.staff_support import add_user, post, sign_in, text_of

EVALUATOR = "evaluator@example.org"
MANAGER = "manager@example.org"


def test_json_for_postgresql_has_no_nan() -> None:
    value = json_safe({"x": [float("nan"), float("inf"), 1.5], "n": pd.NA is None})
    assert json.dumps(value, allow_nan=False) == '{"x": [null, null, 1.5], "n": false}'


def test_data_that_cannot_be_analysed_raise_a_content_error() -> None:
    study = simulate_study(teams=2, members=5, waves=2, seed=3)
    empty = dataclasses.replace(study.bundle, responses=study.bundle.responses.iloc[:0])
    with pytest.raises(ContentError, match="no submitted responses yet"):
        analyse_for_dashboard(empty)
    schedule = pd.DataFrame(
        {"wave": [1, 2], "opens": "2025-01-06", "closes": "2025-02-03", "status": "open"}
    )
    still_open = dataclasses.replace(study.bundle, schedule=schedule)
    with pytest.raises(ContentError, match=r"no closed wave has responses yet \(wave 1, 2"):
        analyse_for_dashboard(still_open)


@pytest.fixture
def figures_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """SQLite with figures drawn (content only: the database does not matter here)."""
    path = tmp_path / "copkit.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    yield app
    db.dispose(app)


@pytest.fixture
def study(figures_app: Flask) -> DashboardStudy:
    with figures_app.app_context():
        setup = build_dashboard_study(db.session)
        row = db.session.get(Study, setup.study_id)
        five = db.session.get(Team, setup.team_ids["Five"])
        add_user(db.session, EVALUATOR, "evaluator", study=row)
        add_user(db.session, MANAGER, "manager", study=row, teams=[five] if five else [])
        db.session.commit()
    return setup


@pytest.mark.slow
def test_pages_carry_figures_that_the_csp_allows(figures_app: Flask, study: DashboardStudy) -> None:
    evaluator = figures_app.test_client()
    sign_in(evaluator, EVALUATOR)
    response = evaluator.get(f"/dashboard/study/{study.study_id}")
    page = text_of(response)
    assert page.count('<svg class="figure"') >= 8
    manager = figures_app.test_client()
    sign_in(manager, MANAGER)
    team = text_of(manager.get(f"/dashboard/team/{study.team_ids['Five']}"))
    assert team.count('<svg class="figure"') == 1
    assert 'aria-label="Team means by wave"' in team
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    for html in (page, team):
        assert not re.search(r"\sstyle=\"", html)  # blocked by the CSP: none at all
        assert "<style" not in html and "<script" not in html
        assert re.search(r'fill="#1d2430"', html, re.I)  # the ink survives as attributes


@pytest.mark.slow
def test_the_report_downloads_as_a_real_pdf(figures_app: Flask, study: DashboardStudy) -> None:
    figures_app.config["DASHBOARD_FIGURES"] = False  # a smaller document renders faster
    client = figures_app.test_client()
    token = sign_in(client, EVALUATOR)
    response: Any = post(
        client, f"/dashboard/study/{study.study_id}/report", token, {"report_format": "pdf"}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert pdf_page_count(response.data) >= 5
