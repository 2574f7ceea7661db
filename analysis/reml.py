"""REML engine for nested linear mixed models (waves in persons in teams), lme4-parametrised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "NestedDesign",
    "REMLFit",
    "fit_reml",
    "prepare_design",
    "relative_covariances",
    "reml_criterion_gradient",
    "reml_deviance",
    "reml_deviance_gradient",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer[Any]]

#: Tolerance of lme4's ``isSingular`` rule on the relative covariance factor.
SINGULAR_TOL = 1e-4
#: Tolerance on the absolute projected gradient of the REML deviance (lme4's ``check.conv.grad``).
GRADIENT_TOL = 2e-3
#: Identity matrices of the team block sizes (made once: the deviance is evaluated thousands
#: of times on tiny matrices, where allocating costs as much as computing).
_EYE = {1: np.eye(1), 2: np.eye(2)}


@dataclass(frozen=True)
class NestedDesign:
    """Sufficient statistics of a nested mixed model, rows grouped by team and by person.

    Attributes
    ----------
    n_obs, n_fixed, n_team_re:
        Number of observations ``n``, of fixed effects ``p`` and of random effects per team ``q``.
    n_teams, n_persons:
        Number of teams ``J`` and of persons ``P`` (0 when the model has no person term).
    team_cross:
        ``(J, c, c)`` array of ``W_j' W_j`` with ``W = [Z_team | X | y]`` and ``c = q + p + 1``.
    size_values, size_counts:
        The distinct numbers of rows per person ``n_k`` and how many persons have each.
    team_size_outer:
        ``(J, K, c, c)`` array: for team ``j`` and person size ``n_k``, the sum of ``s_i s_i'``
        over the team's persons with ``n_k`` rows, ``s_i`` being the column sums of ``W`` over
        person ``i``'s rows. The person weights depend on ``i`` only through ``n_i``, so these
        sums are all that REML needs of the persons.
    time_scale:
        Factor ``s`` by which the random-slope column of ``Z_team`` was divided internally.
    """

    n_obs: int
    n_fixed: int
    n_team_re: int
    n_teams: int
    n_persons: int
    team_cross: FloatArray
    size_values: FloatArray
    size_counts: FloatArray
    team_size_outer: FloatArray
    time_scale: float
    by_size: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # team_size_outer with the person sizes first, ``(K, J c c)``: what :func:`_reduce`
        # contracts with the person weights at every evaluation (laid out once here)
        teams, sizes, c, _ = self.team_size_outer.shape
        by_size = np.ascontiguousarray(np.moveaxis(self.team_size_outer, 1, 0))
        object.__setattr__(self, "by_size", by_size.reshape(sizes, teams * c * c))


@dataclass(frozen=True)
class REMLFit:
    """The REML optimum of a nested mixed model (see :func:`fit_reml`).

    Attributes
    ----------
    theta:
        lme4's ``theta`` on the caller's scale: the lower-triangular team factor ``T`` by columns
        (``T11, T21, T22`` with a slope, ``T11`` without), then ``theta_person`` if present.
    beta, cov_beta:
        Fixed effects and their covariance ``sigma^2 (R_X' R_X)^{-1}``.
    sigma2:
        Residual variance ``r^2 / (n - p)``.
    team_cov:
        Covariance of the team random effects, ``sigma^2 T T'`` (``q x q``).
    person_var:
        Variance of the person intercepts, ``sigma^2 theta_person^2`` (``nan`` without persons).
    deviance:
        Profiled REML deviance ``d_R`` at the optimum; the REML log-likelihood is ``-d_R / 2``.
    team_re, team_re_cov:
        Conditional modes of the team random effects ``(J, q)`` and their conditional covariance
        given ``beta`` (``(J, q, q)``, lme4's ``condVar``).
    team_pev:
        ``(J, q, q)`` prediction-error covariance of ``beta[:q] + b_j`` (the team trajectory),
        which also accounts for the uncertainty of ``beta``.
    singular, converged:
        lme4's singularity rule, and whether the optimiser met its convergence checks.
    gradient:
        Projected gradient of the deviance at the optimum (``theta`` on the internal scale).
    n_evaluations:
        Deviance evaluations used over all starts.
    """

    theta: FloatArray
    beta: FloatArray
    cov_beta: FloatArray
    sigma2: float
    team_cov: FloatArray
    person_var: float
    deviance: float
    team_re: FloatArray
    team_re_cov: FloatArray
    team_pev: FloatArray
    singular: bool
    converged: bool
    gradient: FloatArray
    n_evaluations: int


def prepare_design(
    y: FloatArray,
    X: FloatArray,
    Z_team: FloatArray,
    team_index: IntArray,
    person_index: IntArray | None,
) -> NestedDesign:
    """Reduce the data of a nested model to the sufficient statistics that REML needs.

    Parameters
    ----------
    y:
        Outcome, length ``n``.
    X:
        Fixed-effects design ``n x p`` of full column rank.
    Z_team:
        Team random-effects design ``n x q``: ``[1]`` or ``[1, time]``.
    team_index:
        Team code ``0..J-1`` of each row.
    person_index:
        Person code ``0..P-1`` of each row (unique across teams, each person in one team), or
        ``None`` for a two-level model.

    Returns
    -------
    NestedDesign
        Cross-products per team and sums per person; the data are not kept.

    Raises
    ------
    ValueError
        If a person appears in two teams, or the shapes disagree.
    """
    n = y.shape[0]
    if X.shape[0] != n or Z_team.shape[0] != n or team_index.shape[0] != n:
        raise ValueError("y, X, Z_team and team_index must have the same number of rows")
    q = Z_team.shape[1]
    p = X.shape[1]
    Z = np.array(Z_team, dtype=float)
    time_scale = 1.0
    if q == 2:
        spread = float(np.std(Z[:, 1]))
        time_scale = spread if spread > 0 else 1.0
        Z[:, 1] /= time_scale
    W = np.column_stack([Z, X, y]).astype(float)
    c = W.shape[1]
    n_teams = int(team_index.max()) + 1
    if person_index is None:
        order = np.argsort(team_index, kind="stable")
    else:
        order = np.lexsort((person_index, team_index))
    W = W[order]
    teams = team_index[order]
    team_start = np.flatnonzero(np.r_[True, teams[1:] != teams[:-1]])
    outer_rows = (W[:, :, None] * W[:, None, :]).reshape(n, c * c)
    team_cross = np.add.reduceat(outer_rows, team_start, axis=0).reshape(-1, c, c)
    if team_cross.shape[0] != n_teams:
        raise ValueError("team codes must run from 0 to J - 1 without gaps")
    if person_index is None:
        return NestedDesign(
            n_obs=n,
            n_fixed=p,
            n_team_re=q,
            n_teams=n_teams,
            n_persons=0,
            team_cross=team_cross,
            size_values=np.zeros(0),
            size_counts=np.zeros(0),
            team_size_outer=np.zeros((n_teams, 0, c, c)),
            time_scale=time_scale,
        )
    persons = person_index[order]
    person_start = np.flatnonzero(np.r_[True, persons[1:] != persons[:-1]])
    person_ids = persons[person_start]
    if np.unique(person_ids).size != person_ids.size:
        raise ValueError("a person appears in more than one team; code persons as team:person")
    person_sums = np.add.reduceat(W, person_start, axis=0)
    person_n = np.diff(np.r_[person_start, n])
    person_teams = teams[person_start]
    size_values, size_index, size_counts = np.unique(
        person_n, return_inverse=True, return_counts=True
    )
    n_sizes = size_values.size
    person_outer = (person_sums[:, :, None] * person_sums[:, None, :]).reshape(-1, c * c)
    team_size_outer = np.zeros((n_teams * n_sizes, c * c))
    np.add.at(team_size_outer, person_teams * n_sizes + size_index, person_outer)
    return NestedDesign(
        n_obs=n,
        n_fixed=p,
        n_team_re=q,
        n_teams=n_teams,
        n_persons=int(person_start.size),
        team_cross=team_cross,
        size_values=size_values.astype(float),
        size_counts=size_counts.astype(float),
        team_size_outer=team_size_outer.reshape(n_teams, n_sizes, c, c),
        time_scale=time_scale,
    )


def _team_factor(theta: FloatArray, q: int) -> FloatArray:
    """Lower-triangular ``T`` from its column-wise elements (lme4's ordering)."""
    if q == 1:
        return np.array([[theta[0]]])
    return np.array([[theta[0], 0.0], [theta[1], theta[2]]])


def _n_team_theta(q: int) -> int:
    return q * (q + 1) // 2


def _reduce(theta: FloatArray, design: NestedDesign) -> tuple[FloatArray, float, FloatArray]:
    """Eliminate the person effects.

    Returns ``M_j = W_j'W_j - sum_i w_i s_i s_i'`` per team, ``sum_i log d_i`` and ``d``.
    """
    if design.n_persons == 0:
        return design.team_cross, 0.0, np.zeros(0)
    theta_p2 = float(theta[-1]) ** 2
    d = theta_p2 * design.size_values + 1.0
    w = theta_p2 / d
    # np.tensordot(w, team_size_outer, axes=(0, 1)), without laying out its operand each time
    removed = np.dot(w.reshape(1, -1), design.by_size).reshape(design.team_cross.shape)
    return design.team_cross - removed, float(design.size_counts @ np.log(d)), d


def _team_inverse(G: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverses and determinants of a stack of 1 x 1 or 2 x 2 symmetric matrices."""
    if G.shape[1] == 1:
        return 1.0 / G, G[:, 0, 0]
    det = G[:, 0, 0] * G[:, 1, 1] - G[:, 0, 1] * G[:, 1, 0]
    inv = np.empty_like(G)
    inv[:, 0, 0] = G[:, 1, 1] / det
    inv[:, 1, 1] = G[:, 0, 0] / det
    inv[:, 0, 1] = -G[:, 0, 1] / det
    inv[:, 1, 0] = -G[:, 1, 0] / det
    return inv, det


def _pieces(
    theta: FloatArray, design: NestedDesign
) -> tuple[float, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The pieces of the profiled deviance at ``theta``.

    Returns ``(log|L|^2, T, M, d, G^{-1}, K = G^{-1} H, A)`` (see :func:`reml_deviance`).
    """
    q = design.n_team_re
    T = _team_factor(theta, q)
    M, logdet_person, d = _reduce(theta, design)
    G = T.T @ M[:, :q, :q] @ T + _EYE[q]
    G_inv, G_det = _team_inverse(G)
    if not np.all(G_det > 0):
        raise np.linalg.LinAlgError("team block not positive definite")
    H = T.T @ M[:, :q, q:]
    K = G_inv @ H
    r = H.shape[2]
    A = M[:, q:, q:].sum(axis=0) - H.reshape(-1, r).T @ K.reshape(-1, r)
    logdet_L = logdet_person + float(np.sum(np.log(G_det)))
    return logdet_L, T, M, d, G_inv, K, A


def reml_deviance_gradient(theta: FloatArray, design: NestedDesign) -> tuple[float, FloatArray]:
    """Profiled REML deviance ``d_R(theta)`` and its gradient (Bates et al. 2015, eq. 41).

    Parameters
    ----------
    theta:
        Relative covariance parameters on the internal scale: the team factor ``T`` by columns
        (``T11, T21, T22``, or ``T11``), then ``theta_person`` when the model has persons.
    design:
        Sufficient statistics from :func:`prepare_design`.

    Returns
    -------
    tuple of (float, ndarray)
        ``d_R(theta)`` and ``d d_R / d theta``; ``(inf, zeros)`` where the deviance is not defined
        (for example a perfect fit).

    Notes
    -----
    The model is ``y = X beta + Z Lambda u + e`` with ``u ~ N(0, sigma^2 I)``,
    ``e ~ N(0, sigma^2 I)`` and ``Lambda`` block diagonal: ``T`` for each team's (intercept,
    slope) and ``theta_person`` for each person's intercept. The profiled REML deviance is

    ``d_R = log|L|^2 + log|R_X|^2 + (n - p) (1 + log(2 pi r^2 / (n - p)))``

    with ``L L' = Lambda' Z' Z Lambda + I``, ``R_X' R_X`` the Schur complement of that block in
    the penalised normal equations and ``r^2`` the penalised residual sum of squares.

    Because persons are nested in teams, ``Lambda' Z' Z Lambda + I`` is block diagonal by team
    and, inside a team, diagonal over persons (``d_i = theta_person^2 n_i + 1``). Eliminating
    the person effects leaves, per team, ``M_j = W_j'W_j - sum_i w_i s_i s_i'`` where
    ``W = [Z_team | X | y]``, ``s_i`` are the column sums of ``W`` over person ``i``'s rows and
    ``w_i = theta_person^2 / d_i``. Eliminating the team effects with ``G_j = T' M_j,zz T + I``
    and ``H_j = T' M_j,z(xy)`` leaves ``A = sum_j (M_j,(xy)(xy) - H_j' G_j^{-1} H_j)``, whose
    ``xx`` block is ``R_X' R_X``; then ``beta = A_xx^{-1} A_xy``, ``r^2 = A_yy - A_yx beta``
    and ``log|L|^2 = sum_i log d_i + sum_j log|G_j|``.

    The gradient follows by the chain rule through these steps: with
    ``Abar = dF/dA = [[A_xx^{-1}, 0], [0, 0]] + (n - p) v v' / r^2`` (``v = (-beta, 1)``),
    ``K_j = G_j^{-1} H_j``, ``F_j = K_j Abar`` and ``Gamma_j = G_j^{-1} + F_j K_j'``,
    ``d d_R / d T = sum_j 2 (M_j,zz T Gamma_j - M_j,z(xy) F_j')`` and
    ``d d_R / d theta_person = sum_i 2 theta_person (n_i / d_i - s_i' Psi_j s_i / d_i^2)`` with
    ``Psi_j = [[T Gamma_j T', -T F_j], [-F_j' T', Abar]]``.
    """
    return _deviance_gradient(theta, design, None)


def _deviance_gradient(
    theta: FloatArray, design: NestedDesign, sigma2: float | None
) -> tuple[float, FloatArray]:
    """The REML criterion and its gradient in ``theta``: profiled over ``sigma`` when
    ``sigma2`` is ``None``, otherwise at that residual variance (see
    :func:`reml_criterion_gradient`)."""
    theta = np.asarray(theta, dtype=float)
    p = design.n_fixed
    q = design.n_team_re
    n = design.n_obs
    failed = (float("inf"), np.zeros_like(theta))
    try:
        logdet_L, T, M, d, G_inv, K, A = _pieces(theta, design)
        Axx = A[:p, :p]
        R = np.linalg.cholesky(Axx)
        Axx_inv = np.linalg.inv(Axx)
    except np.linalg.LinAlgError:
        return failed
    beta = Axx_inv @ A[:p, p]
    r2 = float(A[p, p] - A[p, :p] @ beta)
    if not r2 > 0:
        return failed
    dof = n - p
    logdet_RX = 2.0 * float(np.log(R.diagonal()).sum())
    if sigma2 is None:
        deviance = logdet_L + logdet_RX + dof * (1.0 + np.log(2.0 * np.pi * r2 / dof))
        weight = dof / r2
    else:
        deviance = logdet_L + logdet_RX + r2 / sigma2 + dof * np.log(2.0 * np.pi * sigma2)
        weight = 1.0 / sigma2
    v = np.empty(p + 1)
    v[:p] = -beta
    v[p] = 1.0
    Abar = weight * (v[:, None] * v)
    Abar[:p, :p] += Axx_inv
    F = K @ Abar
    Ft = F.transpose(0, 2, 1)
    Gamma = G_inv + F @ K.transpose(0, 2, 1)
    dT = 2.0 * ((M[:, :q, :q] @ T @ Gamma).sum(axis=0) - (M[:, :q, q:] @ Ft).sum(axis=0))
    n_team = _n_team_theta(q)
    gradient = np.empty(n_team + (design.n_persons > 0))
    if q == 2:
        gradient[:3] = dT[0, 0], dT[1, 0], dT[1, 1]
    else:
        gradient[0] = dT[0, 0]
    if design.n_persons == 0:
        return float(deviance), gradient
    Psi = np.empty_like(M)
    Psi[:, :q, :q] = T @ Gamma @ T.T
    Psi[:, :q, q:] = -(T @ F)
    Psi[:, q:, :q] = -(Ft @ T.T)
    Psi[:, q:, q:] = Abar
    # sum_i s_i' Psi_j s_i / d_i^2, by person size: d_i depends on i only through n_i.
    quad = np.einsum("jkab,jab->k", design.team_size_outer, Psi) @ (1.0 / (d * d))
    theta_p = float(theta[-1])
    gradient[n_team] = 2.0 * theta_p * float(design.size_counts @ (design.size_values / d) - quad)
    return float(deviance), gradient


def reml_deviance(theta: FloatArray, design: NestedDesign) -> float:
    """Profiled REML deviance ``d_R(theta)``; see :func:`reml_deviance_gradient` for the formula.

    Parameters
    ----------
    theta:
        Relative covariance parameters on the internal scale.
    design:
        Sufficient statistics from :func:`prepare_design`.

    Returns
    -------
    float
        The deviance; the REML log-likelihood is ``-d_R / 2``.
    """
    return reml_deviance_gradient(theta, design)[0]


def _internal_scale(design: NestedDesign) -> FloatArray:
    """Factors ``D`` with ``theta_internal = D * theta_user`` (the slope column was divided by
    ``s``, so the slope row of the team factor is multiplied by it internally)."""
    team = [1.0] if design.n_team_re == 1 else [1.0, design.time_scale, design.time_scale]
    return np.array(team + ([1.0] if design.n_persons > 0 else []))


def reml_criterion_gradient(varpar: FloatArray, design: NestedDesign) -> tuple[float, FloatArray]:
    """REML criterion at given ``(theta, sigma)`` and its gradient: lmerTest's ``devfun_vp``.

    Parameters
    ----------
    varpar:
        lme4's ``theta`` on the caller's time scale (see :attr:`REMLFit.theta`) followed by the
        residual standard deviation ``sigma``.
    design:
        Sufficient statistics from :func:`prepare_design`.

    Returns
    -------
    tuple of (float, ndarray)
        ``d(theta, sigma)`` and its gradient in ``varpar``; ``(inf, zeros)`` where undefined.

    Notes
    -----
    Not profiled over ``sigma`` (Kuznetsova, Brockhoff & Christensen 2017, section 3):

    ``d = log|L|^2 + log|R_X|^2 + r^2 / sigma^2 + (n - p) log(2 pi sigma^2)``,

    ``d d / d sigma = 2 (n - p) / sigma - 2 r^2 / sigma^3``; the gradient in ``theta`` is that
    of :func:`reml_deviance_gradient` with ``(n - p) / r^2`` replaced by ``1 / sigma^2``.
    Diagonal elements of the team factor may be negative here (the criterion depends on the
    factor only through ``T T'``), as numerical derivatives at a zero variance need.

    References
    ----------
    Kuznetsova, A., Brockhoff, P. B. & Christensen, R. H. B. (2017). lmerTest package: tests in
    linear mixed effects models. Journal of Statistical Software, 82(13), 1-26.
    """
    varpar = np.asarray(varpar, dtype=float)
    scale = _internal_scale(design)
    sigma = float(varpar[-1])
    failed = (float("inf"), np.zeros_like(varpar))
    if not sigma > 0:
        return failed
    deviance, gradient = _deviance_gradient(varpar[:-1] * scale, design, sigma * sigma)
    if not np.isfinite(deviance):
        return failed
    r2 = _penalised_rss(varpar[:-1] * scale, design)
    dof = design.n_obs - design.n_fixed
    d_sigma = 2.0 * dof / sigma - 2.0 * r2 / sigma**3
    return deviance, np.append(gradient * scale, d_sigma)


def _penalised_rss(theta: FloatArray, design: NestedDesign) -> float:
    p = design.n_fixed
    A = _pieces(theta, design)[-1]
    beta = np.linalg.solve(A[:p, :p], A[:p, p])
    return float(A[p, p] - A[p, :p] @ beta)


def relative_covariances(
    theta: FloatArray, design: NestedDesign
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Covariances of the estimates divided by ``sigma^2``, at lme4's ``theta``.

    Parameters
    ----------
    theta:
        lme4's ``theta`` on the caller's time scale (:attr:`REMLFit.theta`).
    design:
        Sufficient statistics from :func:`prepare_design`.

    Returns
    -------
    tuple of ndarray
        ``(R_X' R_X)^{-1}`` (``p x p``; times ``sigma^2`` it is ``vcov(beta)``), the
        conditional covariance of each team's random effects given ``beta`` (``J x q x q``) and
        the prediction-error covariance of each team's trajectory ``beta[:q] + b_j``
        (``J x q x q``), from the inverse of Henderson's mixed-model equations.
    """
    theta = np.asarray(theta, dtype=float) * _internal_scale(design)
    p = design.n_fixed
    q = design.n_team_re
    _logdet, T, _M, _d, G_inv, G_inv_H, A = _pieces(theta, design)
    Axx_inv = np.linalg.inv(A[:p, :p])
    S = np.diag([1.0, 1.0 / design.time_scale]) if q == 2 else np.eye(1)
    TS = S @ T
    re_cov = np.einsum("ik,jkl,ml->jim", TS, G_inv, TS)
    GHx = G_inv_H[:, :, :p]
    C_ub = -GHx @ Axx_inv
    C_uu = G_inv + np.einsum("jip,pr,jkr->jik", GHx, Axx_inv, GHx)
    C_bu = np.einsum("ik,jkl->jil", TS, C_uu)
    pev = np.einsum("jil,ml->jim", C_bu, TS)
    cross = np.einsum("ik,jkr->jir", TS, C_ub)[:, :, :q]
    pev = pev + Axx_inv[:q, :q][None, :, :] + cross + np.transpose(cross, (0, 2, 1))
    return (
        np.asarray(Axx_inv, dtype=np.float64),
        np.asarray(re_cov, dtype=np.float64),
        np.asarray(pev, dtype=np.float64),
    )


def _lower_bounds(q: int, has_person: bool) -> FloatArray:
    lower = [0.0] if q == 1 else [0.0, -np.inf, 0.0]
    if has_person:
        lower.append(0.0)
    return np.array(lower)


def _starts(q: int, has_person: bool) -> list[FloatArray]:
    """Starting values: lme4's default (identity factor) and three spread-out alternatives.

    No start has a diagonal element at exactly 0: the deviance depends on those elements only
    through their squares, so a start on that bound would be a stationary point.
    """
    team_starts = (
        [[1.0], [0.3], [0.05], [2.0]]
        if q == 1
        else [[1.0, 0.0, 1.0], [0.3, 0.0, 0.1], [0.3, -0.1, 0.02], [0.05, 0.0, 0.05]]
    )
    person_starts = [[1.0], [0.5], [1.0], [0.2]] if has_person else [[], [], [], []]
    return [np.array(t + p) for t, p in zip(team_starts, person_starts, strict=True)]


def _projected_gradient(theta: FloatArray, design: NestedDesign, lower: FloatArray) -> FloatArray:
    """Gradient of the deviance with the components that push into an active bound set to 0."""
    gradient = reml_deviance_gradient(theta, design)[1]
    at_bound = (theta <= lower) & (gradient > 0)
    return np.where(at_bound, 0.0, gradient)


@dataclass(frozen=True)
class _Minimum:
    x: FloatArray
    fun: float
    n_eval: int
    success: bool


def _minimize_box(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    x0: FloatArray,
    lower: FloatArray,
    *,
    gtol: float = 1e-5,
    ftol: float = 1e-12,
    max_iter: int = 500,
) -> _Minimum:
    """Minimise ``fun`` (value and gradient) subject to ``x >= lower`` by projected BFGS.

    Variables at their bound with a gradient pushing outwards are held fixed; the others take
    a quasi-Newton step (inverse-Hessian BFGS update, Shanno scaling of the first one) that is
    projected onto the box and shortened until it satisfies the Armijo condition. Stops when
    the projected gradient is within ``gtol`` or a step lowers ``fun`` by less than
    ``ftol * max(1, |fun|)``. Written here because scipy's L-BFGS-B calls multi-threaded BLAS
    on tiny matrices, which is slow on a busy machine, and TNC needs about twice the
    evaluations.
    """
    n = x0.size
    eye = np.eye(n)
    x = np.maximum(np.asarray(x0, dtype=float), lower)
    f, g = fun(x)
    n_eval = 1
    if not np.isfinite(f):
        return _Minimum(x, f, n_eval, False)

    def projected(x: FloatArray, g: FloatArray) -> FloatArray:
        return np.where((x <= lower) & (g > 0), 0.0, g)

    H = eye.copy()
    scaled = False
    for _ in range(max_iter):
        pg = projected(x, g)
        if float(np.max(np.abs(pg))) <= gtol:
            return _Minimum(x, f, n_eval, True)
        free = pg != 0
        d = np.zeros(n)
        d[free] = -(H[np.ix_(free, free)] @ g[free])
        if not float(g @ d) < 0:
            H = eye.copy()
            scaled = False
            d = -pg
        t = 1.0 if scaled else min(1.0, 0.1 / float(np.max(np.abs(d))))
        while True:
            x_new = np.maximum(x + t * d, lower)
            step = x_new - x
            f_new, g_new = fun(x_new)
            n_eval += 1
            if f_new <= f + 1e-4 * float(g @ step):
                break
            t *= 0.5
            if t < 1e-12:
                return _Minimum(x, f, n_eval, float(np.max(np.abs(pg))) <= GRADIENT_TOL)
        y = g_new - g
        sy = float(step @ y)
        if sy > 1e-12 * float(np.sqrt((step @ step) * (y @ y))):
            if not scaled:
                H = (sy / float(y @ y)) * eye
                scaled = True
            rho = 1.0 / sy
            V = eye - rho * np.outer(step, y)
            H = V @ H @ V.T + rho * np.outer(step, step)
        decrease = f - f_new
        x, f, g = x_new, f_new, g_new
        if decrease <= ftol * max(1.0, abs(f)):
            pg = projected(x, g)
            return _Minimum(x, f, n_eval, float(np.max(np.abs(pg))) <= GRADIENT_TOL)
    return _Minimum(x, f, n_eval, False)


def fit_reml(design: NestedDesign, *, starts: list[FloatArray] | None = None) -> REMLFit:
    """Minimise the profiled REML deviance from several starts and keep the best optimum.

    Parameters
    ----------
    design:
        Sufficient statistics from :func:`prepare_design`.
    starts:
        Starting values of ``theta`` on the internal scale; by default lme4's start (identity
        factor) and three others.

    Returns
    -------
    REMLFit
        Estimates at the best optimum, with ``theta`` and the team factors on the caller's scale.

    Notes
    -----
    Each start is run by a projected BFGS method with the analytic gradient of
    :func:`reml_deviance_gradient` and lme4's bounds (diagonal elements of the factor at least
    0, off-diagonal free). The deviance depends on a diagonal element only through its square,
    so a run that lands exactly on 0 sits at a stationary point; the best optimum is therefore
    checked by moving each zero diagonal element to ``1e-3`` and, if that lowers the deviance,
    the search resumes from there. ``converged`` requires a finite deviance and every component
    of the projected gradient within ``2e-3`` in absolute value (lme4's ``check.conv.grad``
    tolerance).
    """
    q = design.n_team_re
    has_person = design.n_persons > 0
    lower = _lower_bounds(q, has_person)
    n_eval = 0

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return reml_deviance_gradient(theta, design)

    best: _Minimum | None = None
    for start in starts if starts is not None else _starts(q, has_person):
        result = _minimize_box(objective, np.asarray(start, dtype=float), lower)
        n_eval += result.n_eval
        if best is None or result.fun < best.fun:
            best = result
    if best is None:
        raise ValueError("no starting values")
    for _ in range(3):
        escape = _escape_from_zero(best, lower, design)
        if escape is None:
            break
        result = _minimize_box(objective, escape, lower)
        n_eval += result.n_eval + lower.size
        if not result.fun < best.fun:
            break
        best = result
    theta = np.maximum(best.x, lower)
    gradient = _projected_gradient(theta, design, lower)
    converged = bool(np.isfinite(best.fun)) and float(np.max(np.abs(gradient))) <= GRADIENT_TOL
    return _estimates(theta, design, lower, gradient, converged, n_eval)


def _escape_from_zero(best: _Minimum, lower: FloatArray, design: NestedDesign) -> FloatArray | None:
    """A point just off a zero diagonal element with a lower deviance, if there is one."""
    for k in np.flatnonzero((lower == 0) & (best.x <= 0)):
        trial = best.x.copy()
        trial[k] = 1e-3
        if reml_deviance(trial, design) < best.fun - 1e-10:
            return trial
    return None


def _estimates(
    theta: FloatArray,
    design: NestedDesign,
    lower: FloatArray,
    gradient: FloatArray,
    converged: bool,
    n_eval: int,
) -> REMLFit:
    """Everything lme4 reports, at ``theta`` (internal scale)."""
    p = design.n_fixed
    q = design.n_team_re
    n = design.n_obs
    logdet_L, T, _M, _d, _G_inv, G_inv_H, A = _pieces(theta, design)
    Axx_inv = np.linalg.inv(A[:p, :p])
    beta = Axx_inv @ A[:p, p]
    r2 = float(A[p, p] - A[p, :p] @ beta)
    dof = n - p
    sigma2 = r2 / dof
    R = np.linalg.cholesky(A[:p, :p])
    deviance = (
        logdet_L
        + 2.0 * float(np.sum(np.log(np.diagonal(R))))
        + dof * (1.0 + np.log(2.0 * np.pi * sigma2))
    )
    # Conditional modes of the team effects: u_j = G_j^{-1} (H_jy - H_jx beta), b_j = T u_j.
    u = G_inv_H[:, :, p] - G_inv_H[:, :, :p] @ beta
    # Undo the internal time scaling: b_user = S b_internal with S = diag(1, 1 / s).
    S = np.diag([1.0, 1.0 / design.time_scale]) if q == 2 else np.eye(1)
    TS = S @ T
    team_re = u @ TS.T
    theta_user = np.array([TS[0, 0], TS[1, 0], TS[1, 1]]) if q == 2 else TS[0].copy()
    theta_out = np.r_[theta_user, theta[_n_team_theta(q) :]]
    _Axx_inv, re_cov, pev = relative_covariances(theta_out, design)
    team_re_cov = sigma2 * re_cov
    team_pev = sigma2 * pev
    team_cov = sigma2 * TS @ TS.T
    at_zero_bound = lower == 0
    singular = bool(np.any(theta_out[at_zero_bound] < SINGULAR_TOL))
    person_var = sigma2 * float(theta[-1]) ** 2 if design.n_persons > 0 else float("nan")
    return REMLFit(
        theta=theta_out,
        beta=beta,
        cov_beta=np.asarray(sigma2 * Axx_inv, dtype=np.float64),
        sigma2=sigma2,
        team_cov=team_cov,
        person_var=person_var,
        deviance=float(deviance),
        team_re=team_re,
        team_re_cov=team_re_cov,
        team_pev=team_pev,
        singular=singular,
        converged=converged,
        gradient=gradient,
        n_evaluations=n_eval,
    )
