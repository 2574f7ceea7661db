"""Reliability statistics against psych and lavaan on psych::bfi, plus definitions and edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import analysis as an
from analysis.reliability import (
    cronbach_alpha,
    item_total,
    item_total_table,
    omega_total,
    reliability_table,
)

TOL = 1e-6


@pytest.fixture(scope="module")
def bfi(reference_dir: Path) -> pd.DataFrame:
    """psych::bfi agreeableness items with A1 reversed as 7 - A1 (missing rows kept)."""
    data = pd.read_csv(reference_dir / "bfi_agreeableness.csv")
    data["A1"] = 7 - data["A1"]
    return data


@pytest.fixture(scope="module")
def bfi_expected(reference_dir: Path) -> dict[str, Any]:
    with (reference_dir / "bfi_agreeableness.expected.json").open(encoding="utf-8") as handle:
        expected: dict[str, Any] = json.load(handle)
    return expected


def _items(seed: int = 3, n: int = 200, k: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    columns = {f"i{j}": np.clip(np.round(4 + common + rng.normal(size=n)), 1, 7) for j in range(k)}
    return pd.DataFrame(columns)


# --- pinned against R -------------------------------------------------------------------------


def test_alpha_and_feldt_interval_match_psych(
    bfi: pd.DataFrame, bfi_expected: dict[str, Any]
) -> None:
    res = cronbach_alpha(bfi)
    assert res.n == bfi_expected["n"] == 2709
    assert res.k == bfi_expected["k"]
    assert res.alpha == pytest.approx(bfi_expected["alpha"], abs=TOL)
    assert res.ci_low == pytest.approx(bfi_expected["ci_low"], abs=TOL)
    assert res.ci_high == pytest.approx(bfi_expected["ci_high"], abs=TOL)


@pytest.mark.parametrize("item", ["A1", "A2", "A3", "A4", "A5"])
def test_item_total_matches_psych(
    bfi: pd.DataFrame, bfi_expected: dict[str, Any], item: str
) -> None:
    table = item_total(bfi)
    assert table.loc[item, "r_drop"] == pytest.approx(bfi_expected["r_drop"][item], abs=TOL)
    assert table.loc[item, "alpha_if_deleted"] == pytest.approx(
        bfi_expected["alpha_if_deleted"][item], abs=TOL
    )


def test_omega_ml_matches_lavaan(bfi: pd.DataFrame, bfi_expected: dict[str, Any]) -> None:
    res = omega_total(bfi)
    assert res.estimator == "ml"
    assert res.n == 2709
    # Required tolerance is 0.005; the fit reaches lavaan's value to about 3e-7.
    assert res.omega == pytest.approx(bfi_expected["omega_total_ml"], abs=1e-5)


def test_omega_minres_matches_psych(bfi: pd.DataFrame, bfi_expected: dict[str, Any]) -> None:
    res = omega_total(bfi, estimator="minres")
    assert res.estimator == "minres"
    assert res.omega == pytest.approx(bfi_expected["omega_total_minres"], abs=1e-5)


def test_reliability_table_reproduces_psych_per_wave(
    bfi: pd.DataFrame, bfi_expected: dict[str, Any]
) -> None:
    two_waves = pd.concat([bfi.assign(wave=1), bfi.assign(wave=2)], ignore_index=True)
    scales = {"agreeableness": ["A1", "A2", "A3", "A4", "A5"]}
    table = reliability_table(two_waves, scales)
    assert list(table.columns) == [
        "scale", "wave", "n", "k", "alpha", "ci_low", "ci_high", "omega",
    ]  # fmt: skip
    assert table["wave"].tolist() == [1, 2]
    for _, row in table.iterrows():
        assert row["n"] == 2709 and row["k"] == 5
        assert row["alpha"] == pytest.approx(bfi_expected["alpha"], abs=TOL)
        assert row["ci_low"] == pytest.approx(bfi_expected["ci_low"], abs=TOL)
        assert row["ci_high"] == pytest.approx(bfi_expected["ci_high"], abs=TOL)
        assert row["omega"] == pytest.approx(bfi_expected["omega_total_ml"], abs=1e-5)

    items = item_total_table(two_waves, scales)
    assert len(items) == 10
    first = items[items["wave"] == 1].set_index("item")
    for item, value in bfi_expected["r_drop"].items():
        assert first.loc[item, "r_drop"] == pytest.approx(value, abs=TOL)
        assert first.loc[item, "alpha_if_deleted"] == pytest.approx(
            bfi_expected["alpha_if_deleted"][item], abs=TOL
        )
    assert first["weak"].to_dict() == {
        "A1": False, "A2": False, "A3": False, "A4": False, "A5": False,
    }  # fmt: skip


# --- definitions, independently computed ----------------------------------------------------


def test_alpha_equals_variance_definition() -> None:
    items = _items()
    k = items.shape[1]
    expected = k / (k - 1) * (1 - items.var().sum() / items.sum(axis=1).var())
    assert cronbach_alpha(items).alpha == pytest.approx(expected, rel=1e-12)


def test_alpha_of_identical_items_is_one() -> None:
    base = _items()["i0"]
    items = pd.DataFrame({"a": base, "b": base, "c": base})
    assert cronbach_alpha(items).alpha == pytest.approx(1.0)


def test_item_total_equals_direct_definitions() -> None:
    items = _items(k=5)
    table = item_total(items)
    assert list(table.columns) == ["r_drop", "alpha_if_deleted", "mean", "sd"]
    for item in items.columns:
        rest = items.drop(columns=item)
        assert table.loc[item, "r_drop"] == pytest.approx(
            np.corrcoef(items[item], rest.sum(axis=1))[0, 1], rel=1e-10
        )
        assert table.loc[item, "alpha_if_deleted"] == pytest.approx(
            cronbach_alpha(rest).alpha, rel=1e-10
        )
        assert table.loc[item, "mean"] == pytest.approx(items[item].mean())
        assert table.loc[item, "sd"] == pytest.approx(items[item].std(ddof=1))


def test_feldt_interval_brackets_alpha_and_widens_with_level() -> None:
    items = _items()
    narrow, wide = cronbach_alpha(items, ci=0.90), cronbach_alpha(items, ci=0.99)
    assert narrow.ci_low < narrow.alpha < narrow.ci_high
    assert wide.ci_low < narrow.ci_low and wide.ci_high > narrow.ci_high


def test_omega_loadings_are_consistent() -> None:
    res = omega_total(_items(k=5))
    assert list(res.loadings.index) == ["i0", "i1", "i2", "i3", "i4"]
    assert (res.loadings > 0).all() and (res.loadings < 1).all()
    np.testing.assert_allclose(res.uniquenesses, 1 - res.loadings**2)
    assert 0 < res.omega < 1


def test_omega_ml_reaches_the_likelihood_minimum() -> None:
    """No small move of the loadings lowers the ML discrepancy the fit reports."""
    items = _items(seed=11, k=5)
    corr = items.corr().to_numpy()
    lam = omega_total(items).loadings.to_numpy()

    def discrepancy(loadings: np.ndarray) -> float:
        sigma = np.outer(loadings, loadings) + np.diag(1 - loadings**2)
        _, logdet = np.linalg.slogdet(sigma)
        _, logdet_s = np.linalg.slogdet(corr)
        return float(logdet + np.trace(corr @ np.linalg.inv(sigma)) - logdet_s - len(loadings))

    best = discrepancy(lam)
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert discrepancy(lam + rng.normal(scale=1e-3, size=lam.size)) >= best - 1e-12


# --- invariances ------------------------------------------------------------------------------


def test_statistics_invariant_to_row_order_and_item_shift(bfi: pd.DataFrame) -> None:
    shuffled = bfi.sample(frac=1.0, random_state=7)
    shifted = bfi + 10.0
    reference = cronbach_alpha(bfi)
    for variant in (shuffled, shifted):
        assert cronbach_alpha(variant).alpha == pytest.approx(reference.alpha, abs=1e-12)
        assert omega_total(variant).omega == pytest.approx(omega_total(bfi).omega, abs=1e-8)
    pd.testing.assert_series_equal(
        item_total(shuffled)["r_drop"], item_total(bfi)["r_drop"], atol=1e-12
    )


def test_alpha_invariant_to_common_rescaling_and_column_order() -> None:
    items = _items()
    reference = cronbach_alpha(items).alpha
    assert cronbach_alpha(items * 3.0).alpha == pytest.approx(reference, rel=1e-12)
    assert cronbach_alpha(items[items.columns[::-1]]).alpha == pytest.approx(reference, rel=1e-12)


# --- missing values and edge cases ------------------------------------------------------------


def test_rows_with_missing_items_are_dropped_and_counted() -> None:
    items = _items()
    with_gaps = pd.concat(
        [items, pd.DataFrame({"i0": [np.nan, 3.0], "i1": [2.0, np.nan], "i2": [1.0, 2.0],
                              "i3": [np.nan, np.nan]})],
        ignore_index=True,
    )  # fmt: skip
    res = cronbach_alpha(with_gaps)
    assert res.n == len(items)
    assert res.alpha == pytest.approx(cronbach_alpha(items).alpha, abs=1e-12)
    assert omega_total(with_gaps).n == len(items)


def test_constant_items_give_nan_not_warnings() -> None:
    all_constant = pd.DataFrame({"a": [3.0] * 5, "b": [3.0] * 5, "c": [3.0] * 5})
    res = cronbach_alpha(all_constant)
    assert np.isnan(res.alpha) and np.isnan(res.ci_low) and np.isnan(res.ci_high)
    assert np.isnan(omega_total(all_constant).omega)

    one_constant = _items().assign(i3=4.0)
    table = item_total(one_constant)
    assert table["r_drop"].isna().to_dict() == {"i0": False, "i1": False, "i2": False, "i3": True}
    assert np.isfinite(cronbach_alpha(one_constant).alpha)
    assert np.isnan(omega_total(one_constant).omega)


@pytest.mark.parametrize("rows", [0, 1])
def test_fewer_than_two_rows_give_nan(rows: int) -> None:
    items = _items().iloc[:rows]
    res = cronbach_alpha(items)
    assert (res.n, res.k) == (rows, 4)
    assert np.isnan(res.alpha) and np.isnan(res.ci_low)
    table = item_total(items)
    assert table[["r_drop", "alpha_if_deleted", "sd"]].isna().all().all()


def test_two_items_have_no_alpha_if_deleted() -> None:
    table = item_total(_items(k=2))
    assert table["alpha_if_deleted"].isna().all()
    assert table["r_drop"].notna().all()


def test_omega_needs_more_rows_than_items() -> None:
    assert np.isnan(omega_total(_items().iloc[:4]).omega)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cronbach_alpha(_items()[["i0"]]), "at least 2 item columns"),
        (lambda: cronbach_alpha(_items(), ci=1.5), "ci must be in"),
        (lambda: cronbach_alpha(_items().assign(i0="x")), "not numeric: i0"),
        (lambda: cronbach_alpha(np.ones((3, 3))), "must be a pandas DataFrame"),  # type: ignore[arg-type]
        (lambda: omega_total(_items()[["i0", "i1"]]), "at least 3 item columns"),
        (lambda: omega_total(_items(), estimator="pca"), "estimator must be"),  # type: ignore[arg-type]
        (lambda: reliability_table(_items(), {"s": ["i0", "i1"]}), "columns not in the data: wave"),
        (lambda: item_total_table(_items().assign(wave=1), {"s": ["i0", "zz"]}), "zz"),
    ],
)
def test_bad_input_raises_clear_value_error(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_tables_per_wave_and_weak_flag() -> None:
    first, second = _items(seed=1), _items(seed=2)
    second["i3"] = np.random.default_rng(9).integers(1, 8, size=len(second)).astype(float)
    data = pd.concat([first.assign(wave=1), second.assign(wave=2)], ignore_index=True)
    scales = {"four": ["i0", "i1", "i2", "i3"], "two": ["i0", "i1"]}
    table = reliability_table(data, scales)
    assert table[["scale", "wave"]].values.tolist() == [
        ["four", 1], ["four", 2], ["two", 1], ["two", 2],
    ]  # fmt: skip
    assert table.loc[0, "alpha"] == pytest.approx(cronbach_alpha(first).alpha)
    assert table.loc[1, "omega"] == pytest.approx(omega_total(second).omega)
    assert table[table["scale"] == "two"]["omega"].isna().all()

    items = item_total_table(data, scales)
    assert len(items) == 2 * 4 + 2 * 2
    noise = items[(items["scale"] == "four") & (items["wave"] == 2) & (items["item"] == "i3")]
    assert bool(noise["weak"].iloc[0]) is True
    assert (items["weak"] == (items["r_drop"] < 0.30)).all()


def test_flat_front_module_exports() -> None:
    assert an.cronbach_alpha is cronbach_alpha
    assert an.omega_total is omega_total
    assert {"cronbach_alpha", "item_total", "omega_total", "reliability_table"} <= set(an.__all__)


def test_omega_ml_handles_a_heywood_case_at_the_bound() -> None:
    """An item that almost duplicates the factor drives its uniqueness to the 0.005 bound."""
    rng = np.random.default_rng(4)
    common = rng.normal(size=400)
    items = pd.DataFrame(
        {
            "copy": common + 1e-3 * rng.normal(size=400),
            "b": common + rng.normal(size=400),
            "c": common + rng.normal(size=400),
            "d": common + 1.5 * rng.normal(size=400),
        }
    )
    res = omega_total(items)
    assert res.uniquenesses["copy"] == pytest.approx(0.005, abs=1e-9)
    assert (res.uniquenesses[["b", "c", "d"]] > 0.3).all()
    assert 0.8 < res.omega < 1.0
