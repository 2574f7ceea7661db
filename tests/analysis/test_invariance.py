"""Measurement invariance against lavaan: multi-group (Holzinger-Swineford) and repeated measures
(PoliticalDemocracy, univbct), the decisions, the copkit table, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import analysis as an
from analysis.invariance import LEVELS, invariance_level, invariance_table

HS_FACTORS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}


def _reference(reference_dir: Path, name: str) -> dict[str, Any]:
    with (reference_dir / f"{name}.invariance.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _assert_matches_lavaan(table: pd.DataFrame, expected: dict[str, Any]) -> None:
    """Every value lavaan computed: chi-square, AIC and BIC to 0.01, df exactly, p to 0.1%
    (relative), CFI, TLI, RMSEA and SRMR to 1e-4 (ten times the issue's 0.001); and the
    likelihood-ratio tests between levels as lavTestLRT gives them."""
    assert list(table.index) == list(LEVELS)
    for level, measures in expected["fits"].items():
        row = table.loc[level]
        assert bool(row["converged"])
        assert int(row["df"]) == measures["df"]
        for name in ("chisq", "aic", "bic"):
            assert row[name] == pytest.approx(measures[name], abs=0.01), (level, name)
        assert row["pvalue"] == pytest.approx(measures["pvalue"], rel=1e-3), level
        for name in ("cfi", "tli", "rmsea", "srmr"):
            assert row[name] == pytest.approx(measures[name], abs=1e-4), (level, name)
    for level, test in expected["differences"].items():
        row = table.loc[level]
        assert row["delta_chisq"] == pytest.approx(test["chisq_diff"], abs=0.01)
        assert int(row["delta_df"]) == test["df_diff"]
        assert row["delta_pvalue"] == pytest.approx(test["pvalue"], rel=1e-3)


# --- pinned against lavaan ----------------------------------------------------------------------


def test_multigroup_invariance_matches_lavaan_on_holzinger_swineford(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "holzinger_swineford.csv")
    table = an.measurement_invariance(data, HS_FACTORS, group="group")
    _assert_matches_lavaan(table, _reference(reference_dir, "holzinger_swineford"))
    assert (table["n"] == 301).all()


def test_holzinger_swineford_reaches_metric_but_not_scalar_invariance(reference_dir: Path) -> None:
    """The textbook result: loadings are equal across the two schools, intercepts are not
    (CFI falls by .038 when they are equated)."""
    data = pd.read_csv(reference_dir / "holzinger_swineford.csv")
    table = an.measurement_invariance(data, HS_FACTORS, group="group")
    assert table.loc["configural", "holds"] is None
    assert table.loc["metric", "holds"] is True
    assert table.loc["scalar", "holds"] is False
    assert table.loc["scalar", "delta_cfi"] == pytest.approx(
        0.88247181268 - 0.92092346858, abs=1e-6
    )
    assert invariance_level(table) == "metric"


def test_repeated_invariance_matches_lavaan_on_political_democracy(reference_dir: Path) -> None:
    expected = _reference(reference_dir, "political_democracy")
    data = pd.read_csv(reference_dir / "political_democracy.csv")
    table = an.repeated_invariance(data, expected["occasions"])
    _assert_matches_lavaan(table, expected)
    assert (table["n"] == expected["n"]).all()
    assert invariance_level(table) == "scalar"


def test_repeated_invariance_at_three_occasions_matches_lavaan_on_univbct(
    reference_dir: Path,
) -> None:
    """Three occasions (each item's residuals correlated across all three pairs) and listwise
    deletion: lavaan keeps 394 of the 495 soldiers."""
    expected = _reference(reference_dir, "univbct_morale")
    data = pd.read_csv(reference_dir / "univbct_morale.csv")
    assert len(data) == 495
    table = an.repeated_invariance(data, expected["occasions"])
    _assert_matches_lavaan(table, expected)
    assert (table["n"] == 394).all()
    # RMSEA rises by .0143 at the metric step (under .015) and CFI falls by .027 at scalar.
    assert table.loc["metric", "holds"] is True
    assert table.loc["scalar", "holds"] is False
    assert invariance_level(table) == "metric"


# --- behaviour ------------------------------------------------------------------------------------


def test_the_order_of_groups_and_rows_does_not_change_the_fit(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "holzinger_swineford.csv")
    table = an.measurement_invariance(data, HS_FACTORS, group="group")
    shuffled = data.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled["group"] = shuffled["group"].map({"Pasteur": "b", "Grant-White": "a"})
    again = an.measurement_invariance(shuffled, HS_FACTORS, group="group")
    pd.testing.assert_frame_equal(table, again, rtol=1e-6)


def _two_groups(loading_b: float, intercept_b: float, seed: int = 11, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for name, loading, intercept in (("a", 1.0, 0.0), ("b", loading_b, intercept_b)):
        trait = rng.normal(size=n)
        frame = pd.DataFrame(
            {
                "i0": trait + rng.normal(scale=0.6, size=n),
                "i1": trait + rng.normal(scale=0.6, size=n),
                "i2": loading * trait + intercept + rng.normal(scale=0.6, size=n),
                "i3": trait + rng.normal(scale=0.6, size=n),
            }
        )
        frame["group"] = name
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(
    ("loading_b", "intercept_b", "reached"),
    [(1.0, 0.0, "scalar"), (1.0, 1.0, "metric"), (0.3, 0.0, "configural")],
)
def test_the_level_reached_follows_how_the_groups_really_differ(
    loading_b: float, intercept_b: float, reached: str
) -> None:
    """Item i2 measures the trait alike in both groups; or is shifted by one unit in group b
    (intercept: means not comparable); or barely loads there (loading)."""
    table = an.measurement_invariance(
        _two_groups(loading_b, intercept_b), {"trait": ["i0", "i1", "i2", "i3"]}, "group"
    )
    assert invariance_level(table) == reached


def test_repeated_invariance_detects_an_item_that_shifts_between_occasions() -> None:
    rng = np.random.default_rng(8)
    n = 600
    trait = rng.normal(size=n)
    later = 0.7 * trait + rng.normal(scale=0.7, size=n)
    data = pd.DataFrame(
        {f"t1_{j}": trait + rng.normal(scale=0.6, size=n) for j in range(4)}
        | {
            f"t2_{j}": later + rng.normal(scale=0.6, size=n) + (1.0 if j == 2 else 0.0)
            for j in range(4)
        }
    )
    occasions = {"t1": [f"t1_{j}" for j in range(4)], "t2": [f"t2_{j}" for j in range(4)]}
    table = an.repeated_invariance(data, occasions)
    assert table.loc["metric", "holds"] is True
    assert table.loc["scalar", "holds"] is False
    data["t2_2"] -= 1.0
    assert invariance_level(an.repeated_invariance(data, occasions)) == "scalar"


def test_the_decision_thresholds_can_be_moved(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "holzinger_swineford.csv")
    lenient = an.measurement_invariance(data, HS_FACTORS, group="group", delta_cfi=0.05)
    assert invariance_level(lenient) == "scalar"
    strict = an.measurement_invariance(data, HS_FACTORS, group="group", delta_rmsea=-0.01)
    assert invariance_level(strict) == "configural"


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factors", "group", "message"),
    [
        ({"visual": ["x1", "x2", "nope"]}, "group", "columns not in the data: nope"),
        ({"visual": ["x1", "x2", "x3"]}, "school", "columns not in the data: school"),
        ({"visual": ["x1"]}, "group", "factor 'visual' needs at least two items"),
        ({"a": ["x1", "x2", "x3"], "b": ["x3", "x4", "x5"]}, "group", "more than one factor: x3"),
        ({}, "group", "no factors given"),
        ({"visual": ["x1", "x2"]}, "group", "not identified"),
    ],
)
def test_bad_models_are_refused_with_what_is_wrong(
    reference_dir: Path, factors: dict[str, list[str]], group: str, message: str
) -> None:
    data = pd.read_csv(reference_dir / "holzinger_swineford.csv")
    with pytest.raises(ValueError, match=message):
        an.measurement_invariance(data, factors, group=group)


def test_a_single_group_or_a_tiny_group_is_refused_naming_it(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "holzinger_swineford.csv")
    with pytest.raises(ValueError, match="1 group"):
        an.measurement_invariance(data[data["group"] == "Pasteur"], HS_FACTORS, group="group")
    tiny = pd.concat(
        [data[data["group"] == "Pasteur"], data[data["group"] == "Grant-White"].head(6)]
    )
    with pytest.raises(ValueError, match="group 'Grant-White': 6 complete rows for 9 items"):
        an.measurement_invariance(tiny, HS_FACTORS, group="group")
    text = data.assign(x1=data["x1"].astype(str))
    with pytest.raises(ValueError, match="must be numeric: x1"):
        an.measurement_invariance(text, HS_FACTORS, group="group")


def test_occasions_must_be_parallel(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "political_democracy.csv")
    with pytest.raises(ValueError, match="same number of items; got a 4, b 3"):
        an.repeated_invariance(data, {"a": ["y1", "y2", "y3", "y4"], "b": ["y5", "y6", "y7"]})
    with pytest.raises(ValueError, match="at least two are needed"):
        an.repeated_invariance(data, {"a": ["y1", "y2", "y3", "y4"]})
    with pytest.raises(ValueError, match="more than one factor: y4"):
        an.repeated_invariance(data, {"a": ["y1", "y2", "y3", "y4"], "b": ["y4", "y6", "y7", "y8"]})


# --- copkit's table -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study_items() -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    study = an.simulate_study(seed=7)
    instrument = study.bundle.instrument
    return an.item_matrix(study.bundle.responses, instrument), instrument.items_by_scale


@pytest.mark.slow
def test_invariance_table_tests_every_scale_across_waves_and_professions_and_the_identity_targets(
    study_items: tuple[pd.DataFrame, dict[str, tuple[str, ...]]],
) -> None:
    items, scales = study_items
    table = invariance_table(items, scales)
    tested = table.dropna(subset=["level"])
    for scale in scales:
        for comparison in ("waves", "professions"):
            rows = tested[(tested["scale"] == scale) & (tested["comparison"] == comparison)]
            assert list(rows["level"]) == list(LEVELS), (scale, comparison)
            assert rows["reached"].nunique() == 1
    identity = tested[tested["comparison"] == "identity targets"]
    assert list(identity["level"]) == list(LEVELS)
    assert identity["groups"].iloc[0] == (
        "collaborative_identity, professional_identity, organisational_identity"
    )
    # the wave comparison of a scale is exactly measurement_invariance grouped by wave
    me = list(scales["mutual_engagement"])
    direct = an.measurement_invariance(items, {"mutual_engagement": me}, "wave")
    waves = tested[(tested["scale"] == "mutual_engagement") & (tested["comparison"] == "waves")]
    np.testing.assert_allclose(waves["chisq"], direct["chisq"])
    assert waves["reached"].iloc[0] == invariance_level(direct)


def test_professions_with_too_few_responses_are_left_out_and_named(
    study_items: tuple[pd.DataFrame, dict[str, tuple[str, ...]]],
) -> None:
    items, scales = study_items
    columns = list(scales["mutual_engagement"])
    complete = items.dropna(subset=columns)["profession"].value_counts()
    small = sorted(p for p, c in complete.items() if c < 30)
    assert small, "the simulated study has small professions"
    table = invariance_table(items, {"mutual_engagement": columns})
    row = table[table["comparison"] == "professions"].iloc[0]
    assert row["left_out"] == ", ".join(f"{p} ({complete[p]})" for p in small)
    for profession in small:
        assert profession not in row["groups"].split(", ")
    assert sorted(row["groups"].split(", ")) == sorted(p for p, c in complete.items() if c >= 30)
    everyone = invariance_table(items, {"mutual_engagement": columns}, min_group_size=1000)
    untested = everyone[everyone["comparison"] == "professions"]
    assert len(untested) == 1 and pd.isna(untested["level"].iloc[0])
    assert "fewer than two professions with 1000 complete responses" in untested["note"].iloc[0]


@pytest.mark.slow
def test_the_identity_comparison_is_skipped_with_a_reason_when_it_cannot_be_made(
    study_items: tuple[pd.DataFrame, dict[str, tuple[str, ...]]],
) -> None:
    items, scales = study_items
    without = {k: v for k, v in scales.items() if k != "organisational_identity"}
    row = invariance_table(items, without).iloc[-1]
    assert row["comparison"] == "identity targets" and pd.isna(row["level"])
    assert row["note"] == "no scale organisational_identity"
    shorter = {**scales, "professional_identity": scales["professional_identity"][:4]}
    row = invariance_table(items, shorter).iloc[-1]
    assert "same number of items" in row["note"]
