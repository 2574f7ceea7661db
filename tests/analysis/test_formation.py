"""CoP formation verdicts: criteria, overrides, sensitivity, and recovery of simulated truth."""

from __future__ import annotations

import pytest

import analysis as an
from analysis.formation import CRITERIA
from tests.analysis.test_bundle import small_bundle


def test_every_criterion_has_value_threshold_and_held_columns() -> None:
    table = an.assess_formation(small_bundle())
    assert list(table.columns[:5]) == ["team", "verdict", "reasons", "first_wave", "last_wave"]
    for name in CRITERIA:
        assert {f"{name}_value", f"{name}_threshold", f"{name}_held"} <= set(table.columns)
    assert set(table["verdict"]) <= set(an.VERDICTS)
    assert table["reasons"].str.len().min() > 20


def test_too_few_respondents_is_insufficient_data() -> None:
    # CKD South has only two respondents per wave: below the default minimum of three
    table = an.assess_formation(small_bundle()).set_index("team")
    assert table.loc["CKD South", "verdict"] == "insufficient_data"
    assert "respondents" in table.loc["CKD South", "reasons"]
    assert table.loc["HF North", "verdict"] != "insufficient_data"
    lenient = an.assess_formation(small_bundle(), {"coverage": {"min_respondents": 2}})
    assert lenient.set_index("team").loc["CKD South", "verdict"] != "insufficient_data"


def test_thresholds_are_configurable_and_validated(tmp_path) -> None:
    strict = an.assess_formation(small_bundle(), {"practice": {"formed_mean": 8}})
    assert (strict["practice_level_threshold"].dropna() == 8).all()
    assert "formed" not in set(strict["verdict"])
    with pytest.raises(ValueError, match=r"unknown formation criterion 'practice\.formed'"):
        an.assess_formation(small_bundle(), {"practice": {"formed": 5}})
    with pytest.raises(ValueError, match="must be a number"):
        an.assess_formation(small_bundle(), {"practice": {"formed_mean": "high"}})
    path = tmp_path / "criteria.yaml"
    path.write_text("identity:\n  collaborative_mean: 6.5\n")
    from_file = an.assess_formation(small_bundle(), path)
    assert (from_file["identity_threshold"].dropna() == 6.5).all()


def test_sensitivity_moves_each_threshold_both_ways() -> None:
    table = an.formation_sensitivity(small_bundle())
    steps = an.default_criteria()["sensitivity"]
    assert len(table) == 2 * len(steps)
    assert set(table["criterion"]) == set(steps)
    row = table[(table["criterion"] == "coverage.min_response_rate")].iloc[0]
    assert row["moved_to"] == pytest.approx(0.4)
    assert (table["changed"] >= 0).all()
