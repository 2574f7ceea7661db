"""Issue 16's "done when": a new evaluator runs a study through the web pages alone.

An admin makes the account (admins manage accounts); everything after is done in Chromium as
that evaluator: create the study, upload a roster, add a wave, download the links CSV. One
link is answered on a 390 px phone viewport, where the consent page's time estimate is the one
computed from the instrument, and the answer shows in the wave's tracking.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from survey_app.extensions import db
from survey_app.localtime import to_local_naive, zone_from_config
from survey_app.models import utcnow
from survey_app.services.questionnaire import estimated_minutes, pages_for
from tests.browser.conftest import HELP_EMAIL, migrated_app, serving
from tests.survey_app.staff_support import PASSWORD, add_user

pytestmark = pytest.mark.browser

EVALUATOR = "new.evaluator@example.nhs.uk"
STUDY = "Salford heart failure CoPs"
ROSTER = (
    "theme,team,name,email,profession,organisation,organisation_type\n"
    "Heart failure,HF community,Asha Patel,asha@example.nhs.uk,nurse,Salford Royal,acute trust\n"
    "Heart failure,HF community,Ben Okafor,ben@example.nhs.uk,GP,Eccles PCN,primary care\n"
    "Heart failure,HF community,Chloe Martin,chloe@example.nhs.uk,pharmacist,Salford Royal,"
    "acute trust\n"
)
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """copkit on 127.0.0.1 with an empty database and one evaluator account, nothing else."""
    app = migrated_app(
        tmp_path_factory.mktemp("journey"), WTF_CSRF_ENABLED=True, HELP_EMAIL=HELP_EMAIL
    )
    with app.app_context():
        add_user(db.session, EVALUATOR, "evaluator")
        db.session.commit()
    with serving(app, "copkit-journey") as url:
        app.config["BASE_URL"] = url  # the links in the CSV point at this server
        yield url, app


def _submit(page: Any, label: str) -> None:
    with page.expect_navigation():
        page.locator("button[type=submit]", has_text=label).first.click()


def _local(app: Flask, moment: Any) -> str:
    return to_local_naive(moment, zone_from_config(app.config)).strftime("%Y-%m-%dT%H:%M")


def test_a_new_evaluator_runs_a_study_from_the_web_pages_alone(
    browser: Any, server: tuple[str, Flask], tmp_path: Any
) -> None:
    url, app = server
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        staff = desk.new_page()
        # sign in, create the study
        staff.goto(f"{url}/auth/")
        staff.fill("#email", EVALUATOR)
        staff.fill("#password", PASSWORD)
        _submit(staff, "Sign in")
        staff.goto(f"{url}/admin/")
        staff.fill("#name", STUDY)
        _submit(staff, "Create study")
        assert f"Study {STUDY} created" in staff.content()
        study_path = re.search(r"/admin/studies/\d+", staff.url)
        assert study_path is not None, staff.url
        study_url = url + study_path.group(0)
        # upload the roster
        staff.goto(f"{study_url}/roster")
        staff.set_input_files(
            "#file",
            files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": ROSTER.encode()}],
        )
        _submit(staff, "Import")
        staff.goto(f"{study_url}/members")
        assert "Showing 1–3 of 3." in staff.content()
        # add a wave, open now for two weeks
        staff.goto(f"{study_url}/waves")
        now = utcnow()
        staff.fill("#opens", _local(app, now - timedelta(hours=1)))
        staff.fill("#closes", _local(app, now + timedelta(days=14)))
        instrument_id, version = staff.input_value("#instrument").split("@")
        _submit(staff, "Create wave")
        staff.goto(f"{study_url}/waves")
        with staff.expect_navigation():
            staff.locator("a", has_text="Wave 1").first.click()
        wave_url = staff.url
        # download everyone's link as CSV
        with staff.expect_download() as download:
            staff.locator("button", has_text="Download links (CSV)").click()
        path = tmp_path / "links.csv"
        download.value.save_as(path)
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert [row["name"] for row in rows] == ["Asha Patel", "Ben Okafor", "Chloe Martin"]
        assert {row["team"] for row in rows} == {"HF community"}
        asha = rows[0]["link"]
        assert asha.startswith(f"{url}/s/")

        # Asha answers on her phone
        respondent = phone.new_page()
        respondent.goto(asha)
        consent = respondent.content()
        minutes = estimated_minutes(pages_for(instrument_id, int(version))[1])
        assert f"It takes about {minutes} minutes" in re.sub(r"\s+", " ", consent)
        assert STUDY in consent
        respondent.check("#agree")
        _submit(respondent, "")
        heights: list[int] = []
        for _ in range(20):
            if "/page/" not in respondent.url:
                break
            before = respondent.url
            if respondent.locator("input[name=knowledge_ties]").count():
                respondent.check("input[name=knowledge_ties][value=na]")
            elif respondent.locator("textarea").count():
                respondent.fill("textarea >> nth=0", "Knowing whom to ask")
            else:
                heights.append(int(respondent.evaluate("document.documentElement.scrollHeight")))
                respondent.locator("fieldset.question").evaluate_all(
                    "groups => groups.forEach(group => {"
                    " group.querySelector('input[type=radio]').checked = true; })"
                )
            assert int(respondent.evaluate("document.documentElement.scrollWidth")) <= 390
            with respondent.expect_navigation():
                respondent.click("button[value=next]")
            assert respondent.url != before, f"{before} was not accepted"
        assert respondent.url.endswith("/thanks"), respondent.url
        assert "Thank you" in respondent.content()
        assert heights  # rated pages were answered

        # the answer shows in tracking
        staff.goto(f"{wave_url}/tracking")
        tracking = re.sub(r"\s+", " ", staff.inner_text("main"))
        # members 3, invited 3, not sent 0, started 1, submitted 1, response rate 33%
        assert "Heart failure / HF community 3 3 0 1 1 33%" in tracking, tracking
    finally:
        phone.close()
        desk.close()
