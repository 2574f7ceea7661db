"""Confirmatory factor models with a mean structure fitted by maximum likelihood, as lavaan does."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CfaFit", "CfaModel", "GroupMoments", "fit_cfa", "group_moments"]

FloatArray = np.ndarray


@dataclass(frozen=True)
class GroupMoments:
    """The sufficient statistics of one group: size, means and the ML (divide-by-n) covariance.

    Attributes
    ----------
    name : str
        The group's name (its value in the grouping column, or a label).
    n : int
        Complete rows.
    mean : ndarray
        Item means, in the model's item order.
    cov : ndarray
        Item covariances with divisor :math:`n` (the ML estimate lavaan uses).
    logdet : float
        :math:`\\log|S|` of ``cov``.
    """

    name: str
    n: int
    mean: FloatArray
    cov: FloatArray
    logdet: float


def group_moments(data: pd.DataFrame, items: Sequence[str], name: str) -> GroupMoments:
    """Means and the divide-by-n covariance matrix of the complete rows of ``items``.

    Rows with any of ``items`` missing are dropped (lavaan's default, listwise deletion).

    Raises
    ------
    ValueError
        When fewer complete rows than items plus one remain, or an item has no variance: the
        sample covariance matrix is then singular and no ML fit exists.
    """
    values = data[list(items)].dropna().to_numpy(dtype=float)
    n, p = values.shape
    if n < p + 1:
        raise ValueError(
            f"group {name!r}: {n} complete rows for {p} items; at least {p + 1} are needed"
        )
    mean = values.mean(axis=0)
    cov = np.cov(values, rowvar=False, ddof=0)
    flat = [item for item, var in zip(items, np.diag(cov), strict=True) if var <= 0]
    if flat:
        raise ValueError(f"group {name!r}: no variance in {', '.join(flat)}")
    if np.linalg.eigvalsh(cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov))))[0] <= 1e-10:
        raise ValueError(f"group {name!r}: the items' covariance matrix is singular")
    return GroupMoments(name=name, n=n, mean=mean, cov=cov, logdet=float(np.linalg.slogdet(cov)[1]))


@dataclass
class CfaModel:
    """A multi-group factor model :math:`\\Sigma_g = \\Lambda_g\\Phi_g\\Lambda_g' + \\Theta_g`,
    :math:`\\mu_g = \\nu_g + \\Lambda_g\\kappa_g`, declared element by element.

    Every element of the matrices ``lambda`` (items x factors), ``phi`` (factors x factors,
    symmetric), ``theta`` (items x items, symmetric), ``nu`` (items) and ``kappa`` (factors)
    of every group is either fixed (to 0 unless :meth:`fix` says otherwise) or a free
    parameter named by a key: elements that share a key share one parameter, which is how
    equality constraints across groups or occasions are written (lavaan's labels).
    """

    items: tuple[str, ...]
    factors: tuple[str, ...]
    groups: int
    keys: dict[Hashable, int] = field(default_factory=dict)
    positions: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    fixed: list[tuple[str, int, int, int, float]] = field(default_factory=list)

    def free(self, matrix: str, group: int, row: int, col: int, key: Hashable) -> None:
        """Make ``matrix[row, col]`` of ``group`` the free parameter ``key`` (and its mirror
        element for the symmetric ``phi`` and ``theta``)."""
        index = self.keys.setdefault(key, len(self.keys))
        self.positions.append((matrix, group, row, col, index))
        if matrix in ("phi", "theta") and row != col:
            self.positions.append((matrix, group, col, row, index))

    def fix(self, matrix: str, group: int, row: int, col: int, value: float) -> None:
        """Fix ``matrix[row, col]`` of ``group`` to ``value`` (e.g. a marker loading of 1)."""
        self.fixed.append((matrix, group, row, col, value))

    @property
    def npar(self) -> int:
        """Number of free parameters."""
        return len(self.keys)


@dataclass(frozen=True)
class CfaFit:
    """Fit of a :class:`CfaModel` and the fit measures ``lavaan::fitMeasures`` reports.

    Attributes
    ----------
    chisq, df, pvalue : float, int, float
        Likelihood-ratio chi-square against the saturated model, its degrees of freedom and
        upper-tail p-value.
    cfi, tli, rmsea, srmr : float
        Comparative fit index, Tucker-Lewis index, RMSEA and Bentler's SRMR (mean residuals
        included).
    loglik, aic, bic : float
        Log-likelihood at the estimates, and the information criteria.
    npar, n : int
        Free parameters; complete rows over all groups.
    baseline_chisq, baseline_df : float, int
        The independence model (free means and variances, no covariances) per group.
    converged : bool
        Whether the optimiser met its convergence criterion.
    estimates : ndarray
        The free parameters, in the order of the model's keys.
    """

    chisq: float
    df: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    loglik: float
    aic: float
    bic: float
    npar: int
    n: int
    baseline_chisq: float
    baseline_df: int
    converged: bool
    estimates: FloatArray

    def measures(self) -> dict[str, float]:
        """The nine measures of an invariance table, by lavaan's names."""
        return {
            "chisq": self.chisq,
            "df": float(self.df),
            "pvalue": self.pvalue,
            "cfi": self.cfi,
            "tli": self.tli,
            "rmsea": self.rmsea,
            "srmr": self.srmr,
            "aic": self.aic,
            "bic": self.bic,
        }


_SHAPES = ("lambda", "phi", "theta", "nu", "kappa")


class _Layout:
    """A model's free and fixed elements as index arrays per group and matrix (built once)."""

    def __init__(self, model: CfaModel) -> None:
        p, m = len(model.items), len(model.factors)
        shapes = {"lambda": (p, m), "phi": (m, m), "theta": (p, p), "nu": (p, 1), "kappa": (m, 1)}
        self.p, self.npar, self.groups = p, model.npar, model.groups
        self.templates = [
            {name: np.zeros(shapes[name]) for name in _SHAPES} for _ in range(model.groups)
        ]
        for matrix, group, row, col, value in model.fixed:
            self.templates[group][matrix][row, col] = value
        # each group's own parameters, numbered locally (derivatives of the others are zero)
        self.params = [
            np.array(sorted({pos[4] for pos in model.positions if pos[1] == group}), dtype=int)
            for group in range(model.groups)
        ]
        local = [{int(k): i for i, k in enumerate(params)} for params in self.params]
        found: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
        for matrix, group, row, col, index in model.positions:
            found.setdefault((group, matrix), []).append((row, col, index))
        self.local = [
            {
                name: np.array(
                    [local[group][i] for _, _, i in found.get((group, name), [])], dtype=int
                )
                for name in _SHAPES
            }
            for group in range(model.groups)
        ]
        self.free = [
            {
                name: tuple(
                    np.array(column, dtype=int)
                    for column in zip(*found.get((group, name), []), strict=True)
                )
                or (np.zeros(0, dtype=int),) * 3
                for name in _SHAPES
            }
            for group in range(model.groups)
        ]

    def matrices(self, theta: FloatArray) -> list[dict[str, FloatArray]]:
        """Every group's model matrices at the parameters ``theta``."""
        out = []
        for template, free in zip(self.templates, self.free, strict=True):
            values = {name: matrix.copy() for name, matrix in template.items()}
            for name, (rows, cols, index) in free.items():
                values[name][rows, cols] = theta[index]
            out.append(values)
        return out

    def jacobian(self, group: int, values: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
        """Derivatives of the group's implied covariances (k x p x p) and means (k x p) by the
        group's own ``k`` parameters (:attr:`params`, in that order)."""
        count = len(self.params[group])
        d_sigma = np.zeros((count, self.p, self.p))
        d_mu = np.zeros((count, self.p))
        lam, phi, kappa = values["lambda"], values["phi"], values["kappa"][:, 0]
        free, local = self.free[group], self.local[group]
        rows, cols, _ = free["lambda"]
        index = local["lambda"]
        columns = (lam @ phi)[:, cols].T
        np.add.at(d_sigma, (index, rows), columns)
        np.add.at(d_sigma.transpose(0, 2, 1), (index, rows), columns)
        np.add.at(d_mu, (index, rows), kappa[cols])
        rows, cols, _ = free["phi"]
        index = local["phi"]
        np.add.at(d_sigma, index, np.einsum("ik,jk->kij", lam[:, rows], lam[:, cols]))
        rows, cols, _ = free["theta"]
        index = local["theta"]
        np.add.at(d_sigma, (index, rows, cols), 1.0)
        rows, _, _ = free["nu"]
        index = local["nu"]
        np.add.at(d_mu, (index, rows), 1.0)
        rows, _, _ = free["kappa"]
        index = local["kappa"]
        np.add.at(d_mu, index, lam[:, rows].T)
        return d_sigma, d_mu


def _implied(values: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Model-implied covariance matrix and mean vector of one group."""
    lam = values["lambda"]
    sigma = lam @ values["phi"] @ lam.T + values["theta"]
    mu = (values["nu"] + lam @ values["kappa"])[:, 0]
    return sigma, mu


def _discrepancy(
    layout: _Layout, data: Sequence[GroupMoments], theta: FloatArray
) -> tuple[float, list[tuple[FloatArray, FloatArray, FloatArray]]] | None:
    """:math:`\\sum_g n_g f_g` and, per group, :math:`\\Sigma^{-1}`, the mean residual and
    :math:`W`; None where an implied covariance matrix is not positive definite."""
    total = 0.0
    parts = []
    for values, moments in zip(layout.matrices(theta), data, strict=True):
        sigma, mu = _implied(values)
        try:
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return None
        inverse = np.linalg.inv(sigma)
        residual = moments.mean - mu
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
        f = (
            logdet
            + float(np.sum(moments.cov * inverse))
            - moments.logdet
            - len(mu)
            + float(residual @ inverse @ residual)
        )
        total += moments.n * f
        outer = moments.cov + np.outer(residual, residual)
        parts.append((inverse, residual, inverse - inverse @ outer @ inverse))
    return total, parts


def _start(model: CfaModel, data: Sequence[GroupMoments]) -> FloatArray:
    """Starting values: half the item variances as residuals, the marker item's half variance
    as factor variance, loadings by regression on the marker, observed means as intercepts."""
    sums = np.zeros(model.npar)
    counts = np.zeros(model.npar)
    markers: dict[tuple[int, int], int] = {}
    for matrix, group, row, col, value in model.fixed:
        if matrix == "lambda" and value != 0:
            markers[(group, col)] = row
    for matrix, group, row, col, index in model.positions:
        cov, mean = data[group].cov, data[group].mean
        marker = markers.get((group, col), row)
        if matrix == "lambda":
            value = cov[row, marker] / (0.5 * cov[marker, marker])
        elif matrix == "phi":
            anchor = markers.get((group, row), 0)
            value = 0.5 * cov[anchor, anchor] if row == col else 0.0
        elif matrix == "theta":
            value = 0.5 * cov[row, row] if row == col else 0.0
        elif matrix == "nu":
            value = mean[row]
        else:
            value = 0.0
        sums[index] += value
        counts[index] += 1
    return sums / np.maximum(counts, 1)


def _optimise(
    model: CfaModel,
    data: Sequence[GroupMoments],
    *,
    max_iter: int = 500,
    tolerance: float = 1e-11,
) -> tuple[FloatArray, float, bool]:
    """Minimise the ML discrepancy by Fisher scoring with step halving.

    Each step solves :math:`I\\,\\delta = -g` with the gradient
    :math:`g_k = \\sum_g n_g [\\operatorname{tr}(W_g \\dot\\Sigma_{gk})
    - 2 (\\bar y_g - \\mu_g)'\\Sigma_g^{-1}\\dot\\mu_{gk}]` and the expected information
    :math:`I_{kl} = \\sum_g n_g [\\operatorname{tr}(\\Sigma_g^{-1}\\dot\\Sigma_{gk}
    \\Sigma_g^{-1}\\dot\\Sigma_{gl}) + 2\\dot\\mu_{gk}'\\Sigma_g^{-1}\\dot\\mu_{gl}]`, halving
    the step until the discrepancy falls and every implied covariance matrix stays positive
    definite. Converged when the scoring decrement :math:`-g'\\delta` (about twice the
    distance to the minimum) is below ``tolerance`` times :math:`\\max(1, F)`.
    """
    layout = _Layout(model)
    theta = _start(model, data)
    current = _discrepancy(layout, data, theta)
    if current is None:
        return theta, float("nan"), False
    value, parts = current
    for _ in range(max_iter):
        grad = np.zeros(model.npar)
        info = np.zeros((model.npar, model.npar))
        matrices = layout.matrices(theta)
        for group, (moments, (inverse, residual, w)) in enumerate(zip(data, parts, strict=True)):
            ds, dm = layout.jacobian(group, matrices[group])
            own = layout.params[group]
            flat = ds.reshape(len(ds), -1)
            grad[own] += moments.n * (flat @ w.ravel() - 2.0 * dm @ (inverse @ residual))
            sandwich = (inverse @ ds @ inverse).reshape(len(ds), -1)
            info[np.ix_(own, own)] += moments.n * (flat @ sandwich.T + 2.0 * dm @ inverse @ dm.T)
        try:
            step = -np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(info, grad, rcond=None)[0]
        decrement = float(-grad @ step)
        if decrement < tolerance * max(1.0, value):
            return theta, value, True
        length = 1.0
        while length > 1e-12:
            trial = _discrepancy(layout, data, theta + length * step)
            if trial is not None and trial[0] <= value:
                break
            length /= 2.0
        else:
            return theta, value, decrement < 1e3 * tolerance * max(1.0, value)
        theta = theta + length * step
        value, parts = trial
    return theta, value, False


def _srmr(layout: _Layout, data: Sequence[GroupMoments], theta: FloatArray) -> float:
    """Bentler's SRMR with the mean residuals, averaged over groups weighted by size."""
    total = sum(moments.n for moments in data)
    out = 0.0
    for values, moments in zip(layout.matrices(theta), data, strict=True):
        sigma, mu = _implied(values)
        scale = 1.0 / np.sqrt(np.diag(moments.cov))
        residual = (moments.cov - sigma) * np.outer(scale, scale)
        mean_residual = (moments.mean - mu) * scale
        p = len(mu)
        lower = residual[np.tril_indices(p)]
        count = p * (p + 1) / 2 + p
        srmr = np.sqrt((float(np.sum(lower**2)) + float(np.sum(mean_residual**2))) / count)
        out += moments.n / total * srmr
    return float(out)


def fit_cfa(model: CfaModel, data: Sequence[GroupMoments]) -> CfaFit:
    """Fit a factor model with a mean structure by maximum likelihood and measure its fit.

    Parameters
    ----------
    model : CfaModel
        The model, every free and fixed element declared.
    data : sequence of GroupMoments
        One per group of the model, items in the model's order.

    Returns
    -------
    CfaFit
        The fit measures, computed as ``lavaan::fitMeasures`` computes them (lavaan 0.6,
        ``estimator = "ML"``, ``likelihood = "normal"``).

    Notes
    -----
    The discrepancy minimised is, with :math:`S_g` the divide-by-:math:`n_g` covariance
    matrix, :math:`\\bar y_g` the means and :math:`p` the items,

    .. math:: F = \\sum_g n_g \\left[\\log|\\Sigma_g| + \\operatorname{tr}(S_g\\Sigma_g^{-1})
              - \\log|S_g| - p + (\\bar y_g - \\mu_g)'\\Sigma_g^{-1}(\\bar y_g - \\mu_g)\\right]

    and :math:`\\chi^2 = F_{min}` with :math:`df = G\\,p(p+3)/2 - q` (:math:`q` free
    parameters). With :math:`\\chi^2_B, df_B` of the independence model
    (:math:`\\chi^2_B = \\sum_g n_g(\\sum_i \\log s_{g,ii} - \\log|S_g|)`,
    :math:`df_B = G\\,p(p-1)/2`) and :math:`N = \\sum_g n_g`:

    .. math:: CFI = 1 - \\frac{\\max(\\chi^2 - df, 0)}{\\max(\\chi^2 - df, \\chi^2_B - df_B, 0)},
              \\quad TLI = \\frac{\\chi^2_B/df_B - \\chi^2/df}{\\chi^2_B/df_B - 1},

    .. math:: RMSEA = \\sqrt{G}\\sqrt{\\max\\left(\\frac{\\chi^2 - df}{N\\,df}, 0\\right)},
              \\quad SRMR = \\sum_g \\frac{n_g}{N}
              \\sqrt{\\frac{\\sum_{i \\le j} r_{g,ij}^2 + \\sum_i m_{g,i}^2}{p(p+1)/2 + p}}

    with the standardised residuals :math:`r_{ij} = (s_{ij} - \\sigma_{ij}) /
    \\sqrt{s_{ii}s_{jj}}` and :math:`m_i = (\\bar y_i - \\mu_i)/\\sqrt{s_{ii}}`. The
    log-likelihood is :math:`\\ell = -\\frac12\\sum_g n_g[p\\log 2\\pi + \\log|\\Sigma_g|
    + \\operatorname{tr}(S_g\\Sigma_g^{-1}) + (\\bar y_g - \\mu_g)'\\Sigma_g^{-1}(\\bar y_g -
    \\mu_g)]`, :math:`AIC = -2\\ell + 2q` and :math:`BIC = -2\\ell + q\\log N`. The
    minimiser is Fisher scoring (see ``_optimise``); lavaan uses a quasi-Newton method on
    the same function, so both reach the same optimum.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software*, 48(2), 1-36.
    Bollen, K. A. (1989). *Structural Equations with Latent Variables*. Wiley.
    Bentler, P. M. (1990). Comparative fit indexes in structural models. *Psychological
    Bulletin*, 107, 238-246.
    Steiger, J. H. (1998). A note on multiple sample extensions of the RMSEA fit index.
    *Structural Equation Modeling*, 5, 411-419.
    """
    if len(data) != model.groups:
        raise ValueError(f"the model has {model.groups} group(s), the data {len(data)}")
    estimates, chisq, converged = _optimise(model, data)
    p = len(model.items)
    groups = model.groups
    n = sum(moments.n for moments in data)
    df = groups * p * (p + 3) // 2 - model.npar
    baseline = sum(
        moments.n * (float(np.sum(np.log(np.diag(moments.cov)))) - moments.logdet)
        for moments in data
    )
    baseline_df = groups * p * (p - 1) // 2
    saturated = sum(
        -0.5 * moments.n * (p * np.log(2 * np.pi) + moments.logdet + p) for moments in data
    )
    loglik = float(saturated - 0.5 * chisq)
    t_model = max(chisq - df, 0.0)
    t_base = max(chisq - df, baseline - baseline_df, 0.0)
    cfi = 1.0 if t_base == 0 else 1.0 - t_model / t_base
    tli = (
        (baseline / baseline_df - chisq / df) / (baseline / baseline_df - 1.0)
        if df > 0 and baseline_df > 0
        else 1.0
    )
    rmsea = float(np.sqrt(groups) * np.sqrt(max((chisq - df) / (n * df), 0.0))) if df > 0 else 0.0
    return CfaFit(
        chisq=float(chisq),
        df=int(df),
        pvalue=float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        cfi=float(cfi),
        tli=float(tli),
        rmsea=rmsea,
        srmr=_srmr(_Layout(model), data, estimates),
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * model.npar,
        bic=-2.0 * loglik + model.npar * float(np.log(n)),
        npar=model.npar,
        n=n,
        baseline_chisq=float(baseline),
        baseline_df=int(baseline_df),
        converged=converged,
        estimates=estimates,
    )
