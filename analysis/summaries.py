"""Team means per wave with their t intervals and teams' fitted trajectories (what trajectory figures draw)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["MeanChange", "fitted_trajectories", "mean_change", "team_means"]


def team_means(scores: pd.DataFrame, scales: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Team means of scale scores per wave with t-based intervals.

    .. math:: \\bar y \\pm t_{(1+\\mathrm{level})/2,\\,n-1}\\, s / \\sqrt{n}

    with :math:`s` the standard deviation of the team's scores at that wave (respondents are
    taken as a simple random sample of the team; for the roster of a small team, a
    finite-population correction would narrow the interval).

    Parameters
    ----------
    scores : DataFrame
        :func:`analysis.scale_scores` output (``team``, ``wave`` and one column per scale).
    scales : sequence of str
        The scale columns to summarise.
    level : float
        Coverage of the interval.

    Returns
    -------
    DataFrame
        ``team``, ``wave``, ``scale``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high`` (the
        interval collapses to the mean when ``n`` is 1).

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.

    Examples
    --------
    >>> s = pd.DataFrame({"team": "T", "wave": 1, "me": [4.0, 5.0, 6.0]})
    >>> team_means(s, ["me"])[["n", "mean", "ci_low"]].round(2).to_numpy().tolist()
    [[3.0, 5.0, 2.52]]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    long = scores.melt(
        id_vars=["team", "wave"], value_vars=list(scales), var_name="scale", value_name="score"
    ).dropna(subset=["score"])
    summary = (
        long.groupby(["team", "wave", "scale"], sort=True)["score"]
        .agg(n="size", mean="mean", sd="std")
        .reset_index()
    )
    n = summary["n"].to_numpy(dtype=float)
    sd = summary["sd"].fillna(0.0).to_numpy(dtype=float)
    half = np.zeros_like(n)
    many = n >= 2
    half[many] = stats.t.ppf((1 + level) / 2, n[many] - 1) * sd[many] / np.sqrt(n[many])
    summary["ci_low"] = summary["mean"] - half
    summary["ci_high"] = summary["mean"] + half
    return summary


def fitted_trajectories(team_trajectories: pd.DataFrame, waves: Sequence[int]) -> pd.DataFrame:
    """Each team's fitted trajectory at each wave from its growth-model intercept and slope.

    .. math:: \\hat y_{jt} = (\\beta_0 + u_{0j}) + (\\beta_1 + u_{1j})\\, t

    Parameters
    ----------
    team_trajectories : DataFrame
        ``scale``, ``team``, ``intercept``, ``slope`` (the pipeline's ``team_trajectories``:
        fixed effects plus each team's empirical Bayes deviation).
    waves : sequence of int
        The waves to evaluate the line at.

    Returns
    -------
    DataFrame
        ``scale``, ``team``, ``wave``, ``fitted``.

    Examples
    --------
    >>> t = pd.DataFrame({"scale": ["me"], "team": ["A"], "intercept": [3.0], "slope": [0.5]})
    >>> fitted_trajectories(t, [1, 2])["fitted"].tolist()
    [3.5, 4.0]
    """
    columns = ["scale", "team", "wave", "fitted"]
    if team_trajectories.empty or not len(waves):
        return pd.DataFrame(columns=columns)
    grid = pd.DataFrame({"wave": [int(w) for w in waves]})
    out = team_trajectories[["scale", "team", "intercept", "slope"]].merge(grid, how="cross")
    out["fitted"] = out["intercept"] + out["slope"] * out["wave"]
    return out[columns].reset_index(drop=True)


@dataclass(frozen=True)
class MeanChange:
    """The change of a team mean from one wave to another, with its interval.

    ``estimate`` is ``after - before``; ``ci_low`` and ``ci_high`` are NaN when either wave
    has fewer than two respondents. ``clear`` is true when the interval excludes zero.
    """

    estimate: float
    ci_low: float
    ci_high: float
    df: float

    @property
    def clear(self) -> bool:
        """Whether the interval excludes zero (a change beyond sampling noise)."""
        return bool(self.ci_low > 0 or self.ci_high < 0)


def mean_change(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, level: float = 0.95
) -> MeanChange:
    """Welch's interval for the change of a mean between two waves.

    .. math::

        d = \\bar y_2 - \\bar y_1, \\quad
        \\operatorname{SE} = \\sqrt{s_1^2/n_1 + s_2^2/n_2}, \\quad
        \\nu = \\frac{\\operatorname{SE}^4}{\\frac{(s_1^2/n_1)^2}{n_1-1} +
        \\frac{(s_2^2/n_2)^2}{n_2-1}}, \\quad
        d \\pm t_{(1+\\mathrm{level})/2,\\,\\nu}\\,\\operatorname{SE}

    The two waves are treated as independent samples. Many members answer both, and their
    answers correlate positively, so the interval is, if anything, wider than a paired one:
    a change it calls clear is clear. Used to describe every change in a manager brief by
    one rule ("about the same" unless the interval excludes zero).

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika*, 34(1-2), 28-35.

    Examples
    --------
    >>> change = mean_change([3.0, 3.5, 4.0, 3.5], [5.0, 5.5, 6.0, 5.5])
    >>> round(change.estimate, 2), change.clear
    (2.0, True)
    >>> mean_change([3.0, 4.0, 5.0], [3.5, 4.5, 4.0]).clear
    False
    """
    one = np.asarray(before, dtype=float)
    two = np.asarray(after, dtype=float)
    one, two = one[~np.isnan(one)], two[~np.isnan(two)]
    if not len(one) or not len(two):
        nan = float("nan")
        return MeanChange(nan, nan, nan, nan)
    estimate = float(two.mean() - one.mean())
    if len(one) < 2 or len(two) < 2:
        return MeanChange(estimate, float("nan"), float("nan"), float("nan"))
    v1, v2 = one.var(ddof=1) / len(one), two.var(ddof=1) / len(two)
    se = float(np.sqrt(v1 + v2))
    if se == 0:
        return MeanChange(estimate, estimate, estimate, float("inf"))
    df = float(se**4 / (v1**2 / (len(one) - 1) + v2**2 / (len(two) - 1)))
    half = float(stats.t.ppf((1 + level) / 2, df)) * se
    return MeanChange(estimate, estimate - half, estimate + half, df)
