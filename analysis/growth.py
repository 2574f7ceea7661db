"""Three-level growth models (waves in persons in teams) fitted by REML as lme4 fits them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.reml import SINGULAR_TOL, REMLFit, fit_reml, prepare_design

__all__ = ["GrowthResult", "fit_growth", "fit_growth_simplified"]

_Z_975 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class GrowthResult:
    """A growth model fitted by REML (see :func:`fit_growth`).

    Attributes
    ----------
    formula:
        The model in lme4's notation, e.g. ``JSAT ~ wave + (wave | team) + (1 | team:person)``.
    fixed:
        Fixed effects indexed by term (``Intercept``, the time name, each covariate) with columns
        ``estimate``, ``se``, ``z``, ``p`` and the Wald 95% interval ``ci_low``, ``ci_high``.
    cov_fixed:
        Covariance matrix of the fixed effects, ``sigma^2 (X' V^-1 X)^-1`` (lme4's ``vcov``).
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
        fixed effects) and 95% intervals (``_ci_low``, ``_ci_high``); and the team trajectory
        ``intercept`` and ``slope`` (fixed effect + team deviation, covariates at 0) with
        prediction standard errors that include the uncertainty of the fixed effects and 95%
        intervals. Without a team slope ``re_slope`` is 0 and ``slope`` is the fixed slope.
    theta:
        lme4's ``theta``: the relative covariance factor of the team effects by columns, then
        that of the person intercepts.
    suggestion:
        For a singular fit, which simpler model to fit and why; ``None`` otherwise.
    simpler_options:
        Keyword arguments of :func:`fit_growth` for that simpler model (e.g.
        ``{"team_slope": False}``); ``None`` when there is none to offer.
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


def _fixed_table(terms: list[str], beta: np.ndarray, cov: np.ndarray) -> pd.DataFrame:
    se = np.sqrt(np.diag(cov))
    z = beta / se
    table = pd.DataFrame(
        {
            "estimate": beta,
            "se": se,
            "z": z,
            "p": 2.0 * stats.norm.sf(np.abs(z)),
            "ci_low": beta - _Z_975 * se,
            "ci_high": beta + _Z_975 * se,
        },
        index=pd.Index(terms, name="term"),
    )
    return table


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


def _interval_columns(prefix: str, estimate: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
    return {
        prefix: estimate,
        f"{prefix}_se": se,
        f"{prefix}_ci_low": estimate - _Z_975 * se,
        f"{prefix}_ci_high": estimate + _Z_975 * se,
    }


def _team_table(
    fit: REMLFit,
    team_labels: pd.Index,
    team_n: np.ndarray,
    team: str,
    team_slope: bool,
) -> pd.DataFrame:
    n_teams = len(team_labels)
    re_var = np.clip(np.diagonal(fit.team_re_cov, axis1=1, axis2=2), 0.0, None)
    pev = np.clip(np.diagonal(fit.team_pev, axis1=1, axis2=2), 0.0, None)
    columns: dict[str, np.ndarray] = {"n_obs": team_n}
    columns |= _interval_columns("re_intercept", fit.team_re[:, 0], np.sqrt(re_var[:, 0]))
    if team_slope:
        columns |= _interval_columns("re_slope", fit.team_re[:, 1], np.sqrt(re_var[:, 1]))
    else:
        columns |= _interval_columns("re_slope", np.zeros(n_teams), np.zeros(n_teams))
    columns |= _interval_columns("intercept", fit.beta[0] + fit.team_re[:, 0], np.sqrt(pev[:, 0]))
    if team_slope:
        columns |= _interval_columns("slope", fit.beta[1] + fit.team_re[:, 1], np.sqrt(pev[:, 1]))
    else:
        slope_se = float(np.sqrt(fit.cov_beta[1, 1]))
        columns |= _interval_columns(
            "slope", np.full(n_teams, fit.beta[1]), np.full(n_teams, slope_se)
        )
    return pd.DataFrame(columns, index=team_labels.rename(team))


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


def fit_growth(
    data: pd.DataFrame,
    outcome: str,
    *,
    time: str = "wave",
    team: str = "team",
    person: str | None = None,
    covariates: Sequence[str] = (),
    team_slope: bool = True,
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

    Returns
    -------
    GrowthResult
        Fixed effects with Wald tests and intervals, variance components, REML
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
    ``V = sigma^2 (I + Z Lambda Lambda' Z')``. Tests are Wald ``z = estimate / se`` against the
    standard normal, as are the 95% intervals; with few teams these are liberal for
    team-level terms. Team deviations are the conditional modes ``b = Lambda u`` with
    conditional variance ``sigma^2 Lambda (L L')^{-1} Lambda'`` given ``beta``; the team
    trajectory's prediction variance comes from the inverse of Henderson's mixed-model
    equations. A singular fit (lme4's rule) is reported with a simpler model to fit.

    References
    ----------
    Bates, D., Maechler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. Journal of Statistical Software, 67(1), 1-48.

    Singer, J. D. & Willett, J. B. (2003). Applied Longitudinal Data Analysis. Oxford
    University Press.

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
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    covariates = list(covariates)
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
    n_dropped = int((~keep).sum())
    frame = frame.loc[keep]
    values = values.loc[keep]
    n_obs = len(frame)
    if n_obs == 0:
        raise ValueError("no complete rows: outcome, time, covariates or identifiers all missing")

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
    t = values[time].to_numpy()
    X = np.column_stack([np.ones(n_obs), t, values[covariates].to_numpy()])
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
    if n_obs <= X.shape[1]:
        raise ValueError(f"{n_obs} observations are too few for {X.shape[1]} fixed effects")
    Z_team = X[:, :q]
    design = prepare_design(y, X, Z_team, team_codes.astype(np.intp), person_codes)
    fit = fit_reml(design)

    terms = ["Intercept", time, *covariates]
    fixed = _fixed_table(terms, fit.beta, fit.cov_beta)
    cov_fixed = pd.DataFrame(fit.cov_beta, index=terms, columns=terms)
    variance = _variance_table(fit, time, team, person, team_slope)
    team_n = np.bincount(team_codes, minlength=n_teams)
    team_labels_index = pd.Index(team_labels)
    team_effects = _team_table(fit, team_labels_index, team_n, team, team_slope)
    suggestion, options = _suggestion(fit, team_slope, person is not None, team, person)
    return GrowthResult(
        formula=_formula(outcome, time, team, person, covariates, team_slope),
        fixed=fixed,
        cov_fixed=cov_fixed,
        variance=variance,
        loglik=-fit.deviance / 2.0,
        singular=fit.singular,
        converged=fit.converged,
        n_obs=n_obs,
        n_teams=n_teams,
        n_persons=n_persons,
        n_dropped=n_dropped,
        team_effects=team_effects,
        theta=tuple(float(v) for v in fit.theta),
        suggestion=suggestion,
        simpler_options=options,
    )


def fit_growth_simplified(
    data: pd.DataFrame,
    outcome: str,
    *,
    time: str = "wave",
    team: str = "team",
    person: str | None = None,
    covariates: Sequence[str] = (),
) -> tuple[GrowthResult, str]:
    """Fit :func:`fit_growth`; when the fit is singular, fit the simpler model it suggests.

    lme4's advice for a singular fit (a variance at zero or a correlation at +-1) is to drop
    the random term the data cannot support; this does that once, following
    ``GrowthResult.simpler_options``, and says so.

    Returns
    -------
    (GrowthResult, str)
        The fit reported, and a note: empty for a regular fit, otherwise what was simplified.
    """
    options: dict[str, Any] = {
        "time": time,
        "team": team,
        "person": person,
        "covariates": covariates,
    }
    fit = fit_growth(data, outcome, **options)
    if not fit.singular:
        return fit, ""
    if not fit.simpler_options:
        return fit, "singular fit; no simpler model to offer"
    options.update(fit.simpler_options)
    simpler = fit_growth(data, outcome, **options)
    return simpler, f"singular fit of {fit.formula}; simpler model {simpler.formula} reported"
