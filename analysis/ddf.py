"""Denominator degrees of freedom for REML growth models: Satterthwaite (lmerTest), Kenward-Roger (pbkrtest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from analysis.reml import (
    FloatArray,
    IntArray,
    NestedDesign,
    relative_covariances,
    reml_criterion_gradient,
)

__all__ = [
    "DDF_LABELS",
    "DDF_METHODS",
    "KenwardRoger",
    "VarparCovariance",
    "covariance_jacobians",
    "ddf_label",
    "kenward_roger",
    "kenward_roger_df",
    "richardson_jacobian",
    "satterthwaite_df",
    "varpar_covariance",
]

Ddf = Literal["satterthwaite", "kenward-roger", "wald"]

#: The methods :func:`analysis.fit_growth` accepts for ``ddf``.
DDF_METHODS: tuple[str, ...] = ("satterthwaite", "kenward-roger", "wald")
#: How reports name each method (the package whose answer it reproduces in brackets).
DDF_LABELS = {
    "satterthwaite": "Satterthwaite t (as R's lmerTest)",
    "kenward-roger": "Kenward-Roger t with adjusted standard errors (as R's pbkrtest)",
    "wald": "Wald z (normal reference, no small-sample correction)",
}
#: lmerTest's tolerance on the eigenvalues of the Hessian (``as_lmerModLmerTest(tol = 1e-8)``).
EIGEN_TOL = 1e-8


def ddf_label(method: str) -> str:
    """A reader's name for a ``ddf`` method, e.g. ``"Satterthwaite t (as R's lmerTest)"``.

    Examples
    --------
    >>> ddf_label("kenward-roger")
    "Kenward-Roger t with adjusted standard errors (as R's pbkrtest)"
    """
    if method not in DDF_LABELS:
        raise ValueError(f"ddf must be one of {', '.join(DDF_METHODS)}; got {method!r}")
    return DDF_LABELS[method]


def richardson_jacobian(
    f: Callable[[FloatArray], FloatArray], x: FloatArray, *, levels: int = 4
) -> FloatArray:
    """Jacobian of ``f`` at ``x`` by central differences with Richardson extrapolation.

    Parameters
    ----------
    f:
        Function from ``R^k`` to ``R^m`` (any array shape; it is flattened).
    x:
        Point of length ``k``.
    levels:
        Number of halvings of the step.

    Returns
    -------
    ndarray
        ``m x k``.

    Notes
    -----
    As numDeriv's ``"Richardson"`` method (Gilbert & Varadhan): the step for ``x_i`` starts at
    ``h = 0.01 |x_i| + 1e-4 [|x_i| < 1.8e-5]`` and is halved ``levels - 1`` times; the central
    differences ``D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h`` have error ``a h^2 + b h^4 + ...``,
    which the extrapolation ``(4^m D(h / 2) - D(h)) / (4^m - 1)`` removes term by term.

    Examples
    --------
    >>> import numpy as np
    >>> jac = richardson_jacobian(lambda v: np.array([v[0] ** 3, np.sin(v[1])]), np.array([2.0, 0.0]))
    >>> np.round(jac, 8).tolist()
    [[12.0, 0.0], [0.0, 1.0]]
    """
    x = np.asarray(x, dtype=float)
    zero_tol = np.sqrt(np.finfo(float).eps / 7e-7)
    columns = []
    for i in range(x.size):
        h = 0.01 * abs(x[i]) + 1e-4 * (abs(x[i]) < zero_tol)
        table: list[FloatArray] = []
        for _level in range(levels):
            step = np.zeros_like(x)
            step[i] = h
            table.append((np.ravel(f(x + step)) - np.ravel(f(x - step))).astype(float) / (2.0 * h))
            h /= 2.0
        for m in range(1, levels):
            factor = 4.0**m
            table = [
                (factor * table[k + 1] - table[k]) / (factor - 1.0) for k in range(len(table) - 1)
            ]
        columns.append(table[0])
    return np.column_stack(columns)


@dataclass(frozen=True)
class VarparCovariance:
    """Asymptotic covariance of the variance parameters, as lmerTest computes it.

    Attributes
    ----------
    varpar:
        lme4's ``theta`` (caller's time scale) followed by ``sigma``.
    covariance:
        ``2 H^+``: twice the Moore-Penrose inverse of the Hessian ``H`` of the REML criterion
        in ``varpar`` over its eigenvalues above ``1e-8`` (lmerTest's ``vcov_varpar``).
    eigenvalues:
        Eigenvalues of ``H``, largest first.
    note:
        lmerTest's warning when an eigenvalue is negative or near zero, else empty.
    """

    varpar: FloatArray
    covariance: FloatArray
    eigenvalues: FloatArray
    note: str


def varpar_covariance(design: NestedDesign, theta: FloatArray, sigma: float) -> VarparCovariance:
    """lmerTest's ``vcov_varpar`` at the REML optimum (see :class:`VarparCovariance`).

    Parameters
    ----------
    design:
        Sufficient statistics of the fit (:func:`analysis.reml.prepare_design`).
    theta:
        lme4's ``theta`` at the optimum, on the caller's time scale.
    sigma:
        Residual standard deviation at the optimum.

    Notes
    -----
    The Hessian is the Richardson-extrapolated Jacobian of the analytic gradient of the REML
    criterion at given ``(theta, sigma)`` (:func:`analysis.reml.reml_criterion_gradient`),
    symmetrised; lmerTest differentiates the criterion twice numerically (numDeriv), with
    the same limit.
    """
    varpar = np.append(np.asarray(theta, dtype=float), float(sigma))

    def gradient(point: FloatArray) -> FloatArray:
        return reml_criterion_gradient(point, design)[1]

    hessian = richardson_jacobian(gradient, varpar)
    hessian = (hessian + hessian.T) / 2.0
    values, vectors = np.linalg.eigh(hessian)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    positive = values > EIGEN_TOL
    inverse = (vectors[:, positive] / values[positive]) @ vectors[:, positive].T
    notes = []
    negative = values < -EIGEN_TOL
    zero = ~positive & ~negative
    if negative.any():
        notes.append(
            f"{int(negative.sum())} negative eigenvalue(s) of the Hessian "
            f"({', '.join(f'{v:.1e}' for v in values[negative])}): the fit may not have converged"
        )
    if zero.any():
        notes.append(
            f"{int(zero.sum())} eigenvalue(s) of the Hessian close to zero "
            f"({', '.join(f'{v:.1e}' for v in values[zero])}): those directions are left out "
            "(Moore-Penrose inverse)"
        )
    return VarparCovariance(varpar, 2.0 * inverse, values, "; ".join(notes))


def covariance_jacobians(
    design: NestedDesign, varpar: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The covariances of the estimates and their derivatives in ``varpar = (theta, sigma)``.

    Returns
    -------
    tuple of ndarray
        ``vcov(beta)`` (``p x p``), the conditional covariance of the team effects
        (``J x q x q``) and the prediction-error covariance of the team trajectories
        (``J x q x q``), each followed by its Jacobian (one more trailing axis of length
        ``len(varpar)``), as lmerTest's ``Jac_list`` for ``vcov(beta)``.

    Notes
    -----
    Each covariance is ``sigma^2 C(theta)`` (:func:`analysis.reml.relative_covariances`), so
    its derivative in ``sigma`` is ``2 sigma C`` and that in ``theta`` is
    ``sigma^2 dC / dtheta``, by :func:`richardson_jacobian`.
    """
    theta = np.asarray(varpar[:-1], dtype=float)
    sigma = float(varpar[-1])
    beta_cov, re_cov, pev = relative_covariances(theta, design)
    sizes = [beta_cov.size, re_cov.size]

    def stacked(point: FloatArray) -> FloatArray:
        return np.concatenate([np.ravel(a) for a in relative_covariances(point, design)])

    jac = richardson_jacobian(stacked, theta)
    out: list[FloatArray] = []
    for block, (start, stop) in zip(
        (beta_cov, re_cov, pev),
        ((0, sizes[0]), (sizes[0], sizes[0] + sizes[1]), (sizes[0] + sizes[1], jac.shape[0])),
        strict=True,
    ):
        d_theta = sigma**2 * jac[start:stop].reshape(*block.shape, theta.size)
        d_sigma = (2.0 * sigma * block)[..., None]
        out.extend([sigma**2 * block, np.concatenate([d_theta, d_sigma], axis=-1)])
    return out[0], out[1], out[2], out[3], out[4], out[5]


def satterthwaite_df(variance: float, gradient: FloatArray, covariance: FloatArray) -> float:
    """Satterthwaite's degrees of freedom of an estimate with variance ``v(varpar)``.

    ``df = 2 v^2 / (g' A g)`` with ``g = dv / d varpar`` and ``A`` the asymptotic covariance of
    ``varpar`` (:func:`varpar_covariance`); ``inf`` when ``g' A g`` is 0 (the variance does not
    depend on the variance parameters).

    References
    ----------
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. Biometrics Bulletin, 2(6), 110-114. Giesbrecht, F. G. & Burns, J. C. (1985).
    Two-stage analysis based on a mixed model: large-sample asymptotic theory and small-sample
    simulation results. Biometrics, 41(2), 477-486.

    Examples
    --------
    >>> import numpy as np
    >>> round(satterthwaite_df(2.0, np.array([1.0, 0.0]), np.eye(2)), 6)
    8.0
    """
    denominator = float(gradient @ covariance @ gradient)
    if not denominator > 0:
        return float("inf")
    return 2.0 * variance**2 / denominator


@dataclass(frozen=True)
class KenwardRoger:
    """pbkrtest's adjusted covariance of the fixed effects and what its df need.

    Attributes
    ----------
    cov_adjusted:
        ``Phi_A = Phi + 2 Lambda`` (pbkrtest's ``vcovAdj``), ``p x p``.
    P:
        ``P_r = -X' V^-1 G_r V^-1 X`` for each variance parameter ``r``.
    W:
        ``2 I_E^-1``: twice the inverse of the expected information of the variance parameters
        (a generalised inverse when it is near singular, as pbkrtest).
    """

    cov_adjusted: FloatArray
    P: tuple[FloatArray, ...]
    W: FloatArray


def _team_factors(
    Z_team: FloatArray, team_rows: IntArray, person_codes: IntArray | None
) -> list[tuple[FloatArray, FloatArray] | None]:
    """``G_r = dV / d gamma_r`` on one team's rows as factors ``(A_r, B_r)``, ``G_r = A_r B_r'``
    (``None`` for the identity of the residual variance)."""
    Z = Z_team[team_rows]
    z0 = Z[:, :1]
    factors: list[tuple[FloatArray, FloatArray] | None] = [(z0, z0)]
    if Z.shape[1] == 2:
        z1 = Z[:, 1:2]
        factors.append((np.hstack([z0, z1]), np.hstack([z1, z0])))
        factors.append((z1, z1))
    if person_codes is not None:
        _labels, persons = np.unique(person_codes[team_rows], return_inverse=True)
        E = np.zeros((len(team_rows), int(persons.max()) + 1))
        E[np.arange(len(team_rows)), persons] = 1.0
        factors.append((E, E))
    factors.append(None)
    return factors


def _left(B: FloatArray | None, M: FloatArray) -> FloatArray:
    """``B' M`` with ``None`` standing for the identity."""
    return M if B is None else B.T @ M


def _team_matrix(
    factors: list[tuple[FloatArray, FloatArray] | None], gamma: FloatArray, n_rows: int
) -> FloatArray:
    V = np.zeros((n_rows, n_rows))
    for g, factor in zip(gamma, factors, strict=True):
        if factor is None:
            V[np.diag_indices(n_rows)] += g
        else:
            V += g * (factor[0] @ factor[1].T)
    return V


def kenward_roger(
    X: FloatArray,
    Z_team: FloatArray,
    team_codes: IntArray,
    person_codes: IntArray | None,
    gamma: FloatArray,
    cov_beta: FloatArray,
) -> KenwardRoger:
    """Kenward and Roger's adjusted covariance of the fixed effects, as pbkrtest's ``vcovAdj``.

    Parameters
    ----------
    X:
        Fixed-effects design ``n x p``.
    Z_team:
        Team random-effects design ``n x q`` (``[1]`` or ``[1, time]``).
    team_codes, person_codes:
        Team of each row (``0..J-1``); person of each row, unique across teams, or ``None``.
    gamma:
        The variance parameters in pbkrtest's order: the team covariance's lower triangle by
        columns (``var(intercept), cov, var(slope)``, or ``var(intercept)``), the person
        variance if present, the residual variance.
    cov_beta:
        ``Phi = (X' V^-1 X)^-1`` at the REML estimates (lme4's ``vcov``).

    Returns
    -------
    KenwardRoger

    Notes
    -----
    ``V = sum_r gamma_r G_r`` with ``G_r = dV / d gamma_r``; V is block diagonal by team, so
    every sum over rows is a sum over teams. With ``P_r = -X' V^-1 G_r V^-1 X``,
    ``Q_rs = X' V^-1 G_r V^-1 G_s V^-1 X`` and twice the expected information of the REML
    criterion ``I_rs = tr(V^-1 G_r V^-1 G_s) - 2 tr(Phi Q_rs) + tr(Phi P_r Phi P_s)``,
    ``W = 2 I^-1`` (pbkrtest's ``IE2`` and ``WW``; a generalised inverse when ``I`` is near
    singular, as there), and

    ``Phi_A = Phi + 2 Phi (sum_rs W_rs (Q_rs - P_r Phi P_s)) Phi``

    (Kenward & Roger 1997, eq. 6, without the second-derivative term, which is 0 for
    covariances linear in ``gamma``). Each ``G_r`` is kept as factors ``A_r B_r'`` (the team
    design columns, the person indicators, the identity), so only ``V^-1`` itself costs
    ``n_j^3`` per team.

    References
    ----------
    Kenward, M. G. & Roger, J. H. (1997). Small sample inference for fixed effects from
    restricted maximum likelihood. Biometrics, 53(3), 983-997. Halekoh, U. & Hojsgaard, S.
    (2014). A Kenward-Roger approximation and parametric bootstrap methods for tests in linear
    mixed models: the R package pbkrtest. Journal of Statistical Software, 59(9), 1-30.
    """
    p = X.shape[1]
    n_gamma = len(gamma)
    P = np.zeros((n_gamma, p, p))
    Q = np.zeros((n_gamma, n_gamma, p, p))
    K = np.zeros((n_gamma, n_gamma))
    for j in range(int(team_codes.max()) + 1):
        rows = np.flatnonzero(team_codes == j)
        factors = _team_factors(Z_team, rows, person_codes)
        V_inv = np.asarray(np.linalg.inv(_team_matrix(factors, gamma, len(rows))), np.float64)
        V_inv_X: FloatArray = V_inv @ X[rows]
        # V^-1 A_r, X' V^-1 A_r and B_r' V^-1 X.
        A = [None if f is None else f[0] for f in factors]
        B = [None if f is None else f[1] for f in factors]
        VA: list[FloatArray] = [V_inv if a is None else V_inv @ a for a in A]
        XVA: list[FloatArray] = [V_inv_X.T if a is None else V_inv_X.T @ a for a in A]
        BVX = [_left(b, V_inv_X) for b in B]
        for r in range(n_gamma):
            P[r] -= XVA[r] @ BVX[r]
            for s in range(r, n_gamma):
                BVA_rs = _left(B[r], VA[s])
                Q[r, s] += XVA[r] @ BVA_rs @ BVX[s]
                K[r, s] += float(np.sum(BVA_rs * _left(B[s], VA[r]).T))
    info = np.zeros((n_gamma, n_gamma))
    for r in range(n_gamma):
        for s in range(r, n_gamma):
            value = (
                K[r, s]
                - 2.0 * float(np.sum(cov_beta * Q[r, s]))
                + float(np.sum((cov_beta @ P[r]) * (P[s] @ cov_beta)))
            )
            info[r, s] = info[s, r] = value
    condition = float(np.min(np.abs(np.linalg.eigvalsh(info))))
    W = 2.0 * np.asarray(
        np.linalg.inv(info) if condition > 1e-10 else np.linalg.pinv(info), np.float64
    )
    U = np.zeros((p, p))
    for r in range(n_gamma):
        for s in range(n_gamma):
            # pbkrtest sums Q_rs - P_r Phi P_s over r < s, adds the transpose, then r = s.
            term = Q[r, s] if r <= s else Q[s, r].T
            U += W[r, s] * (term - P[r] @ cov_beta @ P[s])
    adjusted = cov_beta + 2.0 * cov_beta @ U @ cov_beta
    return KenwardRoger(adjusted, tuple(P), W)


def kenward_roger_df(L: FloatArray, cov_beta: FloatArray, kr: KenwardRoger) -> float:
    """Kenward and Roger's denominator df for the contrast ``L' beta`` (pbkrtest's ``Lb_ddf``).

    Notes
    -----
    For one contrast (``q = 1``): ``Theta = L (L' Phi L)^-1 L'``, and over pairs of variance
    parameters ``A1 = sum W_rs tr(Theta Phi P_r Phi) tr(Theta Phi P_s Phi)``,
    ``A2 = sum W_rs tr(Theta Phi P_r Phi Theta Phi P_s Phi)``; ``B = (A1 + 6 A2) / 2``,
    ``g = (2 A1 - 5 A2) / (3 A2)``, ``c1 = g / (3 + 2 (1 - g))``, ``c2 = (1 - g) / (3 + 2 (1 - g))``,
    ``c3 = (3 - g) / (3 + 2 (1 - g))``, ``rho = ((1 - A2) / (1 - c2 B))^2 (1 + c1 B) / (1 - c3 B)``
    and ``df = 4 + 3 / (rho - 1)`` (Kenward & Roger 1997, section 4).
    """
    L = np.asarray(L, dtype=float).reshape(1, -1)
    theta = L.T @ np.linalg.solve(L @ cov_beta @ L.T, L)
    theta_phi = theta @ cov_beta
    u = [theta_phi @ P_r @ cov_beta for P_r in kr.P]
    A1 = A2 = 0.0
    n_gamma = len(u)
    for r in range(n_gamma):
        for s in range(r, n_gamma):
            e = 1.0 if r == s else 2.0
            A1 += e * kr.W[r, s] * float(np.trace(u[r])) * float(np.trace(u[s]))
            A2 += e * kr.W[r, s] * float(np.sum(u[r] * u[s].T))
    q = 1
    B = (A1 + 6.0 * A2) / (2.0 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    c1 = g / (3 * q + 2 * (1 - g))
    c2 = (q - g) / (3 * q + 2 * (1 - g))
    c3 = (q + 2 - g) / (3 * q + 2 * (1 - g))
    V0 = 1.0 + c1 * B
    V1 = 1.0 - c2 * B
    V2 = 1.0 - c3 * B
    V0 = 0.0 if abs(V0) < 1e-10 else V0
    ratio = 1.0 if abs(1.0 - A2 / q) < 1e-14 and abs(V1) < 1e-14 else (1.0 - A2 / q) / V1
    rho = ratio**2 * V0 / V2 / q
    return 4.0 + (q + 2) / (q * rho - 1.0)
