"""Confirmatory factor models with a mean structure fitted by maximum likelihood, as lavaan does."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CfaFit", "CfaModel", "GroupMoments", "fit_cfa", "group_moments"]

FloatArray = np.ndarray
IntArray = np.ndarray


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
    """A model's free and fixed elements as index arrays, every group at once (built once).

    The groups share one list of *elements*: the matrix entries that are free in some group
    (an entry of a symmetric matrix and its mirror are two elements). ``assign`` ``(G, E, k)``
    says which parameter, if any, each group's element is, so that derivatives by the elements
    sum to derivatives by the parameters.
    """

    def __init__(self, model: CfaModel) -> None:
        p, m, groups = len(model.items), len(model.factors), model.groups
        shapes = {"lambda": (p, m), "phi": (m, m), "theta": (p, p), "nu": (p, 1), "kappa": (m, 1)}
        self.p, self.m, self.npar, self.groups = p, m, model.npar, groups
        self.templates = {name: np.zeros((groups, *shapes[name])) for name in _SHAPES}
        for matrix, group, row, col, value in model.fixed:
            self.templates[matrix][group, row, col] = value
        self.free: dict[str, tuple[IntArray, IntArray, IntArray, IntArray]] = {}
        for name in _SHAPES:
            found = [pos[1:] for pos in model.positions if pos[0] == name]
            table = np.array(found, dtype=int).reshape(-1, 4)
            self.free[name] = (table[:, 0], table[:, 1], table[:, 2], table[:, 3])
        # the elements, by matrix: (row, col) entries free in some group, in first-seen order
        self.elements = {
            name: list(dict.fromkeys(zip(free[1].tolist(), free[2].tolist(), strict=True)))
            for name, free in self.free.items()
        }
        offsets = np.cumsum([0] + [len(self.elements[name]) for name in _SHAPES])
        self.slices = {name: slice(offsets[i], offsets[i + 1]) for i, name in enumerate(_SHAPES)}
        self.n_elements = int(offsets[-1])
        self.assign = np.zeros((groups, self.n_elements, model.npar))
        for name, (in_group, rows, cols, index) in self.free.items():
            where = {rc: self.slices[name].start + i for i, rc in enumerate(self.elements[name])}
            element = [where[rc] for rc in zip(rows.tolist(), cols.tolist(), strict=True)]
            self.assign[in_group, element, index] = 1.0
        self._constant_derivatives()

    def _constant_derivatives(self) -> None:
        """The derivatives that do not depend on the parameters: residual (co)variances of
        the implied covariances, intercepts of the implied means."""
        self.d_sigma = np.zeros((self.groups, self.n_elements, self.p, self.p))
        self.d_mu = np.zeros((self.groups, self.n_elements, self.p))
        rows, cols = self._entries("theta")
        self.d_sigma[:, self._range("theta"), rows, cols] = 1.0
        rows, _ = self._entries("nu")
        self.d_mu[:, self._range("nu"), rows] = 1.0

    def _entries(self, name: str) -> tuple[IntArray, IntArray]:
        pairs = self.elements[name]
        return (
            np.array([r for r, _ in pairs], dtype=int),
            np.array([c for _, c in pairs], dtype=int),
        )

    def _range(self, name: str) -> IntArray:
        return np.arange(self.slices[name].start, self.slices[name].stop)

    def matrices(self, theta: FloatArray) -> dict[str, FloatArray]:
        """Every group's model matrices at the parameters ``theta`` (``(G, rows, cols)``)."""
        values = {name: matrix.copy() for name, matrix in self.templates.items()}
        for name, (group, row, col, index) in self.free.items():
            values[name][group, row, col] = theta[index]
        return values

    def jacobian(self, values: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
        """Derivatives of every group's implied covariances ``(G, E, p, p)`` and means
        ``(G, E, p)`` by the elements (:attr:`assign` takes them to the parameters)."""
        d_sigma = self.d_sigma.copy()
        d_mu = self.d_mu.copy()
        lam, phi, kappa = values["lambda"], values["phi"], values["kappa"][:, :, 0]
        rows, cols = self._entries("lambda")
        if rows.size:
            index = self._range("lambda")
            columns = np.transpose((lam @ phi)[:, :, cols], (0, 2, 1))
            d_sigma[:, index, rows, :] += columns
            np.transpose(d_sigma, (0, 1, 3, 2))[:, index, rows, :] += columns
            d_mu[:, index, rows] += kappa[:, cols]
        rows, cols = self._entries("phi")
        if rows.size:
            d_sigma[:, self.slices["phi"]] += np.einsum(
                "gie,gje->geij", lam[:, :, rows], lam[:, :, cols]
            )
        rows, _ = self._entries("kappa")
        if rows.size:
            d_mu[:, self.slices["kappa"]] += np.transpose(lam[:, :, rows], (0, 2, 1))
        return d_sigma, d_mu


@dataclass(frozen=True)
class _Moments:
    """The groups' moments stacked: sizes ``(G,)``, means ``(G, p)``, covariances and their
    log-determinants."""

    n: FloatArray
    mean: FloatArray
    cov: FloatArray
    logdet: FloatArray

    @classmethod
    def stack(cls, data: Sequence[GroupMoments]) -> _Moments:
        return cls(
            n=np.array([moments.n for moments in data], dtype=float),
            mean=np.array([moments.mean for moments in data]),
            cov=np.array([moments.cov for moments in data]),
            logdet=np.array([moments.logdet for moments in data]),
        )


def _implied(values: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Model-implied covariance matrices ``(G, p, p)`` and mean vectors ``(G, p)``."""
    lam = values["lambda"]
    sigma = lam @ values["phi"] @ np.transpose(lam, (0, 2, 1)) + values["theta"]
    mu = (values["nu"] + lam @ values["kappa"])[:, :, 0]
    return sigma, mu


def _discrepancy(
    layout: _Layout, data: _Moments, theta: FloatArray
) -> tuple[float, tuple[FloatArray, FloatArray, FloatArray]] | None:
    """:math:`\\sum_g n_g f_g` and, stacked over groups, :math:`\\Sigma^{-1}`, the mean
    residual and :math:`W`; None where an implied covariance matrix is not positive
    definite."""
    sigma, mu = _implied(layout.matrices(theta))
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    inverse = np.linalg.inv(sigma)
    residual = data.mean - mu
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    weighted = np.einsum("gij,gj->gi", inverse, residual)
    f = (
        logdet
        + np.einsum("gij,gij->g", data.cov, inverse)
        - data.logdet
        - layout.p
        + np.einsum("gi,gi->g", residual, weighted)
    )
    outer = data.cov + residual[:, :, None] * residual[:, None, :]
    w = inverse - inverse @ outer @ inverse
    return float(data.n @ f), (inverse, residual, w)


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


def _scoring_step(
    layout: _Layout, data: _Moments, theta: FloatArray, parts: tuple[FloatArray, ...]
) -> tuple[FloatArray, FloatArray]:
    """The gradient and the expected information of the discrepancy at ``theta``."""
    inverse, residual, w = parts
    ds, dm = layout.jacobian(layout.matrices(theta))
    groups, count, p = dm.shape
    flat = ds.reshape(groups, count, p * p)
    weighted = np.einsum("gij,gj->gi", inverse, residual)
    grad_e = (
        data.n[:, None]
        * (flat @ w.reshape(groups, p * p, 1) - 2.0 * dm @ weighted[:, :, None])[:, :, 0]
    )
    sandwich = (inverse[:, None] @ ds @ inverse[:, None]).reshape(groups, count, p * p)
    info_e = flat @ np.transpose(sandwich, (0, 2, 1)) + 2.0 * dm @ inverse @ np.transpose(
        dm, (0, 2, 1)
    )
    assign = layout.assign
    grad = np.einsum("ge,gek->k", grad_e, assign)
    info = (np.transpose(assign, (0, 2, 1)) @ (data.n[:, None, None] * info_e) @ assign).sum(0)
    return grad, info


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
    distance to the minimum) is below ``tolerance`` times :math:`\\max(1, F)`. Every group
    is computed at once, on arrays stacked over groups.
    """
    layout = _Layout(model)
    moments = _Moments.stack(data)
    theta = _start(model, data)
    current = _discrepancy(layout, moments, theta)
    if current is None:
        return theta, float("nan"), False
    value, parts = current
    for _ in range(max_iter):
        grad, info = _scoring_step(layout, moments, theta, parts)
        try:
            step = -np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(info, grad, rcond=None)[0]
        decrement = float(-grad @ step)
        if decrement < tolerance * max(1.0, value):
            return theta, value, True
        length = 1.0
        while length > 1e-12:
            trial = _discrepancy(layout, moments, theta + length * step)
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
    sigmas, mus = _implied(layout.matrices(theta))
    out = 0.0
    for sigma, mu, moments in zip(sigmas, mus, data, strict=True):
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
