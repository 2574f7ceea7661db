"""Measurement invariance across groups and across repeated occasions, as lavaan tests it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.cfa import CfaFit, CfaModel, fit_cfa, group_moments
from analysis.identity import COLLABORATIVE, TARGETS

__all__ = [
    "DELTA_CFI",
    "DELTA_RMSEA",
    "IDENTITY_TARGETS",
    "LEVELS",
    "MIN_GROUP_SIZE",
    "invariance_level",
    "invariance_table",
    "measurement_invariance",
    "repeated_invariance",
]

#: The invariance levels in the order they are tested.
LEVELS = ("configural", "metric", "scalar")
#: Largest fall in CFI from one level to the next that still counts as invariance.
DELTA_CFI = 0.01
#: Largest rise in RMSEA from one level to the next that still counts as invariance.
DELTA_RMSEA = 0.015

MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
DELTAS = ("delta_chisq", "delta_df", "delta_pvalue", "delta_cfi", "delta_rmsea", "holds")
COLUMNS = (*MEASURES, "npar", "n", "converged", *DELTAS)


def _check_columns(data: pd.DataFrame, columns: Sequence[str], *, numeric: bool = True) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(map(str, missing))}")
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if numeric and text:
        raise ValueError(f"item columns must be numeric: {', '.join(map(str, text))}")


def _check_identified(model: CfaModel, what: str) -> None:
    p = len(model.items)
    df = model.groups * p * (p + 3) // 2 - model.npar
    if df < 0:
        raise ValueError(
            f"{what} is not identified: {model.npar} free parameters for "
            f"{model.groups * p * (p + 3) // 2} means and covariances; add items"
        )


def _multigroup_model(factors: Mapping[str, Sequence[str]], groups: int, level: str) -> CfaModel:
    """lavaan's ``cfa(..., group =, group.equal =, meanstructure = TRUE)`` at one level."""
    items = tuple(item for indicators in factors.values() for item in indicators)
    model = CfaModel(items=items, factors=tuple(factors), groups=groups)
    position = {item: index for index, item in enumerate(items)}
    equal_loadings = level in ("metric", "scalar")
    equal_intercepts = level == "scalar"
    for g in range(groups):
        for a, indicators in enumerate(factors.values()):
            model.fix("lambda", g, position[indicators[0]], a, 1.0)
            for item in indicators[1:]:
                key = ("lambda", a, item) if equal_loadings else ("lambda", a, item, g)
                model.free("lambda", g, position[item], a, key)
            for b in range(a + 1):
                model.free("phi", g, a, b, ("phi", a, b, g))
            if equal_intercepts and g > 0:
                model.free("kappa", g, a, 0, ("kappa", a, g))
        for i, item in enumerate(items):
            model.free("theta", g, i, i, ("theta", i, g))
            model.free("nu", g, i, 0, ("nu", item) if equal_intercepts else ("nu", item, g))
    return model


def _repeated_model(occasions: Mapping[str, Sequence[str]], level: str) -> CfaModel:
    """One factor per occasion, the same item's residuals correlated across occasions, the
    same item's loading (metric) and intercept (scalar) equal across occasions."""
    labels = list(occasions)
    per = len(occasions[labels[0]])
    items = tuple(item for label in labels for item in occasions[label])
    model = CfaModel(items=items, factors=tuple(labels), groups=1)
    equal_loadings = level in ("metric", "scalar")
    equal_intercepts = level == "scalar"
    for o in range(len(labels)):
        model.fix("lambda", 0, o * per, o, 1.0)
        for j in range(1, per):
            key = ("lambda", j) if equal_loadings else ("lambda", o, j)
            model.free("lambda", 0, o * per + j, o, key)
        for b in range(o + 1):
            model.free("phi", 0, o, b, ("phi", o, b))
        if equal_intercepts and o > 0:
            model.free("kappa", 0, o, 0, ("kappa", o))
        for j in range(per):
            row = o * per + j
            model.free("theta", 0, row, row, ("theta", row))
            for earlier in range(o):
                model.free("theta", 0, row, earlier * per + j, ("theta", row, earlier))
            model.free("nu", 0, row, 0, ("nu", j) if equal_intercepts else ("nu", o, j))
    return model


def _table(fits: Mapping[str, CfaFit], delta_cfi: float, delta_rmsea: float) -> pd.DataFrame:
    rows = []
    previous: CfaFit | None = None
    for level in LEVELS:
        fit = fits[level]
        row: dict[str, object] = {**fit.measures(), "npar": fit.npar, "n": fit.n}
        row["converged"] = fit.converged
        if previous is None:
            row.update(
                delta_chisq=np.nan,
                delta_df=np.nan,
                delta_pvalue=np.nan,
                delta_cfi=np.nan,
                delta_rmsea=np.nan,
                holds=None,
            )
        else:
            d_chisq = fit.chisq - previous.chisq
            d_df = fit.df - previous.df
            d_cfi = fit.cfi - previous.cfi
            d_rmsea = fit.rmsea - previous.rmsea
            row.update(
                delta_chisq=d_chisq,
                delta_df=float(d_df),
                delta_pvalue=float(stats.chi2.sf(max(d_chisq, 0.0), d_df)) if d_df > 0 else np.nan,
                delta_cfi=d_cfi,
                delta_rmsea=d_rmsea,
                holds=bool(d_cfi >= -delta_cfi - 1e-12 and d_rmsea <= delta_rmsea + 1e-12),
            )
        rows.append(row)
        previous = fit
    table = pd.DataFrame(rows, index=pd.Index(LEVELS, name="level"), columns=list(COLUMNS))
    table["df"] = table["df"].astype(int)
    table["npar"] = table["npar"].astype(int)
    table["n"] = table["n"].astype(int)
    return table


def measurement_invariance(
    data: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    group: str,
    *,
    delta_cfi: float = DELTA_CFI,
    delta_rmsea: float = DELTA_RMSEA,
) -> pd.DataFrame:
    """Configural, metric and scalar invariance of a factor model across groups.

    Fits the multi-group confirmatory factor model with a mean structure by maximum
    likelihood at three levels, as ``lavaan::cfa(model, data, group = group,
    group.equal = ..., meanstructure = TRUE)`` does: *configural* (the same factors and
    items in every group, every parameter free per group), *metric* (loadings equal across
    groups: ``group.equal = "loadings"``) and *scalar* (loadings and intercepts equal:
    ``c("loadings", "intercepts")``; the factor means are then free in every group but the
    first).

    Parameters
    ----------
    data : DataFrame
        One row per respondent (or response), the item columns and the ``group`` column.
        Rows whose group is missing are dropped; within each group, rows with any item
        missing are dropped (listwise, lavaan's default).
    factors : mapping of str to sequence of str
        Factor name -> its items (at least two; each item on one factor only). The first
        item of each factor is its marker: its loading is fixed to 1 in every group.
    group : str
        The grouping column (a profession, an organisation type, a wave). Groups are taken
        in sorted order (the fit does not depend on the order).
    delta_cfi, delta_rmsea : float, default .01 and .015
        The largest fall in CFI and rise in RMSEA from one level to the next that still
        count as invariance (Cheung & Rensvold, 2002; Chen, 2007).

    Returns
    -------
    DataFrame
        Indexed by ``level`` (``configural``, ``metric``, ``scalar``), with the measures of
        ``lavaan::fitMeasures``: ``chisq``, ``df``, ``pvalue``, ``cfi``, ``tli``,
        ``rmsea``, ``srmr`` (Bentler's, mean residuals included), ``aic``, ``bic``; then
        ``npar`` (free parameters), ``n`` (complete rows), ``converged``; and against the
        level before: ``delta_chisq``, ``delta_df`` and ``delta_pvalue`` (the
        likelihood-ratio test of the added constraints, as ``lavaan::lavTestLRT``),
        ``delta_cfi`` and ``delta_rmsea`` (this level minus the one before) and ``holds``:
        true when CFI fell by at most ``delta_cfi`` and RMSEA rose by at most
        ``delta_rmsea`` (None for the configural level). :func:`invariance_level` reads the
        highest level reached.

    Raises
    ------
    ValueError
        For missing or non-numeric columns, fewer than two groups, an item on two factors,
        a factor with fewer than two items, a model that is not identified, or a group with
        fewer complete rows than items plus one (its covariance matrix is then singular).

    Notes
    -----
    Each level is fitted by :func:`analysis.cfa.fit_cfa` (the discrepancy and every fit
    measure are written out there). A level *holds* when, against the level before,

    .. math:: \\Delta CFI = CFI_{level} - CFI_{before} \\ge -0.01 \\quad\\text{and}\\quad
              \\Delta RMSEA = RMSEA_{level} - RMSEA_{before} \\le 0.015,

    Cheung & Rensvold's (2002) CFI rule with Chen's (2007) RMSEA criterion beside it: the
    chi-square difference test is reported too, but with a few hundred respondents it
    rejects trivial differences, which is why the change in fit indices decides. Metric
    invariance means the items relate to the factor alike in every group (relations and
    changes can be compared); scalar invariance also equal intercepts, which is what
    comparing the groups' means needs. Observations are taken as independent: respondents
    nested in teams, or answering at several waves, make the chi-square too large.

    References
    ----------
    Cheung, G. W. & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
    measurement invariance. *Structural Equation Modeling*, 9(2), 233-255.
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
    invariance. *Structural Equation Modeling*, 14(3), 464-504.
    Vandenberg, R. J. & Lance, C. E. (2000). A review and synthesis of the measurement
    invariance literature. *Organizational Research Methods*, 3(1), 4-70.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software*, 48(2), 1-36.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> trait = rng.normal(size=400)
    >>> data = pd.DataFrame({f"i{j}": trait + rng.normal(size=400) for j in range(4)})
    >>> data["team"] = np.repeat(["north", "south"], 200)
    >>> table = measurement_invariance(data, {"climate": ["i0", "i1", "i2", "i3"]}, "team")
    >>> table[["chisq", "df", "cfi"]].round(3)
                chisq  df    cfi
    level
    configural  4.598   4  0.999
    metric      5.342   7  1.000
    scalar      8.434  10  1.000
    >>> invariance_level(table)
    'scalar'
    """
    items = _factor_items(factors)
    _check_columns(data, [group], numeric=False)
    _check_columns(data, items)
    rows = data.dropna(subset=[group])
    names = sorted(rows[group].unique(), key=_sort_key)
    if len(names) < 2:
        raise ValueError(f"column {group!r} has {len(names)} group(s); at least two are needed")
    moments = [
        group_moments(frame, items, str(name)) for name, frame in _groups(rows, group, names)
    ]
    fits = {}
    for level in LEVELS:
        model = _multigroup_model(factors, len(names), level)
        _check_identified(model, f"the {level} model")
        fits[level] = fit_cfa(model, moments)
    return _table(fits, delta_cfi, delta_rmsea)


def repeated_invariance(
    data: pd.DataFrame,
    occasions: Mapping[str, Sequence[str]],
    *,
    delta_cfi: float = DELTA_CFI,
    delta_rmsea: float = DELTA_RMSEA,
) -> pd.DataFrame:
    """Configural, metric and scalar invariance of the same items at several occasions.

    The longitudinal (or repeated-measures) model: one factor per occasion, measured by the
    same items; each item's residuals correlated across occasions; the factors correlated.
    *Configural*: every parameter free. *Metric*: each item's loading equal across
    occasions. *Scalar*: each item's intercept equal too, the factor mean of the first
    occasion fixed to 0 and the others free. The same as lavaan's single-group model with
    labelled equal loadings and intercepts (``tests/reference/make_reference.R`` writes it
    out).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, the items of every occasion as columns (wide). Rows with any
        item missing are dropped (listwise).
    occasions : mapping of str to sequence of str
        Occasion label -> its item columns, the same number per occasion and *in the same
        order* (the j-th column of every occasion is the same item). At least two occasions.
    delta_cfi, delta_rmsea : float, default .01 and .015
        As in :func:`measurement_invariance`.

    Returns
    -------
    DataFrame
        The table of :func:`measurement_invariance` (indexed ``configural``, ``metric``,
        ``scalar``; lavaan's fit measures, the tests between levels and ``holds``); ``n``
        is the complete rows.

    Raises
    ------
    ValueError
        For missing or non-numeric columns, fewer than two occasions, occasions with
        different numbers of items, a column in two occasions, a model that is not
        identified or fewer complete rows than columns plus one.

    Notes
    -----
    The decisions are those of :func:`measurement_invariance`. Parallel wording (the same
    statements about the team, the profession and the organisation) makes identification
    with three targets a repeated measurement of the same items; scalar invariance is what
    comparing the three means needs.

    References
    ----------
    Widaman, K. F., Ferrer, E. & Conger, R. D. (2010). Factorial invariance within
    longitudinal structural equation models: measuring the same construct across time.
    *Child Development Perspectives*, 4(1), 10-18.
    Cheung, G. W. & Rensvold, R. B. (2002); Chen, F. F. (2007): see
    :func:`measurement_invariance`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> trait = rng.normal(size=300)
    >>> data = pd.DataFrame({f"{t}{j}": trait + rng.normal(size=300)
    ...                      for t in ("before", "after") for j in range(3)})
    >>> table = repeated_invariance(data, {"before": ["before0", "before1", "before2"],
    ...                                    "after": ["after0", "after1", "after2"]})
    >>> table[["df", "holds"]]
                df holds
    level
    configural   5  None
    metric       7  True
    scalar       9  True
    """
    labels = list(occasions)
    if len(labels) < 2:
        raise ValueError(f"{len(labels)} occasion(s) given; at least two are needed")
    lengths = {label: len(columns) for label, columns in occasions.items()}
    if len(set(lengths.values())) != 1:
        listed = ", ".join(f"{label} {count}" for label, count in lengths.items())
        raise ValueError(f"every occasion needs the same number of items; got {listed}")
    items = _factor_items(occasions)
    _check_columns(data, items)
    moments = [group_moments(data, items, "all")]
    fits = {}
    for level in LEVELS:
        model = _repeated_model(occasions, level)
        _check_identified(model, f"the {level} model")
        fits[level] = fit_cfa(model, moments)
    return _table(fits, delta_cfi, delta_rmsea)


def invariance_level(table: pd.DataFrame) -> str:
    """The highest invariance level reached: each step up to it holds.

    ``"scalar"`` when metric and scalar hold, ``"metric"`` when only metric holds,
    ``"configural"`` otherwise (the configural model is the baseline; whether it fits well
    enough is read from its own CFI and RMSEA).

    Examples
    --------
    >>> table = pd.DataFrame({"holds": [None, True, False]}, index=list(LEVELS))
    >>> invariance_level(table)
    'metric'
    """
    reached = "configural"
    for level in LEVELS[1:]:
        if level not in table.index or table.loc[level, "holds"] is not True:
            break
        reached = level
    return reached


def _factor_items(factors: Mapping[str, Sequence[str]]) -> list[str]:
    if not factors:
        raise ValueError("no factors given: name at least one factor and its items")
    items: list[str] = []
    for name, indicators in factors.items():
        if isinstance(indicators, str) or len(indicators) < 2:
            raise ValueError(f"factor {name!r} needs at least two items, got {indicators!r}")
        items.extend(indicators)
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise ValueError(f"items on more than one factor: {', '.join(repeated)}")
    return items


def _sort_key(value: object) -> tuple[int, object]:
    return (0, value) if isinstance(value, int | float | np.number) else (1, str(value))


def _groups(
    rows: pd.DataFrame, group: str, names: Sequence[object]
) -> list[tuple[object, pd.DataFrame]]:
    return [(name, rows[rows[group] == name]) for name in names]


#: Fewest complete responses a wave or profession needs to enter a comparison.
MIN_GROUP_SIZE = 30
#: The identity scales compared as repeated measures (their items are worded in parallel).
IDENTITY_TARGETS = (COLLABORATIVE, *TARGETS.values())
TABLE_COLUMNS = (
    "comparison",
    "scale",
    "groups",
    "left_out",
    "n",
    "level",
    *MEASURES,
    *DELTAS,
    "converged",
    "reached",
    "note",
)


def _eligible(
    items: pd.DataFrame, columns: Sequence[str], group: str, min_group_size: int
) -> tuple[list[object], str]:
    """Groups with at least ``min_group_size`` complete responses, and the rest with theirs."""
    complete = items.dropna(subset=[*columns, group])
    counts: dict[object, int] = {g: int(c) for g, c in complete[group].value_counts().items()}
    kept = sorted((g for g, c in counts.items() if c >= min_group_size), key=_sort_key)
    left = sorted((g for g, c in counts.items() if c < min_group_size), key=_sort_key)
    return kept, ", ".join(f"{g} ({counts[g]})" for g in left)


def _rows(
    comparison: str,
    scale: str,
    groups: str,
    table: pd.DataFrame | None,
    note: str,
    left_out: str = "",
) -> list[dict[str, object]]:
    base: dict[str, object] = {
        "comparison": comparison,
        "scale": scale,
        "groups": groups,
        "left_out": left_out,
    }
    if table is None:
        return [{**base, "n": np.nan, "level": None, "reached": None, "note": note}]
    reached = invariance_level(table) if bool(table["converged"].all()) else None
    if reached is None:
        note = _join(note, "a model did not converge: no level is claimed")
    out = []
    for level, row in table.iterrows():
        out.append(
            {
                **base,
                "n": int(row["n"]),
                "level": level,
                **{column: row[column] for column in TABLE_COLUMNS if column in row.index},
                "reached": reached,
                "note": note,
            }
        )
    return out


def invariance_table(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    *,
    min_group_size: int = MIN_GROUP_SIZE,
    targets: Sequence[str] = IDENTITY_TARGETS,
) -> pd.DataFrame:
    """Measurement invariance of every scale across waves and professions, and of the
    identity scales across their three targets.

    Three comparisons, each tested at the configural, metric and scalar level
    (:func:`measurement_invariance`, :func:`repeated_invariance`):

    - ``waves``: each scale's one-factor model with the wave as the group;
    - ``professions``: the same with the profession (as recorded at each wave) as the group;
    - ``identity targets``: the identity scales in ``targets`` as three occasions of the same
      items (their j-th items are the same statement about the team, the profession and the
      organisation), the repeated-measures model.

    A wave or profession enters a comparison when it has at least ``min_group_size``
    complete responses on the scale (the rest are named in ``left_out``), and a comparison needs
    two such groups; the identity comparison needs ``min_group_size`` responses with every
    identity item answered. With 5 items a group's one-factor model has 15 parameters, and
    30 responses is about the least at which ML estimates of them are stable enough to
    compare (fewer leave the covariance matrix nearly singular); this is a floor, not a
    recommendation.

    Parameters
    ----------
    items : DataFrame
        Wide item responses (:func:`analysis.item_matrix`: reverse-keyed items scored
        ``min + max - x``) with ``wave``, ``respondent`` and ``profession``.
    scales : mapping of str to sequence of str
        Scale id -> its items (scales of fewer than three items are skipped with a note).
    min_group_size : int, default 30
        Fewest complete responses per group.
    targets : sequence of str
        The identity scales compared as repeated measures (all must be in ``scales`` with
        the same number of items, else that comparison is skipped with a note).

    Returns
    -------
    DataFrame
        Three rows per comparison tested (``level`` configural, metric, scalar) with
        ``comparison``, ``scale`` (``identity`` for the targets), ``groups`` (the waves,
        professions or targets compared), ``left_out`` (groups with too few complete
        responses, each with its count), ``n`` (complete responses), the measures of
        :func:`measurement_invariance`, ``converged``, ``reached`` (the highest level
        reached, :func:`invariance_level`; empty when a model did not converge) and
        ``note``. A comparison that could not be tested has one row with ``level`` empty and
        the reason in ``note``.

    Notes
    -----
    Every response counts as one observation: a respondent who answered at several waves is
    in several wave groups (and counted once per wave in the other comparisons), and
    respondents are nested in teams. lavaan would treat such data the same way unless told
    the clusters; the chi-square is then somewhat too large, which makes the difference test
    stricter than nominal, while the change in CFI and RMSEA that decides is less affected.
    """
    rows: list[dict[str, object]] = []
    for scale, columns in scales.items():
        rows.extend(scale_invariance_rows(items, scale, columns, min_group_size=min_group_size))
    rows.extend(
        identity_invariance_rows(items, scales, min_group_size=min_group_size, targets=targets)
    )
    return invariance_frame(rows)


def scale_invariance_rows(
    items: pd.DataFrame,
    scale: str,
    columns: Sequence[str],
    *,
    min_group_size: int = MIN_GROUP_SIZE,
) -> list[dict[str, object]]:
    """The rows of :func:`invariance_table` comparing one scale across waves and professions
    (one computation of its own, so that the scales can be fitted side by side)."""
    rows: list[dict[str, object]] = []
    for comparison, group in (("waves", "wave"), ("professions", "profession")):
        rows.extend(
            _group_comparison(items, scale, list(columns), comparison, group, min_group_size)
        )
    return rows


def identity_invariance_rows(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    *,
    min_group_size: int = MIN_GROUP_SIZE,
    targets: Sequence[str] = IDENTITY_TARGETS,
) -> list[dict[str, object]]:
    """The rows of :func:`invariance_table` comparing the identity scales across targets."""
    return _identity_comparison(items, scales, targets, min_group_size)


def invariance_frame(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """:func:`invariance_table`'s table from its rows (in order)."""
    return pd.DataFrame(list(rows), columns=list(TABLE_COLUMNS))


def _group_comparison(
    items: pd.DataFrame,
    scale: str,
    columns: list[str],
    comparison: str,
    group: str,
    min_group_size: int,
) -> list[dict[str, object]]:
    if len(columns) < 3:
        return _rows(comparison, scale, "", None, "fewer than three items: not identified")
    kept, left_out = _eligible(items, columns, group, min_group_size)
    names = ", ".join(str(g) for g in kept)
    if len(kept) < 2:
        reason = f"fewer than two {comparison} with {min_group_size} complete responses"
        return _rows(comparison, scale, names, None, reason, left_out)
    subset = items[items[group].isin(kept)]
    try:
        table = measurement_invariance(subset, {scale: columns}, group)
    except ValueError as error:
        return _rows(comparison, scale, names, None, str(error), left_out)
    return _rows(comparison, scale, names, table, "", left_out)


def _identity_comparison(
    items: pd.DataFrame,
    scales: Mapping[str, Sequence[str]],
    targets: Sequence[str],
    min_group_size: int,
) -> list[dict[str, object]]:
    comparison, names = "identity targets", ", ".join(targets)
    absent = [t for t in targets if t not in scales]
    if absent:
        return _rows(comparison, "identity", names, None, f"no scale {', '.join(absent)}")
    occasions = {t: list(scales[t]) for t in targets}
    if len({len(columns) for columns in occasions.values()}) != 1 or len(occasions[targets[0]]) < 3:
        reason = "the identity scales need the same number of items (three or more)"
        return _rows(comparison, "identity", names, None, reason)
    columns = [c for t in targets for c in occasions[t]]
    complete = int(items[columns].notna().all(axis=1).sum())
    if complete < min_group_size:
        reason = f"{complete} responses answered every identity item; {min_group_size} needed"
        return _rows(comparison, "identity", names, None, reason)
    try:
        table = repeated_invariance(items, occasions)
    except ValueError as error:
        return _rows(comparison, "identity", names, None, str(error))
    note = "all waves pooled: a respondent answering at several waves counts once per wave"
    return _rows(comparison, "identity", names, table, note)


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
