"""Reliability of multi-item scales: Cronbach's alpha, item-total statistics, McDonald's omega."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "cronbach_alpha",
    "item_total",
    "item_total_table",
    "omega_total",
    "reliability_table",
]

#: Corrected item-total correlations below this are flagged ``weak`` in :func:`item_total_table`.
WEAK_R_DROP = 0.30

# Bounds on standardised uniquenesses in the factor fits (as R's factanal and psych::fa use).
_PSI_LOWER = 0.005
_PSI_UPPER = 1.0


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with its Feldt confidence interval.

    Attributes
    ----------
    alpha : float
        Raw (covariance based) coefficient alpha; ``nan`` when undefined.
    ci_low, ci_high : float
        Feldt confidence interval for alpha at the requested level.
    n : int
        Respondents used (rows with every item answered).
    k : int
        Number of items.
    """

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega total from a one-factor model.

    Attributes
    ----------
    omega : float
        Omega total; ``nan`` when the model cannot be fitted (see :func:`omega_total`).
    loadings : pandas.Series
        Standardised factor loadings by item (sign chosen so that their sum is positive).
    uniquenesses : pandas.Series
        Standardised unique variances by item: ``1 - loading**2``, except for a maximum
        likelihood fit with a uniqueness held at its lower bound of 0.005 (a Heywood case),
        where it is that fitted value.
    n : int
        Respondents used (rows with every item answered).
    estimator : str
        ``"ml"`` or ``"minres"``.
    """

    omega: float
    loadings: pd.Series = field(compare=False, repr=False)
    uniquenesses: pd.Series = field(compare=False, repr=False)
    n: int
    estimator: str


def _complete_items(items: pd.DataFrame, *, min_items: int = 2) -> tuple[np.ndarray, pd.Index]:
    """Validate an item frame; return the rows with every item answered (float) and the names."""
    if not isinstance(items, pd.DataFrame):
        raise ValueError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    if items.shape[1] < min_items:
        raise ValueError(f"need at least {min_items} item columns, got {items.shape[1]}")
    if items.columns.has_duplicates:
        dupes = sorted({str(c) for c in items.columns[items.columns.duplicated()]})
        raise ValueError(f"duplicate item columns: {', '.join(dupes)}")
    not_numeric = [str(c) for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
    if not_numeric:
        raise ValueError(f"item columns must be numeric; not numeric: {', '.join(not_numeric)}")
    values = items.to_numpy(dtype=float)
    return values[~np.isnan(values).any(axis=1)], pd.Index(items.columns, name="item")


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Raw alpha ``k/(k-1) * (1 - tr(C)/sum(C))`` from a covariance matrix (nan if undefined)."""
    k = cov.shape[0]
    total = float(cov.sum())
    if k < 2 or not np.isfinite(total) or total <= 0.0:
        return float("nan")
    return k / (k - 1) * (1.0 - float(np.trace(cov)) / total)


def _pingouin_alpha(values: np.ndarray) -> float:
    """Raw alpha of complete rows by pingouin's ``cronbach_alpha`` (nan where undefined).

    pingouin is imported here, not at module import: it loads matplotlib and seaborn, seconds
    that ``copkit`` commands without a reliability table should not pay.
    """
    cov = np.cov(values, rowvar=False)
    if not np.isfinite(_alpha_from_cov(cov)):  # zero total variance: pingouin would divide by 0
        return float("nan")
    import pingouin

    alpha, _rounded_interval = pingouin.cronbach_alpha(pd.DataFrame(values), nan_policy="listwise")
    return float(alpha)


def _feldt_interval(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    """Feldt (1965) interval: ``1 - (1 - alpha) F`` with F quantiles on (n-1, (n-1)(k-1)) df."""
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1.0 - ci) / 2.0
    low = 1.0 - (1.0 - alpha) * float(stats.f.ppf(1.0 - tail, df1, df2))
    high = 1.0 - (1.0 - alpha) * float(stats.f.ppf(tail, df1, df2))
    return low, high


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> AlphaResult:
    """Cronbach's coefficient alpha with the Feldt confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item (already reverse keyed), one row per respondent.
    ci : float, default 0.95
        Confidence level of the interval, in (0, 1).

    Returns
    -------
    AlphaResult
        ``alpha``, ``ci_low``, ``ci_high``, ``n`` (complete rows used) and ``k`` (items).
        With fewer than two complete rows, or a zero variance of the total score, alpha and
        its interval are ``nan``.

    Raises
    ------
    ValueError
        If ``items`` is not a DataFrame with at least two numeric item columns, or ``ci`` is
        not in (0, 1).

    Notes
    -----
    Rows with any missing item are dropped (listwise deletion). With :math:`C` the sample
    covariance matrix of the :math:`k` items (denominator :math:`n-1`),

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1' C \\mathbf 1}\\right)

    (``raw_alpha`` of ``psych::alpha``), computed by pingouin's ``cronbach_alpha`` (on
    ``psych::bfi`` A1-A5 both give 0.70375589437). The Feldt interval (as ``psych::alpha.ci``) is

    .. math:: 1 - (1-\\alpha) F_{1-a/2}, \\; 1 - (1-\\alpha) F_{a/2}

    with :math:`F_p` the :math:`p` quantile of the F distribution on :math:`n-1` and
    :math:`(n-1)(k-1)` degrees of freedom and :math:`a = 1 - ci`. It is copkit's own: pingouin
    computes the same interval but rounds it to three decimals (0.686, 0.721 on ``bfi``, where
    R gives 0.68574463505, 0.7210359628).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30, 357-370.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> res = cronbach_alpha(items)
    >>> round(res.alpha, 4), res.n, res.k
    (0.9538, 5, 3)
    """
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be in (0, 1), got {ci}")
    values, _ = _complete_items(items)
    n, k = values.shape
    if n < 2:
        return AlphaResult(float("nan"), float("nan"), float("nan"), n, k)
    alpha = _pingouin_alpha(values)
    low, high = _feldt_interval(alpha, n, k, ci)
    return AlphaResult(alpha, low, high, n, k)


def item_total(items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item-total correlations, alpha if item deleted, item means and SDs.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item (already reverse keyed), one row per respondent; at least two
        items. Rows with any missing item are dropped first.

    Returns
    -------
    pandas.DataFrame
        Indexed by item, columns ``r_drop`` (correlation of the item with the sum of the other
        items), ``alpha_if_deleted`` (raw alpha of the other items), ``mean`` and ``sd``
        (sample SD, denominator n - 1). Entries are ``nan`` where undefined: ``r_drop`` for an
        item (or rest score) with zero variance, ``alpha_if_deleted`` when only one item would
        remain, everything with fewer than two complete rows (``mean`` needs one).

    Notes
    -----
    With :math:`C` the item covariance matrix, :math:`T = \\mathbf 1' C \\mathbf 1` and
    :math:`c_i = \\sum_j C_{ij}`, the rest score :math:`R_i = \\sum_{j \\ne i} X_j` has variance
    :math:`T - 2c_i + C_{ii}` and covariance :math:`c_i - C_{ii}` with item :math:`i`, so

    .. math:: r_{drop,i} = \\frac{c_i - C_{ii}}{\\sqrt{C_{ii}(T - 2c_i + C_{ii})}}, \\quad
              \\alpha_{-i} = \\frac{k-1}{k-2}\\left(1 - \\frac{\\operatorname{tr} C - C_{ii}}
              {T - 2c_i + C_{ii}}\\right)

    as ``r.drop`` and ``alpha.drop$raw_alpha`` of ``psych::alpha`` on complete data. Computed
    here for every item from one covariance matrix: pingouin has no item-total table, and
    calling its ``cronbach_alpha`` once per left-out item would give the same numbers at k
    times the cost.

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). Psychometric theory (3rd ed.). McGraw-Hill.
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research
    (function ``alpha``).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> item_total(items).round(3)
          r_drop  alpha_if_deleted  mean     sd
    item
    a      0.970             0.882   3.0  1.581
    b      0.903             0.933   3.4  1.517
    c      0.870             0.968   3.0  1.225
    """
    values, names = _complete_items(items)
    n, k = values.shape
    out = pd.DataFrame(np.nan, index=names, columns=["r_drop", "alpha_if_deleted"])
    out["mean"] = values.mean(axis=0) if n >= 1 else np.nan
    if n < 2:
        out["sd"] = np.nan
        return out
    cov = np.cov(values, rowvar=False)
    item_var = np.diag(cov)
    out["sd"] = np.sqrt(item_var)
    total = float(cov.sum())
    row_sums = cov.sum(axis=1)
    rest_var = total - 2.0 * row_sums + item_var
    rest_cov = row_sums - item_var
    denom = item_var * rest_var
    positive = denom > 0
    r_drop = np.full(k, np.nan)
    r_drop[positive] = rest_cov[positive] / np.sqrt(denom[positive])
    out["r_drop"] = r_drop
    if k >= 3:
        trace = float(np.trace(cov))
        alpha_del = np.full(k, np.nan)
        ok = rest_var > 0
        alpha_del[ok] = (k - 1) / (k - 2) * (1.0 - (trace - item_var[ok]) / rest_var[ok])
        out["alpha_if_deleted"] = alpha_del
    return out


def _ml_one_factor(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit one factor by maximum likelihood to a correlation matrix (Joreskog's method).

    Minimises the concentrated discrepancy
    ``F(psi) = sum_{j>1} (theta_j - log theta_j - 1)`` over uniquenesses ``psi`` in
    [0.005, 1], where ``theta`` are the eigenvalues of ``Psi^-1/2 R Psi^-1/2``; the loadings
    follow from the leading eigenpair. This is the criterion and parametrisation of R's
    ``factanal``. The minimiser is Joreskog's (1967) Newton-Raphson: analytic gradient
    ``diag(lambda lambda' + Psi - R) / psi^2`` and the approximate Hessian
    ``(Omega_2 Omega_2')^2 / (psi psi')`` (elementwise; ``Omega_2`` the eigenvectors of the
    discarded eigenvalues), with step halving and the bounds active where the gradient pushes
    out of them. Should it stall, L-BFGS-B finishes from where it stopped.
    """
    p = corr.shape[0]
    diag = np.diag(corr)

    def evaluate(psi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        scale = 1.0 / np.sqrt(psi)
        theta, omega = np.linalg.eigh(corr * np.outer(scale, scale))  # ascending
        rest = theta[:-1]
        if rest[0] <= 0:
            return float("inf"), np.zeros(p), np.eye(p), np.zeros(p)
        value = float(np.sum(rest - np.log(rest)) - (p - 1))
        lam = np.sqrt(psi) * omega[:, -1] * np.sqrt(max(theta[-1] - 1.0, 0.0))
        grad = (lam**2 + psi - diag) / psi**2
        discarded = omega[:, :-1] @ omega[:, :-1].T
        return value, grad, discarded**2 / np.outer(psi, psi), lam

    psi = np.clip((1.0 - 0.5 / p) / np.diag(np.linalg.inv(corr)), _PSI_LOWER, _PSI_UPPER)
    value, grad, hess, lam = evaluate(psi)
    converged = False
    for _ in range(200):
        free = ~(((psi <= _PSI_LOWER) & (grad > 0)) | ((psi >= _PSI_UPPER) & (grad < 0)))
        if not free.any() or np.max(np.abs(grad[free] * psi[free] ** 2)) < 1e-12:
            converged = True
            break
        step = np.zeros(p)
        try:
            step[free] = -np.linalg.solve(hess[np.ix_(free, free)], grad[free])
        except np.linalg.LinAlgError:
            step[free] = -grad[free]
        if not grad @ step < 0:
            step = np.where(free, -grad, 0.0)
        length = 1.0
        while True:
            candidate = np.clip(psi + length * step, _PSI_LOWER, _PSI_UPPER)
            trial = evaluate(candidate)
            if trial[0] <= value or length < 1e-10:
                break
            length /= 2.0
        if trial[0] > value:
            break
        moved = float(np.max(np.abs(candidate - psi)))
        psi = candidate
        value, grad, hess, lam = trial
        if moved < 1e-14:
            converged = True
            break
    if not converged:
        fit = optimize.minimize(
            lambda x: evaluate(x)[0],
            psi,
            jac=lambda x: evaluate(x)[1],
            method="L-BFGS-B",
            bounds=[(_PSI_LOWER, _PSI_UPPER)] * p,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
        )
        psi = np.asarray(fit.x)
        lam = evaluate(psi)[3]
    return lam, psi


def _minres_one_factor(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit one factor by minimum residuals: least squares on the off-diagonal correlations."""
    p = corr.shape[0]
    upper = np.triu_indices(p, 1)
    target = corr[upper]

    def residuals(lam: np.ndarray) -> np.ndarray:
        return np.asarray(np.outer(lam, lam)[upper] - target)

    def jacobian(lam: np.ndarray) -> np.ndarray:
        jac = np.zeros((target.size, p))
        rows = np.arange(target.size)
        jac[rows, upper[0]] = lam[upper[1]]
        jac[rows, upper[1]] = lam[upper[0]]
        return jac

    smc = 1.0 - 1.0 / np.diag(np.linalg.inv(corr))
    bound = float(np.sqrt(1.0 - _PSI_LOWER))
    start = np.clip(np.sqrt(np.clip(smc, _PSI_LOWER, 1.0 - _PSI_LOWER)), -bound, bound)
    fit = optimize.least_squares(
        residuals,
        start,
        jac=jacobian,
        bounds=(-bound, bound),
        xtol=1e-14,
        ftol=1e-14,
        gtol=1e-14,
        method="trf",
    )
    lam = np.asarray(fit.x)
    return lam, 1.0 - lam**2


def omega_total(items: pd.DataFrame, estimator: Literal["ml", "minres"] = "ml") -> OmegaResult:
    """McDonald's omega total from a one-factor model.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item (already reverse keyed), at least three items (a one-factor model
        of two items is not identified). Rows with any missing item are dropped.
    estimator : {"ml", "minres"}, default "ml"
        ``"ml"``: maximum likelihood, reproducing lavaan's one-factor CFA with omega computed
        as semTools does (unstandardised solution, model-implied total variance).
        ``"minres"``: minimum residuals, reproducing ``psych::omega(nfactors = 1)``.

    Returns
    -------
    OmegaResult
        ``omega``, standardised ``loadings`` and ``uniquenesses`` by item, ``n`` and
        ``estimator``. ``omega`` (and the loadings) are ``nan`` when the model cannot be
        fitted: fewer complete rows than items plus one, an item with zero variance, or a
        singular correlation matrix.

    Raises
    ------
    ValueError
        For fewer than three item columns, non-numeric items or an unknown estimator.

    Notes
    -----
    The factor model is fitted to the item correlation matrix :math:`R`. Maximum likelihood
    minimises :math:`F = \\log|\\Sigma| + \\operatorname{tr}(R\\Sigma^{-1}) - \\log|R| - p`
    with :math:`\\Sigma = \\lambda\\lambda' + \\Psi`, concentrated on the uniquenesses
    and minimised by Joreskog's (1967) Newton-Raphson (the criterion of R's ``factanal``),
    uniquenesses bounded to [0.005, 1] (lavaan leaves them unbounded, so the two differ only
    in Heywood cases). ML is scale
    invariant, so the covariance-metric solution is :math:`\\lambda_i s_i`,
    :math:`\\psi_i s_i^2` (:math:`s_i` the item SDs) and

    .. math:: \\omega_{ML} = \\frac{(\\sum_i \\lambda_i s_i)^2}
              {(\\sum_i \\lambda_i s_i)^2 + \\sum_i \\psi_i s_i^2}.

    Minres minimises :math:`\\sum_{i<j} (r_{ij} - \\lambda_i\\lambda_j)^2` and, as
    ``psych::omega``, divides by the observed total variance of the standardised items:

    .. math:: \\omega_{minres} = 1 - \\frac{\\sum_i \\psi_i}{\\mathbf 1' R \\mathbf 1}.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    Psychometrika, 32, 443-482.
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31, 351-368.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> common = rng.normal(size=500)
    >>> items = pd.DataFrame({f"i{j}": common + rng.normal(size=500) for j in range(4)})
    >>> round(omega_total(items).omega, 4)
    0.7694
    """
    if estimator not in ("ml", "minres"):
        raise ValueError(f"estimator must be 'ml' or 'minres', got {estimator!r}")
    values, names = _complete_items(items, min_items=3)
    n, k = values.shape

    def unfitted() -> OmegaResult:
        empty = pd.Series(np.nan, index=names, dtype=float)
        return OmegaResult(float("nan"), empty, empty.copy(), n, estimator)

    if n < k + 1:
        return unfitted()
    sd = values.std(axis=0, ddof=1)
    if np.any(sd <= 0):
        return unfitted()
    corr = np.corrcoef(values, rowvar=False)
    if np.linalg.eigvalsh(corr)[0] <= 1e-10:
        return unfitted()
    lam, psi = _ml_one_factor(corr) if estimator == "ml" else _minres_one_factor(corr)
    if lam.sum() < 0:
        lam = -lam
    if estimator == "ml":
        lam_raw = lam * sd
        common = float(lam_raw.sum()) ** 2
        omega = common / (common + float(np.sum(psi * sd**2)))
    else:
        omega = 1.0 - float(psi.sum()) / float(corr.sum())
    return OmegaResult(
        omega, pd.Series(lam, index=names), pd.Series(psi, index=names), n, estimator
    )


def _check_layout(
    frame: pd.DataFrame, items_by_scale: Mapping[str, Sequence[str]], wave: str
) -> None:
    """Raise ValueError naming every missing column of a wide item frame."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if not items_by_scale:
        raise ValueError("items_by_scale is empty: name at least one scale and its items")
    wanted = [wave] + [item for items in items_by_scale.values() for item in items]
    missing = [c for c in dict.fromkeys(wanted) if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(map(str, missing))}")


def reliability_table(
    items_wide: pd.DataFrame,
    items_by_scale: Mapping[str, Sequence[str]],
    *,
    wave: str = "wave",
) -> pd.DataFrame:
    """Alpha (with Feldt 95% interval) and omega total for every scale in every wave.

    Parameters
    ----------
    items_wide : pandas.DataFrame
        One row per respondent x team x wave, one column per item (already reverse keyed),
        plus the ``wave`` column. Respondents of all teams in a wave are pooled.
    items_by_scale : mapping of str to sequence of str
        Scale id -> its item columns.
    wave : str, default "wave"
        Name of the wave column.

    Returns
    -------
    pandas.DataFrame
        One row per scale x wave (scales in mapping order, waves ascending) with columns
        ``scale``, ``wave``, ``n`` (complete rows), ``k``, ``alpha``, ``ci_low``, ``ci_high``
        (see :func:`cronbach_alpha`) and ``omega`` (:func:`omega_total`, ML; ``nan`` for
        scales of fewer than three items or when the model cannot be fitted).

    Notes
    -----
    Each statistic is computed on the rows of that wave with every item of the scale
    answered; see :func:`cronbach_alpha` and :func:`omega_total` for the formulas.

    References
    ----------
    See :func:`cronbach_alpha` and :func:`omega_total`.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"wave": [1] * 5, "a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5],
    ...                      "c": [1, 3, 3, 4, 4]})
    >>> reliability_table(data, {"s": ["a", "b", "c"]})[["scale", "wave", "n", "k", "alpha"]]
      scale  wave  n  k     alpha
    0     s     1  5  3  0.953757
    """
    _check_layout(items_wide, items_by_scale, wave)
    rows: list[dict[str, object]] = []
    waves = list(items_wide.groupby(wave, sort=True))
    for scale, scale_items in items_by_scale.items():
        for wave_id, frame in waves:
            block = frame[list(scale_items)]
            res = cronbach_alpha(block)
            omega = omega_total(block).omega if len(scale_items) >= 3 else float("nan")
            rows.append(
                {
                    "scale": scale,
                    "wave": wave_id,
                    "n": res.n,
                    "k": res.k,
                    "alpha": res.alpha,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                    "omega": omega,
                }
            )
    columns = ["scale", "wave", "n", "k", "alpha", "ci_low", "ci_high", "omega"]
    return pd.DataFrame(rows, columns=columns)


def item_total_table(
    items_wide: pd.DataFrame,
    items_by_scale: Mapping[str, Sequence[str]],
    *,
    wave: str = "wave",
    weak_below: float = WEAK_R_DROP,
) -> pd.DataFrame:
    """Item-total statistics for every item of every scale in every wave.

    Parameters
    ----------
    items_wide : pandas.DataFrame
        One row per respondent x team x wave, item columns (already reverse keyed) and the
        ``wave`` column.
    items_by_scale : mapping of str to sequence of str
        Scale id -> its item columns (at least two per scale).
    wave : str, default "wave"
        Name of the wave column.
    weak_below : float, default 0.30
        Items whose corrected item-total correlation is below this are flagged ``weak``.

    Returns
    -------
    pandas.DataFrame
        One row per scale x wave x item with columns ``scale``, ``wave``, ``item``, ``n``,
        ``r_drop``, ``alpha_if_deleted``, ``mean``, ``sd`` (see :func:`item_total`) and
        ``weak`` (bool; False where ``r_drop`` is ``nan``).

    Notes
    -----
    ``weak`` is :math:`r_{drop} < 0.30`, a common rule of thumb for items that do not hang
    together with the rest of their scale (Nunnally & Bernstein, 1994).

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). Psychometric theory (3rd ed.). McGraw-Hill.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"wave": [1] * 5, "a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5],
    ...                      "c": [1, 3, 3, 4, 4], "d": [3, 3, 2, 4, 2]})
    >>> table = item_total_table(data, {"s": ["a", "b", "c", "d"]})
    >>> table[["item", "r_drop", "weak"]].round(3)
      item  r_drop   weak
    0    a   0.855  False
    1    b   0.915  False
    2    c   0.852  False
    3    d  -0.043   True
    """
    _check_layout(items_wide, items_by_scale, wave)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("scale", "wave", "item", "n")}
    stats_parts: list[np.ndarray] = []
    waves = list(items_wide.groupby(wave, sort=True))
    for scale, scale_items in items_by_scale.items():
        k = len(scale_items)
        for wave_id, frame in waves:
            block = frame[list(scale_items)]
            stats_ = item_total(block)
            n = int((~np.isnan(block.to_numpy(dtype=float))).all(axis=1).sum())
            parts["scale"].append(np.full(k, scale, dtype=object))
            parts["wave"].append(np.full(k, wave_id, dtype=object))
            parts["item"].append(np.asarray(stats_.index, dtype=object))
            parts["n"].append(np.full(k, n))
            stats_parts.append(stats_.to_numpy(dtype=float))
    columns = ["scale", "wave", "item", "n", "r_drop", "alpha_if_deleted", "mean", "sd", "weak"]
    if not stats_parts:
        return pd.DataFrame(columns=columns)
    stacked = np.vstack(stats_parts)
    out = pd.DataFrame({name: np.concatenate(chunks) for name, chunks in parts.items()})
    out["wave"] = out["wave"].infer_objects()
    for j, name in enumerate(["r_drop", "alpha_if_deleted", "mean", "sd"]):
        out[name] = stacked[:, j]
    with np.errstate(invalid="ignore"):
        out["weak"] = stacked[:, 0] < weak_below
    return out[columns]
