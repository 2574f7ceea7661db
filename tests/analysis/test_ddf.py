"""Denominator df: Satterthwaite as lmerTest and Kenward-Roger as pbkrtest, on R's reference values."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import GrowthResult, code_interventions, fit_growth
from analysis.ddf import ddf_label, richardson_jacobian, satterthwaite_df
from tests.conftest import REFERENCE_DIR

TERMS = {"(Intercept)": "Intercept"}


def _sleepstudy(ddf: str) -> GrowthResult:
    return fit_growth(pd.read_csv(REFERENCE_DIR / "sleepstudy.csv"), "Reaction", ddf=ddf)


def _jsat(**options: Any) -> Callable[[str], GrowthResult]:
    def fit(ddf: str) -> GrowthResult:
        data = pd.read_csv(REFERENCE_DIR / "univbct_jsat.csv")
        return fit_growth(data, "JSAT", person="person", ddf=ddf, **options)

    return fit


def _placebo(ddf: str) -> GrowthResult:
    data = pd.read_csv(REFERENCE_DIR / "univbct_jsat.csv")
    reference = json.loads((REFERENCE_DIR / "univbct_placebo.inference.json").read_text())
    plan = pd.DataFrame(
        {
            "team": list(reference["intervention_start"]),
            "wave": reference["intervention_start"].values(),
        }
    )
    coded = code_interventions(data, plan)
    return fit_growth(
        coded, "JSAT", person="person", covariates=["post", "since"], team_slope=False, ddf=ddf
    )


def _simulated(ddf: str) -> GrowthResult:
    data = pd.read_csv(REFERENCE_DIR / "simulated_study.csv")
    return fit_growth(data, "score", person="respondent", covariates=["post", "since"], ddf=ddf)


MODELS: dict[str, Callable[[str], GrowthResult]] = {
    "sleepstudy.inference.json": _sleepstudy,
    "univbct_jsat.inference.json": _jsat(team_slope=False),
    "univbct_placebo.inference.json": _placebo,
    "univbct_singular.inference.json": _jsat(),
    "simulated_study.inference.json": _simulated,
}
METHODS = {"satterthwaite": "satterthwaite", "kenward_roger": "kenward-roger"}
CASES = [
    (name, method, term)
    for name in MODELS
    for method in METHODS
    for term in json.loads((REFERENCE_DIR / name).read_text())[method]
]
_FITS: dict[tuple[str, str], GrowthResult] = {}


def _fit(name: str, method: str) -> GrowthResult:
    key = (name, method)
    if key not in _FITS:
        _FITS[key] = MODELS[name](METHODS[method])
    return _FITS[key]


def test_every_inference_reference_file_is_pinned() -> None:
    assert {path.name for path in REFERENCE_DIR.glob("*.inference.json")} == set(MODELS)


@pytest.mark.parametrize(("name", "method", "term"), CASES)
def test_df_se_and_p_equal_lmertest_and_pbkrtest(name: str, method: str, term: str) -> None:
    expected = json.loads((REFERENCE_DIR / name).read_text())[method][term]
    fit = _fit(name, method)
    row = fit.fixed.loc[TERMS.get(term, term)]
    assert fit.ddf == METHODS[method]
    assert row["estimate"] == pytest.approx(expected["estimate"], rel=1e-4, abs=1e-6)
    assert row["df"] == pytest.approx(expected["df"], rel=0.01, abs=0.05)
    assert row["se"] == pytest.approx(expected["se"], rel=0.005)
    assert row["t"] == pytest.approx(expected["t"], rel=0.005)
    assert row["p"] == pytest.approx(expected["p"], rel=0.01, abs=1e-4)
    half = expected["ci_high"] - expected["estimate"]
    assert row["ci_low"] == pytest.approx(expected["ci_low"], abs=0.005 * half)
    assert row["ci_high"] == pytest.approx(expected["ci_high"], abs=0.005 * half)


def test_satterthwaite_is_the_default_and_reaches_lmertest_closely() -> None:
    data = pd.read_csv(REFERENCE_DIR / "univbct_jsat.csv")
    fit = fit_growth(data, "JSAT", person="person", team_slope=False)
    expected = json.loads((REFERENCE_DIR / "univbct_jsat.inference.json").read_text())
    assert fit.ddf == "satterthwaite"
    # Eight companies: the intercept rests on about three df, not on 1,396 observations.
    assert fit.fixed.loc["Intercept", "df"] == pytest.approx(
        expected["satterthwaite"]["(Intercept)"]["df"], rel=1e-4
    )
    assert fit.fixed.loc["wave", "df"] == pytest.approx(
        expected["satterthwaite"]["wave"]["df"], rel=1e-4
    )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_kenward_roger_adjustment_equals_pbkrtest(name: str) -> None:
    """The variance pbkrtest adds, se_KR^2 - se^2, within 1% (the SEs alone hide it)."""
    reference = json.loads((REFERENCE_DIR / name).read_text())
    fit = _fit(name, "kenward_roger")
    unadjusted = np.sqrt(np.diag(fit.cov_fixed))
    for k, term in enumerate(reference["kenward_roger"]):
        expected = (
            reference["kenward_roger"][term]["se"] ** 2
            - reference["satterthwaite"][term]["se"] ** 2
        )
        added = float(fit.fixed["se"].iloc[k]) ** 2 - unadjusted[k] ** 2
        assert added == pytest.approx(expected, rel=0.01, abs=1e-12 + 1e-6 * unadjusted[k] ** 2), (
            term
        )


def test_kenward_roger_se_is_the_adjusted_one_and_larger() -> None:
    satt = _fit("simulated_study.inference.json", "satterthwaite")
    kr = _fit("simulated_study.inference.json", "kenward_roger")
    np.testing.assert_allclose(kr.fixed["estimate"], satt.fixed["estimate"])
    assert (kr.fixed["se"] > satt.fixed["se"]).all()
    # cov_fixed stays lme4's unadjusted vcov whatever the method.
    np.testing.assert_allclose(np.sqrt(np.diag(kr.cov_fixed)), satt.fixed["se"], rtol=1e-10)


def test_t_p_and_interval_follow_from_df() -> None:
    fixed = _fit("simulated_study.inference.json", "satterthwaite").fixed
    np.testing.assert_allclose(fixed["t"], fixed["estimate"] / fixed["se"])
    np.testing.assert_allclose(fixed["p"], 2 * stats.t.sf(np.abs(fixed["t"]), fixed["df"]))
    quantile = stats.t.ppf(0.975, fixed["df"])
    np.testing.assert_allclose(fixed["ci_high"] - fixed["estimate"], quantile * fixed["se"])
    np.testing.assert_allclose(fixed["estimate"] - fixed["ci_low"], quantile * fixed["se"])


def test_singular_fit_says_what_its_df_mean() -> None:
    satt = _fit("univbct_singular.inference.json", "satterthwaite")
    kr = _fit("univbct_singular.inference.json", "kenward_roger")
    assert satt.singular and kr.singular
    assert "lmerTest" in satt.ddf_note and "known to be 0" in satt.ddf_note
    assert "pbkrtest" in kr.ddf_note
    regular = _fit("simulated_study.inference.json", "satterthwaite")
    assert not regular.singular and regular.ddf_note == ""


def test_zero_team_variance_df_are_those_without_the_team_term() -> None:
    """At a zero team variance lmerTest's df treat it as known: the df equal those of the fit
    without the team term (here: the residual df of a person-level model)."""
    rng = np.random.default_rng(4)
    person = np.repeat(np.arange(60), 4)
    team = person // 10
    wave = np.tile(np.arange(4), 60)
    y = 3 + 0.2 * wave + rng.normal(0, 0.5, 60)[person] + rng.normal(0, 0.5, 240)
    data = pd.DataFrame({"team": team, "person": person % 10, "wave": wave, "y": y})
    centred = data.assign(y=y - data.groupby("team")["y"].transform("mean") + y.mean())
    fit = fit_growth(centred, "y", person="person", team_slope=False)
    assert fit.singular and fit.theta[0] < 1e-4
    assert fit.fixed["df"]["Intercept"] > 30  # far more than 6 teams could give
    assert "known to be 0" in fit.ddf_note


def test_team_trajectory_df_are_satterthwaite_for_the_prediction() -> None:
    fit = _fit("simulated_study.inference.json", "satterthwaite")
    effects = fit.team_effects
    assert {"slope_df", "intercept_df", "re_slope_df", "slope_t", "slope_p"} <= set(effects)
    # Between the teams' own information and the pooled fixed slope: finite, a few to dozens.
    assert (effects["slope_df"] > 2).all() and (effects["slope_df"] < 200).all()
    quantile = stats.t.ppf(0.975, effects["slope_df"])
    np.testing.assert_allclose(
        effects["slope_ci_high"] - effects["slope"], quantile * effects["slope_se"]
    )
    np.testing.assert_allclose(
        effects["slope_p"],
        2 * stats.t.sf(np.abs(effects["slope"] / effects["slope_se"]), effects["slope_df"]),
    )
    wald = fit_growth(
        pd.read_csv(REFERENCE_DIR / "simulated_study.csv"),
        "score",
        person="respondent",
        covariates=["post", "since"],
        ddf="wald",
    ).team_effects
    assert np.isinf(wald["slope_df"]).all()
    assert (
        wald["slope_ci_high"] - wald["slope_ci_low"]
        < effects["slope_ci_high"] - effects["slope_ci_low"]
    ).all()


def test_without_team_slopes_each_team_slope_is_the_fixed_slope_with_its_df() -> None:
    fit = _jsat(team_slope=False)("satterthwaite")
    effects = fit.team_effects
    np.testing.assert_allclose(effects["slope_df"], fit.fixed["df"]["wave"])
    np.testing.assert_allclose(effects["slope_ci_low"], fit.fixed["ci_low"]["wave"])


def test_bad_ddf_is_named() -> None:
    data = pd.read_csv(REFERENCE_DIR / "sleepstudy.csv")
    with pytest.raises(
        ValueError, match="ddf must be one of 'satterthwaite', 'kenward-roger', 'wald'"
    ):
        fit_growth(data, "Reaction", ddf="between-within")
    with pytest.raises(ValueError, match="ddf must be one of"):
        ddf_label("containment")


def test_satterthwaite_formula_and_richardson_derivatives() -> None:
    # Two independent variance estimates s1^2, s2^2 on f1, f2 df: in phi = (s1^2, s2^2) the
    # gradient of v = s1^2 + s2^2 is (1, 1) and cov(phi) = diag(2 s^4 / f), which gives
    # Welch-Satterthwaite's df (s1^2 + s2^2)^2 / (s1^4 / f1 + s2^4 / f2).
    s1, s2, f1, f2 = 2.0, 3.0, 5.0, 9.0
    A = np.diag([2 * s1**4 / f1, 2 * s2**4 / f2])
    expected = (s1**2 + s2**2) ** 2 / (s1**4 / f1 + s2**4 / f2)
    assert satterthwaite_df(s1**2 + s2**2, np.ones(2), A) == pytest.approx(expected)
    assert satterthwaite_df(1.0, np.zeros(2), A) == np.inf
    jac = richardson_jacobian(lambda x: np.array([np.exp(x[0]) * x[1] ** 2]), np.array([0.3, 2.0]))
    np.testing.assert_allclose(jac, [[np.exp(0.3) * 4, np.exp(0.3) * 4]], rtol=1e-9)
