"""``copkit export``: every format from the database, no names or emails, audited, analysable."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select

from analysis.bundle import read_bundle
from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import AuditEvent, Study
from survey_app.services.export import export_bundle, pseudonym
from tests.survey_app.conftest import make_test_app
from tests.survey_app.export_fixtures import (
    HF_TEAM,
    MEMBERS,
    SECRET,
    STUDY_NAME,
    ExportSetup,
    build_export_study,
)

OUTPUTS = {
    "bundle": "bundle",
    "long-csv": "long.csv",
    "wide-csv": "wide.csv",
    "xlsx": "data.xlsx",
    "sav": "data.sav",
    "dta": "data.dta",
    "codebook": "codebook.md",
}


@pytest.fixture
def cli_app(migrated_database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, ExportSetup]]:
    app = make_test_app(migrated_database_url, tmp_path)
    with app.app_context():
        setup = build_export_study(db.session)
    yield app, setup
    db.dispose(app)


def _run(app: Flask, *args: str) -> Result:
    config = {"DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": app.instance_path}
    config["TESTING"] = True
    return CliRunner().invoke(main, list(args), obj=config, catch_exceptions=False)


def _exported_bytes(path: Path) -> Iterator[tuple[str, bytes]]:
    """Every file's bytes, with zip archives (bundle .zip, .xlsx) opened."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        data = file.read_bytes()
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as archive:
                for name in archive.namelist():
                    yield f"{file.name}:{name}", archive.read(name)
        else:
            yield file.name, data


def _identifying_strings() -> list[str]:
    """Every email, its local part, and every part of every name."""
    found: set[str] = set()
    for name, email, *_ in MEMBERS.values():
        found.update({email, email.split("@")[0], name})
        found.update(re.split(r"[ ']", name))
    return sorted(s for s in found if len(s) >= 3)


def _events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "study.export"))
        )


@pytest.mark.slow
def test_every_format_is_written_audited_and_free_of_names_and_emails(
    cli_app: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, _ = cli_app
    secrets_ = _identifying_strings()
    assert "Patel" in secrets_ and "aisha.patel@srft.nhs.uk" in secrets_ and "O" not in secrets_
    for fmt, name in OUTPUTS.items():
        out = tmp_path / "out" / name
        result = _run(app, "export", "--format", fmt, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert f'exported study "{STUDY_NAME}" as {fmt}: 29 responses from 10 respondents' in (
            result.stdout
        )
        assert "note: Left out: 1 knowledge tie" in result.stderr
        contents = list(_exported_bytes(out))
        assert contents, fmt
        for file, data in contents:
            for secret in secrets_:
                assert secret.encode() not in data, f"{secret!r} found in {fmt} file {file}"
    events = _events(app)
    assert sorted(str((e.detail or {})["format"]) for e in events) == sorted(OUTPUTS)
    for event in events:
        assert event.actor == "cli" and event.user_id is None
        assert event.object_type == "study" and event.object_id == str(event.study_id)
        detail = event.detail or {}
        assert (detail["respondents"], detail["responses"], detail["waves"]) == (10, 29, [1, 2, 3])


@pytest.mark.slow
def test_the_bundle_round_trips_through_read_bundle_and_copkit_analyse(
    cli_app: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, _ = cli_app
    out = tmp_path / "study.zip"
    assert (
        _run(
            app, "export", "--study", STUDY_NAME, "--format", "bundle", "--out", str(out)
        ).exit_code
        == 0
    )
    bundle = read_bundle(out)
    with app.app_context():
        study = db.session.scalar(select(Study).where(Study.name == STUDY_NAME))
        assert study is not None
        direct = export_bundle(db.session, study)
    for name in ("responses", "roster", "ties", "interventions", "comments", "schedule"):
        pd.testing.assert_frame_equal(getattr(bundle, name), getattr(direct, name), obj=name)
    assert bundle.instrument == direct.instrument
    # The schedule (waves.csv) tells copkit analyse and copkit report which waves are open.
    with zipfile.ZipFile(out) as archive:
        schedule = pd.read_csv(archive.open("waves.csv"))
    assert list(schedule.columns) == ["wave", "opens", "closes", "status"]
    assert schedule["wave"].tolist() == [1, 2, 3]
    assert set(schedule["status"]) <= {"scheduled", "open", "closed"}
    results = tmp_path / "results"
    analysed = _run(app, "analyse", str(out), "--out", str(results))
    assert analysed.exit_code == 0, analysed.output
    assert "analysed 2 teams over 3 waves" in analysed.stdout
    summary: dict[str, Any] = json.loads((results / "results.json").read_text())
    assert summary
    scores = pd.read_csv(results / "scores.csv")
    assert scores["respondent"].str.fullmatch(r"R[0-9a-f]{10}").all()
    assert len(scores) == 29


@pytest.mark.slow
def test_sav_and_dta_hold_the_submitted_values_with_labels(
    cli_app: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, setup = cli_app
    aisha = pseudonym(SECRET, setup.member_ids["aisha"])
    answers = setup.answers[("aisha", HF_TEAM, 1)]
    for fmt, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        out = tmp_path / f"data.{fmt}"
        assert _run(app, "export", "--format", fmt, "--out", str(out)).exit_code == 0
        data, meta = reader(str(out))
        assert len(data) == 29
        row = data[(data["respondent"] == aisha) & (data["team"] == HF_TEAM) & (data["wave"] == 1)]
        assert len(row) == 1
        for item in ("me1", "je4", "oi5", "contact_frequency"):
            assert row.iloc[0][item] == answers[item], (fmt, item)
        labels = meta.column_names_to_labels
        assert labels["je4"] == "In this team we each follow our own goals more than shared ones."
        assert meta.variable_value_labels["je4"][4] == "Neither agree nor disagree"
        bernard = pseudonym(SECRET, setup.member_ids["bernard"])
        skipped = data[(data["respondent"] == bernard) & (data["wave"] == 1)]
        assert skipped["me2"].isna().all() and skipped["me1"].notna().all()


def test_the_codebook_documents_drafts_pseudonyms_and_missing_values(
    cli_app: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, _ = cli_app
    out = tmp_path / "codebook.md"
    assert _run(app, "export", "--format", "codebook", "--out", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# Codebook: {STUDY_NAME}\n")
    assert "drafts (started but not submitted) are not exported" in text
    assert "HMAC-SHA256(study secret, member id)" in text
    assert "system-missing in SPSS (sysmis) and Stata (.)" in text
    table = tmp_path / "codebook.csv"
    assert _run(app, "export", "--format", "codebook", "--out", str(table)).exit_code == 0
    assert "mutual_engagement" in pd.read_csv(table)["variable"].tolist()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "sav", "--out", "{tmp}/data.dta"],
            "--out for the sav format must end in .sav",
        ),
        (["--format", "codebook", "--out", "{tmp}/book.txt"], "must end in .md or .csv"),
        (
            ["--format", "bundle", "--out", "{tmp}/used"],
            "already exists and is not an empty folder",
        ),
        (["--study", "Nope", "--format", "bundle", "--out", "{tmp}/b"], 'no study named "Nope"'),
    ],
)
def test_bad_requests_fail_clearly_and_export_nothing(
    cli_app: tuple[Flask, ExportSetup], tmp_path: Path, args: list[str], message: str
) -> None:
    app, _ = cli_app
    folder = tmp_path / "out"
    (folder / "used").mkdir(parents=True)
    (folder / "used" / "old.csv").write_text("stale\n")
    result = _run(app, "export", *[a.format(tmp=folder) for a in args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert _events(app) == []
    assert [p.name for p in folder.rglob("*")] == ["used", "old.csv"]


def test_study_may_be_left_out_only_when_there_is_one(
    cli_app: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, _ = cli_app
    with app.app_context():
        db.session.add(Study(name="Another study"))
        db.session.commit()
    result = _run(app, "export", "--format", "wide-csv", "--out", str(tmp_path / "w.csv"))
    assert result.exit_code == 1
    assert 'there are 2 studies; name one with --study: "Another study", "Export test' in (
        result.stderr
    )
    named = _run(
        app,
        "export",
        "--study",
        STUDY_NAME,
        "--format",
        "wide-csv",
        "--out",
        str(tmp_path / "w.csv"),
    )
    assert named.exit_code == 0, named.output
    assert len(pd.read_csv(tmp_path / "w.csv")) == 29
