"""Per-team claims controlled across teams and scales: Holm or Benjamini-Hochberg adjusted p."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ADJUSTMENTS",
    "Adjustment",
    "adjust_claims",
    "adjust_p",
    "adjustment_label",
    "check_adjustment",
]

Adjustment = Literal["holm", "bh", "none"]
#: The adjustments ``copkit analyse --adjust`` and ``copkit report --adjust`` accept.
ADJUSTMENTS: tuple[str, ...] = ("holm", "bh", "none")
_STATSMODELS_METHOD = {"holm": "holm", "bh": "fdr_bh"}
_LABELS = {
    "holm": "Holm's step-down adjustment (family-wise error rate 5%)",
    "bh": "Benjamini-Hochberg adjustment (false discovery rate 5%)",
    "none": "no adjustment for multiple comparisons",
}


def adjustment_label(method: str) -> str:
    """How a document names ``method`` (``"holm"``, ``"bh"`` or ``"none"``).

    >>> adjustment_label("bh")
    'Benjamini-Hochberg adjustment (false discovery rate 5%)'
    """
    check_adjustment(method)
    return _LABELS[method]


def check_adjustment(method: str) -> None:
    """Raise ValueError naming the choices when ``method`` is not one of :data:`ADJUSTMENTS`."""
    if method not in ADJUSTMENTS:
        raise ValueError(
            f"unknown multiplicity adjustment {method!r}; use one of {', '.join(ADJUSTMENTS)}"
        )


def adjust_p(p: Sequence[float] | np.ndarray | pd.Series, method: str = "holm") -> np.ndarray:
    r"""Adjusted p-values of one family of tests, as R's ``p.adjust``.

    Parameters
    ----------
    p : sequence of float
        The unadjusted p-values of the family; NaN marks a test not made (kept NaN, and not
        counted in the family size, as ``p.adjust`` treats ``NA``).
    method : {"holm", "bh", "none"}
        Holm (1979), Benjamini & Hochberg (1995), or the p-values as given.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values in the order given.

    Raises
    ------
    ValueError
        For an unknown method or a p-value outside [0, 1].

    Notes
    -----
    With the :math:`m` non-missing p-values sorted, :math:`p_{(1)} \le \dots \le p_{(m)}`,
    Holm's adjusted value is :math:`\max_{j \le i} \min(1, (m - j + 1) p_{(j)})` and
    Benjamini-Hochberg's is :math:`\min_{j \ge i} \min(1, m p_{(j)} / j)`. Computed by
    statsmodels' ``multipletests`` (``"holm"``, ``"fdr_bh"``), which gives ``p.adjust``'s
    values (pinned against R 4.2 in ``tests/analysis/test_multiplicity.py``).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6, 65-70.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
    powerful approach to multiple testing. JRSS B, 57, 289-300.

    Examples
    --------
    >>> adjust_p([0.01, 0.04, float("nan"), 0.03]).round(4).tolist()
    [0.03, 0.06, nan, 0.06]
    >>> adjust_p([0.01, 0.04, 0.03], "bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    check_adjustment(method)
    values = np.asarray(p, dtype=float)
    present = ~np.isnan(values)
    if ((values[present] < 0.0) | (values[present] > 1.0)).any():
        raise ValueError("p-values must lie in [0, 1]")
    out = values.copy()
    if method == "none" or not present.any():
        return out
    from statsmodels.stats.multitest import multipletests

    out[present] = multipletests(values[present], method=_STATSMODELS_METHOD[method])[1]
    return out


def adjust_claims(frame: pd.DataFrame, p: str, method: str = "holm") -> pd.DataFrame:
    """``frame`` with ``<p>_adjusted``: its column ``p`` adjusted over all its rows as one family.

    The family is the table: every team x scale slope of the team trajectories, every tested
    team-wave of the network permutation table. An empty frame, or one without ``p``, is
    returned unchanged.

    >>> claims = pd.DataFrame({"team": ["A", "B", "C"], "slope_p": [0.01, 0.04, 0.03]})
    >>> adjust_claims(claims, "slope_p")["slope_p_adjusted"].round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    check_adjustment(method)
    if frame.empty or p not in frame.columns:
        return frame
    return frame.assign(**{f"{p}_adjusted": adjust_p(frame[p].to_numpy(dtype=float), method)})
