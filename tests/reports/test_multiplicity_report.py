"""The evaluator report calls a team rising only when its adjusted p says so, and names the method."""

from __future__ import annotations

import dataclasses

import pytest

import reports
from analysis.multiplicity import adjust_claims
from analysis.pipeline import AnalysisResults
from reports.blocks import Paragraph, Section, Table, Td


def _slopes_table(sections: dict[str, Section]) -> Table:
    tables = [b for b in sections["trajectories"].blocks if isinstance(b, Table)]
    return next(t for t in tables if t.caption.startswith("Team-specific slopes"))


def _text(cell: str | Td) -> str:
    return cell.text if isinstance(cell, Td) else cell


def test_team_slopes_show_the_adjusted_p_and_the_method(sections: dict[str, Section]) -> None:
    table = _slopes_table(sections)
    assert "p (adjusted)" in table.columns
    assert "Holm" in table.note
    methods = " ".join(b.text for b in sections["methods"].blocks if isinstance(b, Paragraph))
    assert "Holm's step-down adjustment" in methods and "p.adjust" in methods


@pytest.mark.slow
def test_a_slope_significant_alone_but_not_after_adjustment_is_no_clear_change(
    results: AnalysisResults,
) -> None:
    practice = results.criteria["practice"]["scales"]
    trajectories = results.team_trajectories.copy()
    shown = trajectories["scale"].isin(practice)
    # every slope at p = .03 alone: Holm over the whole family lifts them past .05,
    # Benjamini-Hochberg (all equal) leaves them at .03
    trajectories.loc[:, "slope_p"] = 0.03
    trajectories.loc[shown, "slope"] = 0.2
    words: dict[str, set[str]] = {}
    for method in ("holm", "bh", "none"):
        changed = dataclasses.replace(
            results,
            adjust=method,
            team_trajectories=adjust_claims(
                trajectories.drop(columns="slope_p_adjusted"), "slope_p", method
            ),
        )
        table = _slopes_table(reports.evaluator_sections(changed, draw=False))
        words[method] = {_text(row[-1]) for row in table.rows}
    assert words["holm"] == {"no clear change"}
    assert words["bh"] == {"rising"}
    assert words["none"] == {"rising"}
