"""Warm-up of a server process: the first survey request compiles and loads nothing."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from survey_app.extensions import db
from survey_app.warm_up import warm_up
from tests.survey_app.conftest import make_test_app
from tests.survey_app.survey_fixtures import Respondent, SurveySetup


def _count_compiles(app: Flask) -> list[Any]:
    compiled: list[Any] = []
    original = app.jinja_env.compile

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return original(*args, **kwargs)

    app.jinja_env.compile = counting  # type: ignore[method-assign]
    return compiled


def test_after_warm_up_a_survey_compiles_no_template(app: Flask, survey_setup: SurveySetup) -> None:
    compiled = _count_compiles(app)
    warm_up(app, freeze=False)
    assert compiled  # the warm-up did the compiling
    compiled.clear()
    respondent = Respondent(app.test_client(), survey_setup.tokens["open"])
    assert respondent.get("/consent").status_code == 200
    assert respondent.consent().status_code == 303
    assert respondent.get("/page/1").status_code == 200
    assert compiled == []


def test_without_warm_up_the_first_request_compiles(app: Flask, survey_setup: SurveySetup) -> None:
    compiled = _count_compiles(app)
    assert app.test_client().get(f"/s/{survey_setup.tokens['open']}/consent").status_code == 200
    assert "participate/consent.html" in compiled


def test_an_unreachable_database_does_not_stop_the_warm_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_test_app(f"sqlite:///{tmp_path}/missing/folder/copkit.sqlite3", tmp_path)
    try:
        warm_up(app, freeze=False)
    finally:
        db.dispose(app)
    assert "warm-up skipped the database" in caplog.text


def _scanned_by_the_collector(thing: object) -> bool:
    return any(tracked is thing for tracked in gc.get_objects())


@pytest.mark.slow
def test_the_warm_up_freezes_what_lives_as_long_as_the_process(app: Flask) -> None:
    """What lives as long as the process (the app, its compiled templates) leaves the
    collector's scans; what a request creates afterwards is still scanned and collected."""
    template = app.jinja_env.get_template("participate/page.html")
    assert _scanned_by_the_collector(app) and _scanned_by_the_collector(template)
    try:
        warm_up(app)
        assert not _scanned_by_the_collector(app)
        assert not _scanned_by_the_collector(template)
        later: list[object] = [app]  # a container made afterwards, as a request makes them
        assert _scanned_by_the_collector(later)
    finally:
        gc.unfreeze()
