"""Team means, fitted trajectories and the change between two waves (Welch, as R's t.test)."""

from __future__ import annotations

import math

import pytest

from analysis.summaries import mean_change


def test_the_change_interval_is_r_welch_interval() -> None:
    # R 4.2: t.test(b, a, var.equal = FALSE) with the values below
    a = [3.2, 4.1, 3.8, 4.6, 3.9, 4.4]
    b = [4.0, 4.9, 4.2, 5.1, 4.7]
    change = mean_change(a, b)
    assert change.estimate == pytest.approx(0.58, abs=1e-12)
    assert change.ci_low == pytest.approx(-0.0779897251, abs=1e-9)
    assert change.ci_high == pytest.approx(1.2379897251, abs=1e-9)
    assert change.df == pytest.approx(8.8158717970, abs=1e-8)
    assert not change.clear  # +0.58 on 5 and 6 people is within sampling noise


def test_one_respondent_gives_no_interval_and_no_clear_change() -> None:
    change = mean_change([4.0], [6.0, 6.5])
    assert change.estimate == pytest.approx(2.25)
    assert math.isnan(change.ci_low) and not change.clear
