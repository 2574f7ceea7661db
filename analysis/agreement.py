"""Within-team agreement (rwg, rwg(j), r*wg(j), awg) and ICC(1)/ICC(2) for aggregating to teams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.rwg_null import rwg_from_mean_variance, rwg_null_quantile, rwg_null_variance

__all__ = [
    "agreement_table",
    "awg",
    "icc1",
    "icc2",
    "rwg",
    "rwg_j",
    "rwg_j_star",
]

# Relative tolerance when comparing a group mean with the a_wg admissibility bounds.
_AWG_TOLERANCE = 1e-12


def _vector(x: pd.Series | np.ndarray | Sequence[float], name: str = "x") -> np.ndarray:
    """One item's responses as a float vector with missing values dropped."""
    if isinstance(x, pd.DataFrame) or np.ndim(x) > 1:
        raise ValueError(f"{name} must be one item (a Series or 1-D array), got a 2-D table")
    series = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x, dtype=object).ravel())
    numeric = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & numeric.isna()
    if bad.any():
        raise ValueError(f"{name} has non-numeric values, e.g. {series[bad].iloc[0]!r}")
    values = numeric.to_numpy(dtype=float)
    return values[~np.isnan(values)]


def _matrix(items: pd.DataFrame | np.ndarray) -> np.ndarray:
    """A respondents x items float matrix keeping rows with every item answered."""
    if isinstance(items, pd.DataFrame):
        not_numeric = [str(c) for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
        if not_numeric:
            raise ValueError(f"item columns must be numeric; not numeric: {', '.join(not_numeric)}")
        values = items.to_numpy(dtype=float)
    else:
        values = np.asarray(items, dtype=float)
    if values.ndim != 2 or values.shape[1] < 1:
        raise ValueError(f"items must be a 2-D respondents x items table, got shape {values.shape}")
    return values[~np.isnan(values).any(axis=1)]


def _mean_item_variance(values: np.ndarray) -> float:
    """Mean of the item variances (n - 1 denominator); nan with fewer than two rows."""
    if values.shape[0] < 2:
        return float("nan")
    return float(values.var(axis=0, ddof=1).mean())


def rwg(x: pd.Series | np.ndarray | Sequence[float], options: int, null: str = "uniform") -> float:
    """James, Demaree & Wolf's rwg: within-group agreement on a single item.

    Parameters
    ----------
    x : pandas.Series or array_like
        One group's responses to one item; missing values are dropped.
    options : int
        Number of response options A.
    null : {"uniform", "slight", "moderate", "heavy"}, default "uniform"
        Null response distribution, see :func:`analysis.rwg_null.rwg_null_variance`.

    Returns
    -------
    float
        rwg in [0, 1]; ``nan`` with fewer than two responses.

    Raises
    ------
    ValueError
        For non-numeric responses or a bad ``options``/``null``.

    Notes
    -----
    .. math:: r_{wg} = 1 - \\frac{\\min(s_x^2, \\sigma_E^2)}{\\sigma_E^2}

    with :math:`s_x^2` the sample variance (n - 1) and :math:`\\sigma_E^2` the null variance,
    :math:`(A^2-1)/12` for the uniform null. An observed variance above the null variance is
    truncated to it (rwg = 0), as ``multilevel::rwg`` does.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. Journal of Applied Psychology, 69, 85-98.
    LeBreton, J. M., & Senter, J. L. (2008). Answers to 20 questions about interrater
    reliability and interrater agreement. Organizational Research Methods, 11, 815-852.

    Examples
    --------
    >>> rwg([4, 4, 5, 5], options=5)
    0.8333333333333334
    """
    null_variance = rwg_null_variance(options, null)
    values = _vector(x)
    if values.size < 2:
        return float("nan")
    return float(rwg_from_mean_variance(values.var(ddof=1), 1, null_variance))


def rwg_j(items: pd.DataFrame | np.ndarray, options: int, null: str = "uniform") -> float:
    """James, Demaree & Wolf's rwg(j): within-group agreement on a J-item scale.

    Parameters
    ----------
    items : pandas.DataFrame or 2-D array
        One group's responses, one row per respondent and one column per item. Rows with a
        missing item are dropped (listwise, as ``multilevel::rwg.j``).
    options : int
        Number of response options A.
    null : {"uniform", "slight", "moderate", "heavy"}, default "uniform"
        Null response distribution, see :func:`analysis.rwg_null.rwg_null_variance`.

    Returns
    -------
    float
        rwg(j) in [0, 1]; ``nan`` with fewer than two complete rows.

    Raises
    ------
    ValueError
        For non-numeric or non-tabular items or a bad ``options``/``null``.

    Notes
    -----
    With :math:`\\bar s^2` the mean of the J item variances truncated at the null variance
    :math:`\\sigma_E^2` (as ``multilevel::rwg.j``),

    .. math:: r_{wg(J)} = \\frac{J(1 - \\bar s^2/\\sigma_E^2)}
              {J(1 - \\bar s^2/\\sigma_E^2) + \\bar s^2/\\sigma_E^2}.

    References
    ----------
    James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
    reliability with and without response bias. Journal of Applied Psychology, 69, 85-98.

    Examples
    --------
    >>> import pandas as pd
    >>> team = pd.DataFrame({"i1": [4, 4, 5, 5], "i2": [4, 5, 5, 5], "i3": [3, 4, 4, 5]})
    >>> round(rwg_j(team, options=5), 4)
    0.9194
    """
    null_variance = rwg_null_variance(options, null)
    values = _matrix(items)
    return float(
        rwg_from_mean_variance(_mean_item_variance(values), values.shape[1], null_variance)
    )


def rwg_j_star(items: pd.DataFrame | np.ndarray, options: int, null: str = "uniform") -> float:
    """Lindell, Brandt & Whitney's r*wg(j): agreement on a scale, not inflated by length.

    Parameters
    ----------
    items : pandas.DataFrame or 2-D array
        One group's responses, one row per respondent and one column per item; rows with a
        missing item are dropped.
    options : int
        Number of response options A.
    null : {"uniform", "slight", "moderate", "heavy"}, default "uniform"
        Null response distribution, see :func:`analysis.rwg_null.rwg_null_variance`.

    Returns
    -------
    float
        r*wg(j); ``nan`` with fewer than two complete rows. Not truncated: it is negative when
        the items vary more than under the null (as ``multilevel::rwg.j.lindell``).

    Notes
    -----
    .. math:: r^*_{wg(J)} = 1 - \\bar s^2 / \\sigma_E^2

    with :math:`\\bar s^2` the mean of the item variances (n - 1 denominator).

    References
    ----------
    Lindell, M. K., Brandt, C. J., & Whitney, D. J. (1999). A revised index of interrater
    agreement for multi-item ratings of a single target. Applied Psychological Measurement,
    23, 127-135.

    Examples
    --------
    >>> import pandas as pd
    >>> team = pd.DataFrame({"i1": [4, 4, 5, 5], "i2": [4, 5, 5, 5], "i3": [3, 4, 4, 5]})
    >>> round(rwg_j_star(team, options=5), 4)
    0.7917
    """
    null_variance = rwg_null_variance(options, null)
    return 1.0 - _mean_item_variance(_matrix(items)) / null_variance


def _awg_array(
    mean: np.ndarray, variance: np.ndarray, n: np.ndarray, low: float, high: float
) -> np.ndarray:
    """Vectorised a_wg from group means, variances and sizes (nan where undefined)."""
    mean = np.asarray(mean, dtype=float)
    n = np.asarray(n, dtype=float)
    out = np.full(np.broadcast(mean, variance, n).shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower_bound = (low * (n - 1) + high) / n
        upper_bound = (high * (n - 1) + low) / n
        span = _AWG_TOLERANCE * max(abs(low), abs(high), 1.0)
        max_variance = ((high + low) * mean - mean**2 - high * low) * n / (n - 1)
        valid = (
            (n >= 2)
            & (mean >= lower_bound - span)
            & (mean <= upper_bound + span)
            & (max_variance > 0)
            & np.isfinite(variance)
        )
        values = 1.0 - 2.0 * np.asarray(variance, dtype=float) / max_variance
    out[valid] = values[valid]
    return out


def awg(x: pd.Series | np.ndarray | Sequence[float], low: float, high: float) -> float:
    """Brown & Hauenstein's a_wg: agreement on one item relative to the maximum possible.

    Parameters
    ----------
    x : pandas.Series or array_like
        One group's responses to one item; missing values are dropped.
    low, high : float
        Lowest and highest response options (e.g. 1 and 7).

    Returns
    -------
    float
        a_wg in [-1, 1]; ``nan`` when fewer than two responses remain or when the mean is so
        extreme that the index is not defined: below :math:`(L(n-1)+H)/n` or above
        :math:`(H(n-1)+L)/n`, the means at which all but one response sit at one end (this
        includes every group whose answers are all L or all H, where the maximum possible
        variance is zero).

    Raises
    ------
    ValueError
        If ``low >= high``, a response lies outside [low, high] or is not numeric.

    Notes
    -----
    With mean :math:`M`, sample variance :math:`s^2` (n - 1) and group size :math:`n`,

    .. math:: a_{wg} = 1 - \\frac{2 s^2}{[(H + L)M - M^2 - HL]\\,\\frac{n}{n-1}}

    where the denominator is the largest variance possible for that mean on the [L, H] scale.
    Bounds on the mean as Brown & Hauenstein (2005) recommend and LeBreton's R package WGA
    applies.

    References
    ----------
    Brown, R. D., & Hauenstein, N. M. A. (2005). Interrater agreement reconsidered: An
    alternative to the rwg indices. Organizational Research Methods, 8, 165-184.

    Examples
    --------
    >>> round(awg([3, 4, 4, 5], low=1, high=5), 4)
    0.6667
    >>> awg([4, 4, 5, 5], low=1, high=5)  # mean above (5 * 3 + 1) / 4 = 4
    nan
    >>> awg([1, 1, 1, 2], low=1, high=5)
    nan
    """
    if not low < high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    values = _vector(x)
    outside = values[(values < low) | (values > high)]
    if outside.size:
        raise ValueError(f"response {outside[0]:g} is outside the scale [{low:g}, {high:g}]")
    if values.size < 2:
        return float("nan")
    result = _awg_array(
        np.asarray(values.mean()),
        np.asarray(values.var(ddof=1)),
        np.asarray(values.size),
        low,
        high,
    )
    return float(result)


def _oneway_from_codes(y: np.ndarray, codes: np.ndarray) -> tuple[float, float, int, int]:
    """MSB, MSW, N and G of a one-way ANOVA of ``y`` on integer group ``codes`` (0..G-1)."""
    n_total = int(y.size)
    if n_total == 0:
        return float("nan"), float("nan"), 0, 0
    counts = np.bincount(codes)
    present = counts > 0
    n_groups = int(present.sum())
    if n_groups < 2 or n_total <= n_groups:
        return float("nan"), float("nan"), n_total, n_groups
    group_means = np.zeros(counts.size)
    group_means[present] = np.bincount(codes, weights=y)[present] / counts[present]
    ss_between = float(np.sum(counts[present] * (group_means[present] - y.mean()) ** 2))
    ss_within = float(np.sum((y - group_means[codes]) ** 2))
    return ss_between / (n_groups - 1), ss_within / (n_total - n_groups), n_total, n_groups


def _oneway_anova(data: pd.DataFrame, value: str, group: str) -> tuple[float, float, int, int]:
    """Mean squares between and within groups, N and G of a one-way ANOVA."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in (value, group) if c not in data.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(map(str, missing))}")
    if not pd.api.types.is_numeric_dtype(data[value]):
        raise ValueError(f"column {value!r} must be numeric")
    frame = data[[group, value]].dropna()
    codes, _ = pd.factorize(frame[group])
    return _oneway_from_codes(frame[value].to_numpy(dtype=float), np.asarray(codes))


def _icc_from_anova(ms_between: float, ms_within: float, n_total: int, n_groups: int) -> float:
    """ICC(1) with the mean group size N/G; nan where undefined."""
    mean_size = n_total / n_groups if n_groups else float("nan")
    denominator = ms_between + (mean_size - 1.0) * ms_within
    if not np.isfinite(denominator) or denominator == 0:
        return float("nan")
    return (ms_between - ms_within) / denominator


def _icc2_from_anova(ms_between: float, ms_within: float) -> float:
    """ICC(2) = (MSB - MSW) / MSB; nan where undefined."""
    if not np.isfinite(ms_between) or ms_between == 0:
        return float("nan")
    return (ms_between - ms_within) / ms_between


def icc1(data: pd.DataFrame, value: str, group: str) -> float:
    """ICC(1): share of the variance of a measure that lies between groups.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    value : str
        Numeric column (e.g. a scale score).
    group : str
        Group column (e.g. team). Rows missing either are dropped.

    Returns
    -------
    float
        ICC(1); negative when the groups differ less than chance would make them; ``nan`` with
        fewer than two groups, no within-group degrees of freedom or zero variance.

    Notes
    -----
    From a one-way ANOVA with mean squares :math:`MSB`, :math:`MSW`, :math:`N` respondents
    in :math:`G` groups and the mean group size :math:`k = N/G`,

    .. math:: ICC(1) = \\frac{MSB - MSW}{MSB + (k - 1) MSW}

    exactly as ``multilevel::ICC1`` (which uses the mean group size for unequal groups).
    Not pingouin's ``intraclass_corr``: that is Shrout and Fleiss's targets x raters family,
    which needs every target rated by the same raters (a complete, balanced table); team
    members are different people in teams of different sizes.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability:
    Implications for data aggregation and analysis. In K. J. Klein & S. W. J. Kozlowski
    (Eds.), Multilevel theory, research, and methods in organizations (pp. 349-381).
    Jossey-Bass.
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing rater
    reliability. Psychological Bulletin, 86, 420-428.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"team": list("aaabbbccc"), "score": [1, 2, 3, 3, 4, 5, 5, 6, 7]})
    >>> round(icc1(data, "score", "team"), 4)
    0.7857
    """
    return _icc_from_anova(*_oneway_anova(data, value, group))


def icc2(data: pd.DataFrame, value: str, group: str) -> float:
    """ICC(2): reliability of the group means of a measure.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    value : str
        Numeric column (e.g. a scale score).
    group : str
        Group column (e.g. team). Rows missing either are dropped.

    Returns
    -------
    float
        ICC(2); ``nan`` with fewer than two groups, no within-group degrees of freedom or
        no between-group variance.

    Notes
    -----
    From a one-way ANOVA, :math:`ICC(2) = (MSB - MSW) / MSB`, as ``multilevel::ICC2``.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability:
    Implications for data aggregation and analysis. In K. J. Klein & S. W. J. Kozlowski
    (Eds.), Multilevel theory, research, and methods in organizations (pp. 349-381).
    Jossey-Bass.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"team": list("aaabbbccc"), "score": [1, 2, 3, 3, 4, 5, 5, 6, 7]})
    >>> round(icc2(data, "score", "team"), 4)
    0.9167
    """
    ms_between, ms_within, _, _ = _oneway_anova(data, value, group)
    return _icc2_from_anova(ms_between, ms_within)


def agreement_table(
    scores_items: pd.DataFrame,
    items_by_scale: Mapping[str, Sequence[str]],
    options: int,
    *,
    team: str = "team",
    wave: str = "wave",
    null: str = "uniform",
    low: int = 1,
) -> pd.DataFrame:
    """Within-team agreement and ICCs for every team, wave and scale.

    Parameters
    ----------
    scores_items : pandas.DataFrame
        Wide frame, one row per respondent x team x wave, with the ``team`` and ``wave``
        columns and one column per item (already reverse keyed) on a ``low``..``low +
        options - 1`` scale.
    items_by_scale : mapping of str to sequence of str
        Scale id -> its item columns.
    options : int
        Number of response options A.
    team, wave : str
        Names of the team and wave columns.
    null : {"uniform", "slight", "moderate", "heavy"}, default "uniform"
        Null response distribution for rwg(j), r*wg(j) and the simulated quantile.
    low : int, default 1
        Lowest response option (for a_wg).

    Returns
    -------
    pandas.DataFrame
        One row per team x wave x scale (sorted by team, wave, then scale in mapping order)
        with columns ``team``, ``wave``, ``scale``; ``n``, the respondents with every item of
        the scale answered (the rows every statistic uses); ``rwg_j``
        (:func:`rwg_j`), ``rwg_j_star`` (:func:`rwg_j_star`), ``rwg_j_null95``
        (:func:`analysis.rwg_null.rwg_null_quantile` at q = .95 for that n and item count),
        ``awg`` (mean over the items of :func:`awg`, ignoring undefined items); ``icc1`` and
        ``icc2`` (:func:`icc1`, :func:`icc2` of the respondents' scale means across all
        teams of that wave, repeated on each row of the wave). Team-waves without two
        complete respondents get ``nan`` agreement.

    Raises
    ------
    ValueError
        If a named column is missing, a response lies outside the scale, or
        ``options``/``null`` is invalid.

    Notes
    -----
    See the functions named above for the formulas. Computations are vectorised over teams
    with pandas group-bys and give the same values as the single-group functions.

    References
    ----------
    James, Demaree & Wolf (1984); Lindell, Brandt & Whitney (1999); Brown & Hauenstein
    (2005); Bliese (2000); LeBreton & Senter (2008): see the single-group functions.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"team": list("aaabbb"), "wave": 1, "i1": [4, 4, 5, 1, 3, 5],
    ...                      "i2": [4, 5, 5, 2, 4, 5]})
    >>> table = agreement_table(data, {"s": ["i1", "i2"]}, options=5)
    >>> table[["team", "wave", "scale", "n", "rwg_j"]].round(3)
      team  wave scale  n  rwg_j
    0    a     1     s  3  0.909
    1    b     1     s  3  0.000
    """
    null_variance = rwg_null_variance(options, null)
    if not isinstance(scores_items, pd.DataFrame):
        raise ValueError(
            f"scores_items must be a pandas DataFrame, got {type(scores_items).__name__}"
        )
    if not items_by_scale:
        raise ValueError("items_by_scale is empty: name at least one scale and its items")
    all_items = list(dict.fromkeys(i for items in items_by_scale.values() for i in items))
    missing = [c for c in [team, wave, *all_items] if c not in scores_items.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(map(str, missing))}")
    high = low + options - 1
    for item in all_items:
        column = scores_items[item]
        if not pd.api.types.is_numeric_dtype(column):
            raise ValueError(f"item column {item!r} must be numeric")
        outside = column[(column < low) | (column > high)]
        if not outside.empty:
            raise ValueError(
                f"item {item!r} has {outside.size} value(s) outside {low}..{high}, "
                f"e.g. {outside.iloc[0]:g} in row {outside.index[0]!r}"
            )

    keyed = scores_items.dropna(subset=[team, wave])
    # Integer codes: cell = team x wave (sorted), and team and wave on their own.
    cell_code = keyed.groupby([team, wave], sort=True).ngroup().to_numpy()
    cells = keyed[[team, wave]].iloc[np.unique(cell_code, return_index=True)[1]]
    n_cells = len(cells)
    team_code = np.asarray(pd.factorize(keyed[team])[0])
    wave_code, wave_ids = pd.factorize(keyed[wave], sort=True)
    wave_code = np.asarray(wave_code)
    cell_wave = wave_code[np.unique(cell_code, return_index=True)[1]]
    tables: list[pd.DataFrame] = []
    for order, (scale, scale_items) in enumerate(items_by_scale.items()):
        items = list(scale_items)
        n_items = len(items)
        values = keyed[items].to_numpy(dtype=float)
        complete = ~np.isnan(values).any(axis=1)
        values, codes = values[complete], cell_code[complete]
        n = np.bincount(codes, minlength=n_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = (
                np.stack(
                    [
                        np.bincount(codes, weights=values[:, j], minlength=n_cells)
                        for j in range(n_items)
                    ],
                    axis=1,
                )
                / n[:, None]
            )
            squares = (values - means[codes]) ** 2
            variances = np.stack(
                [
                    np.bincount(codes, weights=squares[:, j], minlength=n_cells)
                    for j in range(n_items)
                ],
                axis=1,
            ) / (n[:, None] - 1)
        variances[n < 2] = np.nan
        means[n < 1] = np.nan
        mean_var = variances.mean(axis=1)
        awg_items = _awg_array(means, variances, n[:, None], float(low), float(high))
        defined = np.isfinite(awg_items)
        n_defined = defined.sum(axis=1)
        awg_scale = np.full(n_cells, np.nan)
        has_awg = n_defined > 0
        awg_scale[has_awg] = (
            np.where(defined, awg_items, 0.0).sum(axis=1)[has_awg] / n_defined[has_awg]
        )
        null95 = {
            int(k): rwg_null_quantile(int(k), n_items, options, 0.95, null=null)
            for k in np.unique(n[n >= 2])
        }
        scores = values.mean(axis=1)
        row_wave = wave_code[complete]
        row_team = team_code[complete]
        icc_by_wave = np.full((len(wave_ids), 2), np.nan)
        for w in range(len(wave_ids)):
            in_wave = row_wave == w
            anova = _oneway_from_codes(
                scores[in_wave], np.unique(row_team[in_wave], return_inverse=True)[1]
            )
            icc_by_wave[w] = _icc_from_anova(*anova), _icc2_from_anova(anova[0], anova[1])
        table = pd.DataFrame(
            {
                team: cells[team].to_numpy(),
                wave: cells[wave].to_numpy(),
                "scale": scale,
                "n": n,
                "rwg_j": rwg_from_mean_variance(mean_var, n_items, null_variance),
                "rwg_j_star": 1.0 - mean_var / null_variance,
                "rwg_j_null95": [null95.get(int(k), np.nan) for k in n],
                "awg": awg_scale,
                "icc1": icc_by_wave[cell_wave, 0],
                "icc2": icc_by_wave[cell_wave, 1],
                "_cell": np.arange(n_cells),
                "_order": order,
            }
        )
        tables.append(table)
    columns = [team, wave, "scale", "n", "rwg_j", "rwg_j_star", "rwg_j_null95", "awg"]
    columns += ["icc1", "icc2"]
    out = pd.concat(tables, ignore_index=True).sort_values(["_cell", "_order"], kind="stable")
    return out[columns].reset_index(drop=True)
