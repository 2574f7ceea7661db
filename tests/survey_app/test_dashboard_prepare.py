"""Closing a wave computes the study's dashboards, so their first viewer does not wait."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import Study
from survey_app.services import dashboard as service
from survey_app.services import dashboard_content
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import STUDY_NAME, build_dashboard_study
from tests.survey_app.staff_support import add_user, post, sign_in

FAST = {"DASHBOARD_FIGURES": False, "DASHBOARD_WAIT_SECONDS": 0}


@pytest.fixture
def config(migrated_database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": migrated_database_url,
        "SECRET_KEY": "test",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **FAST,
    }


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    app = make_test_app(config["DATABASE_URL"], Path(config["INSTANCE_PATH"]).parent, **FAST)
    yield app
    db.dispose(app)


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Wraps ``module.name`` so each call (passed on to the real one) adds a 1 to the list."""
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the analyses the dashboards run."""
    return _count_calls(monkeypatch, dashboard_content, "analyse_for_dashboard")


@pytest.mark.slow
def test_close_wave_stores_both_dashboards_for_their_first_viewers(
    app: Flask, config: dict[str, Any], analyses: list[int]
) -> None:
    with app.app_context():
        setup = build_dashboard_study(db.session)  # wave 3 open
    result = CliRunner().invoke(
        main, ["close-wave", "--study", STUDY_NAME, "--wave", "3"], obj=config
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f'Closed wave 3 of study "{STUDY_NAME}" early.'
    assert lines[1].startswith("Dashboards prepared: evaluator ")
    assert "manager" in lines[1]
    computed = len(analyses)
    assert computed >= 2  # both audiences, the closed wave included
    settings = service.settings_from_config(app.config)
    with app.app_context():
        study = db.session.get(Study, setup.study_id)
        assert study is not None
        for stored in (service.evaluator_snapshot, service.manager_snapshot):
            snapshot = stored(db.session, study, settings=settings)
            assert snapshot is not None and snapshot.error is None
            assert snapshot.fresh and not snapshot.computed_now
            assert 3 in snapshot.content["waves"]
    assert len(analyses) == computed  # the viewers were served what close-wave stored


@pytest.mark.slow
def test_prepare_dashboards_leaves_up_to_date_dashboards_alone(
    app: Flask, analyses: list[int]
) -> None:
    settings = service.settings_from_config(app.config)
    with app.app_context():
        setup = build_dashboard_study(db.session)
        study = db.session.get(Study, setup.study_id)
        assert study is not None
        first = service.prepare_dashboards(db.session, study, settings=settings)
        computed = len(analyses)
        again = service.prepare_dashboards(db.session, study, settings=settings)
    assert set(first) == {"evaluator", "manager"} and all(s > 0 for s in first.values())
    assert again == {"evaluator": 0.0, "manager": 0.0}
    assert len(analyses) == computed


@pytest.mark.slow
def test_close_wave_keeps_the_report_pdf_ready_for_its_first_download(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {**config, "DASHBOARD_PDF": True}
    folder = Path(config["INSTANCE_PATH"]).parent
    pdf_app = make_test_app(config["DATABASE_URL"], folder, **FAST, DASHBOARD_PDF=True)
    rendered = _count_calls(monkeypatch, service, "html_to_pdf")
    try:
        with pdf_app.app_context():
            setup = build_dashboard_study(db.session)  # wave 3 open
            study = db.session.get(Study, setup.study_id)
            add_user(db.session, "evaluator@example.org", "evaluator", study=study)
            db.session.commit()
        result = CliRunner().invoke(
            main, ["close-wave", "--study", STUDY_NAME, "--wave", "3"], obj=config
        )
        assert result.exit_code == 0, result.output
        assert rendered == [1]  # rendered once, with the dashboard
        client = pdf_app.test_client()
        token = sign_in(client, "evaluator@example.org")
        path = f"/dashboard/study/{setup.study_id}/report"
        first = post(client, path, token, {"report_format": "pdf"})
        second = post(client, path, token, {"report_format": "pdf"})
    finally:
        db.dispose(pdf_app)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF") and second.data == first.data
    assert rendered == [1]  # the downloads were served what close-wave kept
