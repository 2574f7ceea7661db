"""Holm and Benjamini-Hochberg adjusted p of per-team claims, pinned against R's p.adjust."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.multiplicity import adjust_claims, adjust_p, adjustment_label

NAN = float("nan")
# R 4.2.2 (2022-11-10 r83330):
#   p <- c(0.0004, 0.012, 0.019, 0.021, NA, 0.049, 0.2, 0.51, 0.8, 0.033)
#   p.adjust(p, "holm"); p.adjust(p, "BH")
#   q <- c(1e-5, 0.5, 0.5, 0.03, 0.03, 0.9)   # ties
#   p.adjust(q, "holm"); p.adjust(q, "BH")
P = [0.0004, 0.012, 0.019, 0.021, NAN, 0.049, 0.2, 0.51, 0.8, 0.033]
P_HOLM = [0.0036, 0.096, 0.133, 0.133, NAN, 0.196, 0.6, 1, 1, 0.165]
P_BH = [0.0036, 0.04725, 0.04725, 0.04725, NAN, 0.0735, 0.257142857142857, 0.57375, 0.8, 0.0594]
Q = [1e-5, 0.5, 0.5, 0.03, 0.03, 0.9]
Q_HOLM = [6e-05, 1, 1, 0.15, 0.15, 1]
Q_BH = [6e-05, 0.6, 0.6, 0.06, 0.06, 0.9]


@pytest.mark.parametrize(
    ("p", "method", "expected"),
    [(P, "holm", P_HOLM), (P, "bh", P_BH), (Q, "holm", Q_HOLM), (Q, "bh", Q_BH)],
)
def test_adjusted_p_equal_r_p_adjust(p: list[float], method: str, expected: list[float]) -> None:
    got = adjust_p(p, method)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    # NA stays NA and is not counted in the family (m = 9 above, not 10)
    assert [math.isnan(v) for v in got] == [math.isnan(v) for v in expected]


def test_no_adjustment_keeps_p_and_unknown_methods_are_refused() -> None:
    np.testing.assert_array_equal(adjust_p(P, "none"), np.asarray(P))
    with pytest.raises(ValueError, match="unknown multiplicity adjustment 'bonferroni'"):
        adjust_p(P, "bonferroni")
    with pytest.raises(ValueError, match=r"p-values must lie in \[0, 1\]"):
        adjust_p([0.2, 1.5])
    assert np.isnan(adjust_p([NAN, NAN])).all()


def test_claims_table_gains_the_adjusted_column_over_all_its_rows() -> None:
    claims = pd.DataFrame(
        {"team": list("ABCDEFGHIJ"), "scale": ["s"] * 10, "slope_p": P}, index=range(10, 20)
    )
    holm = adjust_claims(claims, "slope_p")
    np.testing.assert_allclose(holm["slope_p_adjusted"], P_HOLM, rtol=1e-12)
    assert list(holm.index) == list(claims.index)  # rows stay where they were
    bh = adjust_claims(claims, "slope_p", "bh")
    np.testing.assert_allclose(bh["slope_p_adjusted"], P_BH, rtol=1e-12)
    assert adjust_claims(pd.DataFrame(), "slope_p").empty
    assert "Holm" in adjustment_label("holm") and "Benjamini" in adjustment_label("bh")
