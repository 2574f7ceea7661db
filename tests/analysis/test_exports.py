"""Export formats of a bundle: long and wide tables, codebook, Excel, SPSS and Stata files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

import instruments
from analysis.bundle import Bundle
from analysis.exports import (
    EXPORT_FORMATS,
    MISSING_CONVENTION,
    codebook_markdown,
    codebook_table,
    long_table,
    variable_names,
    wide_table,
    wide_variables,
    write_export,
)
from instruments import Instrument

COP = instruments.load("cop-health", 1)
TEAM = '=HYPERLINK("x") <b>team</b> | one'
"""A team name that looks like a spreadsheet formula and holds Markdown and HTML specials."""


def _answers(
    respondent: str, values: Mapping[str, float | None], **keys: object
) -> list[dict[str, object]]:
    base = {"wave": 1, "team": TEAM, "respondent": respondent, "profession": "nurse"}
    base["organisation"] = "Salford Royal"
    base.update(keys)
    return [
        {**base, "item": item, "value": np.nan if value is None else float(value)}
        for item, value in values.items()
    ]


def _bundle(instrument: Instrument = COP, rows: list[dict[str, object]] | None = None) -> Bundle:
    items = list(instrument.items)
    if rows is None:
        r1 = dict.fromkeys(items, 6.0) | {"me4": 2.0, "contact_frequency": 5.0}
        r2 = dict.fromkeys(items, 3.0) | {"me1": None, "me2": None, "je1": None}
        r3 = dict.fromkeys(items)  # submitted, nothing answered
        rows = [
            *_answers("R1", r1),
            *_answers("R2", r2, profession="GP", organisation="Lakeside"),
            *_answers("R3", r3),
            *_answers("R1", r1 | {"me1": 7.0}, wave=2),
        ]
    responses = pd.DataFrame(rows)
    if responses.empty:
        responses = pd.DataFrame(
            columns=["wave", "team", "respondent", "profession", "organisation", "item", "value"]
        )
    responses = responses.astype({"wave": "int64", "value": "float64"})
    roster = responses.drop_duplicates(["wave", "team", "respondent"])[
        ["wave", "team", "respondent", "profession", "organisation"]
    ].assign(responded=True)
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in ("wave", "team")})
    return Bundle(
        responses=responses,
        ties=empty.assign(source=pd.Series(dtype="object"), target=pd.Series(dtype="object")),
        roster=roster,
        interventions=pd.DataFrame(columns=["team", "wave", "kind", "description"]),
        instrument=instrument,
    )


def _labels(meta: object) -> dict[str, str]:
    """A pyreadstat file's variable labels."""
    found: dict[str, object] = meta.column_names_to_labels  # type: ignore[attr-defined]
    return {str(name): str(label) for name, label in found.items()}


def _custom_instrument() -> Instrument:
    long_text = "Ünïcödé " * 40 + "end"
    return instruments.parse(
        {
            "id": "custom",
            "version": 1,
            "title": "Custom",
            "response_scales": {"agree5": {"min": 1, "max": 5, "labels": {1: "No", 5: "Yes"}}},
            "scales": [
                {
                    "id": "sc",
                    "label": "Team | pipe",
                    "construct": "A scale with awkward item ids.",
                    "response_scale": "agree5",
                    "items": [
                        {"id": "q-1", "text": long_text, "reverse": False},
                        {"id": "in", "text": "Reserved word", "reverse": True},
                        {"id": "q_1", "text": "Clash after cleaning", "reverse": False},
                    ],
                }
            ],
        },
        "custom.yaml",
    )


def test_long_table_keeps_raw_values_and_adds_reverse_keyed_ones() -> None:
    bundle = _bundle()
    long = long_table(bundle)
    assert len(long) == len(bundle.responses)
    assert list(long.columns) == [
        "wave",
        "team",
        "respondent",
        "profession",
        "organisation",
        "scale",
        "item",
        "reverse",
        "value",
        "value_scored",
    ]
    r1 = long[(long["respondent"] == "R1") & (long["wave"] == 1)].set_index("item")
    assert (r1.loc["me4", "reverse"], r1.loc["me4", "value"], r1.loc["me4", "value_scored"]) == (
        1,
        2.0,
        6.0,
    )
    assert (r1.loc["me1", "reverse"], r1.loc["me1", "value_scored"]) == (0, 6.0)
    assert r1.loc["me1", "scale"] == "mutual_engagement"
    assert r1.loc["contact_frequency", "scale"] == ""
    assert list(r1.index) == list(COP.items)  # instrument order
    r2 = long[long["respondent"] == "R2"].set_index("item")
    assert r2.loc[["me1"], ["value", "value_scored"]].isna().all(axis=None)


def test_long_table_refuses_items_the_instrument_lacks() -> None:
    rows = _answers("R1", {"me1": 5.0, "zz9": 3.0})
    with pytest.raises(ValueError, match="zz9"):
        long_table(_bundle(rows=rows))


def test_wide_table_has_a_row_per_respondent_team_wave_with_raw_items_and_scores() -> None:
    wide = wide_table(_bundle())
    assert list(wide.columns) == [v.name for v in wide_variables(COP)]
    assert wide[["wave", "respondent"]].values.tolist() == [
        [1, "R1"],
        [1, "R2"],
        [1, "R3"],
        [2, "R1"],
    ]
    r1 = wide.iloc[0]
    assert r1["me4"] == 2.0  # raw, not reverse keyed
    assert r1["mutual_engagement"] == pytest.approx(6.0)  # (6+6+6+(8-2)+6)/5
    assert r1["contact_frequency"] == 5.0
    assert wide.iloc[3]["mutual_engagement"] == pytest.approx(6.2)
    r2 = wide.iloc[1]
    assert pd.isna(r2["mutual_engagement"])  # 3 of 5 answered: fewer than 4
    assert r2["joint_enterprise"] == pytest.approx((3 + 3 + (8 - 3) + 3) / 4)
    assert r2["profession"] == "GP"
    assert wide.iloc[2][[v.name for v in wide_variables(COP)][5:]].isna().all()


def test_wide_table_of_a_bundle_without_answers_has_the_columns() -> None:
    wide = wide_table(_bundle(rows=[]))
    assert wide.empty
    assert list(wide.columns) == [v.name for v in wide_variables(COP)]


def test_variable_names_are_safe_unique_and_avoid_keys_and_reserved_words() -> None:
    names = variable_names(_custom_instrument())
    assert names == {"q-1": "q_1", "in": "in_", "q_1": "q_1_2", "sc": "sc"}


def test_wide_table_refuses_ids_that_are_key_column_names() -> None:
    document = instruments.to_document(COP)
    document["scales"][0]["items"][0]["id"] = "wave"
    clashing = instruments.parse(document, "clash.yaml")
    with pytest.raises(ValueError, match="key column name\\(s\\) wave"):
        wide_table(_bundle(clashing, _answers("R1", {"wave": 5.0})))


def test_sav_carries_item_text_labels_anchor_value_labels_and_system_missing(
    tmp_path: Path,
) -> None:
    path = write_export(_bundle(), "sav", tmp_path / "x.sav", title="Demo study", notes=["n1"])
    data, meta = pyreadstat.read_sav(str(path))
    labels = _labels(meta)
    assert labels["me1"] == COP.items["me1"].text
    assert labels["contact_frequency"] == COP.items["contact_frequency"].text  # 99 < 256 bytes
    assert labels["mutual_engagement"].startswith("Mutual engagement: scale score")
    assert meta.variable_value_labels["me4"] == {
        float(k): v for k, v in COP.response_scales["agree7"].labels.items()
    }
    assert meta.variable_value_labels["contact_frequency"][6.0] == "Several times a week"
    assert meta.variable_measure["me1"] == "ordinal"
    assert meta.variable_measure["mutual_engagement"] == "scale"
    assert meta.variable_measure["team"] == "nominal"
    assert meta.file_label == "Demo study"
    assert "n1" in meta.notes
    assert data.loc[0, "me4"] == 2.0 and data.loc[0, "team"] == TEAM
    assert data["me1"].isna().tolist() == [False, True, True, False]  # system-missing
    assert data.loc[0, "mutual_engagement"] == pytest.approx(6.0)
    assert meta.missing_ranges == {}  # no user-missing codes


def test_dta_carries_labels_cut_to_stata_limits(tmp_path: Path) -> None:
    path = write_export(_bundle(), "dta", tmp_path / "x.dta", title="Demo study")
    data, meta = pyreadstat.read_dta(str(path))
    labels = _labels(meta)
    assert labels["me1"] == COP.items["me1"].text
    oi3 = COP.items["oi3"].text
    assert len(oi3) == 81
    assert len(labels["oi3"]) <= 80 and labels["oi3"].endswith("...")
    assert oi3.startswith(labels["oi3"][:-3])
    assert meta.variable_value_labels["me1"][7] == "Strongly agree"
    assert data.loc[0, "me4"] == 2.0
    assert data["me1"].isna().tolist() == [False, True, True, False]
    assert list(data["respondent"]) == ["R1", "R2", "R3", "R1"]
    assert meta.file_label == "Demo study"


def test_long_labels_are_cut_by_bytes_for_spss_and_characters_for_stata(tmp_path: Path) -> None:
    custom = _custom_instrument()
    rows = _answers("R1", {"q-1": 5.0, "in": 1.0, "q_1": 2.0})
    bundle = _bundle(custom, rows)
    _, sav = pyreadstat.read_sav(str(write_export(bundle, "sav", tmp_path / "c.sav")))
    _, dta = pyreadstat.read_dta(str(write_export(bundle, "dta", tmp_path / "c.dta")))
    text = custom.items["q-1"].text
    sav_label, dta_label = _labels(sav)["q_1"], _labels(dta)["q_1"]
    assert len(sav_label.encode()) <= 256 and sav_label.endswith("...")
    assert len(dta_label) == 80 and dta_label.endswith("...")
    assert text.startswith(sav_label[:-3].rstrip()) and text.startswith(dta_label[:-3].rstrip())
    assert _labels(sav)["in_"] == "Reserved word"


def test_xlsx_has_data_codebook_and_notes_sheets_and_no_formulas(tmp_path: Path) -> None:
    path = write_export(_bundle(), "xlsx", tmp_path / "x.xlsx", title="Demo", notes=["pseudo"])
    book = load_workbook(path)
    assert book.sheetnames == ["data", "codebook", "notes"]
    data = book["data"]
    header = [c.value for c in data[1]]
    assert header == [v.name for v in wide_variables(COP)]
    first = {h: c for h, c in zip(header, data[2], strict=True)}
    assert first["team"].value == TEAM and first["team"].data_type == "s"
    assert first["me4"].value == 2.0
    second = {h: c.value for h, c in zip(header, data[3], strict=True)}
    assert second["me1"] is None  # missing = empty cell
    assert first["organisation"].value == "Salford Royal"
    rows = [*_answers("R9", {"me1": 4.0}, organisation="Bad\x0bTrust\x00")]
    control = write_export(_bundle(rows=rows), "xlsx", tmp_path / "control.xlsx")
    assert load_workbook(control)["data"]["E2"].value == "BadTrust"
    codebook = pd.read_excel(path, sheet_name="codebook", keep_default_na=False)
    assert codebook.set_index("variable").loc["me4", "reverse"] == "yes"
    notes = [c.value for c in book["notes"]["A"]]
    assert notes[:3] == ["notes", "Demo", "pseudo"]


def test_codebook_table_documents_every_variable() -> None:
    book = codebook_table(COP)
    wide_names = [v.name for v in wide_variables(COP)]
    assert book["variable"].tolist()[: len(wide_names)] == wide_names
    assert {"scale", "item", "reverse", "value", "value_scored"} <= set(book["variable"])
    rows = {str(r["variable"]): {k: str(v) for k, v in r.items()} for r in book.to_dict("records")}
    assert [rows["me4"]["scale"], rows["me4"]["reverse"]] == ["mutual_engagement", "yes"]
    assert rows["me1"]["reverse"] == "no"
    assert rows["wave"]["reverse"] == ""
    assert rows["me1"]["value_labels"].startswith("1 = Strongly disagree; 2 = Disagree")
    assert rows["me1"]["missing"].startswith("empty / system-missing")
    assert "fewer than 4 of the 5 items" in rows["mutual_engagement"]["missing"]
    assert rows["contact_frequency"]["values"] == "1..6"
    assert (book["label"] != "").all() and (book["missing"] != "").all()


def test_codebook_markdown_lists_conventions_scales_and_escapes_cells() -> None:
    text = codebook_markdown(_custom_instrument(), title="A | B", notes=["Drafts are not data."])
    assert text.splitlines()[0] == "# Codebook: A \\| B"
    assert "- Drafts are not data." in text
    assert MISSING_CONVENTION in text
    assert "- **sc** (Team \\| pipe)" in text
    assert "| in_ | Reserved word | numeric | sc | yes | 1..5 | 1 = No; 5 = Yes |" in text


@pytest.mark.parametrize("fmt", ["long-csv", "wide-csv", "codebook"])
def test_csv_and_markdown_exports_read_back(fmt: str, tmp_path: Path) -> None:
    bundle = _bundle()
    suffix = ".md" if fmt == "codebook" else ".csv"
    path = write_export(bundle, fmt, tmp_path / f"x{suffix}", title="T")
    text = path.read_text(encoding="utf-8")
    if fmt == "codebook":
        assert "| me4 |" in text
        return
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    expected = long_table(bundle) if fmt == "long-csv" else wide_table(bundle)
    assert list(frame.columns) == list(expected.columns)
    assert len(frame) == len(expected)
    assert frame["value" if fmt == "long-csv" else "me4"].isna().sum() == (
        expected["value" if fmt == "long-csv" else "me4"].isna().sum()
    )


def test_codebook_as_csv(tmp_path: Path) -> None:
    path = write_export(_bundle(), "codebook", tmp_path / "book.csv")
    frame = pd.read_csv(path, keep_default_na=False)
    assert frame.equals(codebook_table(COP).astype(frame.dtypes.to_dict()))


def test_bundle_format_writes_the_study_bundle(tmp_path: Path) -> None:
    from analysis.bundle import read_bundle

    path = write_export(_bundle(), "bundle", tmp_path / "b.zip")
    assert read_bundle(path).responses["respondent"].nunique() == 3


def test_bad_format_or_file_ending_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'spss'"):
        write_export(_bundle(), "spss", tmp_path / "x.sav")
    with pytest.raises(ValueError, match=r"must be written to a file ending in \.sav"):
        write_export(_bundle(), "sav", tmp_path / "x.dta")
    with pytest.raises(ValueError, match=r"\.md or \.csv"):
        write_export(_bundle(), "codebook", tmp_path / "x.txt")
    assert not list(tmp_path.iterdir())
    assert set(EXPORT_FORMATS) == {
        "bundle",
        "long-csv",
        "wide-csv",
        "xlsx",
        "sav",
        "dta",
        "codebook",
    }


def test_wide_variables_refuse_a_bad_min_share() -> None:
    with pytest.raises(ValueError, match="min_share"):
        wide_variables(COP, min_share=0)
