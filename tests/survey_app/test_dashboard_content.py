"""Dashboard content: figures without inline CSS (the app's CSP), the tolerant analysis, JSON that
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

from analysis.bundle import Bundle
from instruments import load as load_instrument
from reports.pdf import pdf_page_count
from survey_app.extensions import db
from survey_app.models import Study, Team
from survey_app.services import dashboard_content
from survey_app.services.dashboard_content import (
    ContentError,
    analyse_for_dashboard,
    json_safe,
    svg_presentation_attributes,
)
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import DashboardStudy, build_dashboard_study
from tests.survey_app.staff_support import add_user, post, sign_in, text_of

EVALUATOR = "evaluator@example.org"
MANAGER = "manager@example.org"


def test_inline_css_becomes_presentation_attributes() -> None:
    svg = (
        '<svg class="figure" width="10pt">\n <defs>\n  <style type="text/css">'
        "*{stroke-linejoin: round; stroke-linecap: butt}</style>\n </defs>\n"
        ' <path d="M 0 0 \nL 1 1" fill="red" style="fill: #0072b2; stroke: #ffffff;'
        ' stroke-width: 0.8"/>\n'
        " <text style=\"font: italic 7px 'DejaVu Sans', sans-serif; text-anchor: middle\""
        ' x="1">a style="fill: red" &lt;b&gt;</text>\n'
        ' <use href="#m1" style="fill: #e69f00; cursor: pointer"/>\n</svg>'
    )
    out = svg_presentation_attributes(svg)
    assert not re.search(r"\sstyle=|<style", out.replace('a style="fill: red"', ""))
    assert out.startswith(
        '<svg class="figure" width="10pt" stroke-linejoin="round" stroke-linecap="butt">'
    )
    assert '<path d="M 0 0 \nL 1 1" fill="#0072b2" stroke="#ffffff" stroke-width="0.8"/>' in out
    assert (
        '<text x="1" font-style="italic" font-size="7px" font-family="\'DejaVu Sans\', '
        'sans-serif" text-anchor="middle">a style="fill: red" &lt;b&gt;</text>'
    ) in out  # text is left as written
    assert '<use href="#m1" fill="#e69f00"/>' in out  # "cursor" is not an SVG attribute


@pytest.mark.parametrize(
    "svg",
    [
        "<svg><script>alert(1)</script></svg>",
        '<svg><g onload="alert(1)"/></svg>',
        '<svg><use href="https://example.org/x.svg#a"/></svg>',
        '<svg><path style="fill: url(https://example.org/p)"/></svg>',
        "<svg><foreignObject><p>x</p></foreignObject></svg>",
        "<div>not a figure</div>",
    ],
)
def test_figures_that_could_run_code_or_fetch_are_refused(svg: str) -> None:
    with pytest.raises(ValueError):
        svg_presentation_attributes(svg)


def test_json_for_postgresql_has_no_nan() -> None:
    value = json_safe({"x": [float("nan"), float("inf"), 1.5], "n": pd.NA is None})
    assert json.dumps(value, allow_nan=False) == '{"x": [null, null, 1.5], "n": false}'


@dataclasses.dataclass(frozen=True)
class _Results:
    bundle: Bundle


def _bundle(interventions: bool, last_wave: int = 1) -> Bundle:
    waves = list(range(1, last_wave + 1))
    frame = pd.DataFrame({"wave": waves, "team": "T", "respondent": "R1", "value": 4.0})
    plan = pd.DataFrame({"team": ["T"], "wave": [2], "kind": ["workshop"], "description": [""]})
    instrument = load_instrument("cop-health", 1)
    return Bundle(
        frame, frame.iloc[:0], frame, plan if interventions else plan.iloc[:0], instrument
    )


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Stands in for the pipeline: refuses interventions; records how many each call had."""
    seen: list[int] = []

    def analyse(bundle: Bundle) -> _Results:
        seen.append(len(bundle.interventions))
        if not bundle.interventions.empty:
            raise ValueError("the slope change (since) cannot be estimated")
        return _Results(bundle)

    monkeypatch.setattr(dashboard_content, "analyse_bundle", analyse)
    return seen


def test_intervention_models_that_cannot_be_fit_leave_the_rest(analysed: list[int]) -> None:
    bundle = _bundle(interventions=True, last_wave=3)  # surveyed after: worth trying
    results, notes = analyse_for_dashboard(bundle)
    assert analysed == [1, 0]
    assert results.bundle is bundle  # the interventions stay listed
    assert notes == [
        "Intervention effects are not estimated yet: the slope change (since) cannot be estimated."
    ]


def test_interventions_not_yet_followed_by_a_wave_are_not_even_tried(
    analysed: list[int],
) -> None:
    for last_wave in (1, 2):  # the intervention is first measured at wave 2
        analysed.clear()
        bundle = _bundle(interventions=True, last_wave=last_wave)
        results, notes = analyse_for_dashboard(bundle)
        assert analysed == [0] and results.bundle is bundle
        assert notes == [
            "Intervention effects are not estimated yet: no team has been surveyed after the "
            "wave its intervention was first measured."
        ]


def test_data_that_cannot_be_analysed_raise_a_content_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def analyse(bundle: Bundle) -> _Results:
        raise ValueError("too few respondents")

    monkeypatch.setattr(dashboard_content, "analyse_bundle", analyse)
    with pytest.raises(ContentError, match="too few respondents"):
        analyse_for_dashboard(_bundle(interventions=False))
    empty = dataclasses.replace(_bundle(interventions=False), responses=pd.DataFrame())
    with pytest.raises(ContentError, match="no submitted responses yet"):
        analyse_for_dashboard(empty)


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
        assert re.search(r'fill="#0072b2"', html, re.I)  # the palette survives as attributes


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
