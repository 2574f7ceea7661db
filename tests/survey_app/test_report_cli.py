"""``copkit report STUDY``: the report straight from the database, audited, without names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import AuditEvent
from tests.survey_app.conftest import make_test_app
from tests.survey_app.export_fixtures import MEMBERS, STUDY_NAME, build_export_study


@pytest.fixture
def cli_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(migrated_database_url, tmp_path)
    with app.app_context():
        build_export_study(db.session)
    yield app
    db.dispose(app)


@pytest.mark.slow
def test_report_from_a_study_in_the_database(cli_app: Flask, tmp_path: Path) -> None:
    config = {
        "DATABASE_URL": cli_app.config["DATABASE_URL"],
        "INSTANCE_PATH": cli_app.instance_path,
        "TESTING": True,
    }
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["report", STUDY_NAME, "--out", str(out)], obj=config, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert 'id="formation"' in text
    for name, email, *_ in MEMBERS.values():
        assert email not in text and name not in text
    with cli_app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "study.report" in actions
    missing = CliRunner().invoke(main, ["report", "No such study", "--out", str(out)], obj=config)
    assert missing.exit_code == 1 and "No such study" in missing.output


def test_a_study_brief_refuses_analysis_options_it_would_ignore(
    cli_app: Flask, tmp_path: Path
) -> None:
    """A study's manager brief is its release: --criteria, --adjust, --include-open-waves and
    --title would be silently ignored there, so they are refused with the reason (issue 14)."""
    config = {
        "DATABASE_URL": cli_app.config["DATABASE_URL"],
        "INSTANCE_PATH": cli_app.instance_path,
        "TESTING": True,
    }
    criteria = tmp_path / "strict.yaml"
    criteria.write_text("emergence:\n  rwg_j_min: 0.99\n", encoding="utf-8")
    out = tmp_path / "brief.html"
    brief = ["report", STUDY_NAME, "--audience", "manager", "--team", "Ward", "--out", str(out)]
    for extra, named in (
        (["--criteria", str(criteria)], "--criteria"),
        (["--include-open-waves"], "--include-open-waves"),
        (["--adjust", "bh"], "--adjust"),
        (["--criteria", str(criteria), "--adjust", "none"], "--criteria, --adjust"),
    ):
        refused = CliRunner().invoke(main, [*brief, *extra], obj=config)
        assert refused.exit_code == 2, refused.output
        assert f"{named} cannot be used for a study's manager brief" in refused.output
        assert "would be ignored" in refused.output and "release" in refused.output
        assert not out.exists()
