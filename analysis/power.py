"""Simulation-based power planning: how many teams and waves detect an intervention effect."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import product
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.bundle import Bundle
from analysis.simulate import _default_instrument, simulate_study

__all__ = ["PowerResult", "binomial_interval", "power_analysis", "power_table"]

Method = Literal["auto", "growth", "team_means"]
Test = Literal["t", "z"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PowerResult:
    """Estimated power of one design (see :func:`power_analysis`).

    Attributes
    ----------
    teams, members, waves : int
        The design simulated.
    effect, slope_effect : float
        The true level change and slope change of the intervention.
    scale : str
        The scale whose level change is tested.
    reps : int
        Simulated studies.
    alpha : float
        Two-sided significance level of the test of the level change.
    method : str
        ``growth`` (three-level REML growth model, :func:`analysis.growth.fit_growth`) or
        ``team_means`` (OLS on team-wave means with team intercepts and slopes).
    test : str
        ``t`` or ``z``: the reference distribution of the test (see :func:`power_analysis`).
    detections : int
        Studies with ``p < alpha`` for the level change.
    failures : int
        Studies whose model could not be fitted (counted as not detected).
    power : float
        ``detections / reps``.
    ci_low, ci_high : float
        Clopper-Pearson 95% interval for the power.
    mean_estimate : float
        Mean estimated level change over the fitted studies (bias check).
    coverage : float
        Share of fitted studies whose ``1 - alpha`` Wald interval covers ``effect``.
    verdict_accuracy : float
        Share of teams (over all studies) whose formation verdict equals the simulated kind;
        NaN when :func:`analysis.formation.assess_formation` is not available or not asked for.
    seconds : float
        Wall-clock time of the run.
    """

    teams: int
    members: int
    waves: int
    effect: float
    slope_effect: float
    scale: str
    reps: int
    alpha: float
    method: str
    test: str
    detections: int
    failures: int
    power: float
    ci_low: float
    ci_high: float
    mean_estimate: float
    coverage: float
    verdict_accuracy: float
    seconds: float


def binomial_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact) confidence interval for a binomial proportion.

    Parameters
    ----------
    successes, trials : int
        ``x`` and ``n``, ``0 <= x <= n``, ``n >= 1``.
    level : float
        Confidence level ``1 - a``.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Notes
    -----
    ``low = B(a/2; x, n - x + 1)`` (0 when ``x = 0``) and ``high = B(1 - a/2; x + 1, n - x)``
    (1 when ``x = n``), with ``B(q; a, b)`` the beta quantile function.

    References
    ----------
    Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika, 26(4), 404-413.

    Examples
    --------
    >>> low, high = binomial_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4439, 0.9748)
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    a = 1.0 - level
    low = 0.0 if successes == 0 else float(stats.beta.ppf(a / 2, successes, trials - successes + 1))
    high = (
        1.0
        if successes == trials
        else float(stats.beta.ppf(1 - a / 2, successes + 1, trials - successes))
    )
    return low, high


def _scale_scores(bundle: Bundle, scale_id: str) -> pd.DataFrame:
    """Person x wave scores of one scale: reverse-keyed item mean with >= 2/3 items answered."""
    scale = bundle.instrument.scale(scale_id)
    rs = scale.response_scale
    reverse = {item.id for item in scale.items if item.reverse}
    rows = bundle.responses[bundle.responses["item"].isin(scale.item_ids)]
    value = rows["value"].to_numpy(dtype=np.float64)
    flip = rows["item"].isin(reverse).to_numpy()
    value = np.where(flip, rs.min + rs.max - value, value)
    frame = pd.DataFrame(
        {
            "wave": rows["wave"].to_numpy(),
            "team": rows["team"].to_numpy(),
            "respondent": rows["respondent"].to_numpy(),
            "value": value,
        }
    )
    grouped = frame.groupby(["wave", "team", "respondent"], sort=True)["value"]
    out = pd.DataFrame({"score": grouped.mean(), "answered": grouped.count()}).reset_index()
    needed = math.ceil(2 / 3 * len(scale.items) - 1e-9)
    out = out[out["answered"] >= needed]
    return out.drop(columns="answered").reset_index(drop=True)


def _code_post_since(scores: pd.DataFrame, interventions: pd.DataFrame) -> pd.DataFrame:
    """Discontinuous growth coding: ``post = 1[wave >= s]``, ``since = max(0, wave - s)``.

    Uses :func:`analysis.interventions.code_interventions` when it is available.
    """
    try:
        from analysis.interventions import code_interventions
    except ImportError:
        pass
    else:
        return code_interventions(scores, interventions)
    first = interventions.groupby("team")["wave"].min()
    start = scores["team"].map(first).to_numpy(dtype=np.float64)
    wave = scores["wave"].to_numpy(dtype=np.float64)
    treated = ~np.isnan(start)
    post = np.where(treated, wave >= np.where(treated, start, np.inf), False).astype(float)
    since = np.where(post > 0, wave - np.where(treated, start, 0.0), 0.0)
    return scores.assign(post=post, since=since)


def _growth_fitter() -> Callable[..., Any] | None:
    try:
        from analysis.growth import fit_growth
    except ImportError:
        return None
    return fit_growth


def _fit_growth(scores: pd.DataFrame, test: Test = "t") -> tuple[float, float, float]:
    """Level change, its standard error and test df from the growth model (the primary path).

    ``test="t"`` refers ``estimate / se`` to a t distribution with ``J - 2`` degrees of
    freedom (``J`` teams); ``"z"`` keeps the Wald z test that :func:`fit_growth` reports
    (infinite df).
    """
    fit_growth = _growth_fitter()
    if fit_growth is None:  # pragma: no cover - resolved before
        raise RuntimeError("analysis.growth.fit_growth is not available")
    covariates = ["post"] + (["since"] if scores["since"].any() else [])
    result = fit_growth(
        scores, "score", time="wave", team="team", person="respondent", covariates=covariates
    )
    row = result.fixed.loc["post"]
    df = math.inf if test == "z" else float(result.n_teams - 2)
    se = float(row["se"])
    if df < 1 or not (se > 0 and math.isfinite(se)):
        raise ValueError("too few teams or a degenerate standard error for the level change")
    return float(row["estimate"]), se, df


def _fit_team_means(scores: pd.DataFrame, test: Test = "t") -> tuple[float, float, float]:
    """Level change by OLS on team-wave means with team intercepts and team slopes.

    ``ybar_jt = c_j + d_j (t - 1) + Delta post_jt + gamma since_jt + r_jt``: each team's own
    trend absorbs kind and team differences, so the residuals are occasion noise and the
    classical t test (``n - rank`` degrees of freedom) has its nominal size (``test="z"``
    uses the normal reference instead).
    """
    means = (
        scores.groupby(["team", "wave"], sort=True)
        .agg(score=("score", "mean"), post=("post", "first"), since=("since", "first"))
        .reset_index()
    )
    codes, _ = pd.factorize(means["team"], sort=True)
    n_teams = int(codes.max()) + 1
    n = len(means)
    t0 = means["wave"].to_numpy(dtype=np.float64) - 1.0
    dummies = np.zeros((n, n_teams))
    dummies[np.arange(n), codes] = 1.0
    columns = [dummies, dummies * t0[:, None], means[["post"]].to_numpy(dtype=np.float64)]
    if means["since"].any():
        columns.append(means[["since"]].to_numpy(dtype=np.float64))
    X = np.column_stack(columns)
    y = means["score"].to_numpy(dtype=np.float64)
    post_col = 2 * n_teams
    rank = int(np.linalg.matrix_rank(X))
    without = np.delete(X, post_col, axis=1)
    if int(np.linalg.matrix_rank(without)) == rank:
        raise ValueError("the level change is not estimable in this simulated study")
    df = n - rank
    if df < 1:
        raise ValueError("no residual degrees of freedom for the team-means model")
    pinv = np.linalg.pinv(X.T @ X)
    beta = pinv @ X.T @ y
    resid = y - X @ beta
    sigma2 = float(resid @ resid) / df
    se = math.sqrt(sigma2 * pinv[post_col, post_col])
    estimate = float(beta[post_col])
    if not (se > 0 and math.isfinite(se)):
        raise ValueError("degenerate standard error for the level change")
    return estimate, se, math.inf if test == "z" else float(df)


def _formation_assessor() -> Callable[..., Any] | None:
    try:
        from analysis.formation import assess_formation
    except ImportError:
        return None
    return assess_formation


def _resolve_method(method: Method) -> str:
    if method not in ("auto", "growth", "team_means"):
        raise ValueError(f"method must be 'auto', 'growth' or 'team_means', got {method!r}")
    if method == "team_means":
        return method
    if _growth_fitter() is not None:
        return "growth"
    if method == "growth":
        raise ValueError("method='growth' needs analysis.growth.fit_growth, which is not available")
    return "team_means"


def power_analysis(
    *,
    teams: int,
    members: int,
    waves: int,
    effect: float,
    reps: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
    scale: str = "mutual_engagement",
    slope_effect: float = 0.0,
    intervention_share: float = 0.5,
    method: Method = "auto",
    test: Test = "t",
    verdicts: bool = True,
    progress: Progress | None = None,
) -> PowerResult:
    """Power to detect an intervention's level change, and formation-verdict accuracy.

    Simulates ``reps`` studies with :func:`analysis.simulate.simulate_study` (the four team
    kinds in turn, ``intervention_share`` of teams with a staggered intervention), scores
    ``scale`` per respondent and wave, fits the discontinuous growth model and counts the
    studies where the level change is significant.

    Parameters
    ----------
    teams, members, waves : int
        The planned design (``members`` is the typical team size).
    effect : float
        True level change on the practice scales (1..7 metric); 0 checks the test's size.
    reps : int
        Number of simulated studies.
    alpha : float
        Two-sided significance level.
    seed : int
        Seed; the same seed gives the same studies (common random numbers across designs).
    scale : str
        Scale tested (a practice scale carries the effect).
    slope_effect : float
        True slope change per wave since the intervention.
    intervention_share : float
        Share of teams with an intervention.
    method : {"auto", "growth", "team_means"}
        ``growth`` fits ``score ~ wave + post + since + (wave | team) + (1 | team:respondent)``
        by REML (:func:`analysis.growth.fit_growth`), Wald test of ``post``; ``team_means`` fits
        OLS on team-wave means with team intercepts and slopes, t test of ``post``. ``auto``
        uses the growth model whenever it is available.
    test : {"t", "z"}
        Reference distribution of ``estimate / se``. ``t`` (default): for the growth model a
        t distribution with ``J - 2`` degrees of freedom (``J`` teams), the between-within
        choice for designs with few clusters, because the Wald z test is liberal with few
        teams (about 13% rejections at ``alpha = .05`` with 8 teams, 5% with 32, in this
        simulator); for ``team_means`` the OLS t with ``n - rank`` df. ``z``: the normal
        reference (what :func:`analysis.growth.fit_growth` reports).
    verdicts : bool
        Also run :func:`analysis.formation.assess_formation` (if it exists) on each study and
        report the share of teams with the right verdict.
    progress : callable, optional
        Called as ``progress(done, reps)`` after each study.

    Returns
    -------
    PowerResult

    Notes
    -----
    With ``d`` detections in ``R`` studies, power is ``d / R`` with a Clopper-Pearson interval
    (:func:`binomial_interval`); its Monte Carlo standard error is ``sqrt(p (1 - p) / R)``
    (about 0.035 at ``p = 0.5``, ``R = 200``). Intervention coding (Bliese & Lang 2016):
    ``post = 1[t >= s_j]``, ``since = max(0, t - s_j)``, ``s_j`` the first wave after the
    intervention began; the level change is the coefficient of ``post``. A study whose model
    cannot be fitted counts as a non-detection and is reported in ``failures``.

    References
    ----------
    Arnold, B. F., Hogan, D. R., Colford, J. M. & Hubbard, A. E. (2011). Simulation methods to
    estimate design power: an overview for applied research. BMC Medical Research Methodology,
    11, 94. Li, P. & Redden, D. T. (2015). Comparing denominator degrees of freedom
    approximations for the generalized linear mixed model in analyzing binary outcome in small
    sample cluster-randomized trials. BMC Medical Research Methodology, 15, 38.
    Bliese, P. D. & Lang, J. W. B. (2016). Understanding relative and absolute change in
    discontinuous growth models. Organizational Research Methods, 19(4), 562-592.

    Examples
    --------
    >>> result = power_analysis(teams=8, members=8, waves=5, effect=1.0, reps=10,
    ...                         method="team_means", verdicts=False)
    >>> result.reps, result.power > 0.5
    (10, True)
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not math.isfinite(effect):
        raise ValueError(f"effect must be a finite number, got {effect}")
    if test not in ("t", "z"):
        raise ValueError(f"test must be 't' or 'z', got {test!r}")
    if teams < 3:
        raise ValueError(f"power planning needs at least 3 teams, got {teams}")
    if waves < 4:
        raise ValueError(f"an intervention design needs at least 4 waves, got {waves}")
    if round(intervention_share * teams) < 1:
        raise ValueError(
            f"no team gets an intervention with teams={teams} and "
            f"intervention_share={intervention_share}"
        )
    scale_ids = _default_instrument().scale_ids
    if scale not in scale_ids:
        raise ValueError(f"unknown scale {scale!r}; scales: {', '.join(scale_ids)}")
    chosen = _resolve_method(method)
    fit = _fit_growth if chosen == "growth" else _fit_team_means
    assess = _formation_assessor() if verdicts else None
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(reps)]
    started = time.perf_counter()
    detections = failures = 0
    estimates: list[float] = []
    covered = 0
    correct = judged = 0
    for done, rep_seed in enumerate(seeds, start=1):
        study = simulate_study(
            teams=teams,
            members=members,
            waves=waves,
            seed=rep_seed,
            effect=effect,
            slope_effect=slope_effect,
            intervention_share=intervention_share,
        )
        scores = _code_post_since(_scale_scores(study.bundle, scale), study.bundle.interventions)
        try:
            estimate, se, df = fit(scores, test)
        except (ValueError, np.linalg.LinAlgError):
            failures += 1
        else:
            reference = stats.norm if math.isinf(df) else stats.t(df)
            estimates.append(estimate)
            p = float(2.0 * reference.sf(abs(estimate / se)))
            detections += int(p < alpha)
            covered += int(abs(estimate - effect) <= float(reference.ppf(1 - alpha / 2)) * se)
        if assess is not None:
            verdict = assess(study.bundle)
            if "team" in verdict.columns:
                verdict = verdict.set_index("team")
            expected = study.truth.set_index("team")["expected_verdict"]
            got = verdict["verdict"].reindex(expected.index)
            correct += int((got == expected).sum())
            judged += len(expected)
        if progress is not None:
            progress(done, reps)
    low, high = binomial_interval(detections, reps)
    fitted = len(estimates)
    return PowerResult(
        teams=teams,
        members=members,
        waves=waves,
        effect=float(effect),
        slope_effect=float(slope_effect),
        scale=scale,
        reps=reps,
        alpha=alpha,
        method=chosen,
        test=test,
        detections=detections,
        failures=failures,
        power=detections / reps,
        ci_low=low,
        ci_high=high,
        mean_estimate=float(np.mean(estimates)) if fitted else math.nan,
        coverage=covered / fitted if fitted else math.nan,
        verdict_accuracy=correct / judged if judged else math.nan,
        seconds=time.perf_counter() - started,
    )


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def power_table(
    *,
    teams: Sequence[int] | int,
    members: Sequence[int] | int = 10,
    waves: Sequence[int] | int = 6,
    effect: Sequence[float] | float = 0.5,
    reps: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
    scale: str = "mutual_engagement",
    method: Method = "auto",
    test: Test = "t",
    verdicts: bool = True,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Power over a grid of designs (every combination of the values given).

    Parameters
    ----------
    teams, members, waves, effect : int, float or sequences of them
        The grid; single values are held fixed.
    reps, alpha, seed, scale, method, test, verdicts :
        As in :func:`power_analysis` (the same seed for every design, so designs are compared
        on common random numbers).
    progress : callable, optional
        Called as ``progress(done, total)`` after each simulated study of the whole grid.

    Returns
    -------
    DataFrame
        One row per design with the fields of :class:`PowerResult`, in grid order.

    Notes
    -----
    Each row is :func:`power_analysis` for one design; see there for the estimator and the
    Clopper-Pearson interval.

    Examples
    --------
    >>> table = power_table(teams=[4, 12], members=8, waves=5, effect=1.0, reps=5,
    ...                     method="team_means", verdicts=False)
    >>> table[["teams", "reps"]].to_dict("list")
    {'teams': [4, 12], 'reps': [5, 5]}
    """
    grid = list(product(_as_list(teams), _as_list(members), _as_list(waves), _as_list(effect)))
    total = len(grid) * reps
    rows: list[dict[str, Any]] = []
    for k, (n_teams, n_members, n_waves, size) in enumerate(grid):
        offset = k * reps

        def step(done: int, _reps: int, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + done, total)

        result = power_analysis(
            teams=int(n_teams),
            members=int(n_members),
            waves=int(n_waves),
            effect=float(size),
            reps=reps,
            alpha=alpha,
            seed=seed,
            scale=scale,
            method=method,
            test=test,
            verdicts=verdicts,
            progress=step,
        )
        rows.append(asdict(result))
    return pd.DataFrame(rows)
