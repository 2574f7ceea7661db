"""Power's team-means model (statsmodels' formula OLS) equals R's lm on the same team-wave means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.power import _fit_team_means


def _scores() -> pd.DataFrame:
    """6 teams x 6 waves x 3 people; teams 0-2 start an intervention at waves 3, 4, 5."""
    rng = np.random.default_rng(7)
    rows = []
    for j, start in enumerate([3, 4, 5, None, None, None]):
        for wave in range(1, 7):
            post = 1.0 if start is not None and wave >= start else 0.0
            since = float(wave - start) if start is not None and post else 0.0
            for r in range(3):
                score = round(4 + 0.1 * wave + 0.4 * post + rng.normal(0, 0.5), 3)
                rows.append(
                    {
                        "team": f"T{j}",
                        "wave": wave,
                        "respondent": f"R{j}{r}",
                        "post": post,
                        "since": since,
                        "score": score,
                    }
                )
    return pd.DataFrame(rows)


def test_level_change_equals_r_lm() -> None:
    # R 4.2.2, the scores above written to CSV:
    #   m <- aggregate(cbind(score, post, since) ~ team + wave, data = d, FUN = mean)
    #   m$t0 <- m$wave - 1
    #   fit <- lm(score ~ 0 + factor(team) + factor(team):t0 + post + since, data = m)
    #   summary(fit)$coefficients["post", ]  # 0.6542628749292589 0.2404590489726541
    #   df.residual(fit)                      # 22
    estimate, se, df = _fit_team_means(_scores())
    assert estimate == pytest.approx(0.6542628749292589, rel=1e-10)
    assert se == pytest.approx(0.2404590489726541, rel=1e-10)
    assert df == 22
    _, _, wald_df = _fit_team_means(_scores(), ddf="wald")
    assert wald_df == float("inf")
