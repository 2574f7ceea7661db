"""The evaluator report's invariance table, the identity comparison worded by the invariance level
reached, and the network tests (random-mixing range, p, tie persistence)."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import reports
from analysis.invariance import LEVELS
from analysis.pipeline import AnalysisResults
from reports.blocks import Paragraph, Section, Table, Td
from reports.invariance import identity_comparison, invariance_blocks


def _table(section: Section, caption_start: str) -> Table:
    found = [
        b for b in section.blocks if isinstance(b, Table) and b.caption.startswith(caption_start)
    ]
    assert found, f"no table {caption_start!r} in {section.id}"
    return found[0]


def _text(cell: str | Td) -> str:
    return cell.text if isinstance(cell, Td) else cell


def _css(cell: str | Td) -> str:
    return cell.css if isinstance(cell, Td) else ""


def _identity_rows(reached: str | None, delta_cfi: float = -0.002) -> pd.DataFrame:
    """An invariance table whose identity comparison reached ``reached`` (None: not tested)."""
    if reached is None:
        return pd.DataFrame(
            [{"comparison": "identity targets", "scale": "identity", "level": None,
              "reached": None, "note": "12 responses answered every identity item; 30 needed"}]
        )  # fmt: skip
    holds = {"configural": None, "metric": reached != "configural", "scalar": reached == "scalar"}
    return pd.DataFrame(
        [
            {
                "comparison": "identity targets",
                "scale": "identity",
                "groups": "collaborative_identity, professional_identity, organisational_identity",
                "left_out": "",
                "n": 120,
                "level": level,
                "cfi": 0.99,
                "rmsea": 0.03,
                "delta_cfi": np.nan if level == "configural" else delta_cfi,
                "delta_rmsea": np.nan if level == "configural" else 0.004,
                "holds": holds[level],
                "reached": reached,
                "note": "",
            }
            for level in LEVELS
        ]
    )


@pytest.mark.parametrize(
    ("reached", "says"),
    [
        ("scalar", "so the three means lie on one scale"),
        ("metric", "compare how the gaps change between waves, not their size"),
        ("configural", "the three means are not on one scale"),
        (None, "was not tested (12 responses answered every identity item; 30 needed)"),
    ],
)
def test_the_identity_comparison_is_worded_by_the_level_reached(
    reached: str | None, says: str
) -> None:
    level, text = identity_comparison(_identity_rows(reached))
    assert level == reached
    assert says in text


@pytest.mark.parametrize("reached", ["scalar", "metric", "configural", None])
def test_the_identity_section_claims_a_gap_only_on_one_scale(
    results: AnalysisResults, reached: str | None
) -> None:
    """With scalar invariance the team-minus-profession gap is coloured good or bad; otherwise it
    is shown muted as a difference in answers, and the section says why first."""
    changed = dataclasses.replace(results, invariance=_identity_rows(reached))
    section = reports.evaluator_sections(changed, draw=False)["identity"]
    first = section.blocks[0]
    assert isinstance(first, Paragraph) and first.text.startswith("Measurement check: ")
    assert first.text == "Measurement check: " + identity_comparison(_identity_rows(reached))[1]
    gaps = [
        row[-1] for row in _table(section, "Identification at the wave each verdict rests on").rows
    ]
    assert gaps
    if reached == "scalar":
        assert {_css(g) for g in gaps} <= {"good", "bad"}
        assert all("first)" in _text(g) for g in gaps)
    else:
        assert {_css(g) for g in gaps} == {"muted"}
        assert all("items higher)" in _text(g) for g in gaps)


def test_the_measurement_section_shows_a_row_per_scale_and_comparison(
    sections: dict[str, Section], results: AnalysisResults
) -> None:
    table = _table(sections["measurement"], "Measurement invariance per scale")
    assert table.columns == (
        "scale", "compared across", "n", "configural fit", "metric", "scalar", "reached",
    )  # fmt: skip
    invariance = results.invariance
    comparisons = invariance.drop_duplicates(["comparison", "scale"])
    assert len(table.rows) == len(comparisons)
    for row, (_, expected) in zip(table.rows, comparisons.iterrows(), strict=True):
        reached = expected["reached"]
        if pd.isna(expected["level"]):
            assert _text(row[2]) == "not tested"
        else:
            assert _text(row[-1]) == reached
            assert (
                _css(row[-1]) == {"scalar": "good", "metric": "fair", "configural": "bad"}[reached]
            )


def test_a_step_after_a_failed_one_is_not_shown_as_passed() -> None:
    rows = _identity_rows("configural")
    rows.loc[rows["level"] == "scalar", "holds"] = True  # holds against metric, which failed
    table = next(b for b in invariance_blocks(rows, {}) if isinstance(b, Table))
    metric, scalar = table.rows[0][4], table.rows[0][5]
    assert _css(metric) == "bad" and _css(scalar) == "muted"
    assert _text(metric) == "ΔCFI -0.002, ΔRMSEA +0.004"


def test_professions_left_out_are_named_with_their_counts() -> None:
    rows = _identity_rows("scalar").assign(
        comparison="professions", scale="mutual_engagement", groups="GP, nurse",
        left_out="KTA (12), academic (20)",
    )  # fmt: skip
    blocks = invariance_blocks(rows, {"mutual_engagement": "Mutual engagement"})
    texts = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert any(
        "fewer than 30 complete responses on the scale: Mutual engagement: KTA (12), "
        "academic (20)." in t
        for t in texts
    )


def test_the_network_table_sets_each_ratio_beside_random_mixing(
    sections: dict[str, Section], results: AnalysisResults
) -> None:
    table = _table(sections["networks"], "Network measures per team and wave")
    position = {name: i for i, name in enumerate(table.columns)}
    assert {"cross-profession ratio [random mixing]", "p (inside)"} <= set(position)
    tests = results.network_permutation.set_index(["team", "wave"])
    checked = 0
    for row in table.rows:
        test = tests.loc[(_text(row[0]), int(_text(row[1])))]
        ratio = row[position["cross-profession ratio [random mixing]"]]
        cell_p = row[position["p (inside)"]]
        if not bool(test["meaningful"]):
            assert "[" not in _text(ratio) and _text(cell_p) == "-"
            continue
        checked += 1
        assert _text(ratio) == (
            f"{test['cross_ratio']:.2f} [{test['ratio_null_low']:.2f}, {test['ratio_null_high']:.2f}]"
        )
        # Marked by the p adjusted across the team-waves tested (Holm by default).
        adjusted = test.get("ratio_p_adjusted", test["ratio_p"])
        assert _css(cell_p) == ("bad" if adjusted < 0.05 else "")
    assert checked
    assert "2,000 seeded draws" in table.note


def test_the_network_section_shows_tie_persistence_with_low_values_marked(
    sections: dict[str, Section], results: AnalysisResults
) -> None:
    table = _table(sections["networks"], "Tie persistence between consecutive waves")
    persistence = results.tie_persistence
    pairs = sorted(set(zip(persistence["from_wave"], persistence["to_wave"], strict=True)))
    assert table.columns == ("team", *[f"wave {a} to {b}" for a, b in pairs])
    marked = sum(_css(cell) == "weak" for row in table.rows for cell in row[1:])
    assert marked == int(persistence["low"].eq(True).sum())
    reading = [b.text for b in sections["networks"].blocks if isinstance(b, Paragraph)]
    judged = persistence[persistence["meaningful"] & persistence["jaccard"].notna()]
    assert any(t.startswith(f"{marked} of {len(judged)} assessed pairs of waves") for t in reading)


def test_methods_name_the_new_statistics(sections: dict[str, Section]) -> None:
    formulas = _table(sections["methods"], "Statistics and formulas")
    names = {_text(row[0]) for row in formulas.rows}
    assert {"Measurement invariance", "E-I permutation test", "Tie persistence"} <= names


def test_knowledge_crossing_that_chance_explains_reads_unclear_not_unassessed() -> None:
    from analysis.formation import Criterion, TeamVerdict
    from reports.evaluator import _criteria_table
    from reports.labels import criterion_outcome, verdict_label

    unclear = Criterion(
        "boundaries", 0.5, 0.7, None, wave=6, n=8, p=0.3, alpha=0.05,
        not_assessed="below 0.70, but no lower than random mixing gives a team of this size",
    )  # fmt: skip
    unassessed = Criterion("identity", float("nan"), 5.0, None, not_assessed="too few answered")
    verdict = TeamVerdict("T", "formed", (unclear, unassessed), (), (1, 2, 6))
    assert verdict_label(verdict) == (
        "Formed, identification with the team not assessed, knowledge crossing unclear"
    )
    assert criterion_outcome(unclear).startswith("unclear: below 0.70")
    assert criterion_outcome(unassessed) == "not assessed: too few answered"
    row = _criteria_table(verdict).rows[0]
    assert _text(row[2]) == "≥ 0.70, or below it by chance (p ≥ 0.05)"
    assert _text(row[3]) == "wave 6, n 8, p 0.300"
    adjusted = TeamVerdict(
        "T", "formed", (replace(unclear, p=0.01, p_adjusted=0.2),), (), (1, 2, 6)
    )
    assert _text(_criteria_table(adjusted).rows[0][3]) == "wave 6, n 8, p 0.010 (adj. 0.200)"


def test_the_manager_brief_says_unclear_where_chance_explains_the_crossing(
    results: AnalysisResults,
) -> None:
    from analysis.formation import Criterion

    verdicts = []
    for verdict in results.verdicts:
        criteria = tuple(
            dataclasses.replace(
                c, held=None, p=0.4, alpha=0.05, not_assessed="no lower than random mixing"
            )
            if c.name == "boundaries"
            else c
            for c in verdict.criteria
        )
        verdicts.append(dataclasses.replace(verdict, criteria=criteria))
    assert all(isinstance(v.criterion("boundaries"), Criterion) for v in verdicts)
    changed = dataclasses.replace(results, verdicts=tuple(verdicts))
    summaries = reports.manager_summaries(changed, changed.bundle.teams, min_cell=1)
    signs = [
        sign
        for summary in summaries
        for sign in summary["verdict"]["signs"]
        if sign["sign"] == "Knowledge is exchanged across professions"
    ]
    assert signs and {s["held"] for s in signs} == {"unclear"}
