"""Tests for the growth models: lme4 reference values, a dense-algebra check and statsmodels."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.regression.mixed_linear_model import MixedLM

from analysis import GrowthResult, fit_growth
from analysis.reml import fit_reml, prepare_design, reml_deviance, reml_deviance_gradient


@pytest.fixture(scope="module")
def jsat(reference_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    data = pd.read_csv(reference_dir / "univbct_jsat.csv")
    expected = json.loads((reference_dir / "univbct_jsat.expected.json").read_text())
    return data, expected


@pytest.fixture(scope="module")
def jsat_fit(jsat: tuple[pd.DataFrame, dict[str, Any]]) -> GrowthResult:
    return fit_growth(jsat[0], "JSAT", person="person")


def simulate(
    seed: int,
    *,
    n_teams: int = 15,
    team_size: int = 5,
    n_waves: int = 4,
    slope_sd: float = 0.15,
    missing: float = 0.15,
) -> pd.DataFrame:
    """Unbalanced three-level data; person ids repeat across teams (unique only within team)."""
    rng = np.random.default_rng(seed)
    team = np.repeat(np.arange(n_teams), team_size * n_waves)
    member = np.tile(np.repeat(np.arange(team_size), n_waves), n_teams)
    wave = np.tile(np.arange(n_waves), n_teams * team_size)
    u0 = rng.normal(0, 0.5, n_teams)
    u1 = rng.normal(0, slope_sd, n_teams)
    person_effect = rng.normal(0, 0.5, n_teams * team_size)
    y = (
        3.0
        + 0.2 * wave
        + u0[team]
        + u1[team] * wave
        + person_effect[team * team_size + member]
        + rng.normal(0, 0.5, team.size)
    )
    data = pd.DataFrame({"team": team, "person": member, "wave": wave, "y": y})
    return data.loc[rng.random(len(data)) > missing].reset_index(drop=True)


# ---------------------------------------------------------------- lme4 reference (univbct) --
# Tolerances sit a little above what the engine achieves against lme4 here (measured: fixed
# effects within 1.1e-5, standard errors within 6.7e-5 relative, variance components within
# 3.0e-4 relative (the singular team slope the largest), REML log-likelihood within 3e-8).
ESTIMATE_ABS = 5e-5
SE_REL = 2e-4
VARIANCE_REL = 1e-3
LOGLIK_ABS = 1e-5


def test_fixed_effects_and_standard_errors_equal_lme4(
    jsat: tuple[pd.DataFrame, dict[str, Any]], jsat_fit: GrowthResult
) -> None:
    expected = jsat[1]["fixed"]
    fixed = jsat_fit.fixed
    assert list(fixed.index) == ["Intercept", "wave"]
    for term, r_term in [("Intercept", "(Intercept)"), ("wave", "wave")]:
        estimate = expected[r_term]["estimate"]
        assert fixed.loc[term, "estimate"] == pytest.approx(estimate, abs=ESTIMATE_ABS)
        assert fixed.loc[term, "se"] == pytest.approx(expected[r_term]["se"], rel=SE_REL)


def test_reml_loglik_reaches_lme4_optimum(
    jsat: tuple[pd.DataFrame, dict[str, Any]], jsat_fit: GrowthResult
) -> None:
    lme4 = jsat[1]["loglik_reml"]
    assert jsat_fit.loglik >= lme4 - LOGLIK_ABS
    # Same constant as lme4: not above its optimum by more than rounding.
    assert jsat_fit.loglik <= lme4 + LOGLIK_ABS


def test_variance_components_equal_lme4(
    jsat: tuple[pd.DataFrame, dict[str, Any]], jsat_fit: GrowthResult
) -> None:
    variance = jsat_fit.variance
    assert list(variance.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    for row in jsat[1]["variance"]:
        match = variance["grp"] == row["grp"]
        if "var1" in row:
            match &= variance["var1"] == row["var1"]
        if "var2" in row:
            match &= variance["var2"] == row["var2"]
        else:
            match &= variance["var2"].isna()
        assert match.sum() == 1, row
        value = float(variance.loc[match, "vcov"].iloc[0])
        assert value == pytest.approx(row["vcov"], rel=VARIANCE_REL), row


def test_lme4_fit_is_singular_with_correlation_at_minus_one(jsat_fit: GrowthResult) -> None:
    assert jsat_fit.singular
    assert jsat_fit.converged
    corr = jsat_fit.variance.query("var2 == 'wave'")["sdcor"].iloc[0]
    assert corr == pytest.approx(-1.0, abs=1e-4)
    assert jsat_fit.theta[2] < 1e-4
    assert jsat_fit.suggestion is not None and "team_slope=False" in jsat_fit.suggestion
    assert jsat_fit.simpler_options == {"team_slope": False}


def test_counts_and_formula(jsat_fit: GrowthResult) -> None:
    assert jsat_fit.formula == "JSAT ~ wave + (wave | team) + (1 | team:person)"
    assert (jsat_fit.n_obs, jsat_fit.n_teams, jsat_fit.n_persons, jsat_fit.n_dropped) == (
        1396,
        8,
        492,
        0,
    )


def test_simpler_model_from_the_suggestion_is_not_singular(
    jsat: tuple[pd.DataFrame, dict[str, Any]], jsat_fit: GrowthResult
) -> None:
    assert jsat_fit.simpler_options is not None
    simpler = fit_growth(jsat[0], "JSAT", person="person", **jsat_fit.simpler_options)  # type: ignore[arg-type]
    assert not simpler.singular
    assert simpler.suggestion is None
    assert simpler.formula == "JSAT ~ wave + (1 | team) + (1 | team:person)"
    assert simpler.loglik < jsat_fit.loglik
    assert list(simpler.variance["grp"]) == ["team:person", "team", "Residual"]


def test_team_effects_table(jsat_fit: GrowthResult) -> None:
    effects = jsat_fit.team_effects
    assert effects.index.name == "team"
    assert len(effects) == 8
    assert int(effects["n_obs"].sum()) == 1396
    fixed = jsat_fit.fixed["estimate"]
    np.testing.assert_allclose(effects["intercept"], fixed["Intercept"] + effects["re_intercept"])
    np.testing.assert_allclose(effects["slope"], fixed["wave"] + effects["re_slope"])
    for name in ["re_intercept", "re_slope", "intercept", "slope"]:
        assert (effects[f"{name}_se"] > 0).all()
        assert (effects[f"{name}_ci_low"] < effects[name]).all()
        assert (effects[f"{name}_ci_high"] > effects[name]).all()
    # BLUPs of team deviations are shrunken, centred near 0; singular fit: slope = a * intercept.
    assert abs(effects["re_intercept"].mean()) < 0.05
    ratio = effects["re_slope"] / effects["re_intercept"]
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-3)


# ------------------------------------------------------- dense matrix algebra cross-check --


def _dense_reference(result: GrowthResult, data: pd.DataFrame) -> dict[str, Any]:
    """GLS, BLUPs and Henderson's prediction-error variances from dense V at the estimates."""
    n = len(data)
    teams = np.sort(data["team"].unique())
    persons = data.groupby(["team", "person"]).ngroup().to_numpy()
    X = np.column_stack([np.ones(n), data["wave"]])
    y = data["y"].to_numpy()
    Zt = np.zeros((n, 2 * len(teams)))
    for j, label in enumerate(teams):
        rows = data["team"].to_numpy() == label
        Zt[rows, 2 * j] = 1.0
        Zt[rows, 2 * j + 1] = data["wave"].to_numpy()[rows]
    Zp = np.zeros((n, persons.max() + 1))
    Zp[np.arange(n), persons] = 1.0
    variance = result.variance
    v = variance.set_index(["grp", "var1", "var2"], drop=False)["vcov"]
    sigma2 = float(variance.loc[variance["grp"] == "Residual", "vcov"].iloc[0])
    tau2 = float(variance.loc[variance["grp"] == "team:person", "vcov"].iloc[0])
    team_rows = variance[variance["grp"] == "team"]
    s00 = float(
        team_rows.loc[team_rows["var1"].eq("(Intercept)") & team_rows["var2"].isna(), "vcov"].iloc[
            0
        ]
    )
    s11 = float(team_rows.loc[team_rows["var1"].eq("wave"), "vcov"].iloc[0])
    s01 = float(team_rows.loc[team_rows["var2"].eq("wave"), "vcov"].iloc[0])
    del v
    Sigma = np.array([[s00, s01], [s01, s11]])
    Gt = np.kron(np.eye(len(teams)), Sigma)
    V = Zt @ Gt @ Zt.T + tau2 * Zp @ Zp.T + sigma2 * np.eye(n)
    Vinv = np.linalg.inv(V)
    XVX = X.T @ Vinv @ X
    cov_beta = np.linalg.inv(XVX)
    beta = cov_beta @ X.T @ Vinv @ y
    resid = y - X @ beta
    blup = (Gt @ Zt.T @ Vinv @ resid).reshape(-1, 2)
    cond_var = Gt - Gt @ Zt.T @ Vinv @ Zt @ Gt
    # Henderson: Var([beta_hat - beta; b_hat - b]) = C^{-1} for the team effects (persons in R).
    R = tau2 * Zp @ Zp.T + sigma2 * np.eye(n)
    Rinv = np.linalg.inv(R)
    C = np.block(
        [
            [X.T @ Rinv @ X, X.T @ Rinv @ Zt],
            [Zt.T @ Rinv @ X, Zt.T @ Rinv @ Zt + np.linalg.inv(Gt)],
        ]
    )
    Cinv = np.linalg.inv(C)
    pev = []
    for j in range(len(teams)):
        rows = []
        for k in range(2):
            weights = np.zeros(C.shape[0])
            weights[k] = 1.0
            weights[2 + 2 * j + k] = 1.0
            rows.append(float(weights @ Cinv @ weights))
        pev.append(rows)
    _sign, logdet_v = np.linalg.slogdet(V)
    loglik = -0.5 * (
        (n - 2) * np.log(2 * np.pi) + logdet_v + np.linalg.slogdet(XVX)[1] + resid @ Vinv @ resid
    )
    return {
        "beta": beta,
        "se": np.sqrt(np.diag(cov_beta)),
        "blup": blup,
        "cond_se": np.sqrt(np.diag(cond_var)).reshape(-1, 2),
        "pev_se": np.sqrt(np.array(pev)),
        "loglik": loglik,
    }


def test_block_algebra_equals_dense_gls_blup_and_henderson() -> None:
    data = simulate(0, n_teams=8, team_size=4, n_waves=4, slope_sd=0.2)
    result = fit_growth(data, "y", person="person")
    assert not result.singular
    dense = _dense_reference(result, data)
    np.testing.assert_allclose(result.fixed["estimate"], dense["beta"], rtol=1e-8)
    np.testing.assert_allclose(result.fixed["se"], dense["se"], rtol=1e-6)
    assert result.loglik == pytest.approx(dense["loglik"], abs=1e-6)
    effects = result.team_effects
    np.testing.assert_allclose(effects[["re_intercept", "re_slope"]], dense["blup"], atol=1e-7)
    np.testing.assert_allclose(
        effects[["re_intercept_se", "re_slope_se"]], dense["cond_se"], rtol=1e-5
    )
    np.testing.assert_allclose(effects[["intercept_se", "slope_se"]], dense["pev_se"], rtol=1e-5)


def test_analytic_gradient_matches_finite_differences() -> None:
    data = simulate(2)
    persons = data.groupby(["team", "person"]).ngroup().to_numpy()
    X = np.column_stack([np.ones(len(data)), data["wave"]])
    y = data["y"].to_numpy()
    teams = data["team"].to_numpy()
    cases = [
        (X, persons, [0.8, -0.2, 0.3, 1.1]),
        (X[:, :1], None, [0.7]),
        (X, None, [0.5, 0.1, 0.4]),
    ]
    for Z, person_codes, theta in cases:
        design = prepare_design(y, X, Z.copy(), teams, person_codes)
        value, gradient = reml_deviance_gradient(np.array(theta), design)
        assert value == reml_deviance(np.array(theta), design)
        numeric = optimize.approx_fprime(np.array(theta), reml_deviance, 1e-7, design)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-4)


def test_a_start_on_the_zero_bound_escapes_to_the_interior_optimum() -> None:
    # The deviance depends on a diagonal element of T only through its square, so a start at
    # T22 = 0 is a stationary point; the fit must still find the non-singular optimum.
    data = simulate(7, slope_sd=0.3)
    persons = data.groupby(["team", "person"]).ngroup().to_numpy()
    X = np.column_stack([np.ones(len(data)), data["wave"]])
    design = prepare_design(data["y"].to_numpy(), X, X.copy(), data["team"].to_numpy(), persons)
    default = fit_reml(design)
    stuck_start = fit_reml(design, starts=[np.array([0.5, 0.1, 0.0, 1.0])])
    assert not default.singular and not stuck_start.singular
    assert stuck_start.deviance == pytest.approx(default.deviance, abs=1e-6)
    np.testing.assert_allclose(stuck_start.theta, default.theta, rtol=1e-3)


# --------------------------------------------------------------- statsmodels cross-checks --


def _statsmodels(data: pd.DataFrame, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MixedLM.from_formula("y ~ wave", data, groups="team", **kwargs).fit(reml=True)


def test_random_intercept_model_equals_statsmodels() -> None:
    data = simulate(1, slope_sd=0.0)
    result = fit_growth(data, "y", team_slope=False)
    reference = _statsmodels(data)
    assert reference.converged
    assert result.formula == "y ~ wave + (1 | team)"
    assert result.n_persons is None
    assert result.loglik == pytest.approx(reference.llf, abs=1e-4)
    np.testing.assert_allclose(result.fixed["estimate"], reference.fe_params, atol=1e-5)
    np.testing.assert_allclose(result.fixed["se"], reference.bse_fe, rtol=1e-3)
    team_var = result.variance.set_index("grp")["vcov"]
    assert team_var["team"] == pytest.approx(float(reference.cov_re.iloc[0, 0]), rel=1e-3)
    assert team_var["Residual"] == pytest.approx(reference.scale, rel=1e-4)
    blups = np.array([effects.iloc[0] for effects in reference.random_effects.values()])
    np.testing.assert_allclose(result.team_effects["re_intercept"], blups, atol=1e-4)
    # Without a team slope every team's slope is the fixed slope.
    fixed_slope = float(result.fixed["estimate"]["wave"])
    np.testing.assert_allclose(result.team_effects["slope"], fixed_slope)
    assert (result.team_effects["re_slope"] == 0).all()


def test_random_slope_model_at_least_as_good_as_statsmodels() -> None:
    data = simulate(3, slope_sd=0.3)
    result = fit_growth(data, "y")
    reference = _statsmodels(data, re_formula="~wave")
    assert result.converged
    assert result.loglik >= reference.llf - 1e-6
    if reference.converged:
        assert result.loglik == pytest.approx(reference.llf, abs=1e-4)
        np.testing.assert_allclose(result.fixed["estimate"], reference.fe_params, atol=1e-4)


def test_three_level_model_equals_statsmodels_with_person_components() -> None:
    data = simulate(0)
    data = data.assign(member=data["team"].astype(str) + ":" + data["person"].astype(str))
    result = fit_growth(data, "y", person="person")
    reference = _statsmodels(data, re_formula="~wave", vc_formula={"member": "0 + C(member)"})
    assert reference.converged and result.converged and not result.singular
    assert result.loglik == pytest.approx(reference.llf, abs=1e-4)
    np.testing.assert_allclose(result.fixed["estimate"], reference.fe_params, atol=1e-5)
    np.testing.assert_allclose(result.fixed["se"], reference.bse_fe, rtol=0.01)
    person_var = result.variance.set_index("grp").loc["team:person", "vcov"]
    assert person_var == pytest.approx(float(reference.vcomp[0]), rel=0.01)


# ------------------------------------------------------------------------ model behaviour --


def test_person_ids_only_unique_within_team_are_nested() -> None:
    data = simulate(5)
    unique_ids = data.assign(person=data["team"] * 100 + data["person"])
    reused = fit_growth(data, "y", person="person")
    unique = fit_growth(unique_ids, "y", person="person")
    assert reused.n_persons == unique.n_persons == data.groupby(["team", "person"]).ngroups
    assert reused.loglik == pytest.approx(unique.loglik, abs=1e-9)


def test_missing_rows_are_dropped_and_counted() -> None:
    data = simulate(6)
    holes = data.copy()
    holes.loc[[0, 5, 9], "y"] = np.nan
    holes.loc[[12], "wave"] = np.nan
    result = fit_growth(holes, "y", person="person")
    complete = fit_growth(holes.dropna(), "y", person="person")
    assert result.n_dropped == 4
    assert result.n_obs == len(data) - 4
    assert result.loglik == pytest.approx(complete.loglik, abs=1e-9)


def test_rescaling_time_rescales_slope_and_its_variance() -> None:
    data = simulate(7, slope_sd=0.3)
    base = fit_growth(data, "y", person="person")
    months = fit_growth(data.assign(wave=data["wave"] * 6.0), "y", person="person")
    assert not base.singular and not months.singular
    assert months.fixed.loc["wave", "estimate"] == pytest.approx(
        float(base.fixed["estimate"]["wave"]) / 6.0, rel=1e-5
    )
    slope_var = base.variance.query("var1 == 'wave'")["vcov"].iloc[0]
    assert months.variance.query("var1 == 'wave'")["vcov"].iloc[0] == pytest.approx(
        slope_var / 36.0, rel=1e-4
    )
    # The REML criterion includes log|X'V^-1 X|, which grows by log(6^2) under the rescaling.
    assert months.loglik == pytest.approx(base.loglik - np.log(6.0), abs=1e-6)


def test_covariates_get_fixed_effects() -> None:
    data = simulate(8)
    rng = np.random.default_rng(8)
    data["tenure"] = rng.normal(0, 1, len(data))
    data["y"] = data["y"] + 0.4 * data["tenure"]
    result = fit_growth(data, "y", person="person", covariates=["tenure"])
    assert list(result.fixed.index) == ["Intercept", "wave", "tenure"]
    row = result.fixed.loc["tenure"]
    assert row["ci_low"] < 0.4 < row["ci_high"]
    assert row["p"] < 1e-6
    assert result.formula == "y ~ wave + tenure + (wave | team) + (1 | team:person)"
    assert list(result.cov_fixed.index) == ["Intercept", "wave", "tenure"]


def _flatten_team_slopes(data: pd.DataFrame) -> pd.DataFrame:
    """Make every team's least-squares slope equal: no between-team slope variance at all."""
    out = data.copy()
    slopes = out.groupby("team")[["wave", "y"]].apply(lambda g: np.polyfit(g["wave"], g["y"], 1)[0])
    centred = out["wave"] - out.groupby("team")["wave"].transform("mean")
    out["y"] = out["y"] - (out["team"].map(slopes) - slopes.mean()) * centred
    return out


def test_zero_team_slope_variance_is_flagged_singular() -> None:
    data = _flatten_team_slopes(simulate(9, slope_sd=0.0))
    result = fit_growth(data, "y", person="person")
    assert result.singular
    # The slope factor T22 is at its bound: slope variance ~0 or a correlation at +-1.
    assert result.theta[2] < 1e-4
    assert result.variance.query("var1 == 'wave'")["vcov"].iloc[0] < 1e-4
    assert result.simpler_options == {"team_slope": False}
    assert result.suggestion is not None
    simpler = fit_growth(data, "y", person="person", team_slope=False)
    assert not simpler.singular


def test_zero_person_variance_suggests_dropping_the_person_term() -> None:
    rng = np.random.default_rng(10)
    data = simulate(10)
    # Replace the outcome by team effects plus pure noise centred within each person.
    team_effect = rng.normal(0, 0.5, data["team"].max() + 1)[data["team"]]
    noise = rng.normal(0, 0.5, len(data))
    noise = noise - pd.Series(noise).groupby([data["team"], data["person"]]).transform("mean")
    data["y"] = 3 + 0.2 * data["wave"] + team_effect + noise.to_numpy()
    result = fit_growth(data, "y", person="person", team_slope=False)
    assert result.singular
    assert result.simpler_options == {"person": None}
    assert result.suggestion is not None and "person=None" in result.suggestion


def test_fixed_table_columns_and_wald_arithmetic(jsat: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    """Wald z on request: its p is the normal tail of lme4's own estimate over its SE."""
    fit = fit_growth(jsat[0], "JSAT", person="person", ddf="wald")
    fixed = fit.fixed
    assert fit.ddf == "wald" and fit.ddf_note == ""
    assert list(fixed.columns) == ["estimate", "se", "df", "t", "p", "ci_low", "ci_high"]
    assert np.isinf(fixed["df"]).all()
    np.testing.assert_allclose(fixed["t"], fixed["estimate"] / fixed["se"])
    np.testing.assert_allclose(
        fixed["ci_high"] - fixed["estimate"], 1.959964 * fixed["se"], rtol=1e-6
    )
    lme4 = jsat[1]["fixed"]["wave"]
    lme4_p = 2 * stats.norm.sf(abs(lme4["estimate"] / lme4["se"]))
    assert fixed.loc["wave", "p"] == pytest.approx(lme4_p, abs=2e-4)
    effects = fit.team_effects
    np.testing.assert_allclose(
        effects["slope_ci_high"] - effects["slope"], 1.959964 * effects["slope_se"], rtol=1e-6
    )


# ---------------------------------------------------------------------------- bad input --


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "JOY"}, "'JOY'"),
        ({"outcome": "y", "team": "company"}, "'company'"),
        ({"outcome": "y", "person": "soldier"}, "'soldier'"),
        ({"outcome": "y", "covariates": ["rank", "age"]}, "'rank', 'age'"),
        ({"outcome": "label"}, "must be numeric"),
        ({"outcome": "y", "covariates": ["wave"]}, "distinct"),
        ({"outcome": "y", "covariates": ["constant"]}, "collinear"),
    ],
)
def test_bad_input_is_named(kwargs: dict[str, Any], message: str) -> None:
    data = simulate(11).assign(label="x", constant=1.0)
    outcome = kwargs.pop("outcome")
    with pytest.raises(ValueError, match=message):
        fit_growth(data, outcome, **kwargs)


def test_structural_errors() -> None:
    data = simulate(12)
    with pytest.raises(ValueError, match="at least 2 teams"):
        fit_growth(data.loc[data["team"] == 0], "y")
    one_each = data.drop_duplicates(["team", "person"])
    with pytest.raises(ValueError, match="number of persons"):
        fit_growth(one_each, "y", person="person", team_slope=False)
    with pytest.raises(ValueError, match="does not vary"):
        fit_growth(data.assign(wave=1), "y")
    with pytest.raises(ValueError, match="no complete rows"):
        fit_growth(data.assign(y=np.nan), "y")
    with pytest.raises(ValueError, match="finite"):
        fit_growth(data.assign(y=np.inf), "y")
    with pytest.raises(TypeError, match="DataFrame"):
        fit_growth(data.to_dict(), "y")  # type: ignore[arg-type]
