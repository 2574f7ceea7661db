"""Three-level growth models (waves in persons in teams) fitted by REML as lme4 fits them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.ddf import (
    DDF_METHODS,
    covariance_jacobians,
    kenward_roger,
    kenward_roger_df,
    satterthwaite_df,
    varpar_covariance,
)
from analysis.reml import SINGULAR_TOL, NestedDesign, REMLFit, fit_reml, prepare_design

__all__ = ["GrowthResult", "fit_growth", "fit_growth_simplified"]

_LEVEL = 0.95


@dataclass(frozen=True)
class GrowthResult:
    """A growth model fitted by REML (see :func:`fit_growth`).

    Attributes
    ----------
    formula:
        The model in lme4's notation, e.g. ``JSAT ~ wave + (wave | team) + (1 | team:person)``.
    fixed:
        Fixed effects indexed by term (``Intercept``, the time name, each covariate) with columns
        ``estimate``, ``se``, ``df`` (denominator degrees of freedom by the ``ddf`` method;
        ``inf`` for Wald), ``t`` (``estimate / se``; the Wald z when ``df`` is ``inf``), ``p``
        (two-sided, from the t distribution with ``df``) and the 95% interval ``ci_low``,
        ``ci_high`` (``estimate -+ t_{df, .975} se``). With Kenward-Roger ``se`` is the
        adjusted standard error (pbkrtest's ``vcovAdj``).
    cov_fixed:
        Covariance matrix of the fixed effects, ``sigma^2 (X' V^-1 X)^-1`` (lme4's ``vcov``;
        unadjusted, whatever ``ddf``).
    variance:
        Variance components as lme4's ``as.data.frame(VarCorr(fit))``: columns ``grp``,
        ``var1``, ``var2``, ``vcov`` and ``sdcor``. Rows: the person intercept, the team
        intercept, the team slope, their covariance (``vcov``; ``sdcor`` is the correlation,
        ``nan`` when a variance is 0) and ``Residual``.
    loglik:
        REML log-likelihood, with the same constant as lme4's ``logLik``.
    singular:
        lme4's ``isSingular`` rule: some diagonal element of the relative covariance factor
        (``theta``) is below ``1e-4``, i.e. a variance at 0 or a correlation at +-1.
    converged:
        Whether the optimiser met its gradient check (see :func:`analysis.reml.fit_reml`).
    n_obs, n_teams, n_persons, n_dropped:
        Rows used, teams, persons (``None`` without a person term) and rows dropped because the
        outcome, time, a covariate or an identifier was missing.
    team_effects:
        One row per team: ``n_obs``; the empirical Bayes (BLUP) team deviations ``re_intercept``
        and ``re_slope`` with conditional standard errors (``_se``, lme4's ``condVar``, given the
        fixed effects), degrees of freedom (``_df``) and 95% intervals (``_ci_low``,
        ``_ci_high``); and the team trajectory ``intercept`` and ``slope`` (fixed effect + team
        deviation, covariates at 0) with prediction standard errors that include the
        uncertainty of the fixed effects, df and 95% intervals, and ``slope_t``, ``slope_p``
        (two-sided test of a zero slope: the p a claim "this team is rising" rests on).
        Without a team slope ``re_slope`` is 0 and ``slope`` is the fixed slope with its
        inference. The df are Satterthwaite's for these predictions whenever ``ddf`` is not
        ``wald`` (see :func:`fit_growth`).
    theta:
        lme4's ``theta``: the relative covariance factor of the team effects by columns, then
        that of the person intercepts.
    suggestion:
        For a singular fit, which simpler model to fit and why; ``None`` otherwise.
    simpler_options:
        Keyword arguments of :func:`fit_growth` for that simpler model (e.g.
        ``{"team_slope": False}``); ``None`` when there is none to offer.
    ddf:
        The denominator degrees of freedom method: ``satterthwaite``, ``kenward-roger`` or
        ``wald``.
    ddf_note:
        What the df mean where that needs saying (a singular fit, a Hessian with eigenvalues
        near zero), else empty.
    """

    formula: str
    fixed: pd.DataFrame
    cov_fixed: pd.DataFrame
    variance: pd.DataFrame
    loglik: float
    singular: bool
    converged: bool
    n_obs: int
    n_teams: int
    n_persons: int | None
    n_dropped: int
    team_effects: pd.DataFrame
    theta: tuple[float, ...]
    suggestion: str | None
    simpler_options: Mapping[str, object] | None = field(default=None)
    ddf: str = "satterthwaite"
    ddf_note: str = ""


def _check_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [name for name in columns if name not in data.columns]
    if missing:
        raise ValueError(
            f"data has no column(s) {', '.join(repr(m) for m in missing)}; "
            f"available: {', '.join(map(str, data.columns))}"
        )


def _numeric_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    bad = [
        f"{name!r} ({data[name].dtype})"
        for name in columns
        if not (pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name]))
    ]
    if bad:
        raise ValueError(
            f"column(s) {', '.join(bad)} must be numeric; code categories as 0/1 indicators"
        )


def _formula(
    outcome: str,
    time: str,
    team: str,
    person: str | None,
    covariates: Sequence[str],
    team_slope: bool,
) -> str:
    fixed = " + ".join([time, *covariates])
    team_term = f"({time} | {team})" if team_slope else f"(1 | {team})"
    person_term = f" + (1 | {team}:{person})" if person is not None else ""
    return f"{outcome} ~ {fixed} + {team_term}{person_term}"


def _t_columns(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``t``, two-sided ``p`` and the 95% interval from the t distribution with ``df`` (the
    normal where ``df`` is infinite)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
    p = 2.0 * stats.t.sf(np.abs(t), df)
    half = stats.t.ppf((1.0 + _LEVEL) / 2.0, df) * se
    return t, p, estimate - half, estimate + half


def _fixed_table(
    terms: list[str], beta: np.ndarray, se: np.ndarray, df: np.ndarray
) -> pd.DataFrame:
    t, p, low, high = _t_columns(beta, se, df)
    return pd.DataFrame(
        {"estimate": beta, "se": se, "df": df, "t": t, "p": p, "ci_low": low, "ci_high": high},
        index=pd.Index(terms, name="term"),
    )


def _variance_table(
    fit: REMLFit, time: str, team: str, person: str | None, team_slope: bool
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    if person is not None:
        rows.append(
            {
                "grp": f"{team}:{person}",
                "var1": "(Intercept)",
                "var2": None,
                "vcov": fit.person_var,
                "sdcor": float(np.sqrt(fit.person_var)),
            }
        )
    cov = fit.team_cov
    rows.append(
        {
            "grp": team,
            "var1": "(Intercept)",
            "var2": None,
            "vcov": float(cov[0, 0]),
            "sdcor": float(np.sqrt(cov[0, 0])),
        }
    )
    if team_slope:
        sd0 = float(np.sqrt(cov[0, 0]))
        sd1 = float(np.sqrt(cov[1, 1]))
        corr = float(cov[1, 0]) / (sd0 * sd1) if sd0 > 0 and sd1 > 0 else float("nan")
        corr = float(np.clip(corr, -1.0, 1.0)) if np.isfinite(corr) else corr
        rows.append(
            {"grp": team, "var1": time, "var2": None, "vcov": float(cov[1, 1]), "sdcor": sd1}
        )
        rows.append(
            {
                "grp": team,
                "var1": "(Intercept)",
                "var2": time,
                "vcov": float(cov[1, 0]),
                "sdcor": corr,
            }
        )
    rows.append(
        {
            "grp": "Residual",
            "var1": None,
            "var2": None,
            "vcov": fit.sigma2,
            "sdcor": float(np.sqrt(fit.sigma2)),
        }
    )
    return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def _interval_columns(
    prefix: str, estimate: np.ndarray, se: np.ndarray, df: np.ndarray
) -> dict[str, np.ndarray]:
    _t, _p, low, high = _t_columns(estimate, se, df)
    return {
        prefix: estimate,
        f"{prefix}_se": se,
        f"{prefix}_df": df,
        f"{prefix}_ci_low": low,
        f"{prefix}_ci_high": high,
    }


@dataclass(frozen=True)
class _Inference:
    """Standard errors and df of everything :func:`fit_growth` reports."""

    fixed_se: np.ndarray
    fixed_df: np.ndarray
    re_df: np.ndarray  # (J, q)
    pev_df: np.ndarray  # (J, q)
    note: str


def _team_table(
    fit: REMLFit,
    inference: _Inference,
    team_labels: pd.Index,
    team_n: np.ndarray,
    team: str,
    team_slope: bool,
) -> pd.DataFrame:
    n_teams = len(team_labels)
    re_var = np.clip(np.diagonal(fit.team_re_cov, axis1=1, axis2=2), 0.0, None)
    pev = np.clip(np.diagonal(fit.team_pev, axis1=1, axis2=2), 0.0, None)
    columns: dict[str, np.ndarray] = {"n_obs": team_n}
    columns |= _interval_columns(
        "re_intercept", fit.team_re[:, 0], np.sqrt(re_var[:, 0]), inference.re_df[:, 0]
    )
    if team_slope:
        columns |= _interval_columns(
            "re_slope", fit.team_re[:, 1], np.sqrt(re_var[:, 1]), inference.re_df[:, 1]
        )
    else:
        columns |= _interval_columns(
            "re_slope", np.zeros(n_teams), np.zeros(n_teams), np.full(n_teams, np.inf)
        )
    columns |= _interval_columns(
        "intercept", fit.beta[0] + fit.team_re[:, 0], np.sqrt(pev[:, 0]), inference.pev_df[:, 0]
    )
    if team_slope:
        slope = fit.beta[1] + fit.team_re[:, 1]
        slope_se = np.sqrt(pev[:, 1])
        slope_df = inference.pev_df[:, 1]
    else:
        slope = np.full(n_teams, fit.beta[1])
        slope_se = np.full(n_teams, inference.fixed_se[1])
        slope_df = np.full(n_teams, inference.fixed_df[1])
    columns |= _interval_columns("slope", slope, slope_se, slope_df)
    slope_t, slope_p, _low, _high = _t_columns(slope, slope_se, slope_df)
    columns |= {"slope_t": slope_t, "slope_p": slope_p}
    return pd.DataFrame(columns, index=team_labels.rename(team))


def _variance_parameters(fit: REMLFit, team_slope: bool) -> np.ndarray:
    """pbkrtest's ``ggamma``: team covariance (lower triangle by columns), person, residual."""
    cov = fit.team_cov
    gamma = [cov[0, 0], cov[1, 0], cov[1, 1]] if team_slope else [cov[0, 0]]
    if np.isfinite(fit.person_var):
        gamma.append(fit.person_var)
    return np.array([*gamma, fit.sigma2], dtype=float)


def _singular_note(fit: REMLFit, ddf: str) -> str:
    if not fit.singular or ddf == "wald":
        return ""
    if ddf == "satterthwaite":
        return (
            "Singular fit: a variance parameter is on its boundary (a variance of 0 or a "
            "correlation of +-1). As in lmerTest, the Satterthwaite df come from the curvature "
            "of the REML criterion at that boundary estimate; the fixed-effect covariance does "
            "not change to first order in a direction where a variance is exactly 0, so that "
            "variance counts as known to be 0 and adds nothing to the df: for terms that vary "
            "between teams the df can be far above what the number of teams supports, and the "
            "interval too narrow. The simpler model is the one to read."
        )
    return (
        "Singular fit: a variance parameter is on its boundary (a variance of 0 or a "
        "correlation of +-1). As in pbkrtest, the Kenward-Roger adjustment and df are computed "
        "at that boundary estimate, treating the zero variance as a parameter like the others; "
        "the simpler model is the one to read."
    )


def _inference(
    fit: REMLFit,
    design: NestedDesign,
    ddf: str,
    kr_inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None],
    team_slope: bool,
) -> _Inference:
    """Denominator df (and Kenward-Roger's adjusted SEs) for the fixed effects and the teams."""
    p = fit.beta.size
    q = fit.team_re.shape[1]
    n_teams = fit.team_re.shape[0]
    fixed_se = np.sqrt(np.diag(fit.cov_beta))
    if ddf == "wald":
        infinite = np.full((n_teams, q), np.inf)
        return _Inference(fixed_se, np.full(p, np.inf), infinite, infinite, "")
    varpar = np.append(fit.theta, np.sqrt(fit.sigma2))
    covariance = varpar_covariance(design, fit.theta, float(np.sqrt(fit.sigma2)))
    beta_cov, beta_jac, re_cov, re_jac, pev, pev_jac = covariance_jacobians(design, varpar)
    A = covariance.covariance
    fixed_df = np.array([satterthwaite_df(beta_cov[k, k], beta_jac[k, k], A) for k in range(p)])
    re_df = np.array(
        [
            [satterthwaite_df(re_cov[j, c, c], re_jac[j, c, c], A) for c in range(q)]
            for j in range(n_teams)
        ]
    )
    pev_df = np.array(
        [
            [satterthwaite_df(pev[j, c, c], pev_jac[j, c, c], A) for c in range(q)]
            for j in range(n_teams)
        ]
    )
    if ddf == "kenward-roger":
        X, Z_team, team_codes, person_codes = kr_inputs
        kr = kenward_roger(
            X, Z_team, team_codes, person_codes, _variance_parameters(fit, team_slope), fit.cov_beta
        )
        fixed_se = np.sqrt(np.diag(kr.cov_adjusted))
        fixed_df = np.array([kenward_roger_df(np.eye(p)[k], fit.cov_beta, kr) for k in range(p)])
    notes = [_singular_note(fit, ddf)]
    if covariance.note and ddf == "satterthwaite":
        notes.append(f"Hessian of the REML criterion: {covariance.note}.")
    return _Inference(fixed_se, fixed_df, re_df, pev_df, " ".join(n for n in notes if n))


def _suggestion(
    fit: REMLFit, team_slope: bool, has_person: bool, team: str, person: str | None
) -> tuple[str | None, dict[str, object] | None]:
    if not fit.singular:
        return None, None
    theta = fit.theta
    reasons: list[str] = []
    options: dict[str, object] = {}
    if team_slope:
        intercept_zero = theta[0] < SINGULAR_TOL
        slope_degenerate = theta[2] < SINGULAR_TOL
        if slope_degenerate:
            what = (
                "the team slope variance is 0"
                if abs(theta[1]) < SINGULAR_TOL
                else "the team intercept-slope correlation is at +-1"
            )
            reasons.append(
                f"{what}: the data do not support separate team slopes; "
                "fit random team intercepts only (team_slope=False)"
            )
            options["team_slope"] = False
        elif intercept_zero:
            reasons.append(
                "the team intercept variance is 0: teams differ only in their slopes; "
                "consider random team intercepts only (team_slope=False) and compare"
            )
            options["team_slope"] = False
    elif theta[0] < SINGULAR_TOL:
        reasons.append(
            f"the {team} intercept variance is 0: teams do not differ beyond their members; "
            "a team term adds nothing to this model"
        )
    if has_person and theta[-1] < SINGULAR_TOL:
        reasons.append(
            f"the {team}:{person} intercept variance is 0: fit without the person term "
            "(person=None)"
        )
        options["person"] = None
    if not reasons:
        return None, None
    return "Singular fit: " + "; ".join(reasons) + ".", options or None


def _complete_rows(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    team: str,
    person: str | None,
    covariates: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Check the columns; return the complete rows (identifiers and numeric columns), their
    numeric columns as floats and how many rows were dropped for a missing value."""
    numeric = [outcome, time, *covariates]
    if len(set(numeric)) != len(numeric):
        raise ValueError(f"outcome, time and covariates must be distinct columns: {numeric}")
    identifiers = [team] if person is None else [team, person]
    if set(identifiers) & set(numeric) or len(set(identifiers)) != len(identifiers):
        raise ValueError("team and person must be identifier columns distinct from the others")
    _check_columns(data, [*numeric, *identifiers])
    _numeric_columns(data, numeric)
    frame = data[[*identifiers, *numeric]]
    values = frame[numeric].astype(float)
    if np.isinf(values.to_numpy()).any():
        raise ValueError("outcome, time and covariates must be finite (found inf)")
    keep = values.notna().all(axis=1) & frame[identifiers].notna().all(axis=1)
    if not keep.any():
        raise ValueError("no complete rows: outcome, time, covariates or identifiers all missing")
    return frame.loc[keep], values.loc[keep], int((~keep).sum())


def _fixed_design(values: pd.DataFrame, time: str, covariates: list[str]) -> np.ndarray:
    """``X = [1, time, covariates]``, refused with the reason when its columns are collinear."""
    t = values[time].to_numpy()
    X = np.column_stack([np.ones(len(values)), t, values[covariates].to_numpy()])
    rank = int(np.linalg.matrix_rank(X))
    if rank < X.shape[1]:
        if np.ptp(t) == 0:
            raise ValueError(f"time column {time!r} does not vary")
        constant = [c for c in covariates if np.ptp(values[c].to_numpy()) == 0]
        detail = f"; constant: {constant}" if constant else ""
        raise ValueError(
            f"the fixed effects Intercept, {time}, {', '.join(covariates) or '-'} are collinear "
            f"(rank {rank} of {X.shape[1]}){detail}"
        )
    if len(values) <= X.shape[1]:
        raise ValueError(f"{len(values)} observations are too few for {X.shape[1]} fixed effects")
    return X


def fit_growth(
    data: pd.DataFrame,
    outcome: str,
    *,
    time: str = "wave",
    team: str = "team",
    person: str | None = None,
    covariates: Sequence[str] = (),
    team_slope: bool = True,
    ddf: str = "satterthwaite",
) -> GrowthResult:
    """Fit a linear growth model with random team trajectories by REML, as lme4 does.

    Parameters
    ----------
    data:
        Long data, one row per measurement (person x wave).
    outcome:
        Column of the outcome (e.g. a scale score).
    time:
        Numeric time column (waves); its fixed effect is the average slope.
    team:
        Team identifier column.
    person:
        Person identifier column, unique within team (persons are identified by team:person);
        ``None`` for a two-level model without person effects.
    covariates:
        Further numeric columns with fixed effects (e.g. ``post`` and ``since`` from
        :func:`analysis.code_interventions`).
    team_slope:
        Random team slopes on ``time`` correlated with the team intercepts (``(time | team)``);
        ``False`` for random team intercepts only (``(1 | team)``).
    ddf:
        Denominator degrees of freedom of the t tests and intervals: ``"satterthwaite"``
        (default; lmerTest's), ``"kenward-roger"`` (pbkrtest's, with its adjusted standard
        errors) or ``"wald"`` (the normal reference: no small-sample correction).

    Returns
    -------
    GrowthResult
        Fixed effects with t tests and intervals, variance components, REML
        log-likelihood, singularity and convergence flags and team trajectories.

    Raises
    ------
    ValueError
        For a missing or non-numeric column, too few teams, persons or observations for the
        random effects, or collinear fixed effects.
    TypeError
        If ``data`` is not a DataFrame.

    Notes
    -----
    The model (Singer & Willett 2003, ch. 4, with a third level for teams) is, in lme4's
    notation, ``outcome ~ time + covariates + (time | team) + (1 | team:person)``; for
    measurement ``t`` of person ``i`` in team ``j``

    ``y_tij = b0 + b1 time_tij + c' x_tij + u0j + u1j time_tij + v_ij + e_tij``

    with ``(u0j, u1j) ~ N(0, Sigma_team)``, ``v_ij ~ N(0, tau^2)`` and ``e_tij ~ N(0, sigma^2)``.
    In matrix form ``y = X beta + Z b + e`` with ``b = Lambda_theta u``, ``u ~ N(0, sigma^2 I)``
    and ``Lambda_theta`` block diagonal: a lower-triangular ``T`` per team
    (``Sigma_team = sigma^2 T T'``) and ``theta_person`` per person
    (``tau^2 = sigma^2 theta_person^2``). ``theta`` maximises the profiled REML criterion
    (Bates et al. 2015, eq. 41)

    ``-2 l_R(theta) = log|L_theta|^2 + log|R_X|^2 + (n - p) (1 + log(2 pi r^2 / (n - p)))``

    computed by :func:`analysis.reml.reml_deviance_gradient`, from several starts by
    L-BFGS-B with the analytic gradient and the bounds lme4 uses; the best optimum is kept.
    Then ``sigma^2 = r^2 / (n - p)`` and the fixed-effect covariance is
    ``sigma^2 (R_X' R_X)^{-1} = (X' V^{-1} X)^{-1}`` with
    ``V = sigma^2 (I + Z Lambda Lambda' Z')``. Team deviations are the conditional modes
    ``b = Lambda u`` with conditional variance ``sigma^2 Lambda (L L')^{-1} Lambda'`` given
    ``beta``; the team trajectory's prediction variance comes from the inverse of Henderson's
    mixed-model equations. A singular fit (lme4's rule) is reported with a simpler model to fit.

    Tests and intervals use ``t = estimate / se`` against a t distribution whose denominator
    df depend on ``ddf``. Satterthwaite (lmerTest; Kuznetsova et al. 2017): for an estimate
    with variance ``v(phi)``, ``phi = (theta, sigma)``, ``df = 2 v^2 / (g' A g)`` with
    ``g = dv / dphi`` and ``A = 2 H^+`` the inverse Hessian of the REML criterion at the
    optimum (:func:`analysis.ddf.varpar_covariance`, :func:`analysis.ddf.satterthwaite_df`).
    Kenward-Roger (pbkrtest; Kenward & Roger 1997): the fixed-effect covariance is inflated
    for the uncertainty of the variance parameters and the df come from the moments of the
    Wald statistic (:func:`analysis.ddf.kenward_roger`). Wald: ``df = inf``, the normal
    reference, liberal with few teams for team-level terms (the intercept, the time slope
    with team slopes, covariates constant within team). The team trajectories (BLUP-based
    predictions) take Satterthwaite df computed the same way from their prediction-error
    variance (Giesbrecht & Burns 1985) under both small-sample methods, and ``inf`` under
    Wald. Reproduces lmerTest 3.1-3 and pbkrtest 0.5.2 on ``tests/reference``.

    References
    ----------
    Bates, D., Maechler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. Journal of Statistical Software, 67(1), 1-48.

    Singer, J. D. & Willett, J. B. (2003). Applied Longitudinal Data Analysis. Oxford
    University Press.

    Kuznetsova, A., Brockhoff, P. B. & Christensen, R. H. B. (2017). lmerTest package: tests
    in linear mixed effects models. Journal of Statistical Software, 82(13), 1-26.

    Kenward, M. G. & Roger, J. H. (1997). Small sample inference for fixed effects from
    restricted maximum likelihood. Biometrics, 53(3), 983-997.

    Giesbrecht, F. G. & Burns, J. C. (1985). Two-stage analysis based on a mixed model.
    Biometrics, 41(2), 477-486.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> team = np.repeat(np.arange(12), 20)
    >>> person = np.repeat(np.arange(60), 4)
    >>> wave = np.tile(np.arange(4), 60)
    >>> score = (4 + 0.2 * wave + rng.normal(0, 0.4, 12)[team] + rng.normal(0, 0.5, 60)[person]
    ...          + rng.normal(0, 0.5, 240))
    >>> data = pd.DataFrame({"team": team, "person": person % 5, "wave": wave, "score": score})
    >>> result = fit_growth(data, "score", person="person")
    >>> result.formula
    'score ~ wave + (wave | team) + (1 | team:person)'
    >>> result.fixed.loc["wave", "estimate"].round(2)
    np.float64(0.2)
    >>> result.n_obs, result.n_teams, result.n_persons
    (240, 12, 60)
    >>> list(result.fixed.columns)
    ['estimate', 'se', 'df', 't', 'p', 'ci_low', 'ci_high']
    >>> bool(result.fixed.loc["Intercept", "df"] < 15)
    True
    """
    return _growth_result(
        _fit(data, outcome, time, team, person, list(covariates), team_slope, ddf), ddf
    )


@dataclass(frozen=True)
class _Fitted:
    """A REML fit of :func:`fit_growth`'s model with what its tables and inference need."""

    fit: REMLFit
    design: NestedDesign
    kr_inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
    team_labels: pd.Index
    team_n: np.ndarray
    n_obs: int
    n_persons: int | None
    n_dropped: int
    formula: str
    terms: list[str]
    names: tuple[str, str, str | None]
    team_slope: bool


def _fit(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    team: str,
    person: str | None,
    covariates: list[str],
    team_slope: bool,
    ddf: str,
) -> _Fitted:
    """Check the data and fit the model by REML (:func:`fit_growth` without the inference)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if ddf not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {', '.join(map(repr, DDF_METHODS))}; got {ddf!r}")
    frame, values, n_dropped = _complete_rows(data, outcome, time, team, person, covariates)
    n_obs = len(frame)

    try:
        team_codes, team_labels = pd.factorize(frame[team], sort=True)
    except TypeError:  # labels of mixed types cannot be sorted: keep their order of appearance
        team_codes, team_labels = pd.factorize(frame[team], sort=False)
    n_teams = len(team_labels)
    if n_teams < 2:
        raise ValueError(f"need at least 2 teams for a team random effect, found {n_teams}")
    person_codes: np.ndarray | None = None
    n_persons: int | None = None
    if person is not None:
        person_codes = frame.groupby([team, person], sort=False, observed=True).ngroup().to_numpy()
        n_persons = int(person_codes.max()) + 1
        if n_persons >= n_obs:
            raise ValueError(
                f"the number of persons ({n_persons}) must be less than the number of "
                f"observations ({n_obs}): with one measurement per person the person variance "
                "cannot be told from the residual; use person=None"
            )
    q = 2 if team_slope else 1
    if n_teams * q >= n_obs:
        raise ValueError(f"{n_obs} observations are too few for {n_teams * q} team random effects")

    y = values[outcome].to_numpy()
    X = _fixed_design(values, time, covariates)
    Z_team = X[:, :q]
    design = prepare_design(y, X, Z_team, team_codes.astype(np.intp), person_codes)
    return _Fitted(
        fit=fit_reml(design),
        design=design,
        kr_inputs=(X, Z_team, team_codes.astype(np.intp), person_codes),
        team_labels=pd.Index(team_labels),
        team_n=np.bincount(team_codes, minlength=n_teams),
        n_obs=n_obs,
        n_persons=n_persons,
        n_dropped=n_dropped,
        formula=_formula(outcome, time, team, person, covariates, team_slope),
        terms=["Intercept", time, *covariates],
        names=(time, team, person),
        team_slope=team_slope,
    )


def _growth_result(fitted: _Fitted, ddf: str) -> GrowthResult:
    """The tables, tests and intervals of a fit (:func:`fit_growth`)."""
    fit, team_slope = fitted.fit, fitted.team_slope
    time, team, person = fitted.names
    inference = _inference(fit, fitted.design, ddf, fitted.kr_inputs, team_slope)
    terms = fitted.terms
    fixed = _fixed_table(terms, fit.beta, inference.fixed_se, inference.fixed_df)
    cov_fixed = pd.DataFrame(fit.cov_beta, index=terms, columns=terms)
    variance = _variance_table(fit, time, team, person, team_slope)
    team_effects = _team_table(fit, inference, fitted.team_labels, fitted.team_n, team, team_slope)
    suggestion, options = _suggestion(fit, team_slope, person is not None, team, person)
    return GrowthResult(
        formula=fitted.formula,
        fixed=fixed,
        cov_fixed=cov_fixed,
        variance=variance,
        loglik=-fit.deviance / 2.0,
        singular=fit.singular,
        converged=fit.converged,
        n_obs=fitted.n_obs,
        n_teams=len(fitted.team_labels),
        n_persons=fitted.n_persons,
        n_dropped=fitted.n_dropped,
        team_effects=team_effects,
        theta=tuple(float(v) for v in fit.theta),
        suggestion=suggestion,
        simpler_options=options,
        ddf=ddf,
        ddf_note=inference.note,
    )


def fit_growth_simplified(
    data: pd.DataFrame,
    outcome: str,
    *,
    time: str = "wave",
    team: str = "team",
    person: str | None = None,
    covariates: Sequence[str] = (),
    ddf: str = "satterthwaite",
) -> tuple[GrowthResult, str]:
    """Fit :func:`fit_growth`; when the fit is singular, fit the simpler model it suggests.

    lme4's advice for a singular fit (a variance at zero or a correlation at +-1) is to drop
    the random term the data cannot support; this does that once, following
    ``GrowthResult.simpler_options``, and says so.

    ``ddf`` is passed on (see :func:`fit_growth`).

    Returns
    -------
    (GrowthResult, str)
        The fit reported, and a note: empty for a regular fit, otherwise what was simplified.
    """
    fitted = _fit(data, outcome, time, team, person, list(covariates), True, ddf)
    if not fitted.fit.singular:
        return _growth_result(fitted, ddf), ""
    _suggested, simpler_options = _suggestion(fitted.fit, True, person is not None, team, person)
    if not simpler_options:
        return _growth_result(fitted, ddf), "singular fit; no simpler model to offer"
    # The singular fit is not reported: its df and intervals are not computed.
    options: dict[str, Any] = {
        "time": time,
        "team": team,
        "person": person,
        "covariates": covariates,
        "ddf": ddf,
    }
    options.update(simpler_options)
    simpler = fit_growth(data, outcome, **options)
    return simpler, f"singular fit of {fitted.formula}; simpler model {simpler.formula} reported"
