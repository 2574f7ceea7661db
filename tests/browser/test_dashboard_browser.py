"""The dashboards in Debian's Chromium: figures painted under the app's CSP, axe-core, 320px."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from survey_app.extensions import db
from survey_app.models import Study, Team
from survey_app.services import dashboard
from tests.browser.conftest import migrated_app, serving
from tests.survey_app.dashboard_support import DashboardStudy, build_dashboard_study
from tests.survey_app.staff_support import PASSWORD, add_user

pytestmark = pytest.mark.browser

EVALUATOR = "evaluator@example.org"
MANAGER = "manager@example.org"
AXE_OPTIONS = {"resultTypes": ["violations"]}


@dataclass
class Live:
    """The running app and its dashboard study."""

    url: str
    study: DashboardStudy

    def pages(self) -> dict[str, str]:
        """Every dashboard page type, by name."""
        return {
            "home": f"{self.url}/dashboard/",
            "study": f"{self.url}/dashboard/study/{self.study.study_id}",
            "team": f"{self.url}/dashboard/team/{self.study.team_ids['Heart failure/Ward']}",
            "suppressed team": f"{self.url}/dashboard/team/{self.study.team_ids['Trio']}",
        }


@pytest.fixture(scope="module")
def live(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """copkit with figures on, the dashboard study, and its computed snapshots."""
    app = migrated_app(tmp_path_factory.mktemp("dashboard-live"))
    with app.app_context():
        setup = build_dashboard_study(db.session)
        study = db.session.get(Study, setup.study_id)
        teams = [db.session.get(Team, setup.team_ids[t]) for t in ("Heart failure/Ward", "Trio")]
        add_user(db.session, EVALUATOR, "evaluator", study=study)
        add_user(db.session, MANAGER, "manager", study=study, teams=[t for t in teams if t])
        db.session.commit()
        # As copkit close-wave does: the pages are served from stored results, so what is
        # measured here is the page in the browser, not an analysis run on a loaded machine.
        assert study is not None
        dashboard.prepare_dashboards(
            db.session, study, settings=dashboard.settings_from_config(app.config)
        )
    with serving(app) as url:
        yield Live(url, setup)


def _signed_in(browser: Any, live: Live, email: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(f"{live.url}/auth/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def test_figures_are_painted_under_the_csp_without_violations(browser: Any, live: Live) -> None:
    page = _signed_in(browser, live, EVALUATOR, viewport={"width": 1280, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    response = page.goto(live.pages()["study"], timeout=120_000)
    assert response is not None and response.status == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    paint = page.evaluate(
        "[...document.querySelectorAll('svg.figure *')]"
        ".flatMap(e => [getComputedStyle(e).fill, getComputedStyle(e).stroke])"
    )
    assert "rgb(230, 159, 0)" in paint  # the first profession's colour (Okabe-Ito), as drawn
    assert "rgb(29, 36, 48)" in paint  # the ink every other series is drawn in
    widths = page.evaluate(
        "[...document.querySelectorAll('svg.figure')].map(s => s.getBoundingClientRect().width)"
    )
    assert len(widths) >= 8 and min(widths) > 100
    page.goto(live.pages()["team"])
    assert page.locator("svg.figure").count() == 1
    assert refused == []
    page.context.close()


def test_axe_finds_no_violations_on_the_dashboards(browser: Any, live: Live) -> None:
    axe = Axe()
    found: dict[str, str] = {}
    for email, names in ((EVALUATOR, ("home", "study")), (MANAGER, ("team", "suppressed team"))):
        page = _signed_in(browser, live, email, bypass_csp=True)
        for name in names:
            page.goto(live.pages()[name], timeout=120_000)
            results = axe.run(page, options=AXE_OPTIONS)
            if results.violations_count:
                found[name] = results.generate_snapshot()
        page.context.close()
    assert found == {}


def test_no_dashboard_scrolls_sideways_at_320_pixels(browser: Any, live: Live) -> None:
    widths: dict[str, int] = {}
    for email, names in ((EVALUATOR, ("home", "study")), (MANAGER, ("team", "suppressed team"))):
        page = _signed_in(
            browser, live, email, viewport={"width": 320, "height": 640}, is_mobile=True
        )
        for name in names:
            page.goto(live.pages()[name], timeout=120_000)
            widths[name] = int(page.evaluate("document.documentElement.scrollWidth"))
        page.context.close()
    assert len(widths) == 4
    assert {name: width for name, width in widths.items() if width > 320} == {}
