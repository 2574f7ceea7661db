"""Discontinuous growth coding of team interventions and their level and slope changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.growth import GrowthResult, fit_growth

__all__ = [
    "InterventionModels",
    "code_interventions",
    "intervention_effects",
    "intervention_models",
]

_EFFECTS = (("post", "level_change"), ("since", "slope_change"))
_COLUMNS = ("estimate", "se", "df", "t", "p", "ci_low", "ci_high")


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} has no column(s) {', '.join(repr(m) for m in missing)}; "
            f"available: {', '.join(map(str, frame.columns))}"
        )


def _starts(interventions: pd.DataFrame, team: str, wave: str, kind: str | None) -> pd.Series:
    """First intervention wave per team (of the given ``kind`` when one is named)."""
    if not isinstance(interventions, pd.DataFrame):
        raise TypeError(
            f"interventions must be a pandas DataFrame, not {type(interventions).__name__}"
        )
    _require(interventions, [team, wave] + (["kind"] if kind is not None else []), "interventions")
    table = interventions
    if kind is not None:
        table = table.loc[table["kind"] == kind]
        if table.empty:
            kinds = sorted(map(str, interventions["kind"].dropna().unique()))
            raise ValueError(f"no intervention of kind {kind!r}; kinds present: {kinds}")
    if table[team].isna().any():
        raise ValueError(f"interventions has a missing {team!r}")
    start = pd.to_numeric(table[wave], errors="coerce")
    if start.isna().any():
        bad = table.loc[start.isna(), wave].tolist()
        raise ValueError(f"interventions column {wave!r} must hold wave numbers; found {bad}")
    return start.groupby(table[team].to_numpy(), sort=True).min()


def code_interventions(
    data: pd.DataFrame,
    interventions: pd.DataFrame,
    *,
    team: str = "team",
    wave: str = "wave",
    kind: str | None = None,
) -> pd.DataFrame:
    """Code each team's intervention as a discontinuous growth model (``post`` and ``since``).

    Parameters
    ----------
    data:
        Long data with a team column and a numeric wave column.
    interventions:
        One row per intervention with columns named by ``team`` and ``wave`` (the first wave
        measured after the intervention began), usually also ``kind`` and ``description`` (the
        bundle's ``interventions.csv``).
    team, wave:
        Column names, the same in ``data`` and ``interventions``.
    kind:
        Code only interventions of this ``kind``. When a team has several (coded) interventions
        the earliest is used.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``post`` (1 from the team's first post-intervention wave on,
        else 0) and ``since`` (``wave - start`` on post waves, else 0); existing columns of
        those names are replaced. Teams without an intervention are the comparison group
        (``post = since = 0`` throughout); staggered starts (stepped wedge) are coded per
        team. Rows with a missing wave get missing ``post`` and ``since``.
        ``result.attrs["unmatched_teams"]`` lists intervention teams that do not occur in
        ``data`` (they are ignored; check it for misspelt team names).

    Raises
    ------
    ValueError
        For a missing column, a non-numeric wave, or a ``kind`` no intervention has.
    TypeError
        If ``data`` or ``interventions`` is not a DataFrame.

    Notes
    -----
    The discontinuous growth model (Bliese & Lang 2016; Singer & Willett 2003, ch. 6) for
    team ``j`` starting at wave ``s_j`` is

    ``y_tij = b0 + b1 wave + b2 post + b3 since + ...``, ``post = 1[wave >= s_j]``,
    ``since = (wave - s_j) post``,

    so ``b1`` is the pre-intervention (and comparison-team) slope, ``b2`` the change in level
    at the first post wave and ``b3`` the change in slope after it.

    References
    ----------
    Bliese, P. D. & Lang, J. W. B. (2016). Understanding relative and absolute change in
    discontinuous growth models: Coding alternatives and implications for hypothesis testing.
    Organizational Research Methods, 19(4), 562-592.

    Singer, J. D. & Willett, J. B. (2003). Applied Longitudinal Data Analysis. Oxford
    University Press.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"team": ["A"] * 4 + ["B"] * 4, "wave": [1, 2, 3, 4] * 2})
    >>> plan = pd.DataFrame({"team": ["A"], "wave": [3], "kind": ["facilitation"],
    ...                      "description": ["monthly facilitated meetings"]})
    >>> coded = code_interventions(data, plan)
    >>> coded[["post", "since"]].T.to_numpy().tolist()
    [[0, 0, 1, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0]]
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    _require(data, [team, wave], "data")
    if not pd.api.types.is_numeric_dtype(data[wave]):
        raise ValueError(f"data column {wave!r} must be numeric (dtype {data[wave].dtype})")
    starts = _starts(interventions, team, wave, kind)
    present = set(data[team].dropna().unique())
    unmatched = [label for label in starts.index if label not in present]
    start = data[team].map(starts).to_numpy(dtype=float)
    waves = data[wave].to_numpy(dtype=float)
    treated = ~np.isnan(start)
    post = np.zeros(len(data))
    since = np.zeros(len(data))
    post[treated] = (waves[treated] >= start[treated]).astype(float)
    since[treated] = np.where(post[treated] == 1, waves[treated] - start[treated], 0.0)
    missing_wave = np.isnan(waves)
    post[missing_wave] = np.nan
    since[missing_wave] = np.nan
    result = data.copy()
    if missing_wave.any():
        result["post"] = post
        result["since"] = since
    else:
        result["post"] = post.astype(np.int64)
        integral = bool(np.all(since == np.round(since)))
        result["since"] = since.astype(np.int64) if integral else since
    result.attrs["unmatched_teams"] = unmatched
    return result


def intervention_effects(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    interventions: pd.DataFrame,
    *,
    team: str = "team",
    wave: str = "wave",
    person: str | None = None,
    covariates: Sequence[str] = (),
    team_slope: bool = True,
    kind: str | None = None,
    ddf: str = "satterthwaite",
) -> pd.DataFrame:
    """Level and slope change after an intervention, from a discontinuous growth model.

    Parameters
    ----------
    data:
        Long data: team, wave, the outcome column(s) and, optionally, a person column.
    outcome:
        One outcome column or several (e.g. one per scale); each is fitted separately.
    interventions:
        The interventions table (see :func:`code_interventions`).
    team, wave, person:
        Column names; ``person`` adds person intercepts (persons identified within team).
    covariates:
        Further numeric fixed-effect columns.
    team_slope:
        Random team slopes on ``wave`` (``(wave | team)``) or intercepts only.
    kind:
        Use only interventions of this kind (see :func:`code_interventions`).
    ddf:
        Denominator degrees of freedom: ``"satterthwaite"`` (default), ``"kenward-roger"`` or
        ``"wald"`` (see :func:`analysis.fit_growth`).

    Returns
    -------
    pandas.DataFrame
        Two rows per outcome: ``effect`` ``level_change`` (term ``post``) and ``slope_change``
        (term ``since``), with ``estimate``, ``se``, ``df``, ``t``, ``p``, ``ci_low``,
        ``ci_high`` (95%, t distribution with ``df``), ``ddf`` (the method), and the fit's
        ``n_obs``, ``n_teams``, ``n_treated_teams``, ``singular``, ``converged``,
        ``suggestion`` and ``ddf_note``.

    Raises
    ------
    ValueError
        If no team is observed after an intervention, ``since`` never differs from 0 (no team
        observed at two post waves), or for the errors of :func:`code_interventions` and
        :func:`analysis.fit_growth`.

    Notes
    -----
    Each outcome is fitted by REML (:func:`analysis.fit_growth`) as, in lme4's notation,
    ``outcome ~ wave + post + since + covariates + (wave | team) [+ (1 | team:person)]``
    (Bliese & Lang 2016). ``post`` estimates the change in level at the first post-intervention
    wave and ``since`` the change in slope per wave after it, both relative to the trajectory
    the team was on and to the comparison teams.

    References
    ----------
    Bliese, P. D. & Lang, J. W. B. (2016). Understanding relative and absolute change in
    discontinuous growth models: Coding alternatives and implications for hypothesis testing.
    Organizational Research Methods, 19(4), 562-592.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> team = np.repeat(np.arange(16), 6)
    >>> wave = np.tile(np.arange(1, 7), 16)
    >>> start = np.where(np.arange(16) < 8, 4, 99)[team]
    >>> score = (4 + 0.1 * wave + 0.5 * (wave >= start) + rng.normal(0, 0.3, 16)[team]
    ...          + rng.normal(0, 0.2, team.size))
    >>> data = pd.DataFrame({"team": team, "wave": wave, "score": score})
    >>> plan = pd.DataFrame({"team": range(8), "wave": 4})
    >>> effects = intervention_effects(data, "score", plan, team_slope=False)
    >>> effects[["effect", "term"]].to_numpy().tolist()
    [['level_change', 'post'], ['slope_change', 'since']]
    >>> bool(effects.loc[0, "ci_low"] < 0.5 < effects.loc[0, "ci_high"])
    True
    """
    return intervention_models(
        data,
        outcome,
        interventions,
        team=team,
        wave=wave,
        person=person,
        covariates=covariates,
        team_slope=team_slope,
        kind=kind,
        ddf=ddf,
    ).effects


@dataclass(frozen=True)
class InterventionModels:
    """The discontinuous growth models of one or more outcomes (see :func:`intervention_models`).

    Attributes
    ----------
    effects:
        Level and slope change per outcome (the table :func:`intervention_effects` returns).
    trajectories:
        Each team's fitted trajectory at each wave from the same fits: ``outcome``, ``team``,
        ``wave``, ``post``, ``since``, ``fitted`` and ``slope`` (the line's slope per wave there:
        ``b1 + u1j``, plus ``b3`` after the intervention).
    """

    effects: pd.DataFrame
    trajectories: pd.DataFrame


def _team_lines(
    result: GrowthResult,
    starts: pd.Series,
    waves: Sequence[float],
    outcome: str,
    time: str,
) -> pd.DataFrame:
    """Fixed effects plus each team's empirical Bayes deviations at each wave, covariates at 0."""
    teams = result.team_effects
    grid = np.asarray(sorted({float(w) for w in waves}), dtype=float)
    n_teams, n_waves = len(teams), len(grid)
    wave = np.tile(grid, n_teams)
    first = starts.reindex(teams.index).to_numpy(dtype=float)
    start = np.repeat(first, n_waves)
    treated = ~np.isnan(start)
    post = np.where(treated, wave >= np.where(treated, start, np.inf), False).astype(float)
    since = np.where(post == 1, wave - np.where(treated, start, 0.0), 0.0)
    fixed = result.fixed["estimate"]
    fitted = (
        np.repeat(teams["intercept"].to_numpy(dtype=float), n_waves)
        + np.repeat(teams["slope"].to_numpy(dtype=float), n_waves) * wave
        + float(fixed["post"]) * post
        + float(fixed["since"]) * since
    )
    slope = np.repeat(teams["slope"].to_numpy(dtype=float), n_waves) + float(fixed["since"]) * post
    integral = bool(np.all(grid == np.round(grid)))
    return pd.DataFrame(
        {
            "outcome": outcome,
            "team": np.repeat(teams.index.to_numpy(), n_waves),
            time: wave.astype(np.int64) if integral else wave,
            "post": post.astype(np.int64),
            "since": since.astype(np.int64) if integral else since,
            "fitted": fitted,
            "slope": slope,
        }
    )


def intervention_models(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    interventions: pd.DataFrame,
    *,
    team: str = "team",
    wave: str = "wave",
    person: str | None = None,
    covariates: Sequence[str] = (),
    team_slope: bool = True,
    kind: str | None = None,
    ddf: str = "satterthwaite",
    waves: Sequence[float] | None = None,
) -> InterventionModels:
    """Intervention effects and each team's fitted trajectory from one discontinuous growth fit.

    Parameters
    ----------
    data, outcome, interventions, team, wave, person, covariates, team_slope, kind, ddf:
        As for :func:`intervention_effects`.
    waves:
        The waves to evaluate each team's trajectory at; the waves in ``data`` when ``None``.

    Returns
    -------
    InterventionModels
        ``effects`` (the table of :func:`intervention_effects`) and ``trajectories``: for every
        team of each fit and every wave, ``post`` and ``since`` coded from the team's own
        intervention and the fitted value

        ``y_hat_jt = (b0 + u0j) + (b1 + u1j) t + b2 post_jt + b3 since_jt``,
        ``slope_jt = b1 + u1j + b3 post_jt``

        with the fixed effects ``b`` and the team's empirical Bayes deviations ``u0j``,
        ``u1j`` (conditional modes; ``u1j = 0`` without team slopes), person effects and
        covariates at 0. A team whose level jumped after its intervention shows the jump
        ``b2`` at its first post wave and the slope ``b1 + u1j + b3`` after it; a team without
        an intervention keeps its straight line. This is lme4's
        ``predict(fit, newdata, re.form = ~ (wave | team))``.

    Raises
    ------
    ValueError, TypeError
        As for :func:`intervention_effects`.

    Notes
    -----
    The model is that of :func:`intervention_effects` (Bliese & Lang 2016); the team
    deviations are those of :func:`analysis.fit_growth` (``team_effects``), so the fitted line
    is the trajectory whose jump and change of slope the effects table quotes.

    References
    ----------
    Bliese, P. D. & Lang, J. W. B. (2016). Understanding relative and absolute change in
    discontinuous growth models: Coding alternatives and implications for hypothesis testing.
    Organizational Research Methods, 19(4), 562-592.

    Bates, D., Maechler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. Journal of Statistical Software, 67(1), 1-48.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> team = np.repeat(np.arange(16), 6)
    >>> wave = np.tile(np.arange(1, 7), 16)
    >>> start = np.where(np.arange(16) < 8, 4, 99)[team]
    >>> score = (4 + 0.1 * wave + 2.0 * (wave >= start) + rng.normal(0, 0.3, 16)[team]
    ...          + rng.normal(0, 0.2, team.size))
    >>> data = pd.DataFrame({"team": team, "wave": wave, "score": score})
    >>> plan = pd.DataFrame({"team": range(8), "wave": 4})
    >>> models = intervention_models(data, "score", plan, team_slope=False)
    >>> line = models.trajectories.query("team == 0")["fitted"].to_numpy()
    >>> bool(line[3] - line[2] > 1.5)
    True
    """
    outcomes = [outcome] if isinstance(outcome, str) else list(outcome)
    if not outcomes:
        raise ValueError("no outcome given")
    reserved = {"post", "since"} & set(covariates)
    if reserved:
        raise ValueError(f"covariates must not include {sorted(reserved)}: they are coded here")
    coded = code_interventions(data, interventions, team=team, wave=wave, kind=kind)
    if not (coded["post"] == 1).any():
        raise ValueError("no team is observed after its intervention: post is 0 everywhere")
    if not (coded["since"] > 0).any():
        raise ValueError(
            "no team is observed at two waves after its intervention: the slope change "
            "(since) cannot be estimated"
        )
    n_treated = int(coded.loc[coded["post"] == 1, team].nunique())
    rows: list[dict[str, object]] = []
    lines: list[pd.DataFrame] = []
    starts = _starts(interventions, team, wave, kind)
    grid = (
        list(waves)
        if waves is not None
        else sorted(float(w) for w in coded[wave].dropna().unique())
    )
    for name in outcomes:
        result = fit_growth(
            coded,
            name,
            time=wave,
            team=team,
            person=person,
            covariates=["post", "since", *covariates],
            team_slope=team_slope,
            ddf=ddf,
        )
        for term, effect in _EFFECTS:
            values = result.fixed.loc[term, list(_COLUMNS)].to_numpy(dtype=float)
            rows.append(
                {"outcome": name, "effect": effect, "term": term}
                | dict(zip(_COLUMNS, values.tolist(), strict=True))
                | {
                    "ddf": result.ddf,
                    "n_obs": result.n_obs,
                    "n_teams": result.n_teams,
                    "n_treated_teams": n_treated,
                    "singular": result.singular,
                    "converged": result.converged,
                    "suggestion": result.suggestion,
                    "ddf_note": result.ddf_note,
                }
            )
        lines.append(_team_lines(result, starts, grid, name, wave))
    trajectories = (
        pd.concat(lines, ignore_index=True).rename(columns={"team": team})
        if lines
        else pd.DataFrame(columns=["outcome", team, wave, "post", "since", "fitted", "slope"])
    )
    return InterventionModels(pd.DataFrame(rows), trajectories)
