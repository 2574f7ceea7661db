"""Simulation-based power planning: how many teams and waves detect an intervention effect."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import product
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from analysis.bundle import Bundle
from analysis.formation import assess_formation
from analysis.growth import fit_growth
from analysis.interventions import code_interventions
from analysis.scoring import MIN_ANSWERED_SHARE
from analysis.simulate import _default_instrument, simulate_study

if TYPE_CHECKING:  # joblib is imported when replications run, not by every copkit command
    from joblib import Parallel

__all__ = ["PowerResult", "binomial_interval", "power_analysis", "power_table"]

Method = Literal["auto", "growth", "team_means"]
Ddf = Literal["satterthwaite", "kenward-roger", "wald"]
Progress = Callable[[int, int], None]
_Setting = TypeVar("_Setting")
_Outcome = TypeVar("_Outcome")


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
    ddf : str
        Denominator degrees of freedom of the test (see :func:`power_analysis`).
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
        Share of fitted studies whose ``1 - alpha`` interval (t with the test's df) covers
        ``effect``.
    verdict_accuracy : float
        Share of teams (over all studies) whose formation verdict equals the simulated kind;
        NaN when :func:`analysis.formation.assess_formation` is not available or not asked for.
    seconds : float
        Wall-clock time of the run. In a grid (:func:`power_table`), whose replications run as
        one stream, the time from the previous design's last result (or the start) to this
        design's last result, so that the rows add up to the whole run.
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
    ddf: str
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
    (1 when ``x = n``), with ``B(q; a, b)`` the beta quantile function; computed by
    statsmodels' ``proportion_confint(method="beta")``, which gives R's ``binom.test``
    interval.

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
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, trials, alpha=1.0 - level, method="beta")
    return float(low), float(high)


def _scale_scores(bundle: Bundle, scale_id: str) -> pd.DataFrame:
    """Person x wave scores of one scale: reverse-keyed item mean with at least
    :data:`~analysis.scoring.MIN_ANSWERED_SHARE` of the items answered."""
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
    needed = math.ceil(MIN_ANSWERED_SHARE * len(scale.items) - 1e-9)
    out = out[out["answered"] >= needed]
    return out.drop(columns="answered").reset_index(drop=True)


def _code_post_since(scores: pd.DataFrame, interventions: pd.DataFrame) -> pd.DataFrame:
    """Discontinuous growth coding (:func:`analysis.interventions.code_interventions`):
    ``post = 1[wave >= s]``, ``since = max(0, wave - s)``."""
    return code_interventions(scores, interventions)


def _fit_growth(scores: pd.DataFrame, ddf: Ddf = "satterthwaite") -> tuple[float, float, float]:
    """Level change, its standard error and test df from the growth model (the primary path).

    The df are those :func:`analysis.growth.fit_growth` reports for ``post`` with ``ddf``
    (Satterthwaite by default; ``inf`` for Wald); with Kenward-Roger the standard error is the
    adjusted one.
    """
    covariates = ["post"] + (["since"] if scores["since"].any() else [])
    result = fit_growth(
        scores,
        "score",
        time="wave",
        team="team",
        person="respondent",
        covariates=covariates,
        ddf=ddf,
    )
    post = result.fixed.loc["post", ["estimate", "se", "df"]].to_numpy(dtype=np.float64)
    estimate, se, df = (float(value) for value in post)
    if not (df > 0) or not (se > 0 and math.isfinite(se)):
        raise ValueError("degenerate standard error or df for the level change")
    return estimate, se, df


def _fit_team_means(scores: pd.DataFrame, ddf: Ddf = "satterthwaite") -> tuple[float, float, float]:
    """Level change by OLS on team-wave means with team intercepts and team slopes.

    ``ybar_jt = c_j + d_j (t - 1) + Delta post_jt + gamma since_jt + r_jt``: each team's own
    trend absorbs kind and team differences, so the residuals are occasion noise and the
    classical t test (``n - rank`` degrees of freedom) has its nominal size (``ddf="wald"``
    uses the normal reference instead). Fitted by statsmodels' formula OLS
    (``score ~ 0 + C(team) + C(team):t0 + post [+ since]``; a pseudo-inverse where the design
    is rank deficient, with ``n - rank`` residual df, as R's ``lm``).
    """
    means = (
        scores.groupby(["team", "wave"], sort=True)
        .agg(score=("score", "mean"), post=("post", "first"), since=("since", "first"))
        .reset_index()
    )
    means["t0"] = means["wave"].astype(float) - 1.0
    formula = "score ~ 0 + C(team) + C(team):t0 + post" + (
        " + since" if means["since"].any() else ""
    )
    # Imported here: every worker process imports this module to run replications, and
    # statsmodels' formula machinery would add about 0.8 CPU s to each worker's start.
    import statsmodels.formula.api as smf

    model = smf.ols(formula, data=means)
    X = model.exog
    post_col = model.exog_names.index("post")
    rank = int(np.linalg.matrix_rank(X))
    if int(np.linalg.matrix_rank(np.delete(X, post_col, axis=1))) == rank:
        raise ValueError("the level change is not estimable in this simulated study")
    if len(means) - rank < 1:
        raise ValueError("no residual degrees of freedom for the team-means model")
    fit = model.fit()
    se = float(fit.bse["post"])
    estimate = float(fit.params["post"])
    if not (se > 0 and math.isfinite(se)):
        raise ValueError("degenerate standard error for the level change")
    return estimate, se, math.inf if ddf == "wald" else float(fit.df_resid)


def _resolve_method(method: Method) -> str:
    if method not in ("auto", "growth", "team_means"):
        raise ValueError(f"method must be 'auto', 'growth' or 'team_means', got {method!r}")
    return "team_means" if method == "team_means" else "growth"


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
    ddf: Ddf = "satterthwaite",
    verdicts: bool = True,
    progress: Progress | None = None,
    jobs: int | None = 1,
    scheduler: str | None = None,
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
        by REML (:func:`analysis.growth.fit_growth`), t test of ``post``; ``team_means`` fits
        OLS on team-wave means with team intercepts and slopes, t test of ``post``. ``auto``
        uses the growth model whenever it is available.
    ddf : {"satterthwaite", "kenward-roger", "wald"}
        Denominator degrees of freedom of ``estimate / se``. For the growth model the df (and,
        for Kenward-Roger, the adjusted standard error) that :func:`analysis.fit_growth`
        reports with that method, the same test the evaluator report shows; ``wald`` is the
        normal reference, liberal with few teams. For ``team_means`` the OLS t with
        ``n - rank`` df (the normal reference under ``wald``).
    verdicts : bool
        Also run :func:`analysis.formation.assess_formation` (if it exists) on each study and
        report the share of teams with the right verdict.
    progress : callable, optional
        Called as ``progress(done, reps)`` after each study.
    jobs : int or None
        Worker processes on this machine (joblib's loky backend); ``None`` uses every core, 1
        (the default) runs in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``): the replications run on that
        cluster's workers through joblib's Dask backend instead (``jobs`` is then ignored).

    Returns
    -------
    PowerResult

    Notes
    -----
    With ``d`` detections in ``R`` studies, power is ``d / R`` with a Clopper-Pearson interval
    (:func:`binomial_interval`); its Monte Carlo standard error is ``sqrt(p (1 - p) / R)``
    (about 0.035 at ``p = 0.5``, ``R = 200``). Replication ``r`` simulates its study from the
    ``r``-th child of ``numpy.random.SeedSequence(seed)``, so the result is the same whatever
    the number of workers or where they run. Intervention coding (Bliese & Lang 2016):
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
    design = _checked_design(
        teams=teams,
        members=members,
        waves=waves,
        effect=effect,
        reps=reps,
        alpha=alpha,
        scale=scale,
        slope_effect=slope_effect,
        intervention_share=intervention_share,
        method=method,
        ddf=ddf,
        verdicts=verdicts,
    )
    started = time.perf_counter()
    with _workers(jobs, scheduler) as parallel:
        [(outcomes, finished)] = run_replications(
            parallel, replicate, [design], _replication_seeds(seed, reps), progress
        )
    return _summarise(design, outcomes, finished - started)


@dataclass(frozen=True)
class _Design:
    """Everything one simulated study of a design needs (sent to the workers)."""

    teams: int
    members: int
    waves: int
    effect: float
    slope_effect: float
    intervention_share: float
    scale: str
    method: str
    ddf: str
    alpha: float
    verdicts: bool


@dataclass(frozen=True)
class Replication:
    """What one simulated study gave (see :func:`replicate`).

    Attributes
    ----------
    fitted : bool
        Whether the model of the level change could be fitted.
    detected, covered : bool
        ``p < alpha``; the ``1 - alpha`` interval covers the true effect.
    estimate : float
        The estimated level change (NaN when not fitted).
    correct, judged : int
        Teams whose formation verdict equals the simulated kind, and teams judged (0 when
        verdicts were not asked for).
    """

    fitted: bool
    detected: bool
    covered: bool
    estimate: float
    correct: int
    judged: int


def _checked_design(
    *,
    teams: int,
    members: int,
    waves: int,
    effect: float,
    reps: int,
    alpha: float,
    scale: str,
    slope_effect: float,
    intervention_share: float,
    method: Method,
    ddf: Ddf,
    verdicts: bool,
) -> _Design:
    """The design, once every argument is checked (ValueError naming the bad one)."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not math.isfinite(effect):
        raise ValueError(f"effect must be a finite number, got {effect}")
    if ddf not in ("satterthwaite", "kenward-roger", "wald"):
        raise ValueError(f"ddf must be 'satterthwaite', 'kenward-roger' or 'wald', got {ddf!r}")
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
    return _Design(
        teams=teams,
        members=members,
        waves=waves,
        effect=float(effect),
        slope_effect=float(slope_effect),
        intervention_share=intervention_share,
        scale=scale,
        method=_resolve_method(method),
        ddf=ddf,
        alpha=alpha,
        verdicts=verdicts,
    )


def _replication_seeds(seed: int, reps: int) -> list[int]:
    """One seed per replication, from ``seed`` alone: the same studies whatever the workers."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(reps)]


def replicate(design: _Design, rep_seed: int) -> Replication:
    """Simulate one study of ``design`` with ``rep_seed``, test its level change, judge it.

    A pure function of its arguments, so replications may run in any process, in any order.
    """
    study = simulate_study(
        teams=design.teams,
        members=design.members,
        waves=design.waves,
        seed=rep_seed,
        effect=design.effect,
        slope_effect=design.slope_effect,
        intervention_share=design.intervention_share,
    )
    scores = _code_post_since(_scale_scores(study.bundle, design.scale), study.bundle.interventions)
    fit = _fit_growth if design.method == "growth" else _fit_team_means
    fitted = detected = covered = False
    estimate = math.nan
    try:
        estimate, se, df = fit(scores, design.ddf)  # type: ignore[arg-type]
    except (ValueError, np.linalg.LinAlgError):
        estimate = math.nan
    else:
        fitted = True
        reference = stats.norm if math.isinf(df) else stats.t(df)
        p = float(2.0 * reference.sf(abs(estimate / se)))
        detected = p < design.alpha
        margin = float(reference.ppf(1 - design.alpha / 2)) * se
        covered = abs(estimate - design.effect) <= margin
    correct = judged = 0
    assess = assess_formation if design.verdicts else None
    if assess is not None:
        verdict = assess(study.bundle)
        if "team" in verdict.columns:
            verdict = verdict.set_index("team")
        expected = study.truth.set_index("team")["expected_verdict"]
        got = verdict["verdict"].reindex(expected.index)
        correct = int((got == expected).sum())
        judged = len(expected)
    return Replication(fitted, detected, covered, estimate, correct, judged)


@contextmanager
def _workers(jobs: int | None, scheduler: str | None) -> Iterator[Parallel]:
    """A joblib ``Parallel`` running replications on ``jobs`` local processes (None: every
    core; 1: in this process), or on the Dask cluster whose scheduler is at ``scheduler``."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    from joblib import Parallel, parallel_config

    if scheduler is None:
        # One BLAS thread, as joblib gives each of its worker processes: these matrices are
        # tiny, so more threads only burn CPU, and 1 worker then computes as 2 workers do.
        with (
            threadpool_limits(limits=1, user_api="blas"),
            Parallel(n_jobs=jobs or -1, return_as="generator") as parallel,
        ):
            yield parallel
        return
    try:
        from distributed import Client
    except ImportError as exc:
        raise ValueError(
            "--scheduler needs Dask's distributed package: pip install 'copkit[cluster]'"
        ) from exc
    try:
        client = Client(scheduler, timeout=30)
    except OSError as exc:
        raise ValueError(f"no Dask scheduler answers at {scheduler}: {exc}") from exc
    try:
        with parallel_config(backend="dask"), Parallel(return_as="generator") as parallel:
            yield parallel
    finally:
        client.close()


def run_replications(
    parallel: Parallel,
    replicate: Callable[[_Setting, int], _Outcome],
    settings: Sequence[_Setting],
    seeds: Sequence[int],
    progress: Progress | None,
) -> list[tuple[list[_Outcome], float]]:
    """``replicate(setting, seed)`` for every setting and seed on ``parallel``'s workers.

    The replications of all settings go to the workers as one stream, so that no worker
    idles between one setting's last replications and the next setting's first.

    Parameters
    ----------
    parallel : joblib.Parallel
        The workers (:func:`_workers`), returning results as a generator (in the order given).
    replicate : callable
        A pure, module-level (picklable) function of the setting and a replication's seed.
    settings : sequence
        What each block of replications shares (a design), sent to the workers.
    seeds : sequence of int
        One seed per replication (:func:`_replication_seeds`), the same for every setting.
    progress : callable, optional
        Called as ``progress(done, len(settings) * len(seeds))`` after each replication.

    Returns
    -------
    list of (list, float)
        Per setting, its replications' results in the order of ``seeds`` (whatever the number
        of workers), and the ``time.perf_counter()`` at which its last result arrived.
    """
    from joblib import delayed

    reps = len(seeds)
    total = len(settings) * reps
    blocks: list[tuple[list[_Outcome], float]] = []
    outcomes: list[_Outcome] = []
    tasks = (delayed(replicate)(setting, rep_seed) for setting in settings for rep_seed in seeds)
    for done, outcome in enumerate(parallel(tasks), start=1):
        outcomes.append(outcome)
        if progress is not None:
            progress(done, total)
        if done % reps == 0:
            blocks.append((outcomes, time.perf_counter()))
            outcomes = []
    return blocks


def _summarise(design: _Design, outcomes: Sequence[Replication], seconds: float) -> PowerResult:
    """One design's power from its replications (in seed order)."""
    reps = len(outcomes)
    fitted = [o for o in outcomes if o.fitted]
    detections = sum(o.detected for o in fitted)
    judged = sum(o.judged for o in outcomes)
    low, high = binomial_interval(detections, reps)
    return PowerResult(
        teams=design.teams,
        members=design.members,
        waves=design.waves,
        effect=design.effect,
        slope_effect=design.slope_effect,
        scale=design.scale,
        reps=reps,
        alpha=design.alpha,
        method=design.method,
        ddf=design.ddf,
        detections=detections,
        failures=reps - len(fitted),
        power=detections / reps,
        ci_low=low,
        ci_high=high,
        mean_estimate=float(np.mean([o.estimate for o in fitted])) if fitted else math.nan,
        coverage=sum(o.covered for o in fitted) / len(fitted) if fitted else math.nan,
        verdict_accuracy=sum(o.correct for o in outcomes) / judged if judged else math.nan,
        seconds=seconds,
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
    ddf: Ddf = "satterthwaite",
    verdicts: bool = True,
    progress: Progress | None = None,
    jobs: int | None = 1,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Power over a grid of designs (every combination of the values given).

    Parameters
    ----------
    teams, members, waves, effect : int, float or sequences of them
        The grid; single values are held fixed.
    reps, alpha, seed, scale, method, ddf, verdicts, jobs, scheduler :
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
    designs = [
        _checked_design(
            teams=int(n_teams),
            members=int(n_members),
            waves=int(n_waves),
            effect=float(size),
            reps=reps,
            alpha=alpha,
            scale=scale,
            slope_effect=0.0,
            intervention_share=0.5,
            method=method,
            ddf=ddf,
            verdicts=verdicts,
        )
        for n_teams, n_members, n_waves, size in grid
    ]
    seeds = _replication_seeds(seed, reps)
    started = time.perf_counter()
    with _workers(jobs, scheduler) as parallel:  # one pool, one stream for the whole grid
        blocks = run_replications(parallel, replicate, designs, seeds, progress)
    rows: list[dict[str, Any]] = []
    for design, (outcomes, finished) in zip(designs, blocks, strict=True):
        # a design's time: from the previous design's last result (the start) to its own last
        rows.append(asdict(_summarise(design, outcomes, finished - started)))
        started = finished
    return pd.DataFrame(rows)
